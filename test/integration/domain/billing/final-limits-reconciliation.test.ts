import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchPutDocuments } from '../../../../domain/aws/batch';
import { s3ClientConfig } from '../../../../domain/aws/clients';
import { MemoryBillingAlerts } from '../../../../domain/billing/alerts';
import { type BillingRunDeps, runBilling } from '../../../../domain/billing/billing-run';
import { MarketplaceBillingProvider } from '../../../../domain/billing/marketplace-provider';
import { planLimitCheck } from '../../../../domain/billing/plan-limits';
import { reconcile } from '../../../../domain/billing/reconciliation';
import { cachedUsageLimitCheck } from '../../../../domain/identity/usage-limit';
import { counterKey, ledgerKey } from '../../../../domain/keys';
import type { Tenant } from '../../../../domain/tenant/tenant';
import { type MarketplaceFake, startMarketplaceFake } from '../../../../local/marketplace-fake/server';
import { resetLocalAws, useLocalAws } from '../../support';
import { activeTenant, clients, config, counterItem, createBillingTables, tables } from './support';

const HOUR_MS = 3_600_000;
const DAY = new Date('2026-03-10T00:00:00.000Z');
const H1 = new Date('2026-03-10T05:00:00.000Z');
const H2 = new Date('2026-03-10T06:00:00.000Z');
const PRODUCT = 'tenantry-pooled';

let fake: MarketplaceFake;
const ctx = clients();
const alerts = new MemoryBillingAlerts();
const deps = (): BillingRunDeps => ({
  config,
  ledger: ctx.ledger,
  counters: ctx.counters,
  alerts,
  provider: new MarketplaceBillingProvider({ baseDelayMs: 5, clientSettings: { maxAttempts: 1 } }),
});
const register = (t: Tenant) => {
  const m = t.marketplace;
  if (m)
    fake.state.licenses.set(m.licenseArn, {
      customerAwsAccountId: m.customerAwsAccountId,
      productCode: m.productCode,
    });
};
const fakeQuantity = (t: Tenant, dimension: string, hour: Date) => {
  const m = t.marketplace;
  return m
    ? fake.state.records.get(`${m.customerAwsAccountId}|${m.licenseArn}|${dimension}|${hour.toISOString()}`)
        ?.quantity
    : undefined;
};

beforeAll(async () => {
  useLocalAws();
  await resetLocalAws();
  await createBillingTables();
  fake = await startMarketplaceFake({ port: 0 });
  process.env.AWS_ENDPOINT_URL_MARKETPLACE_METERING = fake.url;
});
afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_MARKETPLACE_METERING;
  await fake?.stop();
});

describe('offboarding final bill (billing-final)', () => {
  const t = activeTenant(9001, PRODUCT);
  it('bills the last partial hour from the running total, rounds the carried remainder once, and closes', async () => {
    // Prepare: H1 billed by the hourly job: 1,400 calls → 1 unit, 400 carried.
    register(t);
    await batchPutDocuments(ctx.docs, tables.counters, [
      counterItem(t.tenantId, 'api.call', 'HOUR', H1, H2, '1400'),
    ]);
    fake.state.now = () => new Date('2026-03-10T06:15:00.000Z');
    await runBilling(deps(), { now: new Date('2026-03-10T06:15:00.000Z'), tenants: [t], lookbackHours: 3 });
    expect(fakeQuantity(t, 'ApiCalls', H1)).toBe(1);
    // Offboarding at 06:40: no HOUR row for 06:00 yet; the day's running total says 1,700 calls.
    await batchPutDocuments(ctx.docs, tables.counters, [
      counterItem(t.tenantId, 'api.call', 'CUMULATIVE', DAY, new Date('2026-03-10T06:40:00.000Z'), '1700'),
    ]);
    const offboardAt = new Date('2026-03-10T06:40:00.000Z');
    fake.state.now = () => offboardAt;
    // Act
    const summary = await runBilling(deps(), {
      now: offboardAt,
      tenants: [{ ...t, status: 'OFFBOARDING' }],
      final: true,
      lookbackHours: 3,
    });
    // Assess: partial hour = 1,700 − 1,400 = 300 calls; 400 + 300 = 700 → half-up → 1 unit (+300 recorded)
    expect(summary).toMatchObject({ targetHour: H2.toISOString(), prepared: 3, accepted: 3 });
    expect(fakeQuantity(t, 'ApiCalls', H2)).toBe(1);
    const { Item } = await ctx.docs.send(
      new GetCommand({ TableName: tables.ledger, Key: ledgerKey(t.tenantId, 'ApiCalls', H2.toISOString()) }),
    );
    expect(Item).toMatchObject({
      final: true,
      usageMicro: '300000000',
      carryInMicro: '400000000',
      units: 1,
      carryOutMicro: '0',
      closingAdjustmentMicro: '300000000',
    });
  });

  it('is idempotent: a rerun, and later hourly runs, send nothing for the closed tenant', async () => {
    const before = fake.state.calls.length;
    const again = await runBilling(deps(), {
      now: new Date('2026-03-10T06:50:00.000Z'),
      tenants: [t],
      final: true,
      lookbackHours: 3,
    });
    const hourly = await runBilling(deps(), {
      now: new Date('2026-03-10T08:15:00.000Z'),
      tenants: [t],
      lookbackHours: 3,
    });
    expect([again.sent, hourly.sent, hourly.prepared]).toEqual([0, 0, 0]);
    expect(fake.state.calls.length).toBe(before);
  });
});

describe('rounding over a day, through the whole pipeline', () => {
  it('bills over 24 hourly runs exactly the day total rounded once (floor), remainder carried', async () => {
    // Prepare: every hour of 2026-03-12: 1,234.567 API calls and 10.35 GB-hours
    const t = activeTenant(8100, PRODUCT);
    register(t);
    const day = new Date('2026-03-12T00:00:00.000Z');
    const rows = Array.from({ length: 24 }, (_, h) => new Date(day.getTime() + h * HOUR_MS)).flatMap(
      (hour) => [
        counterItem(t.tenantId, 'api.call', 'HOUR', hour, new Date(hour.getTime() + HOUR_MS), '1234.567'),
        counterItem(t.tenantId, 'storage.gb', 'HOUR', hour, new Date(hour.getTime() + HOUR_MS), '10.35'),
      ],
    );
    await batchPutDocuments(ctx.docs, tables.counters, rows);
    // Act: the hourly job, once per hour, each at HH:15 of the next hour
    for (let h = 0; h < 24; h++) {
      const now = new Date(day.getTime() + (h + 1) * HOUR_MS + 15 * 60_000);
      fake.state.now = () => now;
      await runBilling(deps(), { now, tenants: [t], lookbackHours: 1 });
    }
    // Assess: Σ over the day = floor(24 × 1,234.567 / 1000) = floor(29.629608) = 29 API units,
    // floor(24 × 10.35) = floor(248.4) = 248 GB-hours; zero documents in 24 zero records.
    const m = t.marketplace as NonNullable<Tenant['marketplace']>;
    const sum = (dimension: string) =>
      [...fake.state.records.values()]
        .filter(
          (r) =>
            r.licenseArn === m.licenseArn &&
            r.dimension === dimension &&
            r.timestamp.startsWith('2026-03-12'),
        )
        .reduce((acc, r) => acc + r.quantity, 0);
    const count = (dimension: string) =>
      [...fake.state.records.values()].filter(
        (r) => r.licenseArn === m.licenseArn && r.dimension === dimension,
      ).length;
    expect([sum('ApiCalls'), sum('StorageGbHours'), sum('DocumentsProcessed')]).toEqual([29, 248, 0]);
    expect([count('ApiCalls'), count('StorageGbHours'), count('DocumentsProcessed')]).toEqual([24, 24, 24]);
    const { Item } = await ctx.docs.send(
      new GetCommand({
        TableName: tables.ledger,
        Key: ledgerKey(t.tenantId, 'StorageGbHours', '2026-03-12T23:00:00.000Z'),
      }),
    );
    expect(Item?.carryOutMicro).toBe('400000'); // the 0.4 GB-hour not billed yet is carried, not lost
  });
});

describe('plan limits over the CUMULATIVE counters', () => {
  const step = config.metering.cumulativeStepMinutes * 60_000;
  it('denies a tenant within one cumulative step of crossing its limit; the warm path reads nothing', async () => {
    // Prepare: starter tier allows 10,000 api.call per day; the tenant is at 9,999.
    const tenantId = 'tn-limit-over';
    await batchPutDocuments(ctx.docs, tables.counters, [
      counterItem(tenantId, 'api.call', 'CUMULATIVE', DAY, new Date('2026-03-10T10:00:00Z'), '9999'),
    ]);
    let clock = new Date('2026-03-10T10:00:30.000Z').getTime();
    let reads = 0;
    const { docs } = clients();
    docs.middlewareStack.add(
      (next) => async (args) => {
        reads++;
        return next(args);
      },
      { step: 'initialize' },
    );
    // As the authorizer composes it: the uncached check, cached for one cumulative step.
    const check = cachedUsageLimitCheck(
      planLimitCheck({ config, client: docs, countersTable: tables.counters, now: () => new Date(clock) }),
      config.metering.cumulativeStepMinutes * 60,
      () => clock,
    );
    // Act + Assess: under the limit
    expect(await check(tenantId, 'starter')).toEqual({ exceeded: false });
    expect(reads).toBe(1);
    for (let i = 0; i < 50; i++) await check(tenantId, 'starter');
    expect(reads).toBe(1); // warm path: no DynamoDB read per request
    // Flink's next step writes 10,000: the allowance is used up.
    await ctx.docs.send(
      new UpdateCommand({
        TableName: tables.counters,
        Key: counterKey(tenantId, 'api.call', 'CUMULATIVE', DAY.toISOString()),
        UpdateExpression: 'SET quantity = :q',
        ExpressionAttributeValues: { ':q': '10000' },
      }),
    );
    clock += step; // one cumulative step later the cached answer has expired
    expect(await check(tenantId, 'starter')).toEqual({ exceeded: true, metric: 'api.call' });
    expect(reads).toBe(2);
  });

  it('leaves a tenant under its limit, and yesterday’s total, unaffected', async () => {
    await batchPutDocuments(ctx.docs, tables.counters, [
      counterItem('tn-limit-under', 'api.call', 'CUMULATIVE', DAY, new Date('2026-03-10T10:00:00Z'), '50'),
      counterItem(
        'tn-limit-yday',
        'api.call',
        'CUMULATIVE',
        new Date(DAY.getTime() - 86_400_000),
        DAY,
        '99999',
      ),
    ]);
    const check = planLimitCheck({
      config,
      client: ctx.docs,
      countersTable: tables.counters,
      now: () => new Date('2026-03-10T10:00:30.000Z'),
    });
    expect(await check('tn-limit-under', 'starter')).toEqual({ exceeded: false });
    expect(await check('tn-limit-yday', 'starter')).toEqual({ exceeded: false });
  });
});

describe('reconciliation: raw lake vs counters vs ledger', () => {
  const bucket = 'tenantry-dev-lake';
  const s3 = new S3Client(s3ClientConfig());
  const tenants = [activeTenant(7001, PRODUCT), activeTenant(7002, PRODUCT), activeTenant(7003, PRODUCT)];
  // Per tenant and hour: api.call 3 events of 100, 250, 400 calls (= 750); storage.gb 2 × 5.25 (= 10.5);
  // doc.processed 2 × 1 (= 2). The counters below are these sums, written by hand.
  const events = (hour: Date) =>
    tenants.flatMap((t, ti) =>
      [
        ['api.call', 100],
        ['api.call', 250],
        ['api.call', 400],
        ['storage.gb', 5.25],
        ['storage.gb', 5.25],
        ['doc.processed', 1],
        ['doc.processed', 1],
      ].map(([metric, quantity], i) => ({
        eventId: `e-${ti}-${hour.getUTCHours()}-${i}`,
        tenantId: t.tenantId,
        metric,
        quantity,
        timestamp: new Date(hour.getTime() + (i + 1) * 60_000).toISOString(),
      })),
    );
  const lines = (items: unknown[]) => `${items.map((e) => JSON.stringify(e)).join('\n')}\n`;
  // The metering stack's Firehose layout, written out literally.
  const prefix = (hour: Date) => `raw/dt=2026-03-10/hour=${String(hour.getUTCHours()).padStart(2, '0')}/`;
  const reconcileNow = (now: Date) =>
    reconcile(
      { config, s3, bucket, counters: ctx.counters, ledger: ctx.ledger, alerts },
      { from: H1, to: new Date(H2.getTime() + HOUR_MS), now, tenantIds: tenants.map((t) => t.tenantId) },
    );

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const h1 = events(H1);
    // raw lake, as Firehose lands it: H1 events (one duplicated, one malformed line), H2 events
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${prefix(H1)}fh-1`,
        Body: `${lines([...h1, h1[0]])}{"not":"an event"}\n`,
      }),
    );
    // Firehose compresses with GZIP
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${prefix(H2)}fh-2.gz`,
        Body: gzipSync(lines(events(H2))),
      }),
    );
    const rows = [H1, H2].flatMap((hour) =>
      tenants.flatMap((t) => [
        counterItem(t.tenantId, 'api.call', 'HOUR', hour, new Date(hour.getTime() + HOUR_MS), '750'),
        counterItem(t.tenantId, 'storage.gb', 'HOUR', hour, new Date(hour.getTime() + HOUR_MS), '10.5'),
        counterItem(t.tenantId, 'doc.processed', 'HOUR', hour, new Date(hour.getTime() + HOUR_MS), '2'),
      ]),
    );
    await batchPutDocuments(ctx.docs, tables.counters, rows);
    for (const t of tenants) register(t);
    for (const now of [new Date('2026-03-10T06:15:00Z'), new Date('2026-03-10T07:15:00Z')]) {
      fake.state.now = () => now;
      await runBilling(deps(), { now, tenants, lookbackHours: 3 });
    }
  });

  it('finds nothing when lake, counters and ledger agree', async () => {
    const report = await reconcileNow(new Date('2026-03-10T08:00:00Z'));
    expect(report.discrepancies).toEqual([]);
    expect(report.totals).toMatchObject({ rawLines: 44, rejected: 1, duplicates: 1, late: 0, counted: 42 });
  });

  it('finds exactly the injected missing counter row, extra late event and ledger quantity mismatch', async () => {
    // Prepare: the three faults
    const [a, b, c] = tenants as [Tenant, Tenant, Tenant];
    await ctx.docs.send(
      new DeleteCommand({
        TableName: tables.counters,
        Key: counterKey(a.tenantId, 'api.call', 'HOUR', H1.toISOString()),
      }),
    );
    const late = {
      eventId: 'late-1',
      tenantId: b.tenantId,
      metric: 'doc.processed',
      quantity: 3,
      timestamp: '2026-03-10T06:30:00.000Z',
    };
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${prefix(new Date('2026-03-10T07:00:00Z'))}fh-3`,
        Body: lines([late]),
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'metering/late/part-0-0.json',
        Body: `{"eventId":"late-1","tenantId":"${b.tenantId}","metric":"doc.processed","quantity":3,"eventTime":"2026-03-10T06:30:00.000Z","watermarkTime":"2026-03-10T07:05:00.000Z"}\n`,
      }),
    );
    await ctx.docs.send(
      new UpdateCommand({
        TableName: tables.ledger,
        Key: ledgerKey(c.tenantId, 'StorageGbHours', H2.toISOString()),
        UpdateExpression: 'SET units = :u',
        ExpressionAttributeValues: { ':u': 12 },
      }),
    );
    alerts.alerts.length = 0;
    // Act
    const report = await reconcileNow(new Date('2026-03-10T08:00:00Z'));
    // Assess: exactly these three, nothing else
    expect(
      report.discrepancies.map((d) => [d.kind, d.tenantId, d.metric, d.hour, d.expected, d.actual]),
    ).toEqual([
      ['COUNTER_MISSING', a.tenantId, 'api.call', H1.toISOString(), '750', 'none'],
      ['LATE_EVENT', b.tenantId, 'doc.processed', H2.toISOString(), '3', '0'],
      // H1 left 0.5 GB-h carried; H2: 0.5 + 10.5 = 11 units, the ledger says 12
      ['LEDGER_QUANTITY_MISMATCH', c.tenantId, 'storage.gb', H2.toISOString(), '11', '12'],
    ]);
    expect(report.lateEvents.billable.map((e) => e.eventId)).toEqual(['late-1']);
    expect(report.summary).toContain('3 discrepancies');
    expect(alerts.alerts).toEqual([
      expect.objectContaining({
        type: 'BillingReconciliationDiscrepancies',
        detail: expect.objectContaining({ count: 3 }),
      }),
    ]);
  });

  it('reports a late event past the acceptance window as unbillable', async () => {
    const report = await reconcileNow(new Date('2026-03-11T07:00:00Z'));
    expect(report.lateEvents).toMatchObject({
      billable: [],
      unbillable: [expect.objectContaining({ eventId: 'late-1' })],
    });
  });
});
