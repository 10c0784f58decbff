import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchPutDocuments } from '../../../domain/aws/batch';
import { s3ClientConfig } from '../../../domain/aws/clients';
import { type MarketplaceFake, startMarketplaceFake } from '../../../local/marketplace-fake/server';
import { activeTenant, clients, counterItem, createBillingTables, tables } from '../domain/billing/support';
import { resetLocalAws, useLocalAws } from '../support';

// The Lambda handlers as deployed: configuration from the environment (readEnv at cold start),
// real SDK clients against moto and the Marketplace fake.
let fake: MarketplaceFake;
const ctx = clients();

beforeAll(async () => {
  useLocalAws();
  await resetLocalAws();
  await createBillingTables();
  await new EventBridgeClient({}).send(new CreateEventBusCommand({ Name: 'tenantry-dev-bus' }));
  fake = await startMarketplaceFake({ port: 0 });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_MARKETPLACE_METERING: fake.url,
    CATALOG_TABLE: tables.catalog,
    COUNTERS_TABLE: tables.counters,
    LEDGER_TABLE: tables.ledger,
    EVENT_BUS_NAME: 'tenantry-dev-bus',
  });
});
afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_MARKETPLACE_METERING;
  await fake?.stop();
});

describe('billing-final handler (offboarding task)', () => {
  it('bills the tenant’s current partial hour and closes it; a second invocation sends nothing', async () => {
    // Prepare: an offboarding tenant with 2,600 API calls so far this hour (running total)
    const t = { ...activeTenant(4242, 'tenantry-pooled'), status: 'OFFBOARDING' as const };
    await ctx.docs.send(new PutCommand({ TableName: tables.catalog, Item: t }));
    const m = t.marketplace as NonNullable<typeof t.marketplace>;
    fake.state.licenses.set(m.licenseArn, {
      customerAwsAccountId: m.customerAwsAccountId,
      productCode: m.productCode,
    });
    const now = new Date();
    const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const hour = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
    await batchPutDocuments(ctx.docs, tables.counters, [
      counterItem(t.tenantId, 'api.call', 'CUMULATIVE', day, now, '2600'),
    ]);
    const { handler } = await import('../../../lambdas/billing-final/handler');
    // Act
    const first = await handler({ tenantId: t.tenantId });
    const second = await handler({ tenantId: t.tenantId });
    // Assess: 2,600 calls → closing rule rounds 2.6 units half-up to 3
    expect(first).toMatchObject({
      tenantId: t.tenantId,
      billed: true,
      targetHour: hour.toISOString(),
      prepared: 3,
      accepted: 3,
    });
    expect(
      fake.state.records.get(`${m.customerAwsAccountId}|${m.licenseArn}|ApiCalls|${hour.toISOString()}`)
        ?.quantity,
    ).toBe(3);
    expect(second).toMatchObject({ billed: true, prepared: 0, sent: 0 });
  });

  it('answers a tenant without a Marketplace identity without billing, and rejects bad input by name', async () => {
    const { marketplace: _none, ...plain } = activeTenant(4243, 'tenantry-pooled');
    await ctx.docs.send(new PutCommand({ TableName: tables.catalog, Item: plain }));
    const { handler } = await import('../../../lambdas/billing-final/handler');
    expect(await handler({ tenantId: plain.tenantId })).toEqual({
      tenantId: plain.tenantId,
      billed: false,
      reason: 'no Marketplace identity',
    });
    await expect(handler({ tenant: 'x' })).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/tenantId/),
    });
  });
});

describe('billing-hourly handler', () => {
  it('bills every ACTIVE tenant of the catalog for the last closed hour', async () => {
    const tenants = [activeTenant(5001, 'tenantry-pooled'), activeTenant(5002, 'tenantry-pooled')];
    for (const t of tenants) {
      await ctx.docs.send(new PutCommand({ TableName: tables.catalog, Item: t }));
      const m = t.marketplace as NonNullable<typeof t.marketplace>;
      fake.state.licenses.set(m.licenseArn, {
        customerAwsAccountId: m.customerAwsAccountId,
        productCode: m.productCode,
      });
    }
    const { handler } = await import('../../../lambdas/billing-hourly/handler');
    const summary = await handler({ 'detail-type': 'Scheduled Event' });
    // 2 ACTIVE tenants × 3 dimensions (zero records). The OFFBOARDING tenant above is closed by its
    // final bill (in a later hour than the one billed here), the one without identity is not billable.
    expect(summary).toMatchObject({
      tenants: 3,
      notBillable: ['tn04243'],
      prepared: 6,
      sent: 6,
      accepted: 6,
    });
  });
});

describe('reconciliation handler', () => {
  it('reconciles an on-demand period and writes the JSON report and the summary to the report bucket', async () => {
    // Prepare: a lake with one event for a tenant that has no counter row
    const s3 = new S3Client(s3ClientConfig());
    await s3.send(new CreateBucketCommand({ Bucket: 'tenantry-dev-lake' }));
    await s3.send(
      new PutObjectCommand({
        Bucket: 'tenantry-dev-lake',
        Key: 'raw/dt=2026-03-10/hour=05/fh-1',
        Body: `${JSON.stringify({ eventId: 'ev-1', tenantId: 'tn05001', metric: 'doc.processed', quantity: 2, timestamp: '2026-03-10T05:10:00.000Z' })}\n`,
      }),
    );
    Object.assign(process.env, { LAKE_BUCKET: 'tenantry-dev-lake', REPORT_BUCKET: 'tenantry-dev-lake' });
    const { handler } = await import('../../../lambdas/reconciliation/handler');
    // Act
    const out = await handler({ from: '2026-03-10T05:00:00.000Z', to: '2026-03-10T06:00:00.000Z' });
    // Assess: the counter row is missing, and the ledger has no entry for an hour with usage
    expect(out).toEqual({
      period: { from: '2026-03-10T05:00:00.000Z', to: '2026-03-10T06:00:00.000Z' },
      discrepancies: 2,
      reportKey: 'reports/reconciliation/2026-03-10T05:00:00.000Z_2026-03-10T06:00:00.000Z.json',
    });
    const report = JSON.parse(
      (await (
        await s3.send(new GetObjectCommand({ Bucket: 'tenantry-dev-lake', Key: out.reportKey }))
      ).Body?.transformToString()) ?? '{}',
    );
    expect(report.discrepancies.map((d: { kind: string }) => d.kind)).toEqual([
      'COUNTER_MISSING',
      'LEDGER_MISSING',
    ]);
    const summary = await s3.send(
      new GetObjectCommand({ Bucket: 'tenantry-dev-lake', Key: out.reportKey.replace('.json', '.txt') }),
    );
    expect(await summary.Body?.transformToString()).toContain('2 discrepancies');
  });
});
