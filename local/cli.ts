// `make local-up` / `make local-down`: npx tsx local/cli.ts up|down|status
// up:     starts moto + the handler host detached, writes .local/local-aws.json (endpoint, pids, env)
//         and prints the variables to export. Ports: TENANTRY_LOCAL_PORT (default 4566),
//         TENANTRY_HANDLER_HOST_PORT (default moto port + 1).
// down:   SIGTERM then SIGKILL both processes (by the recorded pids), removes the state file.
// status: health of the recorded environment.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_PORT, LOCAL_DIR, LocalAwsError, startLocalAws, terminate } from './env';

const STATE_FILE = join(LOCAL_DIR, 'local-aws.json');

interface State {
  endpoint: string;
  handlerHostUrl: string;
  pids: { moto: number; handlerHost: number };
  env: Record<string, string>;
  logs: { moto: string; handlerHost: string };
  startedAt: string;
}

function readState(): State | undefined {
  if (!existsSync(STATE_FILE)) return undefined;
  return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as State;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

async function up(): Promise<void> {
  const existing = readState();
  if (existing && (await healthy(`${existing.endpoint}/moto-api/`))) {
    console.log(
      `local AWS already running at ${existing.endpoint} (handler host ${existing.handlerHostUrl})`,
    );
    printEnv(existing.env);
    return;
  }
  const port = Number(process.env.TENANTRY_LOCAL_PORT ?? DEFAULT_PORT);
  const handlerPort = Number(process.env.TENANTRY_HANDLER_HOST_PORT ?? port + 1);
  const aws = await startLocalAws({ port, handlerPort, detached: true });
  mkdirSync(LOCAL_DIR, { recursive: true });
  const state: State = {
    endpoint: aws.endpoint,
    handlerHostUrl: aws.handlerHostUrl,
    pids: aws.pids,
    env: aws.env,
    logs: aws.logs,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`);
  writeFileSync(join(LOCAL_DIR, 'moto.pid'), `${aws.pids.moto}\n`);
  writeFileSync(join(LOCAL_DIR, 'handler-host.pid'), `${aws.pids.handlerHost}\n`);
  console.log(
    `local AWS up in ${aws.startupMs} ms: moto ${aws.endpoint}, handler host ${aws.handlerHostUrl}`,
  );
  console.log(`logs: ${aws.logs.moto}, ${aws.logs.handlerHost}`);
  printEnv(aws.env);
}

function printEnv(env: Record<string, string>): void {
  console.log('# use it from a shell:');
  for (const [k, v] of Object.entries(env)) console.log(`export ${k}=${v}`);
}

async function down(): Promise<void> {
  const state = readState();
  if (!state) {
    console.log('local AWS is not running (no .local/local-aws.json)');
    return;
  }
  // Detached children lead their own process group: terminate the group (moto's JSONata worker included).
  await Promise.all([terminate(state.pids.moto, true), terminate(state.pids.handlerHost, true)]);
  for (const f of [STATE_FILE, join(LOCAL_DIR, 'moto.pid'), join(LOCAL_DIR, 'handler-host.pid')])
    rmSync(f, { force: true });
  console.log(`local AWS stopped (moto pid ${state.pids.moto}, handler host pid ${state.pids.handlerHost})`);
}

async function status(): Promise<number> {
  const state = readState();
  if (!state) {
    console.log('local AWS is not running (no .local/local-aws.json)');
    return 1;
  }
  const moto = await healthy(`${state.endpoint}/moto-api/`);
  const host = await healthy(`${state.handlerHostUrl}/__tenantry/health`);
  console.log(`moto ${state.endpoint}: ${moto ? 'up' : 'DOWN'} (pid ${state.pids.moto})`);
  console.log(
    `handler host ${state.handlerHostUrl}: ${host ? 'up' : 'DOWN'} (pid ${state.pids.handlerHost})`,
  );
  return moto && host ? 0 : 1;
}

const command = process.argv[2];
try {
  if (command === 'up') await up();
  else if (command === 'down') await down();
  else if (command === 'status') process.exitCode = await status();
  else {
    console.error('usage: tsx local/cli.ts up|down|status');
    process.exitCode = 2;
  }
} catch (err) {
  console.error(err instanceof LocalAwsError ? `local AWS: ${err.message}` : err);
  process.exitCode = 1;
}
