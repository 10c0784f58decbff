// The local Lambda handler host: a small node:http server speaking Lambda's Invoke API
// (POST /2015-03-31/functions/{name}/invocations) that runs the project's real TypeScript handlers.
// moto's Step Functions interpreter and EventBridge Lambda targets are routed here by
// local/moto/launcher.py (moto's own Lambda needs Docker).
//
// Each function runs in its own worker thread (its own process.env, module cache and cold start), like
// a Lambda execution environment. Function name -> `<dir>/<folder>/handler.ts` (see handler-registry.ts).
//
// Test controls (never exposed beyond 127.0.0.1):
//   PUT    /__tenantry/functions/{name}/env   body {VAR: "value"}  replace a function's env (next call is a cold start)
//   PUT    /__tenantry/faults                 body {function, errorName, errorMessage?, times?}
//   GET    /__tenantry/faults | DELETE /__tenantry/faults
//   GET    /__tenantry/invocations            [{function, folder, durationMs, error?, invocationType}] (no payloads)
//   POST   /__tenantry/reset                  faults, invocation log, env overrides and workers cleared
//   GET    /__tenantry/health
//
// Logs: one line per invocation with the function name, duration and error name only — never payloads.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  FaultBook,
  type FunctionEnvMap,
  type FunctionErrorBody,
  FunctionNotFoundError,
  functionEnv,
  functionNameFromIdentifier,
  type HandlerEntry,
  listHandlerFolders,
  resolveHandler,
  validateEnv,
  validateEnvMap,
} from './handler-registry';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(HERE, '..');
const WORKER_FILE = join(HERE, 'handler-worker.ts');
const TSX_ESM_API = pathToFileURL(
  join(dirname(createRequire(import.meta.url).resolve('tsx/esm/api')), 'index.mjs'),
).href;
const WORKER_BOOTSTRAP = `import(${JSON.stringify(TSX_ESM_API)})
  .then((tsx) => tsx.register())
  .then(() => import(${JSON.stringify(pathToFileURL(WORKER_FILE).href)}));`;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const ENV_PATH = /^\/__tenantry\/functions\/([^/]+)\/env$/;

export interface HandlerHostOptions {
  /** Port to listen on (0 = any free port). */
  port?: number;
  host?: string;
  /** Handler directories, in increasing precedence. Default: `<repo>/lambdas`. */
  handlerDirs?: string[];
  /** Environment per function: keys are function names, folder names or `*` (all functions). */
  functionEnv?: FunctionEnvMap;
  /** Base environment of every function (default: this process's env). */
  baseEnv?: Record<string, string | undefined>;
  region?: string;
  accountId?: string;
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface InvocationRecord {
  function: string;
  folder: string;
  invocationType: string;
  durationMs: number;
  error?: string;
}

interface Pending {
  resolve: (v: { ok: true; result: string } | { ok: false; error: FunctionErrorBody }) => void;
}

class FunctionWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  dead = false;

  constructor(file: string, env: Record<string, string>) {
    // Worker threads do not inherit tsx's loader: register it inside the thread, then load the worker.
    this.worker = new Worker(WORKER_BOOTSTRAP, {
      eval: true,
      workerData: { file },
      env,
      stdout: false,
      stderr: false,
    });
    this.worker.on(
      'message',
      (msg: { id: number; ok: boolean; result?: string; error?: FunctionErrorBody }) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        p.resolve(
          msg.ok
            ? { ok: true, result: msg.result ?? 'null' }
            : { ok: false, error: msg.error ?? { errorType: 'Error', errorMessage: '', trace: [] } },
        );
      },
    );
    const fail = (errorType: string, errorMessage: string) => {
      this.dead = true;
      for (const p of this.pending.values())
        p.resolve({ ok: false, error: { errorType, errorMessage, trace: [] } });
      this.pending.clear();
    };
    this.worker.on('error', (err) =>
      fail('Runtime.ExitError', `execution environment crashed: ${err.name}: ${err.message}`),
    );
    this.worker.on('exit', (code) =>
      fail('Runtime.ExitError', `execution environment exited with code ${code}`),
    );
  }

  invoke(event: string, context: Record<string, unknown>, timeoutMs: number) {
    const id = ++this.nextId;
    return new Promise<{ ok: true; result: string } | { ok: false; error: FunctionErrorBody }>(
      (resolvePromise) => {
        const timer = setTimeout(() => {
          if (!this.pending.delete(id)) return;
          resolvePromise({
            ok: false,
            error: {
              errorType: 'Sandbox.Timedout',
              errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
              trace: [],
            },
          });
          void this.terminate(); // like Lambda: a timed-out environment is discarded
        }, timeoutMs);
        this.pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolvePromise(v);
          },
        });
        this.worker.postMessage({ id, event, context: { ...context, timeoutMs } });
      },
    );
  }

  async terminate(): Promise<void> {
    this.dead = true;
    await this.worker.terminate();
  }
}

export interface HandlerHost {
  url: string;
  port: number;
  close(): Promise<void>;
}

async function startHandlerHost(options: HandlerHostOptions = {}): Promise<HandlerHost> {
  const handlerDirs = (options.handlerDirs ?? [join(REPO_ROOT, 'lambdas')]).map((d) => resolve(d));
  const initialEnv = validateEnvMap(options.functionEnv ?? {}, 'functionEnv');
  let envMap: FunctionEnvMap = structuredClone(initialEnv);
  const baseEnv = options.baseEnv ?? process.env;
  const region = options.region ?? baseEnv.AWS_REGION ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const timeoutMs = options.timeoutMs ?? 60_000;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const faults = new FaultBook();
  const workers = new Map<string, FunctionWorker>(); // by function name
  let invocations: InvocationRecord[] = [];

  const stopWorker = async (name: string) => {
    const w = workers.get(name);
    workers.delete(name);
    await w?.terminate();
  };

  const workerFor = (name: string, entry: HandlerEntry): FunctionWorker => {
    let w = workers.get(name);
    if (w && !w.dead) return w;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(baseEnv)) if (v !== undefined) env[k] = v;
    Object.assign(
      env,
      {
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_LAMBDA_FUNCTION_NAME: name,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
      },
      functionEnv(envMap, name, entry.folder),
    );
    w = new FunctionWorker(entry.file, env);
    workers.set(name, w);
    return w;
  };

  const invoke = async (identifier: string, invocationType: string, body: string, res: ServerResponse) => {
    const started = Date.now();
    const name = functionNameFromIdentifier(identifier);
    const entry = resolveHandler(name, listHandlerFolders(handlerDirs));
    if (!entry) {
      const err = new FunctionNotFoundError(name, handlerDirs);
      log(`[handler-host] ${name} not found`);
      return send(
        res,
        404,
        { Type: 'User', message: err.message },
        { 'X-Amzn-ErrorType': 'ResourceNotFoundException' },
      );
    }
    if (invocationType === 'DryRun') return send(res, 204, undefined);
    const event = body.trim().length ? body : '{}';
    try {
      JSON.parse(event);
    } catch {
      return send(
        res,
        400,
        { Type: 'User', message: 'Could not parse request body into json' },
        { 'X-Amzn-ErrorType': 'InvalidRequestContentException' },
      );
    }
    const run = async () => {
      const fault = faults.take(name, entry.folder);
      const outcome = fault
        ? ({ ok: false, error: fault } as const)
        : await workerFor(name, entry).invoke(
            event,
            {
              functionName: name,
              invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${name}`,
              awsRequestId: randomUUID(),
              memoryLimitInMB: '128',
            },
            timeoutMs,
          );
      const durationMs = Date.now() - started;
      const record: InvocationRecord = { function: name, folder: entry.folder, invocationType, durationMs };
      if (!outcome.ok) record.error = outcome.error.errorType;
      invocations.push(record);
      log(
        `[handler-host] ${name} ${invocationType} ${durationMs}ms ${outcome.ok ? 'ok' : `error=${outcome.error.errorType}${fault ? ' (injected)' : ''}`}`,
      );
      return outcome;
    };
    if (invocationType === 'Event') {
      send(res, 202, undefined);
      await run();
      return;
    }
    const outcome = await run();
    const headers = { 'X-Amz-Executed-Version': '$LATEST' };
    if (outcome.ok) return sendRaw(res, 200, outcome.result, headers);
    return send(res, 200, outcome.error, { ...headers, 'X-Amz-Function-Error': 'Unhandled' });
  };

  const control = async (method: string, path: string, body: string, res: ServerResponse) => {
    const envMatch = ENV_PATH.exec(path);
    if (envMatch && method === 'PUT') {
      const name = decodeURIComponent(envMatch[1] as string);
      envMap = { ...envMap, [name]: validateEnv(parseJson(body), `env of ${name}`) };
      // Env changes take effect on a fresh execution environment (as a Lambda configuration update does).
      await Promise.all([...workers.keys()].map((k) => stopWorker(k)));
      return send(res, 200, { function: name, variables: Object.keys(envMap[name] ?? {}) });
    }
    if (path === '/__tenantry/faults') {
      if (method === 'PUT') return send(res, 200, faults.add(parseJson(body)));
      if (method === 'GET') return send(res, 200, faults.list());
      if (method === 'DELETE') {
        faults.clear();
        return send(res, 200, []);
      }
    }
    if (path === '/__tenantry/invocations' && method === 'GET') return send(res, 200, invocations);
    if (path === '/__tenantry/reset' && method === 'POST') {
      faults.clear();
      invocations = [];
      envMap = structuredClone(initialEnv);
      await Promise.all([...workers.keys()].map((k) => stopWorker(k)));
      return send(res, 200, { reset: true });
    }
    if (path === '/__tenantry/health' && method === 'GET') {
      return send(res, 200, {
        ok: true,
        handlerDirs,
        functions: listHandlerFolders(handlerDirs).map((e) => e.folder),
      });
    }
    return send(res, 404, { message: `no route ${method} ${path}` });
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0] as string;
      const method = req.method ?? 'GET';
      const m = INVOKE_PATH.exec(path);
      const handled =
        m && method === 'POST'
          ? invoke(m[1] as string, headerValue(req, 'x-amz-invocation-type') ?? 'RequestResponse', body, res)
          : control(method, path, body, res);
      handled.catch((err: unknown) => {
        const name = err instanceof Error ? err.name : typeof err;
        log(`[handler-host] ${method} ${path} failed: ${name}`);
        if (!res.headersSent) {
          send(
            res,
            err instanceof TypeError || err instanceof SyntaxError ? 400 : 500,
            { message: err instanceof Error ? err.message : String(err) },
            {
              'X-Amzn-ErrorType':
                err instanceof TypeError ? 'InvalidParameterValueException' : 'ServiceException',
            },
          );
        }
      });
    });
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    close: async () => {
      await Promise.all([...workers.keys()].map((k) => stopWorker(k)));
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
    },
  };
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new SyntaxError('request body is not valid JSON');
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  sendRaw(res, status, body === undefined ? '' : JSON.stringify(body), headers);
}

function sendRaw(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  // Lambda always answers with a request id (botocore reads it into ResponseMetadata.RequestId).
  res.writeHead(status, { 'Content-Type': 'application/json', 'x-amzn-RequestId': randomUUID(), ...headers });
  res.end(body);
}

// --- run as a process (local/env.ts starts it with tsx) -------------------------------------------
// Configuration: TENANTRY_HANDLER_HOST_PORT, TENANTRY_HANDLER_DIRS (path-delimited, increasing precedence),
// TENANTRY_HANDLER_ENV (JSON {functionName: {VAR: value}}). Prints one JSON line {"ready":true,...} when listening.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const envJson = process.env.TENANTRY_HANDLER_ENV;
  const dirs = process.env.TENANTRY_HANDLER_DIRS;
  const baseEnv = { ...process.env };
  delete baseEnv.TENANTRY_HANDLER_ENV; // functions get their own entries, not everyone's
  const host = await startHandlerHost({
    port: Number(process.env.TENANTRY_HANDLER_HOST_PORT ?? 0),
    handlerDirs: dirs ? dirs.split(process.platform === 'win32' ? ';' : ':').filter(Boolean) : undefined,
    functionEnv: envJson ? validateEnvMap(parseJson(envJson), 'TENANTRY_HANDLER_ENV') : {},
    baseEnv,
  });
  process.stdout.write(`${JSON.stringify({ ready: true, url: host.url, port: host.port })}\n`);
  const shutdown = () => {
    host.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  if (process.env.TENANTRY_EXIT_WITH_PARENT === '1') {
    // Attached mode (tests): the parent holds our stdin; when it goes away, so do we.
    process.stdin.on('end', shutdown).on('close', shutdown).resume();
  }
}
