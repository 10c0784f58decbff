// A long-lived JSONata evaluator for moto's Step Functions interpreter (see launcher.py).
// Protocol: one JSON request per line on stdin {id, expr, bindings}, one JSON answer per line on
// stdout {id, ok: true, value} | {id, ok: false, error: {code, message, position, token}}.
// `value` is omitted when the expression yields undefined (JSONata "no match").
import { createHash, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// Resolve the project's pinned jsonata (node_modules at the repository root).
const require = createRequire(resolve(here, '..', '..', 'package.json'));
const jsonata = require('jsonata');

const cache = new Map();
function compile(expr) {
  let compiled = cache.get(expr);
  if (!compiled) {
    compiled = jsonata(expr);
    // AWS Step Functions JSONata extensions that are not part of core JSONata.
    compiled.registerFunction('uuid', () => randomUUID(), '<:s>');
    compiled.registerFunction(
      'hash',
      (value, algorithm) => {
        if (value === undefined) return undefined;
        const algo = {
          MD5: 'md5',
          'SHA-1': 'sha1',
          'SHA-256': 'sha256',
          'SHA-384': 'sha384',
          'SHA-512': 'sha512',
        }[algorithm ?? 'SHA-256'];
        if (!algo)
          throw Object.assign(new Error(`$hash: unsupported algorithm ${algorithm}`), { code: 'T0410' });
        return createHash(algo).update(String(value)).digest('hex');
      },
      '<s-s?:s>',
    );
    compiled.registerFunction(
      'parse',
      (text) => {
        if (text === undefined) return undefined;
        try {
          return JSON.parse(text);
        } catch (err) {
          throw Object.assign(new Error(`$parse: ${err.message}`), { code: 'D3140' });
        }
      },
      '<s-:x>',
    );
    if (cache.size > 2000) cache.clear();
    cache.set(expr, compiled);
  }
  return compiled;
}

const out = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
rl.on('line', async (line) => {
  if (!line.trim()) return;
  let req;
  try {
    req = JSON.parse(line);
  } catch (err) {
    out({ id: null, ok: false, error: { code: 'PROTOCOL', message: `bad request line: ${err.message}` } });
    return;
  }
  try {
    const compiled = compile(req.expr);
    const value = await compiled.evaluate(req.input ?? null, req.bindings ?? {});
    const answer = { id: req.id, ok: true };
    if (value !== undefined) answer.value = normalise(value);
    out(answer);
  } catch (err) {
    out({
      id: req.id,
      ok: false,
      error: {
        code: err?.code ?? 'ERROR',
        message: err?.message ?? String(err),
        position: err?.position,
        token: err?.token,
      },
    });
  }
});
rl.on('close', () => process.exit(0));

// JSONata sequences are arrays with extra flags; functions cannot cross JSON. Make the value plain.
function normalise(value) {
  if (typeof value === 'function') return undefined;
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'function' ? undefined : v)));
}
