import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../domain/config';
import { generateEvents } from '../flink/events';
import { readSinkDir } from '../flink/local';
import { runRunnerUntil } from '../flink/runner';
import { generateMeteringSql } from '../flink/sql';

/**
 * Checkpointed state of the metering job on RocksDB (the state backend Managed Flink uses): the job reads
 * N unique events (1,400 tenants, the seed's count, over 24 h), then stops with a savepoint in RocksDB's
 * native format (its SST files: what a full checkpoint holds). Bytes per retained event id are the
 * marginal size between the smallest and the largest N (the windows' state is bounded by keys, the
 * dedup state grows with the ids inside the horizon); the stop time is the checkpoint time.
 * BENCH_STATE_EVENTS: comma-separated N, or N@H for N events over H hours of event time with a dedup
 * horizon of H hours (default 24; the horizon figure: the processing-time TTL expires nothing within a
 * run of minutes, so a horizon of H hours is measured as H hours of traffic, every id retained — the
 * steady state at the end of each horizon). BENCH_STATE_IDS: `sequential` (default) or `random` (UUID-like,
 * as real producers send). Defaults: 1000000,2000000,4000000, sequential. BENCH_STATE_TIMEOUT_MINUTES: per size
 * (default 60; with the totals operator the 1M, 2M and 4M runs take 15 minutes together here).
 */
const sizes = (process.env.BENCH_STATE_EVENTS ?? '1000000,2000000,4000000').split(',').map((spec) => {
  const [events, hours] = spec.split('@').map(Number);
  return { events: events ?? 0, hours: hours ?? 24 };
});
const eventIds = process.env.BENCH_STATE_IDS === 'random' ? 'random' : 'sequential';
const timeoutMs = Number(process.env.BENCH_STATE_TIMEOUT_MINUTES ?? 60) * 60_000;
const tenants = Array.from({ length: 1_400 }, (_, i) => `tseed${i}`);
const dir = mkdtempSync(join(tmpdir(), 'tenantry-flink-state-'));
const JIT = ['-XX:TieredStopAtLevel=4'];

function bytesUnder(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + bytesUnder(join(path, name)), 0);
}

async function measure({ events, hours }: { events: number; hours: number }) {
  const config = {
    ...defaultConfig,
    metering: { ...defaultConfig.metering, dedupHorizonHours: hours },
  };
  const runDir = join(dir, `${events}@${hours}`);
  const input = join(runDir, 'in');
  mkdirSync(input, { recursive: true });
  const generated = generateEvents({
    config,
    tenants,
    events,
    seed: 5,
    spanHours: hours,
    eventIds,
    duplicateRatio: 0,
    lateRatio: 0,
    malformed: false,
  });
  // A marker last (not JSON, so rejected): once it is in the rejected sink, every event has been read.
  const marker = `end-of-input ${events}`;
  writeFileSync(join(input, 'events.jsonl'), `${generated.lines.join('\n')}\n${marker}\n`);
  const parts = join(runDir, 'out');
  const sqlPath = join(runDir, 'metering.sql');
  writeFileSync(
    sqlPath,
    generateMeteringSql({
      config,
      // The bench profile: the aws profile's watermark interval (the per-record watermark measures timers).
      profile: {
        kind: 'local',
        eventsPath: input,
        outDir: parts,
        monitorIntervalMs: 1_000,
        watermarks: 'periodic',
      },
      now: generated.now,
    }),
  );
  const stopFile = join(runDir, 'stop');
  const savepoints = join(runDir, 'savepoints');
  const run = await runRunnerUntil({
    args: [
      '--sql',
      sqlPath,
      '--set',
      'state.backend.type=rocksdb',
      // RocksDB lives in managed memory: the MiniCluster's default (128 MB) stalls its writes (20K events:
      // 68 s, against 24 s with 512 MB); a KPU has 4 GB, of which Flink manages a fraction.
      '--set',
      'taskmanager.memory.managed.size=512m',
      // Checkpoint storage on files: the default keeps snapshots in the JobManager's memory (5 MB at most),
      // which a 1M-event savepoint (17 MB of de-duplication state) exceeds.
      '--set',
      `execution.checkpointing.dir=file://${join(runDir, 'checkpoints')}`,
      '--stop-when-file',
      stopFile,
      '--savepoint-dir',
      `file://${savepoints}`,
      '--savepoint-format',
      'native',
    ],
    heapMb: 1_536,
    jvmFlags: JIT,
    timeoutMs,
    stopFile,
    reached: () => readSinkDir(join(parts, 'rejected'), true).some((row) => row.line === marker),
  });
  const measured = {
    events: generated.lines.length,
    dedupHorizonHours: hours,
    eventIds,
    savepointBytes: bytesUnder(savepoints),
    savepointMs: Number(run.markers.SAVEPOINT_MS),
    loadAverage: loadavg()[0]?.toFixed(1),
  };
  // Each size as it completes: a long run stopped half-way keeps the sizes it measured.
  console.log(JSON.stringify(measured));
  return measured;
}

const runs = [];
for (const events of sizes) runs.push(await measure(events));
const first = runs[0];
const last = runs.at(-1);
const bytesPerId =
  first && last && last.events > first.events
    ? Math.round((last.savepointBytes - first.savepointBytes) / (last.events - first.events))
    : null;
const result = {
  date: new Date().toISOString(),
  machine: `${process.env.HOSTNAME ?? 'local'}; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
  stateBackend: 'rocksdb (savepoint in native format: the SST files)',
  tenants: tenants.length,
  eventIds,
  runs,
  bytesPerRetainedEventId: bytesPerId,
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/flink-state.json', `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
