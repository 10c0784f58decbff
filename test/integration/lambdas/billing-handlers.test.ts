import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3ClientConfig } from '../../../domain/aws/clients';
import { functionEnvironment } from '../../../domain/function-contract';
import { progressItem } from '../../../domain/usage/progress';
import { contract as adjustmentsContract } from '../../../lambdas/billing-adjustments/contract';
import { contract as finalBillContract } from '../../../lambdas/billing-final/contract';
import { contract as hourlyContract } from '../../../lambdas/billing-hourly/contract';
import { contract as reconciliationContract } from '../../../lambdas/reconciliation/contract';
import { activeTenant, BillingHarness, config, counterItem, tables } from '../domain/billing/support';

// The Lambda handlers as deployed: configuration from the environment their contracts declare (read
// at cold start), real SDK clients against moto and the Marketplace fake.
const billing = new BillingHarness();
const { ctx } = billing;
const lake = 'tenantry-dev-lake';
const runEnvironment = {
  CATALOG_TABLE_NAME: tables.catalog,
  COUNTERS_TABLE_NAME: tables.counters,
  LEDGER_TABLE_NAME: tables.ledger,
  EVENT_BUS_NAME: 'tenantry-dev-bus',
};

beforeAll(async () => {
  await billing.startFakeMarketplace();
  await new EventBridgeClient({}).send(new CreateEventBusCommand({ Name: 'tenantry-dev-bus' }));
  await new S3Client(s3ClientConfig()).send(new CreateBucketCommand({ Bucket: lake }));
  Object.assign(
    process.env,
    functionEnvironment(hourlyContract, runEnvironment),
    functionEnvironment(finalBillContract, runEnvironment),
    functionEnvironment(reconciliationContract, {
      ...runEnvironment,
      LAKE_BUCKET_NAME: lake,
      REPORT_BUCKET_NAME: lake,
    }),
    functionEnvironment(adjustmentsContract, {
      CATALOG_TABLE_NAME: tables.catalog,
      LEDGER_TABLE_NAME: tables.ledger,
      LAKE_BUCKET_NAME: lake,
    }),
  );
});
afterAll(() => billing.stopFakeMarketplace());

describe('billing-final handler (offboarding task)', () => {
  it('bills the tenant’s current partial hour and closes it; a second invocation sends nothing', async () => {
    // Prepare: an offboarding tenant with 2,600 API calls so far this hour (running total)
    const t = { ...activeTenant(4242, 'tenantry-pooled'), status: 'OFFBOARDING' as const };
    await ctx.docs.send(new PutCommand({ TableName: tables.catalog, Item: t }));
    billing.subscribe(t);
    const now = new Date();
    const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const hour = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
    await billing.seedCounters([counterItem(t.tenantId, 'api.call', 'CUMULATIVE', day, now, '2600')]);
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
    expect(billing.billedQuantity(t, 'ApiCalls', hour)).toBe(3);
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
      billing.subscribe(t);
    }
    // The metering job is caught up: its progress trails the clock by the watermark delay.
    const progress = new Date(Date.now() - config.metering.watermarkDelaySeconds * 1000);
    await ctx.docs.send(new PutCommand({ TableName: tables.counters, Item: progressItem(progress) }));
    const { handler } = await import('../../../lambdas/billing-hourly/handler');
    const summary = await handler({ 'detail-type': 'Scheduled Event' });
    // 2 ACTIVE tenants × 3 dimensions (zero records). The OFFBOARDING tenant above is closed by its
    // final bill (in a later hour than the one billed here), the one without identity is not billable.
    expect(summary).toMatchObject({
      meteringProgress: progress.toISOString(),
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
    await s3.send(
      new PutObjectCommand({
        Bucket: lake,
        Key: 'raw/dt=2026-03-10/hour=05/fh-1',
        Body: `${JSON.stringify({ eventId: 'ev-1', tenantId: 'tn05001', metric: 'doc.processed', quantity: 2, timestamp: '2026-03-10T05:10:00.000Z' })}\n`,
      }),
    );
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
        await s3.send(new GetObjectCommand({ Bucket: lake, Key: out.reportKey }))
      ).Body?.transformToString()) ?? '{}',
    );
    expect(report.discrepancies.map((d: { kind: string }) => d.kind)).toEqual([
      'COUNTER_MISSING',
      'LEDGER_MISSING',
    ]);
    const summary = await s3.send(
      new GetObjectCommand({ Bucket: lake, Key: out.reportKey.replace('.json', '.txt') }),
    );
    expect(await summary.Body?.transformToString()).toContain('2 discrepancies');
  });
});

describe('billing-adjustments handler', () => {
  it('schedules a billable late event of a subscribed tenant into the open hour, once', async () => {
    // Prepare: the late sink holds one event of tn05001 (ACTIVE, above) from half an hour ago
    const now = new Date();
    const eventTime = new Date(now.getTime() - 30 * 60_000).toISOString();
    await new S3Client(s3ClientConfig()).send(
      new PutObjectCommand({
        Bucket: lake,
        Key: 'metering/late/part-handler-0.json',
        Body: `${JSON.stringify({ eventId: 'late-h1', tenantId: 'tn05001', metric: 'api.call', quantity: 250, eventTime, watermarkTime: now.toISOString() })}\n`,
      }),
    );
    const { handler } = await import('../../../lambdas/billing-adjustments/handler');
    // Act
    const first = await handler({ 'detail-type': 'Scheduled Event' });
    const second = await handler({ 'detail-type': 'Scheduled Event' });
    // Assess
    expect(first).toEqual({ lateEvents: 1, billable: 1, scheduled: 1 });
    expect(second).toEqual({ lateEvents: 1, billable: 1, scheduled: 0 });
  });
});
