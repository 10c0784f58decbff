import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { kinesisClientConfig } from '../../../domain/aws/clients';
import { defaultConfig } from '../../../domain/config';
import { credentialContextKeys, tenantRequestFrom } from '../../../domain/identity/request-context';
import { createTableInput, tableDefinitions } from '../../../domain/tables';
import { UsageEmitter } from '../../../domain/usage/emitter';
import { generateEvents } from '../../../flink/events';
import { canonicalDecimal, referenceAggregate } from '../../../flink/reference';
import { createUsageStream, emitUsageLines, runMeteringOnKinesis } from '../../../local/metering-pipeline';
import { resetLocalAws, useLocalAws } from '../support';
import { lastRunningTotals } from './support';

// End to end on the local environment: usage emitted to Kinesis (moto) → the aws-profile job on a Flink
// MiniCluster through `aws.endpoint` → DynamoDB counters (moto). One shard and parallelism 1 keep the
// arrival order equal to the emit order, so the reference applies unchanged. The job is stopped with
// drain only once it has read a marker put after the last event (no fixed run time).
describe('Kinesis (moto) → Flink → DynamoDB (moto)', () => {
  let local: ReturnType<typeof useLocalAws>;
  beforeAll(async () => {
    local = useLocalAws();
    await resetLocalAws();
  });

  it('writes the same hourly and daily totals as the reference into the counters table', async () => {
    // Prepare
    const stream = 'tenantry-e2e-usage';
    const table = 'tenantry-e2e-counters';
    const kinesis = new KinesisClient(kinesisClientConfig({ region: local.region }));
    const dynamo = new DynamoDBClient({ region: local.region });
    const streamArn = await createUsageStream(kinesis, stream);
    await dynamo.send(new CreateTableCommand(createTableInput(tableDefinitions.counters, table)));
    const generated = generateEvents({
      config: defaultConfig,
      tenants: ['tacme', 'tbeta', 'tgamma'],
      events: 300,
      seed: 5,
      lateRatio: 0,
      malformed: false,
    });
    const emitter = new UsageEmitter({
      client: kinesis,
      streamName: stream,
      config: defaultConfig,
      now: () => new Date(generated.now),
    });
    // Usage is emitted per verified request: each run of consecutive events of one tenant is one
    // request of that tenant (keeping the emit order the reference assumes).
    const requestOf = (tenantId: string) =>
      tenantRequestFrom({
        requestContext: {
          authorizer: {
            tenantId,
            tier: 'pro',
            route: 'pool',
            accessLevel: 'read-write',
            [credentialContextKeys.accessKeyId]: 'ASIAEXAMPLE',
            [credentialContextKeys.secretAccessKey]: 'unused',
            [credentialContextKeys.sessionToken]: 'unused',
            [credentialContextKeys.expiration]: new Date(Date.parse(generated.now) + 900_000).toISOString(),
          },
        },
      });

    // Act: emit, then meter everything on the stream (stopped with drain once the job has read it all).
    await emitUsageLines(emitter, generated.lines, async (tenantId) => requestOf(tenantId));
    await runMeteringOnKinesis({
      config: defaultConfig,
      kinesis,
      region: local.region,
      endpoint: local.endpoint,
      streamArn,
      countersTable: table,
      dir: mkdtempSync(join(tmpdir(), 'tenantry-flink-e2e-')),
      now: generated.now,
      timeoutMs: 240_000,
    });

    // Assess
    const documents = DynamoDBDocumentClient.from(dynamo);
    const items = ((await documents.send(new ScanCommand({ TableName: table }))).Items ?? []) as Record<
      string,
      unknown
    >[];
    const reference = referenceAggregate(generated.lines, {
      config: defaultConfig,
      now: new Date(generated.now),
    });
    const pick = (granularity: string, rows: Record<string, unknown>[]) =>
      rows
        .filter((r) => r.granularity === granularity)
        .map((r) => `${r.pk}|${r.sk}|${canonicalDecimal(String(r.quantity))}|${Number(r.eventCount)}`)
        .sort();
    expect(reference.books.duplicates).toBeGreaterThan(10);
    expect(pick('HOUR', items)).toEqual(
      pick('HOUR', reference.hourly as unknown as Record<string, unknown>[]),
    );
    expect(pick('DAY', items)).toEqual(pick('DAY', reference.daily as unknown as Record<string, unknown>[]));
    // Running totals overwrite one item per tenant, metric and day: the last step's value remains.
    const lastSteps = lastRunningTotals(reference.cumulative);
    expect(pick('CUMULATIVE', items)).toEqual(
      pick('CUMULATIVE', [...lastSteps.values()] as unknown as Record<string, unknown>[]),
    );
  }, 300_000);
});
