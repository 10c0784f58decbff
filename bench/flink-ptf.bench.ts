import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { defaultConfig } from '../domain/config';
import { generateEvents } from '../flink/events';
import { readSinkDir, sortRows } from '../flink/local';
import { runRunner } from '../flink/runner';
import { generateMeteringSql, SINKS, type SinkName } from '../flink/sql';
import { scanOnlySql } from './lib/scan-only';

/**
 * Would one keyed operator make the metering job cheaper? flink/README.md ("What 0.6 needs") named a process
 * table function (PTF, FLIP-440: Flink 2.1+; Managed Flink runs 2.2) as the candidate. This bench runs, on
 * Flink 2.2.1 (bench/flink-ptf, its own Maven module), up to six jobs over the same sparse files (200 tenants
 * over 24 h, as bench/flink.bench.ts), each the generated job with one part replaced:
 * - `scan`: the scan-only job (read the lines, five JSON fields, discard);
 * - `sql`: the generated job as it is;
 * - `windows`: hourly, daily and running totals in one PTF keyed by tenant (WindowsPtf), after the SQL's
 *   de-duplication and lateness;
 * - `fused`: de-duplication, lateness and the totals in one PTF keyed by tenant (FusedPtf);
 * - `stream`: de-duplication, lateness and the totals in one DataStream operator keyed by tenant with plain
 *   Java objects as heap state (StreamTotals), between the SQL's parse and its sinks (RunScript's DATASTREAM);
 * - `keyed`: the same with one map entry per id under a TTL (the layout RocksDB needs).
 * Timing: the warm margin (100K → 400K events, interleaved, best of BENCH_PTF_ROUNDS, default two), as
 * bench/flink.bench.ts. Outputs: each variant's sinks against the SQL job's, row for row. BENCH_PTF_EVENTS
 * (default 100000), BENCH_PTF_VARIANTS (default all), BENCH_PTF_STATE (heap or rocksdb).
 */
const events = Number(process.env.BENCH_PTF_EVENTS ?? 100_000);
const rounds = Number(process.env.BENCH_PTF_ROUNDS ?? 2);
const tenants = Array.from({ length: 200 }, (_, i) => `tbench${i}`);
const dir = mkdtempSync(join(tmpdir(), 'tenantry-flink-ptf-'));
const MODULE = join('bench', 'flink-ptf');
/** BENCH_PTF_STATE=rocksdb: every job on RocksDB (what Managed Flink runs), 512 MB managed memory (flink-state.bench.ts). */
const rocksdb = process.env.BENCH_PTF_STATE === 'rocksdb';
const JVM = [
  '-XX:TieredStopAtLevel=4',
  '-Xmx1024m',
  ...(rocksdb ? ['-Dflink.state.backend.type=rocksdb', '-Dflink.taskmanager.memory.managed.size=512m'] : []),
];

class PtfBenchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PtfBenchError';
  }
}

execFileSync(
  'mvn',
  [
    '-q',
    '-B',
    '-f',
    join(MODULE, 'pom.xml'),
    'compile',
    'dependency:build-classpath',
    `-Dmdep.outputFile=${join('target', 'classpath.txt')}`,
  ],
  { stdio: 'inherit' },
);
// The module's pom brings the runner's UDFs (USAGE_LINE, DEDUP_KEY) from flink/runner/target.
const classpath = [
  join(MODULE, 'target', 'classes'),
  readFileSync(join(MODULE, 'target', 'classpath.txt'), 'utf8').trim(),
].join(delimiter);

/** Cuts the generated job between two of its comments or statements; a marker that moved fails loudly. */
function cut(sql: string, from: string, to: string, replacement: string): string {
  const start = sql.indexOf(from);
  const end = sql.indexOf(to, start);
  if (start < 0 || end < 0) throw new PtfBenchError(`the generated job has no "${start < 0 ? from : to}"`);
  return sql.slice(0, start) + replacement + sql.slice(end);
}

/**
 * The views the SQL sinks read, over `metered`: the rows of the PTF or DataStream operator (kind HOUR, DAY,
 * CUMULATIVE, LATE), cast to the SQL job's types. `late`: the late events come from the operator too.
 */
const meteredViews = (late: boolean) => `${['hourly:HOUR', 'daily:DAY', 'cumulative:CUMULATIVE']
  .map((pair) => pair.split(':'))
  .map(
    ([view, kind]) => `CREATE TEMPORARY VIEW ${view} AS
SELECT tenant_id, metric, CAST(window_start AS TIMESTAMP(3)) AS window_start, CAST(window_end AS TIMESTAMP(3)) AS window_end,
  CAST(quantity AS DECIMAL(38, 6)) AS quantity, event_count FROM metered WHERE kind = '${kind}';`,
  )
  .join('\n')}
${
  late
    ? `CREATE TEMPORARY VIEW usage_late AS
SELECT event_id, tenant_id, metric, CAST(quantity AS DECIMAL(20, 6)) AS quantity, CAST(window_start AS TIMESTAMP(3)) AS ts,
  CAST(window_end AS TIMESTAMP(3)) AS wm
FROM metered WHERE kind = 'LATE';
`
    : ''
}
`;

/** A process table function of bench/flink-ptf as `metered`, keyed by tenant, and the views over it. */
const ptfViews = (fn: string, input: string, late: boolean) =>
  `CREATE TEMPORARY SYSTEM FUNCTION TENANT_TOTALS AS 'dev.tenantry.bench.${fn}' LANGUAGE JAVA;
CREATE TEMPORARY VIEW metered AS
SELECT * FROM TENANT_TOTALS(input => TABLE ${input} PARTITION BY tenant_id, on_time => DESCRIPTOR(ts), uid => 'tenant-totals');
${meteredViews(late)}`;

const ALL_VARIANTS = ['scan', 'sql', 'windows', 'fused', 'stream', 'keyed'] as const;
type Variant = (typeof ALL_VARIANTS)[number];
/** BENCH_PTF_VARIANTS: a comma-separated subset (scan and sql are always run: the baseline and the reference). */
const VARIANTS = ALL_VARIANTS.filter(
  (v) =>
    v === 'scan' ||
    v === 'sql' ||
    (process.env.BENCH_PTF_VARIANTS ?? ALL_VARIANTS.join(',')).split(',').includes(v),
);

/** The generated job with de-duplication, lateness and windows in RunScript's DataStream operator (StreamTotals). */
function streamScript(generated: string, ids: '' | ' KEYED IDS'): string {
  return cut(
    cut(
      // The re-registered usage_checked carries the line of rejected lines only (RunScript.streamTotals).
      cut(
        generated,
        'WHERE (reason IS NULL OR is_tick) AND line IS NOT NULL;',
        '\n',
        'WHERE reason IS NULL OR is_tick;',
      ),
      '-- Everything that moves the watermark',
      '-- Everything that moves the watermark',
      `DATASTREAM TOTALS FROM usage_checked INTO metered HORIZON ${defaultConfig.metering.dedupHorizonHours} HOURS${ids};\n\n`,
    ),
    '-- The de-duplication key',
    '-- Counts each rejected line',
    meteredViews(true),
  );
}

function writeJob(name: string, count: number) {
  const generated = generateEvents({
    config: defaultConfig,
    tenants,
    events: count,
    seed: 99,
    spanHours: 24,
  });
  const eventsPath = join(dir, `${name}.jsonl`);
  writeFileSync(eventsPath, `${generated.lines.join('\n')}\n`);
  const out = (variant: Variant) => join(dir, `out-${name}-${variant}`);
  // The runner fills the restore floor from published progress; a fresh job has none.
  const sql = (variant: Variant) =>
    generateMeteringSql({
      config: defaultConfig,
      profile: {
        kind: 'local',
        eventsPath,
        outDir: out(variant),
        monitorIntervalMs: 0,
        watermarks: 'periodic',
      },
      now: generated.now,
    }).replace('@@PROGRESS_FLOOR@@', 'NULL');
  const scripts: Record<Variant, string> = {
    scan: scanOnlySql(eventsPath),
    sql: sql('sql'),
    windows: cut(
      sql('windows'),
      'CREATE TEMPORARY VIEW hourly AS',
      '-- Counts each rejected line',
      ptfViews('WindowsPtf', 'usage_on_time', false),
    ),
    fused: cut(
      sql('fused'),
      '-- The de-duplication key',
      '-- Counts each rejected line',
      `CREATE TEMPORARY VIEW usage_valid AS
SELECT event_id, tenant_id, metric, CAST(quantity_text AS DECIMAL(20, 6)) AS quantity, ts
FROM usage_checked WHERE reason IS NULL AND NOT is_tick AND line IS NOT NULL;
${ptfViews('FusedPtf', 'usage_valid', true)}`,
    ),
    stream: streamScript(sql('stream'), ''),
    keyed: streamScript(sql('keyed'), ' KEYED IDS'),
  };
  for (const variant of VARIANTS) writeFileSync(join(dir, `${name}.${variant}.sql`), scripts[variant]);
  return { name, lines: generated.lines.length, out };
}
type Job = ReturnType<typeof writeJob>;

interface Timing {
  readonly ms: number;
  readonly cpuMs: number;
}
async function run(job: Job, variant: Variant): Promise<Timing> {
  // The filesystem sinks add files to what a run before left; the comparison reads the last run alone.
  rmSync(job.out(variant), { recursive: true, force: true });
  const { markers } = await runRunner({
    args: [join(dir, `${job.name}.${variant}.sql`)],
    jvmFlags: JVM,
    timeoutMs: 1_800_000,
    program: { classpath, mainClass: 'dev.tenantry.bench.RunScript' },
  });
  return { ms: Number(markers.JOB_MS), cpuMs: Number(markers.JOB_CPU_MS) };
}

const large = writeJob('large', events);
const warm = writeJob('warm', events * 4);
const timings = new Map<string, Timing>();
const fastest = (key: string, t: Timing) => {
  const seen = timings.get(key);
  timings.set(key, seen ? { ms: Math.min(seen.ms, t.ms), cpuMs: Math.min(seen.cpuMs, t.cpuMs) } : t);
};
for (let round = 0; round < rounds; round++) {
  for (const variant of VARIANTS) {
    for (const job of [large, warm]) fastest(`${variant}.${job.name}`, await run(job, variant));
  }
}

const perSecond = (ms: number) => Math.round((warm.lines - large.lines) / (Math.max(1, ms) / 1000));
const rate = (variant: Variant) => {
  const from = timings.get(`${variant}.large`);
  const to = timings.get(`${variant}.warm`);
  if (!from || !to) throw new PtfBenchError(`${variant}: no timing`);
  return {
    eventsPerSecond: perSecond(to.ms - from.ms),
    eventsPerCpuSecond: perSecond(to.cpuMs - from.cpuMs),
  };
};
const scan = rate('scan');
const ratio = (a: number, b: number) => Number((a / b).toFixed(2));

/**
 * Each sink of a variant against the SQL job's, on the warm file: identical rows, or how many are missing
 * (a rejected row's receivedAt is the processing time, different in every run; a late row's watermarkTime is the
 * watermark the event met, which with a watermark every 200 ms of processing time moves between runs).
 */
function compare(variant: Variant) {
  const rows = (v: Variant, sink: SinkName) =>
    sortRows(
      readSinkDir(join(warm.out(v), sink)).map(({ receivedAt: _r, watermarkTime: _w, ...row }) => row),
    ).map((r) => JSON.stringify(r));
  return Object.fromEntries(
    SINKS.map((sink) => {
      const expected = rows('sql', sink);
      const actual = rows(variant, sink);
      // As multisets: the progress sink writes a day's end twice (its minute row and its day row).
      const unmatched = new Map<string, number>();
      for (const row of actual) unmatched.set(row, (unmatched.get(row) ?? 0) + 1);
      let missing = 0;
      for (const row of expected) {
        const left = unmatched.get(row) ?? 0;
        if (left === 0) missing++;
        else unmatched.set(row, left - 1);
      }
      return [
        sink,
        {
          rows: actual.length,
          sqlRows: expected.length,
          missing,
          identical: missing === 0 && actual.length === expected.length,
        },
      ];
    }),
  );
}

const result = {
  date: new Date().toISOString(),
  flink: `2.2.1 (MiniCluster, parallelism 1, C2, SerialGC, 1 GB heap, ${rocksdb ? 'RocksDB' : 'heap'} state)`,
  loadAverage: loadavg().map((l) => l.toFixed(1)),
  margin: `${large.lines} → ${warm.lines} lines (sparse: 200 tenants over 24 h)`,
  timings: Object.fromEntries(timings),
  variants: Object.fromEntries(
    VARIANTS.map((variant) => {
      const r = rate(variant);
      return [
        variant,
        {
          ...r,
          overScan: ratio(r.eventsPerSecond, scan.eventsPerSecond),
          overScanCpu: ratio(r.eventsPerCpuSecond, scan.eventsPerCpuSecond),
          ...(variant === 'scan' || variant === 'sql' ? {} : { outputsAgainstSql: compare(variant) }),
        },
      ];
    }),
  ),
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/flink-ptf.json', `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
