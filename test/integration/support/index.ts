// What integration test files use to reach the local AWS environment started by global-setup.ts.
//
//   beforeAll(async () => { useLocalAws(); await resetLocalAws(); });
//   await setFunctionEnv('my-function', { TABLE_NAME: 't' });               // the function's whole env
//   await injectFault({ function: 'my-function', errorName: 'Lambda.TooManyRequestsException', times: 1 });
//   const calls = await listInvocations();                                 // [{function, folder, error?, ...}]
import { inject } from 'vitest';
import { localAwsEnv, resetLocalAws as resetAll } from '../../../local/env';
import type { Fault } from '../../../local/handler-registry';

export { waitForExecution } from './stepfunctions';

export interface LocalAwsHandle {
  endpoint: string;
  handlerHostUrl: string;
  region: string;
  /** The local PostgreSQL server (administrative URL): the pool's and the silos' databases. */
  postgresUrl: string;
  env: Record<string, string>;
}

/** This worker's environment: VITEST_POOL_ID (1…maxWorkers) is unique among the workers running at once. */
function handle(): LocalAwsHandle {
  const environments = inject('localEnvironments');
  if (!environments?.length) {
    throw new Error(
      'the local AWS environment is not provided: run integration tests with `vitest --project integration` ' +
        '(test/integration/global-setup.ts starts it)',
    );
  }
  const poolId = Number(process.env.VITEST_POOL_ID ?? '1');
  const environment = environments[poolId - 1];
  if (!environment) {
    throw new Error(
      `VITEST_POOL_ID ${process.env.VITEST_POOL_ID} has no local AWS environment (${environments.length} started): ` +
        'maxWorkers must not exceed INTEGRATION_WORKERS (test/integration/local-environments.ts)',
    );
  }
  const { awsEndpoint: endpoint, awsRegion: region, handlerHostUrl, postgresUrl } = environment;
  return {
    endpoint,
    handlerHostUrl,
    region,
    postgresUrl,
    env: { ...localAwsEnv(endpoint, region), LOCAL_POSTGRES_URL: postgresUrl },
  };
}

/** Point this test worker's SDK clients at the local environment (sets AWS_ENDPOINT_URL, region, dummy keys). */
export function useLocalAws(): LocalAwsHandle {
  const h = handle();
  Object.assign(process.env, h.env);
  return h;
}

/**
 * Empty moto (all services), re-apply its config; clear the handler host's faults, env overrides and
 * log; drop the pool's and the silos' PostgreSQL databases.
 */
export async function resetLocalAws(): Promise<void> {
  const h = handle();
  await resetAll(h.endpoint, h.handlerHostUrl, h.postgresUrl);
}

async function hostCall(method: string, path: string, body?: unknown): Promise<unknown> {
  const h = handle();
  const res = await fetch(`${h.handlerHostUrl}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`handler host ${method} ${path}: HTTP ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * Set the environment of a function (by deployed name or by `lambdas/<folder>` name; `*` = every function).
 * Replaces that entry; the next invocation is a cold start with the new environment.
 */
export async function setFunctionEnv(functionName: string, variables: Record<string, string>): Promise<void> {
  await hostCall('PUT', `/__tenantry/functions/${encodeURIComponent(functionName)}/env`, variables);
}

/** Make the next `times` (default 1) invocations of a function fail with `errorName`, without running it. */
export async function injectFault(fault: {
  function: string;
  errorName: string;
  errorMessage?: string;
  times?: number;
}) {
  return (await hostCall('PUT', '/__tenantry/faults', fault)) as Fault;
}

export async function clearFaults(): Promise<void> {
  await hostCall('DELETE', '/__tenantry/faults');
}

export interface InvocationRecord {
  function: string;
  folder: string;
  invocationType: string;
  durationMs: number;
  error?: string;
}

/** Invocations since the last reset (no payloads). */
export async function listInvocations(): Promise<InvocationRecord[]> {
  return (await hostCall('GET', '/__tenantry/invocations')) as InvocationRecord[];
}
