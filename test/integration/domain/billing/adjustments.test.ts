import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchPutDocuments } from '../../../../domain/aws/batch';
import { s3ClientConfig } from '../../../../domain/aws/clients';
import { adjustLateEvents } from '../../../../domain/billing/adjustments';
import { MemoryBillingAlerts } from '../../../../domain/billing/alerts';
import { runBilling } from '../../../../domain/billing/billing-run';
import { reconcile } from '../../../../domain/billing/reconciliation';
import { ledgerKey } from '../../../../domain/keys';
import type { MarketplaceFake } from '../../../../local/marketplace-fake/server';
import {
  activeTenant,
  billingRunDeps,
  clients,
  config,
  counterItem,
  fakeQuantity,
  registerLicense,
  singleAttemptMarketplace,
  startBillingOnFakeMarketplace,
  stopFakeMarketplace,
  tables,
} from './support';

// One tenant: api.call 1,400 calls in H1 (billed at 06:15: 1 unit, 400 carried). Flink found two events
// of H1 late (300 + 350 calls) and one of the previous day (past Marketplace's acceptance window).
const H1 = new Date('2026-03-10T05:00:00.000Z');
const H2 = new Date('2026-03-10T06:00:00.000Z');
const H3 = new Date('2026-03-10T07:00:00.000Z');
const PRODUCT = 'tenantry-pooled';
const bucket = 'tenantry-dev-lake';

let fake: MarketplaceFake;
const ctx = clients();
const s3 = new S3Client(s3ClientConfig());
const alerts = new MemoryBillingAlerts();
const t = activeTenant(6001, PRODUCT);
const deps = () => billingRunDeps(ctx, alerts, singleAttemptMarketplace());
const event = (eventId: string, quantity: number, timestamp: string) =>
  JSON.stringify({ eventId, tenantId: t.tenantId, metric: 'api.call', quantity, timestamp });
const lateRow = (eventId: string, quantity: number, eventTime: string) =>
  `{"eventId":"${eventId}","tenantId":"${t.tenantId}","metric":"api.call","quantity":${quantity},"eventTime":"${eventTime}","watermarkTime":"2026-03-10T06:05:00.000Z"}`;

beforeAll(async () => {
  fake = await startBillingOnFakeMarketplace();
  registerLicense(fake, t);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  // Raw lake (every event, by arrival hour); the late ones arrived in hour 06.
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'raw/dt=2026-03-10/hour=05/fh-1',
      Body: `${event('e-1', 900, '2026-03-10T05:10:00.000Z')}\n${event('e-2', 500, '2026-03-10T05:20:00.000Z')}\n`,
    }),
  );
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'raw/dt=2026-03-10/hour=06/fh-2',
      Body: `${[
        event('late-a', 300, '2026-03-10T05:40:00.000Z'),
        event('late-b', 350, '2026-03-10T05:50:00.000Z'),
        event('e-3', 100, '2026-03-10T06:10:00.000Z'),
      ].join('\n')}\n`,
    }),
  );
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'metering/late/part-0-0.json',
      Body: `${[
        lateRow('late-a', 300, '2026-03-10T05:40:00.000Z'),
        lateRow('late-b', 350, '2026-03-10T05:50:00.000Z'),
        lateRow('late-old', 5, '2026-03-09T05:30:00.000Z'),
      ].join('\n')}\n`,
    }),
  );
  // Counters as Flink wrote them: the late events are not in H1.
  await batchPutDocuments(ctx.docs, tables.counters, [
    counterItem(t.tenantId, 'api.call', 'HOUR', H1, H2, '1400'),
    counterItem(t.tenantId, 'api.call', 'HOUR', H2, H3, '100'),
  ]);
  const at = new Date('2026-03-10T06:15:00.000Z');
  fake.state.now = () => at;
  await runBilling(deps(), { now: at, tenants: [t], lookbackHours: 3 });
});

afterAll(() => stopFakeMarketplace(fake));

describe('late usage billed as an adjustment in the open hour, through the Marketplace fake', () => {
  it('schedules one ADJUSTMENT (original hour, late event ids) into the open hour, once', async () => {
    const now = new Date('2026-03-10T06:20:00.000Z');
    const lake = { config, adjustments: ctx.adjustments, s3, bucket };
    const first = await adjustLateEvents(lake, { now, billedTenantIds: [t.tenantId], allObjects: true });
    const again = await adjustLateEvents(lake, {
      now: new Date('2026-03-10T06:40:00.000Z'),
      billedTenantIds: [t.tenantId],
      allObjects: true,
    });
    expect(first).toMatchObject({ lateEvents: 3, billable: 2 });
    expect(
      first.scheduled.map((a) => [a.dimension, a.originalHour, a.targetHour, a.eventIds, a.usageMicro]),
    ).toEqual([['ApiCalls', H1.toISOString(), H2.toISOString(), ['late-a', 'late-b'], '650000000']]);
    expect(again.scheduled).toEqual([]);
    expect(fakeQuantity(fake, t, 'ApiCalls', H1)).toBe(1);
  });

  it('bills it with the open hour: 400 carried + 100 + 650 late = 1 unit, 150 carried; the billed hour is never resent', async () => {
    const now = new Date('2026-03-10T07:15:00.000Z');
    fake.state.now = () => now;
    const summary = await runBilling(deps(), { now, tenants: [t], lookbackHours: 3 });
    expect(summary).toMatchObject({ targetHour: H2.toISOString(), sent: 3, accepted: 3 });
    expect([fakeQuantity(fake, t, 'ApiCalls', H1), fakeQuantity(fake, t, 'ApiCalls', H2)]).toEqual([1, 1]);
    expect(fake.state.statusCounts.DuplicateRecord ?? 0).toBe(0);
    const { Item } = await ctx.docs.send(
      new GetCommand({ TableName: tables.ledger, Key: ledgerKey(t.tenantId, 'ApiCalls', H2.toISOString()) }),
    );
    expect(Item).toMatchObject({
      status: 'ACCEPTED',
      units: 1,
      usageMicro: '100000000',
      adjustmentMicro: '650000000',
      carryInMicro: '400000000',
      carryOutMicro: '150000000',
    });
    expect(Item?.adjustmentIds).toHaveLength(1);
  });

  it('reconciliation accounts for the adjusted events and reports the one past the window as unbillable', async () => {
    const report = await reconcile(
      { config, s3, bucket, counters: ctx.counters, ledger: ctx.ledger, adjustments: ctx.adjustments },
      {
        from: new Date('2026-03-09T05:00:00.000Z'),
        to: H3,
        now: new Date('2026-03-10T07:30:00.000Z'),
        tenantIds: [t.tenantId],
      },
    );
    expect(report.discrepancies.map((d) => [d.kind, d.hour, d.expected, d.detail])).toEqual([
      ['LATE_EVENT', '2026-03-09T05:00:00.000Z', '5', 'late-old unbillable (outside the acceptance window)'],
    ]);
    expect(report.lateEvents.adjusted.map((e) => [e.eventId, e.adjustment?.targetHour])).toEqual([
      ['late-a', H2.toISOString()],
      ['late-b', H2.toISOString()],
    ]);
    expect(report.lateEvents.unbillable.map((e) => e.eventId)).toEqual(['late-old']);
    expect(report.lateEvents.billable).toEqual([]);
  });
});
