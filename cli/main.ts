// `npx tenantry …` (bin/tenantry.mjs) — the thin entry: run the program, exit with its code.
import { runCli } from './program';

process.exitCode = await runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  interactive: process.stderr.isTTY === true,
});
