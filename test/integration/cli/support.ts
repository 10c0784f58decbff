// Runs the `tenantry` program in-process against the local environment the integration setup started
// (useLocalAws() has set AWS_ENDPOINT_URL, so the default `--target local` resolves to it).
import { runCli } from '../../../cli/program';

export interface CliRun {
  readonly code: number;
  /** stdout lines (results). */
  readonly out: string[];
  /** stderr lines (progress, errors). */
  readonly err: string[];
}

export async function cli(...args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    out: (text) => out.push(...text.split('\n')),
    err: (text) => err.push(...text.split('\n')),
    interactive: false,
  });
  return { code, out, err };
}

/** `--json` output parsed. */
export function json<T>(run: CliRun): T {
  return JSON.parse(run.out.join('\n')) as T;
}
