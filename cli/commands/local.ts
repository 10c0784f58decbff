/** `local up|down|status`: the detached local environment (local/session.ts), lifecycle deployed on it. */
import type { TenantryConfig } from '../../domain/config';
import { localDown, localStatus, localUp } from '../../local/session';
import type { CliIo } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { emit } from '../output';

export const localActions = ['up', 'down', 'status'] as const;
export type LocalAction = (typeof localActions)[number];

export async function local(
  out: { json: boolean; io: CliIo },
  config: TenantryConfig,
  action: LocalAction,
): Promise<ExitCode> {
  if (action === 'up') {
    const { state, alreadyRunning, startupMs } = await localUp(config);
    emit(out, { ...state, alreadyRunning }, () => [
      alreadyRunning
        ? `local environment already running at ${state.endpoint} (handler host ${state.handlerHostUrl})`
        : `local environment up in ${startupMs} ms: moto ${state.endpoint}, handler host ${state.handlerHostUrl}, lifecycle deployed`,
      `logs: ${state.logs.moto}, ${state.logs.handlerHost}`,
      '# tenantry commands find it by themselves; to use it from other tools:',
      ...Object.entries(state.env).map(([k, v]) => `export ${k}=${v}`),
    ]);
    return EXIT.ok;
  }
  if (action === 'down') {
    const state = await localDown();
    emit(out, { stopped: state !== undefined, pids: state?.pids }, () => [
      state
        ? `local environment stopped (moto pid ${state.pids.moto}, handler host pid ${state.pids.handlerHost})`
        : 'local environment is not running',
    ]);
    return EXIT.ok;
  }
  const status = await localStatus();
  emit(out, status, () =>
    status.state
      ? [
          `moto ${status.state.endpoint}: ${status.moto ? 'up' : 'DOWN'} (pid ${status.state.pids.moto})`,
          `handler host ${status.state.handlerHostUrl}: ${status.handlerHost ? 'up' : 'DOWN'} (pid ${status.state.pids.handlerHost})`,
        ]
      : ['local environment is not running (start it with `tenantry local up`)'],
  );
  return status.running ? EXIT.ok : EXIT.unreachable;
}
