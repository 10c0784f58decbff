import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import { type JobOutputs, runLocal } from '../../../flink/local';
import { canonicalDecimal } from '../../../flink/reference';

// One tenant's clock at the largest future skew the configuration accepts must not move the (global)
// watermark past another tenant's on-time events (issue 10.6). The default configuration, on a real
// Flink MiniCluster with the generated job.
const NOW = Date.parse('2026-11-21T06:30:00.000Z');
const SKEWED = 'tacme';
const HONEST = 'tbeta';
const iso = (ms: number) => new Date(ms).toISOString();
const line = (tenantId: string, eventId: string, at: number) =>
  JSON.stringify({ eventId, tenantId, metric: 'api.call', quantity: 1, timestamp: iso(at) });

describe('clock skew of one tenant on a Flink MiniCluster (default configuration)', () => {
  const skewMs = defaultConfig.metering.maxFutureSkewSeconds * 1000;
  const delayMs = defaultConfig.metering.watermarkDelaySeconds * 1000;
  let outputs: JobOutputs;

  beforeAll(async () => {
    // Prepare (file order is arrival order; the local profile emits the watermark after each record):
    // the honest tenant's newest event, the skewed tenant's event at the maximum skew and one beyond it,
    // then the honest tenant's events still in flight (delivered up to 60 s after they were stamped),
    // and last an honest event older than the watermark delay (late whatever the skew: the control).
    const lines = [
      line(HONEST, 'b-newest', NOW),
      line(SKEWED, 'a-max-skew', NOW + skewMs),
      line(SKEWED, 'a-beyond-skew', NOW + skewMs + 1_000),
      line(HONEST, 'b-in-flight-5s', NOW - 5_000),
      line(HONEST, 'b-in-flight-30s', NOW - 30_000),
      line(HONEST, 'b-in-flight-60s', NOW - 60_000),
      line(HONEST, 'b-too-old', NOW - delayMs - 60_000),
    ];
    const dir = mkdtempSync(join(tmpdir(), 'tenantry-flink-skew-'));
    const events = join(dir, 'events.jsonl');
    writeFileSync(events, `${lines.join('\n')}\n`);

    // Act
    outputs = (
      await runLocal({ config: defaultConfig, eventsPath: events, outDir: join(dir, 'out'), now: iso(NOW) })
    ).outputs;
  }, 300_000);

  it('accepts the event at the maximum skew and rejects the one beyond it', () => {
    expect(outputs.rejected.map((r) => [r.reason, JSON.parse(r.line).eventId])).toEqual([
      ['TIMESTAMP_IN_FUTURE', 'a-beyond-skew'],
    ]);
    expect(
      outputs.hourly
        .filter((r) => r.tenantId === SKEWED)
        .map((r) => [r.windowStart, canonicalDecimal(String(r.quantity))]),
    ).toEqual([['2026-11-21T06:00:00.000Z', '1']]);
  });

  it("counts the other tenant's on-time events: only the event older than the delay is late", () => {
    expect(outputs.late.map((r) => [r.eventId, r.watermarkTime])).toEqual([
      // The watermark that made it late is the one the skewed event set: it did move the watermark.
      ['b-too-old', iso(NOW + skewMs - delayMs)],
    ]);
    expect(
      outputs.hourly
        .filter((r) => r.tenantId === HONEST)
        .map((r) => [r.windowStart, canonicalDecimal(String(r.quantity)), Number(r.eventCount)]),
    ).toEqual([['2026-11-21T06:00:00.000Z', '4', 4]]);
  });
});
