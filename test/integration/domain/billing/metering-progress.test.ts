import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBillingAlerts } from '../../../../domain/billing/alerts';
import type { Tenant } from '../../../../domain/tenant/tenant';
import { progressItem } from '../../../../domain/usage/progress';
import { activeTenant, BillingHarness, config, counterItem } from './support';

// Billing waits for the hours the metering job has closed, reading its progress from the counters table.
// Hours H4 = 04:00Z and H5 = 05:00Z; at 06:15Z the clock has closed both (end + 120 s + 10 min).
const H4 = new Date('2026-03-10T04:00:00.000Z');
const H5 = new Date('2026-03-10T05:00:00.000Z');
const H6 = new Date('2026-03-10T06:00:00.000Z');
const NOW = new Date('2026-03-10T06:15:00.000Z');
const PRODUCT = 'tenantry-pooled';
let tenant: Tenant;
const billing = new BillingHarness();
/** A run at NOW over the tenant, reading the progress the counters table holds. */
const runAtNow = (alerts: MemoryBillingAlerts) =>
  billing.run({ now: NOW, tenants: [tenant], lookbackHours: 3 }, { alerts, progress: 'counters-table' });

beforeAll(async () => {
  await billing.startFakeMarketplace({ seed: 3 });
  tenant = activeTenant(1, PRODUCT);
  billing.subscribe(tenant);
  billing.fake.state.products.set(PRODUCT, new Set(config.metrics.map((m) => m.billing.dimension)));
  billing.fake.state.now = () => NOW;
});

afterAll(() => billing.stopFakeMarketplace());

describe('billing against the metering progress', () => {
  it('waits, with an alert, while the job has published no progress', async () => {
    // Prepare: an empty counters table (no progress item)
    const alerts = new MemoryBillingAlerts();

    // Act
    const summary = await runAtNow(alerts);

    // Assess
    expect(summary).toMatchObject({ meteringProgress: null, hoursWaiting: null, prepared: 0, sent: 0 });
    expect(billing.fake.state.records.size).toBe(0);
    expect(alerts.alerts).toEqual([
      {
        type: 'MeteringProgressBehind',
        detail: { progress: null, lagSeconds: null, alertAfterSeconds: 900 },
      },
    ]);
  });

  it('bills an hour only after the progress passes its end plus the allowed lateness, never as a frozen zero', async () => {
    // Prepare: Flink has fired H4 (1,400 API calls) and its progress is 05:40Z: H5 (end 06:00Z) is not
    // closed. 35 minutes behind the clock is more than progressAlertMinutes (15).
    await billing.seedCounters([
      counterItem(tenant.tenantId, 'api.call', 'HOUR', H4, H5, '1400'),
      progressItem(new Date('2026-03-10T05:40:00.000Z')),
    ]);
    const firstAlerts = new MemoryBillingAlerts();

    // Act 1
    const first = await runAtNow(firstAlerts);

    // Assess 1: H4 billed (1 unit, 400 calls carried); H5 waits: no record, no PENDING entry.
    expect(first).toMatchObject({
      targetHour: H4.toISOString(),
      meteringProgress: '2026-03-10T05:40:00.000Z',
      hoursWaiting: 1,
      prepared: 3,
      accepted: 3,
    });
    expect(billing.billedQuantity(tenant, 'ApiCalls', H4)).toBe(1);
    expect(billing.billedQuantity(tenant, 'ApiCalls', H5)).toBeUndefined();
    expect(firstAlerts.alerts).toEqual([
      {
        type: 'MeteringProgressBehind',
        detail: { progress: '2026-03-10T05:40:00.000Z', lagSeconds: 2100, alertAfterSeconds: 900 },
      },
    ]);

    // Prepare 2: the job catches up: H5's total (1,600 calls) lands, the progress passes 06:10Z, yet
    // 06:05Z (H5 end + 5 min) is still inside the allowed lateness (graceMinutes 10): H5 still waits.
    await billing.seedCounters([
      counterItem(tenant.tenantId, 'api.call', 'HOUR', H5, H6, '1600'),
      progressItem(new Date('2026-03-10T06:05:00.000Z')),
    ]);
    const inside = await runAtNow(new MemoryBillingAlerts());
    expect(inside).toMatchObject({ targetHour: H4.toISOString(), prepared: 0, hoursWaiting: 1 });
    expect(billing.billedQuantity(tenant, 'ApiCalls', H5)).toBeUndefined();

    await billing.seedCounters([progressItem(new Date('2026-03-10T06:11:00.000Z'))]);
    const secondAlerts = new MemoryBillingAlerts();

    // Act 2
    const second = await runAtNow(secondAlerts);

    // Assess 2: H5 billed with its real usage: (400 carried + 1,600) / 1,000 = 2 units; no alert (4 min behind).
    expect(second).toMatchObject({
      targetHour: H5.toISOString(),
      meteringProgress: '2026-03-10T06:11:00.000Z',
      hoursWaiting: 0,
      prepared: 3,
      accepted: 3,
    });
    expect(billing.billedQuantity(tenant, 'ApiCalls', H5)).toBe(2);
    expect(secondAlerts.alerts).toEqual([]);
  });
});
