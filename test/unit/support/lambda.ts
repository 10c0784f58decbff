import { afterAll, beforeAll, expect, vi } from 'vitest';

/**
 * A Lambda handler module as a cold start sees it: the environment is stubbed with `env` (a value of
 * `undefined` removes the variable), the module registry is reset and the handler is imported fresh,
 * so its module-level code (`readFunctionEnv`, `loadConfig`, client construction) runs again.
 * `TENANTRY_CONFIG` is removed unless `env` sets it: the default configuration applies, so expected
 * names follow domain/config/default.ts. Powertools logging is silenced unless `env` sets its level.
 *
 * Modules imported fresh have their own classes (e.g. `ValidationError`): match errors by `name` and
 * `message`, as Step Functions does. SDK clients come from node_modules, which is not reset, so
 * `mockClient(...)` made once per test file applies to the clients the handler builds.
 * Call `vi.unstubAllEnvs()` after each test.
 */
export async function importHandler<M>(
  load: () => Promise<M>,
  env: Readonly<Record<string, string | undefined>>,
): Promise<M> {
  vi.unstubAllEnvs();
  const stubs: Record<string, string | undefined> = {
    TENANTRY_CONFIG: undefined,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    ...env,
  };
  for (const [name, value] of Object.entries(stubs)) vi.stubEnv(name, value);
  vi.resetModules();
  return load();
}

/**
 * A handler test file's clock: `Date` stands at `now` through the file (set before its other `beforeAll`
 * hooks, so a handler imported there sees it too); real timers and the environment come back after it.
 */
export function useFixedDate(now: string): void {
  beforeAll(() => {
    vi.useFakeTimers({ now: new Date(now), toFake: ['Date'] });
  });
  afterAll(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });
}

/**
 * Asserts the handler's cold start requires `variable`: imported with `env` but `variable` unset, the
 * module fails to load with the EnvironmentError naming it (and nothing else).
 */
export async function expectColdStartToRequire<M>(
  load: () => Promise<M>,
  env: Readonly<Record<string, string | undefined>>,
  variable: string,
): Promise<void> {
  const loading = importHandler(load, { ...env, [variable]: undefined });
  await expect(loading).rejects.toMatchObject({
    name: 'EnvironmentError',
    message: `invalid environment: ${variable}: is required but not set`,
  });
}

/**
 * Captures what is written to stdout and stderr (the handler's log lines) instead of printing it, until
 * `vi.restoreAllMocks()`; returns the array the written chunks are appended to.
 */
export function captureProcessOutput(): string[] {
  const captured: string[] = [];
  const capture = (chunk: unknown) => {
    captured.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  return captured;
}
