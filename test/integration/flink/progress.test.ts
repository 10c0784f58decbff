import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import { heartbeatLine } from '../../../domain/usage/progress';
import { readOutputs, readProgress, runLocal, runScriptUntil } from '../../../flink/local';
import { canonicalDecimal } from '../../../flink/reference';
import { generateMeteringSql } from '../../../flink/sql';

const NOW = '2026-11-21T06:00:00.000Z';
const METRIC = defaultConfig.metrics[0]?.name ?? '';

const usageLine = (eventId: string, timestamp: string) =>
  JSON.stringify({ eventId, tenantId: 'tacme', metric: METRIC, quantity: 2, timestamp });

// Three events in the first minute of 05:00, a heartbeat tick among them, then ten idle minutes that
// carry only heartbeat ticks (one a minute, as lambdas/metering-heartbeat puts on every shard).
const usage = [
  usageLine('e-1', '2026-11-21T05:00:10.000Z'),
  heartbeatLine(new Date('2026-11-21T05:00:15.000Z')),
  usageLine('e-2', '2026-11-21T05:00:20.000Z'),
  usageLine('e-3', '2026-11-21T05:00:30.000Z'),
];
const idleTicks = Array.from({ length: 10 }, (_, i) =>
  heartbeatLine(new Date(Date.parse('2026-11-21T05:01:00.000Z') + i * 60_000)),
);

describe('the metering progress on the real Flink', () => {
  it('is published and advanced by heartbeat ticks through an idle stream', async () => {
    // Prepare: a watched directory; the job is stopped with a savepoint, without draining, so only
    // what the watermark itself closed has fired.
    const dir = mkdtempSync(join(tmpdir(), 'tenantry-flink-progress-'));
    const input = join(dir, 'in');
    const parts = join(dir, 'parts');
    mkdirSync(input);
    writeFileSync(join(input, 'a.jsonl'), `${[...usage, ...idleTicks].join('\n')}\n`);
    const sqlPath = join(dir, 'metering.sql');
    writeFileSync(
      sqlPath,
      generateMeteringSql({
        config: defaultConfig,
        profile: { kind: 'local', eventsPath: input, outDir: parts, monitorIntervalMs: 300 },
        now: NOW,
      }),
    );

    // Act
    const run = await runScriptUntil({
      sqlPath,
      savepointDir: join(dir, 'sp'),
      // The last tick (05:10) proves the watermark 05:08: its minute is the last one published.
      reached: () => readProgress(parts, true).some((p) => p.passedAt === '2026-11-21T05:08:00.000Z'),
    });

    // Assess: the last tick (05:10) moved the watermark to 05:08 (delay 120 s): every minute up to it
    // is published, although no usage arrived after 05:00:30 (whose own watermark fires no minute).
    expect(run.markers.SAVEPOINT).toBeTruthy();
    const passed = readProgress(parts, true)
      .map((p) => p.passedAt)
      .sort();
    expect(passed).toEqual([
      '2026-11-21T05:01:00.000Z',
      '2026-11-21T05:02:00.000Z',
      '2026-11-21T05:03:00.000Z',
      '2026-11-21T05:04:00.000Z',
      '2026-11-21T05:05:00.000Z',
      '2026-11-21T05:06:00.000Z',
      '2026-11-21T05:07:00.000Z',
      '2026-11-21T05:08:00.000Z',
    ]);
    const item = readProgress(parts, true).find((p) => p.passedAt === '2026-11-21T05:08:00.000Z');
    expect(item).toMatchObject({ pk: 'METERING#PROGRESS', sk: '2026-11-21T05:08:00.000Z' });
    // Ticks are neither usage nor rejected lines; the hour is still open, so it has not fired.
    const outputs = readOutputs(parts);
    expect(readProgress(parts, true).length).toBe(8);
    expect(outputs.rejected).toEqual([]);
    expect(outputs.late).toEqual([]);
  }, 300_000);

  it('passes the last hour at the end of a bounded input, and keeps ticks out of the totals', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'tenantry-flink-progress-bounded-'));
    const events = join(dir, 'events.jsonl');
    writeFileSync(events, `${usage.join('\n')}\n`);

    // Act
    const { outputs, progress } = await runLocal({
      config: defaultConfig,
      eventsPath: events,
      outDir: dir,
      now: NOW,
    });

    // Assess: end of input fires every window; the day window's end (next UTC midnight) passes the hour.
    const last = progress
      .map((p) => p.passedAt)
      .sort()
      .at(-1);
    expect(last).toBe('2026-11-22T00:00:00.000Z');
    expect(progress.map((p) => p.passedAt).sort()).toEqual([
      '2026-11-21T05:01:00.000Z',
      '2026-11-22T00:00:00.000Z',
    ]);
    expect(
      outputs.hourly.map((h) => ({
        sk: h.sk,
        quantity: canonicalDecimal(String(h.quantity)),
        count: Number(h.eventCount),
      })),
    ).toEqual([{ sk: 'HOUR#2026-11-21T05:00:00.000Z', quantity: '6', count: 3 }]);
    expect(outputs.rejected).toEqual([]);
  }, 300_000);
});
