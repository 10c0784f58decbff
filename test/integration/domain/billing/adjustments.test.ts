import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adjustLateEvents } from '../../../../domain/billing/adjustments';
import { reconcile } from '../../../../domain/billing/reconciliation';
import { activeTenant, BillingHarness, config, counterItem, TestLake } from './support';

// One tenant: api.call 1,400 calls in H1 (billed at 06:15: 1 unit, 400 carried). Flink found two events
// of H1 late (300 + 350 calls) and one of the previous day (past Marketplace's acceptance window).
const H1 = new Date('2026-03-10T05:00:00.000Z');
const H2 = new Date('2026-03-10T06:00:00.000Z');
const H3 = new Date('2026-03-10T07:00:00.000Z');
const PRODUCT = 'tenantry-pooled';
const billing = new BillingHarness();
const { ctx } = billing;
const lake = new TestLake();
const { s3, bucket } = lake;
const t = activeTenant(6001, PRODUCT);
const event = (eventId: string, quantity: number, timestamp: string) =>
  JSON.stringify({ eventId, tenantId: t.tenantId, metric: 'api.call', quantity, timestamp });
const lateRow = (eventId: string, quantity: number, eventTime: string) =>
  `{"eventId":"${eventId}","tenantId":"${t.tenantId}","metric":"api.call","quantity":${quantity},"eventTime":"${eventTime}","watermarkTime":"2026-03-10T06:05:00.000Z"}`;

beforeAll(async () => {
  await billing.startFakeMarketplace();
  billing.subscribe(t);
  await lake.create();
  // Raw lake (every event, by arrival hour); the late ones arrived in hour 06.
  await lake.put(
    'raw/dt=2026-03-10/hour=05/fh-1',
    `${event('e-1', 900, '2026-03-10T05:10:00.000Z')}\n${event('e-2', 500, '2026-03-10T05:20:00.000Z')}\n`,
  );
  await lake.put(
    'raw/dt=2026-03-10/hour=06/fh-2',
    `${[
      event('late-a', 300, '2026-03-10T05:40:00.000Z'),
      event('late-b', 350, '2026-03-10T05:50:00.000Z'),
      event('e-3', 100, '2026-03-10T06:10:00.000Z'),
    ].join('\n')}\n`,
  );
  await lake.put(
    'metering/late/part-0-0.json',
    `${[
      lateRow('late-a', 300, '2026-03-10T05:40:00.000Z'),
      lateRow('late-b', 350, '2026-03-10T05:50:00.000Z'),
      lateRow('late-old', 5, '2026-03-09T05:30:00.000Z'),
    ].join('\n')}\n`,
  );
  // Counters as Flink wrote them: the late events are not in H1.
  await billing.seedCounters([
    counterItem(t.tenantId, 'api.call', 'HOUR', H1, H2, '1400'),
    counterItem(t.tenantId, 'api.call', 'HOUR', H2, H3, '100'),
  ]);
  const at = new Date('2026-03-10T06:15:00.000Z');
  billing.fake.state.now = () => at;
  await billing.run({ now: at, tenants: [t], lookbackHours: 3 });
});

afterAll(() => billing.stopFakeMarketplace());

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
    expect(billing.billedQuantity(t, 'ApiCalls', H1)).toBe(1);
  });

  it('bills it with the open hour: 400 carried + 100 + 650 late = 1 unit, 150 carried; the billed hour is never resent', async () => {
    const now = new Date('2026-03-10T07:15:00.000Z');
    billing.fake.state.now = () => now;
    const summary = await billing.run({ now, tenants: [t], lookbackHours: 3 });
    expect(summary).toMatchObject({ targetHour: H2.toISOString(), sent: 3, accepted: 3 });
    expect([billing.billedQuantity(t, 'ApiCalls', H1), billing.billedQuantity(t, 'ApiCalls', H2)]).toEqual([
      1, 1,
    ]);
    expect(billing.fake.state.statusCounts.DuplicateRecord ?? 0).toBe(0);
    const entry = await billing.ledgerEntry(t.tenantId, 'ApiCalls', H2);
    expect(entry).toMatchObject({
      status: 'ACCEPTED',
      units: 1,
      usageMicro: '100000000',
      adjustmentMicro: '650000000',
      carryInMicro: '400000000',
      carryOutMicro: '150000000',
    });
    expect(entry?.adjustmentIds).toHaveLength(1);
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
