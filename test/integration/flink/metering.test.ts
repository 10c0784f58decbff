import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import { rejectionReasons } from '../../../domain/usage/event';
import { generateEvents } from '../../../flink/events';
import { type JobOutputs, runLocal } from '../../../flink/local';
import { type ReferenceResult, referenceAggregate } from '../../../flink/reference';
import { comparable, lastRunningTotals } from './support';

// The generated metering job on a real Flink MiniCluster against the reference aggregator.
const TENANTS = ['tacme', 'tbeta', 'tgamma-1', 'tdelta', 'tepsilon', 'tzeta', 'teta', 'ttheta'];

describe('metering job on a Flink MiniCluster (local profile)', () => {
  let flink: JobOutputs;
  let reference: ReferenceResult;
  let inputLines: number;
  let runStart: number;
  let runEnd: number;

  beforeAll(async () => {
    // Prepare: ~2,400 lines over 30 h (two midnights), 10% duplicates, late and malformed lines.
    const generated = generateEvents({ config: defaultConfig, tenants: TENANTS, events: 2_200, seed: 7 });
    const dir = mkdtempSync(join(tmpdir(), 'tenantry-flink-eq-'));
    const events = join(dir, 'events.jsonl');
    writeFileSync(events, `${generated.lines.join('\n')}\n`);
    inputLines = generated.lines.length;
    // Act
    reference = referenceAggregate(generated.lines, { config: defaultConfig, now: new Date(generated.now) });
    runStart = Date.now();
    flink = (
      await runLocal({
        config: defaultConfig,
        eventsPath: events,
        outDir: join(dir, 'out'),
        now: generated.now,
      })
    ).outputs;
    runEnd = Date.now();
  }, 300_000);

  it('covers every case the job must handle (the event set is not trivial)', () => {
    expect(reference.books.duplicates).toBeGreaterThan(150);
    expect(reference.books.late).toBeGreaterThanOrEqual(5);
    expect(new Set(reference.rejected.map((r) => r.reason))).toEqual(new Set(rejectionReasons));
    expect(new Set(reference.daily.map((r) => r.windowStart)).size).toBeGreaterThanOrEqual(2);
    expect(new Set(reference.hourly.map((r) => r.tenantId)).size).toBe(TENANTS.length);
    expect(new Set(reference.hourly.map((r) => r.metric)).size).toBe(defaultConfig.metrics.length);
  });

  it('hourly totals equal the reference exactly', () => {
    expect(comparable(flink).hourly).toEqual(comparable(reference).hourly);
  });

  it('daily totals (cascaded from hourly) equal the reference exactly', () => {
    expect(comparable(flink).daily).toEqual(comparable(reference).daily);
  });

  it("running totals (minute steps): each row is the reference's total for its item at its step, and each item ends at the reference's last", () => {
    // A watermark that passes several steps of one item emits that item's latest only (UsageTotalsOperator).
    const flinkRows = comparable(flink).cumulative;
    const referenceRows = comparable(reference).cumulative;
    const atStep = new Map(referenceRows.map((r) => [`${r.pk}|${r.sk}|${r.windowEnd}`, r]));
    expect(flinkRows.length).toBeGreaterThan(0);
    for (const row of flinkRows) expect(row).toEqual(atStep.get(`${row.pk}|${row.sk}|${row.windowEnd}`));
    expect(lastRunningTotals(flinkRows)).toEqual(lastRunningTotals(referenceRows));
  });

  it('puts each late event in the late output with the watermark that made it late', () => {
    expect(comparable(flink).late).toEqual(comparable(reference).late);
  });

  it('puts each malformed line in the rejected output with its reason', () => {
    expect(comparable(flink).rejected).toEqual(comparable(reference).rejected);
  });

  it('stamps each rejected line with the UTC instant the job read it, as a millisecond ISO instant', () => {
    expect(flink.rejected.length).toBeGreaterThan(0);
    for (const row of flink.rejected) {
      const receivedAt = String(row.receivedAt);
      expect(receivedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(new Date(receivedAt).toISOString()).toBe(receivedAt);
      expect(Date.parse(receivedAt)).toBeGreaterThanOrEqual(runStart);
      expect(Date.parse(receivedAt)).toBeLessThanOrEqual(runEnd);
    }
  });

  it('balances the books: input = counted + duplicates + late + rejected', () => {
    const counted = flink.hourly.reduce((sum, r) => sum + Number(r.eventCount), 0);
    const dailyCounted = flink.daily.reduce((sum, r) => sum + Number(r.eventCount), 0);
    const duplicates = inputLines - counted - flink.late.length - flink.rejected.length;
    expect(dailyCounted).toBe(counted);
    expect({ counted, duplicates, late: flink.late.length, rejected: flink.rejected.length }).toEqual({
      counted: reference.books.counted,
      duplicates: reference.books.duplicates,
      late: reference.books.late,
      rejected: reference.books.rejected,
    });
  });
});
