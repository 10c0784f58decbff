import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import { type JobOutputs, runLocal, sortRows } from '../../../flink/local';
import { referenceAggregate } from '../../../flink/reference';
import { readUsageLineCases } from '../../../flink/usage-line-cases';
import { comparable } from './support';

// The table of cases UsageLineTest.java and classifyUsageLine are held to, through the generated job on a
// real MiniCluster: each line is rejected with the case's reason, counted, or (a tick) neither.
const file = readUsageLineCases();

describe('USAGE_LINE cases through the metering job on a Flink MiniCluster', () => {
  let flink: JobOutputs;

  beforeAll(async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'tenantry-flink-cases-'));
    const events = join(dir, 'events.jsonl');
    writeFileSync(events, `${file.cases.map((c) => c.line).join('\n')}\n`);
    // Act
    flink = (
      await runLocal({ config: defaultConfig, eventsPath: events, outDir: join(dir, 'out'), now: file.now })
    ).outputs;
  }, 300_000);

  it('rejects each line with the reason of the table, and nothing else', () => {
    const expected = file.cases
      .filter((c) => c.reason !== null && !c.tick)
      .map(({ reason, line }) => ({ reason, line }));
    expect(comparable(flink).rejected).toEqual(sortRows(expected));
  });

  it('counts or marks late every valid event, with the quantities classifyUsageLine reads', () => {
    // Prepare: the reference aggregator (classifyUsageLine) over the same lines
    const reference = referenceAggregate(
      file.cases.map((c) => c.line),
      { config: defaultConfig, now: new Date(file.now) },
    );
    // Assess
    const valid = file.cases.filter((c) => c.reason === null).length;
    const counted = flink.hourly.reduce((sum, r) => sum + Number(r.eventCount), 0);
    expect(counted + flink.late.length).toBe(valid);
    expect(comparable(flink).hourly).toEqual(comparable(reference).hourly);
    expect(comparable(flink).late).toEqual(comparable(reference).late);
  });
});
