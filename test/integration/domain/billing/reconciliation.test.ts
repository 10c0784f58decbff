import { gzipSync } from 'node:zlib';
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcile } from '../../../../domain/billing/reconciliation';
import { counterKey, ledgerKey } from '../../../../domain/keys';
import type { Tenant } from '../../../../domain/tenant/tenant';
import { activeTenant, BillingHarness, config, counterItem, TestLake, tables } from './support';

const HOUR_MS = 3_600_000;
const H1 = new Date('2026-03-10T05:00:00.000Z');
const H2 = new Date('2026-03-10T06:00:00.000Z');
const PRODUCT = 'tenantry-pooled';
const billing = new BillingHarness();
const { ctx, alerts } = billing;

beforeAll(async () => {
  await billing.startFakeMarketplace();
});
afterAll(() => billing.stopFakeMarketplace());

describe('reconciliation: raw lake vs counters vs ledger', () => {
  const lake = new TestLake();
  const { s3, bucket } = lake;
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
      {
        config,
        s3,
        bucket,
        counters: ctx.counters,
        ledger: ctx.ledger,
        adjustments: ctx.adjustments,
        alerts,
      },
      { from: H1, to: new Date(H2.getTime() + HOUR_MS), now, tenantIds: tenants.map((t) => t.tenantId) },
    );

  beforeAll(async () => {
    await lake.create();
    const h1 = events(H1);
    // raw lake, as Firehose lands it: H1 events (one duplicated, one malformed line), H2 events
    await lake.put(`${prefix(H1)}fh-1`, `${lines([...h1, h1[0]])}{"not":"an event"}\n`);
    // Firehose compresses with GZIP
    await lake.put(`${prefix(H2)}fh-2.gz`, gzipSync(lines(events(H2))));
    const rows = [H1, H2].flatMap((hour) =>
      tenants.flatMap((t) => [
        counterItem(t.tenantId, 'api.call', 'HOUR', hour, new Date(hour.getTime() + HOUR_MS), '750'),
        counterItem(t.tenantId, 'storage.gb', 'HOUR', hour, new Date(hour.getTime() + HOUR_MS), '10.5'),
        counterItem(t.tenantId, 'doc.processed', 'HOUR', hour, new Date(hour.getTime() + HOUR_MS), '2'),
      ]),
    );
    await billing.seedCounters(rows);
    billing.subscribe(...tenants);
    for (const now of [new Date('2026-03-10T06:15:00Z'), new Date('2026-03-10T07:15:00Z')]) {
      billing.fake.state.now = () => now;
      await billing.run({ now, tenants, lookbackHours: 3 });
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
    await lake.put(`${prefix(new Date('2026-03-10T07:00:00Z'))}fh-3`, lines([late]));
    await lake.put(
      'metering/late/part-0-0.json',
      `{"eventId":"late-1","tenantId":"${b.tenantId}","metric":"doc.processed","quantity":3,"eventTime":"2026-03-10T06:30:00.000Z","watermarkTime":"2026-03-10T07:05:00.000Z"}\n`,
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
