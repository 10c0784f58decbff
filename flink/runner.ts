import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Runs the metering runner JAR (flink/runner) on a local MiniCluster. */

const HERE = dirname(fileURLToPath(import.meta.url));
const RUNNER_DIR = join(HERE, 'runner');
const RUNNER_JAR = join(RUNNER_DIR, 'target', 'tenantry-flink-runner.jar');
const PROVIDED_CLASSPATH = join(RUNNER_DIR, 'target', 'provided-classpath.txt');
const MAIN_CLASS = 'dev.tenantry.flink.MeteringJob';

/** JVM flags Flink's in-JVM MiniCluster needs on Java 17. */
const JAVA_17_OPENS = [
  '--add-opens=java.base/java.util=ALL-UNNAMED',
  '--add-opens=java.base/java.lang=ALL-UNNAMED',
  '--add-opens=java.base/java.lang.reflect=ALL-UNNAMED',
  '--add-opens=java.base/java.io=ALL-UNNAMED',
  '--add-opens=java.base/java.net=ALL-UNNAMED',
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens=java.base/java.util.concurrent=ALL-UNNAMED',
];

export class FlinkRunnerError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderrTail: string,
  ) {
    super(`${message}${stderrTail ? `\n--- runner stderr (tail) ---\n${stderrTail}` : ''}`);
    this.name = 'FlinkRunnerError';
  }
}

/** The local classpath: the shaded JAR plus the `provided` Flink jars Maven listed at package time. */
function runnerClasspath(): string {
  if (!existsSync(RUNNER_JAR) || !existsSync(PROVIDED_CLASSPATH)) {
    throw new FlinkRunnerError(
      `the Flink runner is not built (${RUNNER_JAR}); run: mvn -q -B -f flink/runner/pom.xml -DskipTests package`,
      null,
      '',
    );
  }
  return [RUNNER_JAR, ...readFileSync(PROVIDED_CLASSPATH, 'utf8').trim().split(delimiter)].join(delimiter);
}

export interface RunnerResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  /** `KEY=value` lines the runner printed (JOB_ID, SAVEPOINT, JOB_STATUS). */
  readonly markers: Record<string, string>;
}

export interface RunnerOptions {
  readonly args: readonly string[];
  readonly heapMb?: number;
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly jvmFlags?: readonly string[];
}

export function runRunner(options: RunnerOptions): Promise<RunnerResult> {
  const started = Date.now();
  const log4j = join(HERE, 'log4j2-local.properties');
  const args = [
    `-Xmx${options.heapMb ?? 768}m`,
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    ...JAVA_17_OPENS,
    `-Dlog4j.configurationFile=${log4j}`,
    '-Daws.cborEnabled=false',
    ...(options.jvmFlags ?? []),
    '-cp',
    runnerClasspath(),
    MAIN_CLASS,
    ...options.args,
  ];
  return new Promise((resolvePromise, reject) => {
    const child = spawn('java', args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.length > 2_000_000) stderr = stderr.slice(-1_000_000);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new FlinkRunnerError(`the Flink runner timed out after ${options.timeoutMs} ms`, null, tail(stderr)),
      );
    }, options.timeoutMs ?? 300_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new FlinkRunnerError(`cannot start java: ${error.message}`, null, ''));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new FlinkRunnerError(`the Flink runner exited with ${code}`, code, tail(stderr + stdout)));
        return;
      }
      const markers: Record<string, string> = {};
      for (const line of stdout.split('\n')) {
        const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
        if (match?.[1] && match[2] !== undefined) markers[match[1]] = match[2];
      }
      resolvePromise({ stdout, stderr, durationMs: Date.now() - started, markers });
    });
  });
}

/** How often `runRunnerUntil` checks its condition. */
const UNTIL_POLL_MS = 200;

export interface RunnerUntilOptions extends RunnerOptions {
  /** The file `--stop-when-file` names (it must not exist yet): written once `reached()` holds. */
  readonly stopFile: string;
  /** True once the job has done what the caller waits for (e.g. a marker put last on its input is in a sink). */
  readonly reached: () => boolean;
}

/**
 * Runs the runner (whose `args` include `--stop-when-file <stopFile>` and `--savepoint-dir`) until
 * `reached()` holds, then lets it stop with a savepoint: a run bounded by what the job has read, not
 * by a wall-clock guess that a loaded machine can miss.
 */
export async function runRunnerUntil(options: RunnerUntilOptions): Promise<RunnerResult> {
  if (!options.args.includes('--stop-when-file') || !options.args.includes(options.stopFile)) {
    throw new RangeError(`runRunnerUntil needs --stop-when-file ${options.stopFile} in its args`);
  }
  let ended = false;
  const run = runRunner(options).finally(() => {
    ended = true;
  });
  run.catch(() => undefined); // surfaced by the `await` below
  while (!ended && !existsSync(options.stopFile)) {
    if (options.reached()) writeFileSync(options.stopFile, 'stop');
    else await new Promise((resolve) => setTimeout(resolve, UNTIL_POLL_MS));
  }
  return run;
}

function tail(text: string): string {
  const lines = text.trim().split('\n');
  const errorLines = lines.filter((l) => /Exception|Error|Caused by/.test(l)).slice(-15);
  return [...errorLines, '...', ...lines.slice(-25)].join('\n');
}
