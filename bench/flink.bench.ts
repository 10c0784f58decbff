import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../domain/config';
import { generateEvents } from '../flink/events';
import { runLocal } from '../flink/local';
import { runRunner } from '../flink/runner';

/**
 * Throughput of the full metering job on the MiniCluster against a scan-only job (read, parse the
 * same JSON fields, discard) over the same file in the same run, and DynamoDB item writes per million
 * events (hourly + daily + cumulative rows, one PutItem each) against one write per event.
 * BENCH_EVENTS (default 200000) sets the size.
 */
const events = Number(process.env.BENCH_EVENTS ?? 200_000);
const tenants = Array.from({ length: 200 }, (_, i) => `tbench${i}`);
const dir = mkdtempSync(join(tmpdir(), 'tenantry-flink-bench-'));
const generated = generateEvents({ config: defaultConfig, tenants, events, seed: 99, spanHours: 24 });
const eventsPath = join(dir, 'events.jsonl');
writeFileSync(eventsPath, `${generated.lines.join('\n')}\n`);

const scanSql = `SET 'parallelism.default' = '1';
CREATE TABLE usage_raw (line STRING) WITH ('connector' = 'filesystem', 'path' = '${eventsPath}', 'format' = 'raw');
CREATE TABLE discard (a STRING, b STRING, c STRING, d STRING, e STRING) WITH ('connector' = 'blackhole');
EXECUTE STATEMENT SET BEGIN
INSERT INTO discard SELECT JSON_QUERY(line, '$.eventId' WITH ARRAY WRAPPER), JSON_QUERY(line, '$.tenantId' WITH ARRAY WRAPPER),
  JSON_QUERY(line, '$.metric' WITH ARRAY WRAPPER), JSON_QUERY(line, '$.quantity' WITH ARRAY WRAPPER), JSON_VALUE(line, '$.timestamp') FROM usage_raw;
END;
`;
const scanPath = join(dir, 'scan.sql');
writeFileSync(scanPath, scanSql);
const empty = join(dir, 'empty.sql');
writeFileSync(
  empty,
  `CREATE TABLE s (line STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '1');
CREATE TABLE d (line STRING) WITH ('connector' = 'blackhole');
EXECUTE STATEMENT SET BEGIN
INSERT INTO d SELECT line FROM s;
END;
`,
);

// JVM + MiniCluster start-up is measured on an empty job and subtracted from both.
const startup = (await runRunner({ args: ['--sql', empty, '--await'] })).durationMs;
const scan = (await runRunner({ args: ['--sql', scanPath, '--await'], timeoutMs: 1_800_000 })).durationMs;
const full = await runLocal({
  config: defaultConfig,
  eventsPath,
  outDir: join(dir, 'out'),
  now: generated.now,
  timeoutMs: 1_800_000,
});
const lines = generated.lines.length;
const rate = (ms: number) => Math.round(lines / (Math.max(1, ms - startup) / 1000));
const writes = full.outputs.hourly.length + full.outputs.daily.length + full.outputs.cumulative.length;
const result = {
  date: new Date().toISOString(),
  lines,
  tenants: tenants.length,
  parallelism: 1,
  startupMs: startup,
  scanOnly: { ms: scan, eventsPerSecond: rate(scan) },
  fullJob: { ms: full.durationMs, eventsPerSecond: rate(full.durationMs) },
  fullOverScanRatio: Number((rate(full.durationMs) / rate(scan)).toFixed(3)),
  dynamoWrites: {
    hourly: full.outputs.hourly.length,
    daily: full.outputs.daily.length,
    cumulative: full.outputs.cumulative.length,
    perMillionEvents: Math.round((writes / lines) * 1_000_000),
    oneWritePerEventPerMillion: 1_000_000,
    reduction: Number((lines / writes).toFixed(1)),
  },
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/flink.json', `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
