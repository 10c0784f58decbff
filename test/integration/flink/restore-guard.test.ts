import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { kinesisClientConfig } from '../../../domain/aws/clients';
import { defaultConfig } from '../../../domain/config';
import { createTableInput, tableDefinitions } from '../../../domain/tables';
import { heartbeatLine, progressItem } from '../../../domain/usage/progress';
import { readOutputs, readProgress, readSinkDir, runScriptUntil } from '../../../flink/local';
import { canonicalDecimal } from '../../../flink/reference';
import { runRunner } from '../../../flink/runner';
import { generateMeteringSql } from '../../../flink/sql';
import { createUsageStream } from '../../../local/metering-pipeline';
import { resetLocalAws, useLocalAws } from '../support';

const NOW = '2026-11-21T08:00:00.000Z';
const METRIC = defaultConfig.metrics[0]?.name ?? '';

/** A line put last on the restored run's input: not JSON, so the job rejects it once it has read the rest. */
const END_OF_INPUT = 'end-of-input';

const usageLine = (eventId: string, timestamp: string, quantity: number) =>
  JSON.stringify({ eventId, tenantId: 'tacme', metric: METRIC, quantity, timestamp });

/** The tenant's totals of one granularity, as `windowStart → quantity / eventCount`, sorted. */
function totals(rows: Record<string, unknown>[]): string[] {
  return rows
    .map((r) => `${r.windowStart} → ${canonicalDecimal(String(r.quantity))} / ${Number(r.eventCount)}`)
    .sort();
}

// Flink does not checkpoint watermarks: a job restored from a savepoint starts with no watermark, so an
// event older than the hour that already fired would reopen it and emit a partial total over the full one.
describe('the restore guard on the real Flink', () => {
  let local: ReturnType<typeof useLocalAws>;
  beforeAll(async () => {
    local = useLocalAws();
    await resetLocalAws();
  });

  it('classes events at or below the published progress as late after a restore, and leaves fired hours unchanged', async () => {
    // Prepare: hour 05:00 gets two events; an event at 06:30 moves the watermark to 06:28 (delay 120 s),
    // which fires hour 05:00 and the minute of the heartbeat tick (the progress publishes fired minutes:
    // in production a tick each minute), so the progress reaches 06:28.
    const dir = mkdtempSync(join(tmpdir(), 'tenantry-flink-restore-guard-'));
    const input = join(dir, 'in');
    const parts = join(dir, 'parts');
    mkdirSync(input);
    writeFileSync(
      join(input, 'a.jsonl'),
      `${[
        usageLine('e-1', '2026-11-21T05:10:00.000Z', 2),
        usageLine('e-2', '2026-11-21T05:40:00.000Z', 3),
        heartbeatLine(new Date('2026-11-21T06:27:30.000Z')),
        usageLine('e-3', '2026-11-21T06:30:00.000Z', 5),
      ].join('\n')}\n`,
    );
    const sqlPath = join(dir, 'metering.sql');
    writeFileSync(
      sqlPath,
      generateMeteringSql({
        config: defaultConfig,
        profile: { kind: 'local', eventsPath: input, outDir: parts, monitorIntervalMs: 300 },
        now: NOW,
      }),
    );
    const first = await runScriptUntil({
      sqlPath,
      savepointDir: join(dir, 'sp1'),
      reached: () =>
        readSinkDir(join(parts, 'hourly'), true).length > 0 &&
        readProgress(parts, true).some((p) => p.passedAt === '2026-11-21T06:28:00.000Z'),
    });
    const savepoint = first.markers.SAVEPOINT;
    expect(savepoint).toBeTruthy();
    // A job with no progress yet has no floor; this one fired hour 05:00 and published up to 06:28.
    expect(first.markers.PROGRESS_FLOOR).toBe('NULL');
    expect(totals(readSinkDir(join(parts, 'hourly'), true))).toEqual(['2026-11-21T05:00:00.000Z → 5 / 2']);
    const published = readProgress(parts, true).map((p) => p.passedAt);
    expect(published.sort().at(-1)).toBe('2026-11-21T06:28:00.000Z');

    // Act: old events (one in the fired hour 05:00, one in 06:00 below the progress) arrive first after
    // the restore, then an event above it; the job is drained, so every open window fires.
    writeFileSync(
      join(input, 'b.jsonl'),
      `${[
        usageLine('e-4', '2026-11-21T05:20:00.000Z', 7),
        usageLine('e-5', '2026-11-21T06:10:00.000Z', 11),
        usageLine('e-6', '2026-11-21T06:40:00.000Z', 1),
        // Read last (not JSON, so rejected): once it is in the rejected sink, the three events were read.
        END_OF_INPUT,
      ].join('\n')}\n`,
    );
    const second = await runScriptUntil({
      sqlPath,
      restore: savepoint as string,
      drain: true,
      savepointDir: join(dir, 'sp2'),
      reached: () => readSinkDir(join(parts, 'rejected'), true).some((row) => row.line === END_OF_INPUT),
    });

    // Assess: the floor is the watermark the progress proves (06:28 − 1 ms: window ends are exclusive);
    // hour 05:00 is emitted once with its full total, 06:00 holds only the events above the floor.
    expect(second.markers.PROGRESS_FLOOR).toBe("TIMESTAMP '2026-11-21 06:27:59.999'");
    const outputs = readOutputs(parts);
    expect(totals(outputs.hourly)).toEqual([
      '2026-11-21T05:00:00.000Z → 5 / 2',
      '2026-11-21T06:00:00.000Z → 6 / 2',
    ]);
    expect(totals(outputs.daily)).toEqual(['2026-11-21T00:00:00.000Z → 11 / 4']);
    expect(
      outputs.late
        .map((r) => ({ eventId: r.eventId, eventTime: r.eventTime, watermarkTime: r.watermarkTime }))
        .sort((a, b) => a.eventId.localeCompare(b.eventId)),
    ).toEqual([
      { eventId: 'e-4', eventTime: '2026-11-21T05:20:00.000Z', watermarkTime: '2026-11-21T06:27:59.999Z' },
      { eventId: 'e-5', eventTime: '2026-11-21T06:10:00.000Z', watermarkTime: '2026-11-21T06:27:59.999Z' },
    ]);
    expect(outputs.rejected.map(({ reason, line }) => ({ reason, line }))).toEqual([
      { reason: 'MALFORMED_JSON', line: END_OF_INPUT },
    ]);
  }, 600_000);

  it("reads the floor from the counters table in the aws profile, with the progress sink's own options", async () => {
    // Prepare: a stream and a counters table on moto, with two progress items published earlier.
    const stream = 'tenantry-restore-guard-usage';
    const table = 'tenantry-restore-guard-counters';
    const kinesis = new KinesisClient(kinesisClientConfig({ region: local.region }));
    const dynamo = new DynamoDBClient({ region: local.region });
    const streamArn = await createUsageStream(kinesis, stream);
    await dynamo.send(new CreateTableCommand(createTableInput(tableDefinitions.counters, table)));
    const documents = DynamoDBDocumentClient.from(dynamo);
    for (const passedAt of ['2026-11-21T06:27:00.000Z', '2026-11-21T06:28:00.000Z']) {
      await documents.send(new PutCommand({ TableName: table, Item: progressItem(new Date(passedAt)) }));
    }
    const dir = mkdtempSync(join(tmpdir(), 'tenantry-flink-restore-guard-aws-'));
    const sqlPath = join(dir, 'metering.sql');
    writeFileSync(
      sqlPath,
      generateMeteringSql({
        config: defaultConfig,
        parallelism: 1,
        now: NOW,
        profile: {
          kind: 'aws',
          region: local.region,
          streamArn,
          countersTable: table,
          lakeUri: `file://${join(dir, 'lake')}`,
          initialPosition: 'TRIM_HORIZON',
          kinesisConnector: '4.x',
          endpoint: { url: local.endpoint, accessKeyId: 'testing', secretAccessKey: 'testing' },
        },
      }),
    );

    // Act
    const run = await runRunner({
      args: ['--sql', sqlPath, '--stop-after-ms', '5000', '--savepoint-dir', `file://${join(dir, 'sp')}`],
      env: { ...process.env, AWS_CBOR_DISABLE: 'true' },
      jvmFlags: ['-Dcom.amazonaws.sdk.disableCbor=true'],
      timeoutMs: 240_000,
    });

    // Assess
    expect(run.markers.PROGRESS_FLOOR).toBe("TIMESTAMP '2026-11-21 06:27:59.999'");
    expect(run.markers.JOB_STATUS).toBe('STOPPED');
  }, 300_000);
});
