// The detached local environment behind `tenantry local up|down|status` (and `make local-up|local-down`):
// up:     starts moto + the handler host + PostgreSQL detached, deploys the control plane and the lifecycle on it
//         (local/lifecycle.ts), and records it in .local/local-aws.json (endpoint, pids, env).
//         Ports: TENANTRY_LOCAL_PORT (default 4566), TENANTRY_HANDLER_HOST_PORT (default moto port + 1).
// down:   SIGTERM then SIGKILL the three processes (moto, the handler host, PostgreSQL) (by the recorded pids), removes the state file.
// status: health of the recorded environment.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TenantryConfig } from '../domain/config';
import { DEFAULT_PORT, LOCAL_DIR, startLocalAws, terminate } from './env';

const STATE_FILE = join(LOCAL_DIR, 'local-aws.json');
const PID_FILES = [join(LOCAL_DIR, 'moto.pid'), join(LOCAL_DIR, 'handler-host.pid')];

export interface LocalState {
  readonly endpoint: string;
  readonly handlerHostUrl: string;
  readonly pids: { readonly moto: number; readonly handlerHost: number; readonly postgres: number };
  readonly env: Record<string, string>;
  readonly logs: { readonly moto: string; readonly handlerHost: string; readonly postgres: string };
  readonly startedAt: string;
}

export interface LocalStatus {
  readonly running: boolean;
  readonly state?: LocalState;
  readonly moto: boolean;
  readonly handlerHost: boolean;
}

/** The recorded detached environment, if any. */
export function readLocalState(): LocalState | undefined {
  if (!existsSync(STATE_FILE)) return undefined;
  return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as LocalState;
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

/** Starts (or finds running) the detached environment with the lifecycle deployed on it. */
export async function localUp(
  config: TenantryConfig,
): Promise<{ state: LocalState; alreadyRunning: boolean; startupMs: number }> {
  const existing = readLocalState();
  if (existing && (await healthy(`${existing.endpoint}/moto-api/`)))
    return { state: existing, alreadyRunning: true, startupMs: 0 };
  const port = Number(process.env.TENANTRY_LOCAL_PORT ?? DEFAULT_PORT);
  const handlerPort = Number(process.env.TENANTRY_HANDLER_HOST_PORT ?? port + 1);
  const aws = await startLocalAws({ port, handlerPort, detached: true, applyToProcessEnv: true });
  const { deployLifecycleLocally } = await import('./lifecycle');
  await deployLifecycleLocally({
    config,
    endpoint: aws.endpoint,
    handlerHostUrl: aws.handlerHostUrl,
    postgresUrl: aws.postgresUrl,
    region: aws.env.AWS_REGION,
  });
  mkdirSync(LOCAL_DIR, { recursive: true });
  const state: LocalState = {
    endpoint: aws.endpoint,
    handlerHostUrl: aws.handlerHostUrl,
    pids: aws.pids,
    env: aws.env,
    logs: aws.logs,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`);
  writeFileSync(PID_FILES[0] as string, `${aws.pids.moto}\n`);
  writeFileSync(PID_FILES[1] as string, `${aws.pids.handlerHost}\n`);
  return { state, alreadyRunning: false, startupMs: aws.startupMs };
}

/** Stops the recorded environment; undefined when none was recorded. */
export async function localDown(): Promise<LocalState | undefined> {
  const state = readLocalState();
  if (!state) return undefined;
  // Detached children lead their own process group: terminate the group (moto's JSONata worker included).
  await Promise.all([
    terminate(state.pids.moto, true),
    terminate(state.pids.handlerHost, true),
    terminate(state.pids.postgres, true),
  ]);
  for (const f of [STATE_FILE, ...PID_FILES]) rmSync(f, { force: true });
  return state;
}

export async function localStatus(): Promise<LocalStatus> {
  const state = readLocalState();
  if (!state) return { running: false, moto: false, handlerHost: false };
  const moto = await healthy(`${state.endpoint}/moto-api/`);
  const handlerHost = await healthy(`${state.handlerHostUrl}/__tenantry/health`);
  return { running: moto && handlerHost, state, moto, handlerHost };
}
