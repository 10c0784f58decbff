import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import { classifyUsageLine } from '../../../domain/usage/event';
import { generateEvents } from '../../../flink/events';
import { readOutputs, readSinkDir, sortRows } from '../../../flink/local';
import { canonicalDecimal, referenceAggregate } from '../../../flink/reference';
import { runRunnerUntil } from '../../../flink/runner';
import { generateMeteringSql } from '../../../flink/sql';

/** Event time of a valid line (the only lines that move the watermark), else NaN. */
function eventTime(line: string, now: string): number {
  const result = classifyUsageLine(line, { config: defaultConfig, now: new Date(now) });
  return result.ok ? Date.parse(result.event.timestamp) : Number.NaN;
}

// Stop the job mid-stream with a savepoint (no drain), add more input, resume from the savepoint and
// drain: the final totals equal the reference over the whole input.
describe('stop with savepoint and resume', () => {
  it('gives the same final totals as one uninterrupted run', async () => {
    // Prepare
    const generated = generateEvents({
      config: defaultConfig,
      tenants: ['tacme', 'tbeta', 'tgamma'],
      events: 900,
      seed: 11,
    });
    const lines = generated.lines;
    // Split where the next line is valid and not older than anything before it: Flink does not
    // checkpoint watermarks, so the resumed job must restart from a line at the head of event time.
    let maxTs = 0;
    let split = -1;
    for (let i = 0; i < lines.length; i++) {
      const ts = eventTime(lines[i] ?? '', generated.now);
      if (i >= lines.length * 0.5 && split < 0 && Number.isFinite(ts) && ts >= maxTs) split = i;
      if (Number.isFinite(ts)) maxTs = Math.max(maxTs, ts);
    }
    expect(split).toBeGreaterThan(0);
    const dir = mkdtempSync(join(tmpdir(), 'tenantry-flink-resume-'));
    const input = join(dir, 'in');
    const parts = join(dir, 'parts');
    mkdirSync(input);
    // Each part ends with a marker line (not JSON: rejected): a run stops once its marker is in the
    // rejected sink, i.e. once the job has read its whole part, however slow the machine.
    const [markerA, markerB] = ['end of part a', 'end of part b'];
    const readMarker = (marker: string) => () =>
      readSinkDir(join(parts, 'rejected'), true).some((row) => row.line === marker);
    writeFileSync(join(input, 'a.jsonl'), `${[...lines.slice(0, split), markerA].join('\n')}\n`);
    const sqlPath = join(dir, 'metering.sql');
    writeFileSync(
      sqlPath,
      generateMeteringSql({
        config: defaultConfig,
        profile: { kind: 'local', eventsPath: input, outDir: parts, monitorIntervalMs: 300 },
        now: generated.now,
      }),
    );

    // Act 1: run over the first part, stop with a savepoint without draining (windows stay open).
    const first = await runRunnerUntil({
      args: [
        '--sql',
        sqlPath,
        '--stop-when-file',
        join(dir, 'stop1'),
        '--savepoint-dir',
        `file://${join(dir, 'sp1')}`,
      ],
      stopFile: join(dir, 'stop1'),
      reached: readMarker(markerA),
      timeoutMs: 240_000,
    });
    const savepoint = first.markers.SAVEPOINT;
    expect(savepoint).toBeTruthy();
    const hourlyBeforeResume = readSinkDir(join(parts, 'hourly'), true).length;
    expect(hourlyBeforeResume).toBeGreaterThan(0);

    // Act 2: more input arrives; resume from the savepoint and drain (end of stream fires every window).
    writeFileSync(join(input, 'b.jsonl'), `${[...lines.slice(split), markerB].join('\n')}\n`);
    await runRunnerUntil({
      args: [
        '--sql',
        sqlPath,
        '--restore',
        savepoint as string,
        '--stop-when-file',
        join(dir, 'stop2'),
        '--drain',
        '--savepoint-dir',
        `file://${join(dir, 'sp2')}`,
      ],
      stopFile: join(dir, 'stop2'),
      reached: readMarker(markerB),
      timeoutMs: 240_000,
    });

    // Assess
    const flink = readOutputs(parts);
    const everyLine = [...lines.slice(0, split), markerA, ...lines.slice(split), markerB];
    const reference = referenceAggregate(everyLine, { config: defaultConfig, now: new Date(generated.now) });
    const totals = (rows: typeof flink.hourly) =>
      sortRows(
        rows.map((r) => ({
          ...r,
          quantity: canonicalDecimal(String(r.quantity)),
          eventCount: Number(r.eventCount),
        })),
      );
    expect(totals(flink.hourly)).toEqual(totals(reference.hourly));
    expect(totals(flink.daily)).toEqual(totals(reference.daily));
    expect(flink.late.map((r) => r.eventId).sort()).toEqual(reference.late.map((r) => r.eventId).sort());
    expect(sortRows(flink.rejected.map(({ reason, line }) => ({ reason, line })))).toEqual(
      sortRows(reference.rejected),
    );
  }, 300_000);
});
