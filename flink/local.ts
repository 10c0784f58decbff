import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TenantryConfig } from '../domain/config';
import type { CounterItem } from '../domain/usage/counters';
import type { ProgressItem } from '../domain/usage/progress';
import { type RunnerResult, runRunner, runRunnerUntil } from './runner';
import { type GenerateOptions, generateMeteringSql, type LocalProfile, SINKS, type SinkName } from './sql';

export interface LateRow {
  readonly eventId: string;
  readonly tenantId: string;
  readonly metric: string;
  readonly quantity: string;
  readonly eventTime: string;
  readonly watermarkTime: string;
}
export interface RejectedRow {
  readonly reason: string;
  readonly line: string;
  /** Processing time of the rejection (Flink output only; it also keeps one shared parse of each line). */
  readonly receivedAt?: string;
}
export interface JobOutputs {
  readonly hourly: CounterItem[];
  readonly daily: CounterItem[];
  readonly cumulative: CounterItem[];
  readonly late: LateRow[];
  readonly rejected: RejectedRow[];
}

/** Parses one output line, keeping `quantity` exact (JSON numbers would lose decimal digits). */
function parseOutputLine(line: string): Record<string, unknown> {
  return JSON.parse(line.replace(/"quantity":(-?[0-9][0-9.eE+-]*)/, '"quantity":"$1"')) as Record<
    string,
    unknown
  >;
}

/** Reads every committed part file of a sink directory (in-progress files start with "."). */
export function readSinkDir(dir: string, includeInProgress = false): Record<string, unknown>[] {
  if (!existsSync(dir)) return [];
  const rows: Record<string, unknown>[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) continue;
    if (name.startsWith('.') && !(includeInProgress && name.includes('inprogress'))) continue;
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (line.trim() !== '') rows.push(parseOutputLine(line));
    }
  }
  return rows;
}

export function readOutputs(partsDir: string): JobOutputs {
  const read = (sink: SinkName) => readSinkDir(join(partsDir, sink));
  return {
    hourly: read('hourly') as unknown as CounterItem[],
    daily: read('daily') as unknown as CounterItem[],
    cumulative: read('cumulative') as unknown as CounterItem[],
    late: read('late') as unknown as LateRow[],
    rejected: read('rejected') as unknown as RejectedRow[],
  };
}

/** The progress sink's items (in-progress files too: a job stopped without draining commits on its savepoint). */
export function readProgress(partsDir: string, includeInProgress = false): ProgressItem[] {
  return readSinkDir(join(partsDir, 'progress'), includeInProgress) as unknown as ProgressItem[];
}

/** Stable order for files and comparisons. */
export function sortRows<T extends object>(rows: T[]): T[] {
  const key = (r: T) => JSON.stringify(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
  return [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export interface RunLocalOptions {
  readonly config: TenantryConfig;
  readonly eventsPath: string;
  readonly outDir: string;
  /** Fixed clock for the age/future bounds (ISO); default: processing time. */
  readonly now?: string;
  readonly timeoutMs?: number;
  /** Extra JVM flags (the bench enables the C2 compiler: `-XX:TieredStopAtLevel=4`). */
  readonly jvmFlags?: readonly string[];
  /** Default 1 (deterministic lateness, see README); the bench measures 2 for the scaling figure. */
  readonly parallelism?: number;
  /** Default per-record (deterministic lateness); the bench runs `periodic`, as the aws profile does. */
  readonly watermarks?: LocalProfile['watermarks'];
  /** The sinks the job writes; default all (GenerateOptions.sinks). */
  readonly sinks?: GenerateOptions['sinks'];
}

export interface RunLocalResult {
  readonly outputs: JobOutputs;
  /** The progress items the job published (domain/usage/progress.ts). */
  readonly progress: ProgressItem[];
  readonly sqlPath: string;
  readonly durationMs: number;
  /** The job's own run time, start to end (no JVM start, planning or client): JOB_NET_RUNTIME_MS. */
  readonly netRuntimeMs: number;
  /** CPU of the runner process from submission to the end, every thread (JOB_CPU_MS). */
  readonly cpuMs: number;
}

/**
 * Runs the generated job over a bounded JSON-lines file on a local MiniCluster, waits for it to
 * finish (end of input moves the watermark to +∞, so every window fires), and writes
 * `<outDir>/<sink>.jsonl` for each sink.
 */
export async function runLocal(options: RunLocalOptions): Promise<RunLocalResult> {
  const eventsPath = resolve(options.eventsPath);
  if (!existsSync(eventsPath)) throw new Error(`events file not found: ${eventsPath}`);
  const outDir = resolve(options.outDir);
  const partsDir = join(outDir, '.parts');
  rmSync(partsDir, { recursive: true, force: true });
  for (const sink of SINKS) rmSync(join(outDir, `${sink}.jsonl`), { force: true });
  mkdirSync(partsDir, { recursive: true });
  const sql = generateMeteringSql({
    config: options.config,
    profile: {
      kind: 'local',
      eventsPath,
      outDir: partsDir,
      ...(options.watermarks ? { watermarks: options.watermarks } : {}),
    },
    ...(options.now ? { now: options.now } : {}),
    ...(options.parallelism ? { parallelism: options.parallelism } : {}),
    ...(options.sinks ? { sinks: options.sinks } : {}),
  });
  const sqlPath = join(outDir, 'metering.sql');
  writeFileSync(sqlPath, sql);
  const result = await runRunner({
    args: ['--sql', sqlPath, '--await'],
    timeoutMs: options.timeoutMs ?? 300_000,
    ...(options.jvmFlags ? { jvmFlags: options.jvmFlags } : {}),
  });
  const outputs = readOutputs(partsDir);
  const progress = readProgress(partsDir);
  for (const sink of SINKS) {
    const rows = sortRows(sink === 'progress' ? progress : (outputs[sink] as object[]));
    writeFileSync(join(outDir, `${sink}.jsonl`), rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
  return {
    outputs,
    progress,
    sqlPath,
    durationMs: result.durationMs,
    netRuntimeMs: Number(result.markers.JOB_NET_RUNTIME_MS),
    cpuMs: Number(result.markers.JOB_CPU_MS),
  };
}

/** Plans the job (EXPLAIN of the one statement set) without running it: every connector factory is resolved. */
export async function explainJob(sqlPath: string): Promise<string> {
  const result = await runRunner({ args: ['--sql', sqlPath, '--mode', 'explain'], timeoutMs: 180_000 });
  return result.stdout;
}

export interface StopWhenOptions {
  readonly sqlPath: string;
  /** Where the stop savepoint goes (a local directory). */
  readonly savepointDir: string;
  /** True once the job has done what the caller waits for (read from its sinks). */
  readonly reached: () => boolean;
  /** A savepoint or retained checkpoint to start from. */
  readonly restore?: string;
  /** Fire every open window before the savepoint (Flink's end of input). */
  readonly drain?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  readonly jvmFlags?: readonly string[];
  readonly timeoutMs?: number;
}

/**
 * Runs a script on a watched input until `reached()` holds, then stops it with a savepoint: a run
 * bounded by what the job has done, not by a wall-clock guess that a loaded machine can miss.
 */
export function runScriptUntil(options: StopWhenOptions): Promise<RunnerResult> {
  const stopFile = join(options.savepointDir, '..', `stop-${Date.now().toString(36)}`);
  return runRunnerUntil({
    args: [
      '--sql',
      options.sqlPath,
      ...(options.restore ? ['--restore', options.restore] : []),
      '--stop-when-file',
      stopFile,
      ...(options.drain ? ['--drain'] : []),
      '--savepoint-dir',
      `file://${options.savepointDir}`,
    ],
    stopFile,
    reached: options.reached,
    timeoutMs: options.timeoutMs ?? 240_000,
    ...(options.env ? { env: options.env } : {}),
    ...(options.jvmFlags ? { jvmFlags: options.jvmFlags } : {}),
  });
}
