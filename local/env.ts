// The local AWS environment ("embedded default"): moto in server mode (patched by
// local/moto/launcher.py) plus the local Lambda handler host (local/handler-host.ts), as child processes.
//
//   const aws = await startLocalAws({ handlerEnv: { '*': { TABLE_NAME: 'catalog' } } });
//   // aws.env: AWS_ENDPOINT_URL, AWS_REGION, ... — give it to SDK clients' processes (or applyLocalAwsEnv)
//   await aws.reset();   // POST /moto-api/reset + re-apply config + handler host reset
//   await aws.stop();
//
// Application code never sees an endpoint: SDK v3 clients read AWS_ENDPOINT_URL themselves.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '../domain/aws/backoff';
import type { FunctionEnvMap } from './handler-registry';
import { dropLocalDatabases, type LocalPostgres, localPostgresUrl, startLocalPostgres } from './postgres';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const LOCAL_DIR = join(REPO_ROOT, '.local');
export const DEFAULT_PORT = 4566;
const DEFAULT_REGION = 'us-east-1';
const MOTO_CONFIG = { stepfunctions: { execute_state_machine: true }, lambda: { use_docker: false } };

export class LocalAwsError extends Error {
  override name = 'LocalAwsError';
}

export interface LocalAwsOptions {
  /** moto port. Default: $TENANTRY_LOCAL_PORT, else a free port. */
  port?: number;
  /** Handler host port. Default: $TENANTRY_HANDLER_HOST_PORT, else a free port. */
  handlerPort?: number;
  /** Environment per function for the handler host: keys are function names, folder names or `*`. */
  handlerEnv?: FunctionEnvMap;
  /** Extra handler directories (after `lambdas/`, higher precedence), e.g. test fixtures. */
  extraHandlerDirs?: string[];
  region?: string;
  /** Run the children in their own process group, surviving this process (for `make local-up`). */
  detached?: boolean;
  /** Also set the returned env on this process's process.env. Default false. */
  applyToProcessEnv?: boolean;
  startTimeoutMs?: number;
  logDir?: string;
  /** PostgreSQL port (local/postgres.ts: the databases of the pool and the silos). Default: a free port. */
  postgresPort?: number;
}

export interface LocalAws {
  /** http://127.0.0.1:<port> — moto. */
  endpoint: string;
  handlerHostUrl: string;
  region: string;
  /** The variables a process needs to use the local environment. */
  env: Record<string, string>;
  /** The local PostgreSQL server's administrative URL (also `LOCAL_POSTGRES_URL` in `env`). */
  postgresUrl: string;
  pids: { moto: number; handlerHost: number; postgres: number };
  logs: { moto: string; handlerHost: string; postgres: string };
  /** Time from spawn to both servers healthy and configured, in ms. */
  startupMs: number;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** The environment a process needs to talk to the local environment (dummy credentials). */
export function localAwsEnv(endpoint: string, region = DEFAULT_REGION): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: 'testing',
    // Java SDK (Flink's Kinesis connector) against moto: no CBOR.
    AWS_CBOR_DISABLE: '1',
  };
}

function applyLocalAwsEnv(env: Record<string, string>, target: NodeJS.ProcessEnv = process.env): void {
  Object.assign(target, env);
}

export async function getFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

function portFrom(value: number | undefined, envName: string): number | undefined {
  if (value !== undefined) return value;
  const raw = process.env[envName];
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new LocalAwsError(`${envName}=${raw} is not a valid port (1-65535)`);
  }
  return port;
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Poll `url` until it answers 2xx; fail early if `child` exits. */
async function waitForHttp(
  url: string,
  timeoutMs: number,
  what: string,
  child?: ChildProcess,
  log?: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      throw new LocalAwsError(
        `${what} exited with code ${child.exitCode} before becoming healthy${log ? `; last log lines of ${log}:\n${tail(log)}` : ''}`,
      );
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) return;
      lastError = `HTTP ${res.status}`;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await sleep(50);
  }
  throw new LocalAwsError(
    `${what} did not answer ${url} within ${timeoutMs} ms (${lastError})${log ? `; last log lines of ${log}:\n${tail(log)}` : ''}`,
  );
}

async function postJson(url: string, body: unknown, what: string): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok)
    throw new LocalAwsError(`${what}: POST ${url} answered HTTP ${res.status}: ${text.slice(0, 300)}`);
}

/** Apply moto's runtime config (Step Functions execution on, Docker-less Lambda). */
async function configureMoto(endpoint: string): Promise<void> {
  await postJson(`${endpoint}/moto-api/config`, MOTO_CONFIG, 'moto config');
}

/**
 * Clear all moto state and re-apply the config; clear the handler host's faults, env overrides, workers;
 * drop the pool's and the silos' PostgreSQL databases.
 */
export async function resetLocalAws(
  endpoint: string,
  handlerHostUrl?: string,
  postgresUrl?: string,
): Promise<void> {
  await postJson(`${endpoint}/moto-api/reset`, undefined, 'moto reset');
  await configureMoto(endpoint);
  // The workers first: their pools hold connections to the databases dropped next.
  if (handlerHostUrl) await postJson(`${handlerHostUrl}/__tenantry/reset`, undefined, 'handler host reset');
  if (postgresUrl) await dropLocalDatabases(postgresUrl);
}

function pythonPath(): string {
  return join(REPO_ROOT, '.venv', 'bin', 'python');
}

function tsxCli(): string {
  return join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM (the process group when `group`), wait up to `graceMs`, then SIGKILL. */
export async function terminate(pid: number, group: boolean, graceMs = 3000): Promise<void> {
  const target = group ? -pid : pid;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(target, sig);
    } catch {
      // already gone
    }
  };
  if (!isAlive(pid)) return;
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await sleep(50);
  }
  signal('SIGKILL');
  for (let i = 0; i < 40 && isAlive(pid); i++) await sleep(25);
}

export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const python = pythonPath();
  if (!existsSync(python)) {
    throw new LocalAwsError(
      `the project venv is missing (${python}); create it with: python3 -m venv .venv && ` +
        '.venv/bin/pip install -r local/requirements.txt (or run make local-up / make test)',
    );
  }
  if (!existsSync(tsxCli())) throw new LocalAwsError(`tsx is not installed (${tsxCli()}); run npm ci`);

  const started = Date.now();
  const region = options.region ?? DEFAULT_REGION;
  const port = portFrom(options.port, 'TENANTRY_LOCAL_PORT') ?? (await getFreePort());
  let handlerPort = portFrom(options.handlerPort, 'TENANTRY_HANDLER_HOST_PORT') ?? (await getFreePort());
  if (handlerPort === port) handlerPort = await getFreePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const handlerHostUrl = `http://127.0.0.1:${handlerPort}`;
  const postgresPort = options.postgresPort ?? (await getFreePort());
  const postgresUrl = localPostgresUrl(postgresPort);
  const env = { ...localAwsEnv(endpoint, region), LOCAL_POSTGRES_URL: postgresUrl };
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const logDir = options.logDir ?? join(LOCAL_DIR, 'logs');
  mkdirSync(logDir, { recursive: true });
  const logs = {
    moto: join(logDir, `moto-${port}.log`),
    handlerHost: join(logDir, `handler-host-${handlerPort}.log`),
    postgres: join(logDir, `postgres-${postgresPort}.log`),
  };
  const detached = options.detached ?? false;

  const childEnv = { ...process.env, ...env } as Record<string, string>;
  delete childEnv.MOTO_PORT; // the launcher sets it from --port
  delete childEnv.TENANTRY_HANDLER_ENV;
  if (!detached) childEnv.TENANTRY_EXIT_WITH_PARENT = '1';
  else delete childEnv.TENANTRY_EXIT_WITH_PARENT;

  const spawnLogged = (cmd: string, args: string[], extraEnv: Record<string, string>, logFile: string) => {
    const fd = openSync(logFile, 'w');
    try {
      const child = spawn(cmd, args, {
        cwd: REPO_ROOT,
        env: { ...childEnv, ...extraEnv },
        // Attached children keep a pipe on stdin and exit when it closes (the parent died without stop()).
        stdio: [detached ? 'ignore' : 'pipe', fd, fd],
        detached,
      });
      if (detached) child.unref();
      return child;
    } finally {
      closeSync(fd);
    }
  };

  const handlerDirs = [
    join(REPO_ROOT, 'lambdas'),
    ...(options.extraHandlerDirs ?? []).map((d) => resolve(d)),
  ];
  const hostChild = spawnLogged(
    process.execPath,
    [tsxCli(), join(REPO_ROOT, 'local', 'handler-host.ts')],
    {
      TENANTRY_HANDLER_HOST_PORT: String(handlerPort),
      TENANTRY_HANDLER_DIRS: handlerDirs.join(':'),
      TENANTRY_HANDLER_ENV: JSON.stringify(options.handlerEnv ?? {}),
    },
    logs.handlerHost,
  );
  const motoChild = spawnLogged(
    python,
    [join(REPO_ROOT, 'local', 'moto', 'launcher.py'), '--port', String(port)],
    { TENANTRY_HANDLER_HOST_URL: handlerHostUrl, TENANTRY_NODE: process.execPath, PYTHONUNBUFFERED: '1' },
    logs.moto,
  );

  let postgres: LocalPostgres | undefined;
  const stopChildren = async () => {
    await Promise.all([
      ...[motoChild, hostChild].map((c) =>
        c.pid && c.exitCode === null ? terminate(c.pid, detached) : undefined,
      ),
      postgres?.stop(),
    ]);
  };

  try {
    await Promise.all([
      startLocalPostgres({ port: postgresPort, logFile: logs.postgres, detached, timeoutMs }).then(
        (started) => {
          postgres = started;
        },
      ),
      waitForHttp(`${endpoint}/moto-api/`, timeoutMs, `moto (port ${port})`, motoChild, logs.moto),
      waitForHttp(
        `${handlerHostUrl}/__tenantry/health`,
        timeoutMs,
        `handler host (port ${handlerPort})`,
        hostChild,
        logs.handlerHost,
      ),
    ]);
    await configureMoto(endpoint);
  } catch (err) {
    await stopChildren();
    throw err;
  }

  if (options.applyToProcessEnv) applyLocalAwsEnv(env);
  let stopped = false;
  return {
    endpoint,
    handlerHostUrl,
    region,
    env,
    postgresUrl,
    pids: { moto: motoChild.pid ?? -1, handlerHost: hostChild.pid ?? -1, postgres: postgres?.pid ?? -1 },
    logs,
    startupMs: Date.now() - started,
    reset: () => resetLocalAws(endpoint, handlerHostUrl, postgresUrl),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stopChildren();
    },
  };
}
