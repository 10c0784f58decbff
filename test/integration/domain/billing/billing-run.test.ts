import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarketplaceBillingProvider } from '../../../../domain/billing/marketplace-provider';
import type { BillingProvider } from '../../../../domain/billing/send';
import type { Tenant } from '../../../../domain/tenant/tenant';
import { activeTenant, BillingHarness, config, counterItem } from './support';

// Reference scenario: 1,400 tenants (1,388 pooled on product "tenantry-pooled", 12 enterprise silos on
// "tenantry-enterprise"), 3 billed dimensions. Hour H = 2026-03-10T05:00Z, billed at 06:15Z.
const H1 = new Date('2026-03-10T05:00:00.000Z');
const H2 = new Date('2026-03-10T06:00:00.000Z');
const NOW1 = new Date('2026-03-10T06:15:00.000Z');
const NOW2 = new Date('2026-03-10T07:15:00.000Z');
const POOLED = 'tenantry-pooled';
const SILO = 'tenantry-enterprise';
const HOUR_MS = 3_600_000;
let tenants: Tenant[];
const billing = new BillingHarness();
const { alerts } = billing;
let calls = 0;

/** The Marketplace fake's provider with retries (3 attempts, 10 rounds), counting its calls in `calls`. */
const countingProvider = () =>
  new MarketplaceBillingProvider({
    backoff: { baseMs: 5, capMs: 50 },
    maxRounds: 10,
    clientSettings: { maxAttempts: 3 },
    onCall: () => calls++,
  });
/** A billing run through `provider`, by default the counting one. */
const countedRun = (
  options: Parameters<BillingHarness['run']>[0],
  provider: BillingProvider = countingProvider(),
) => billing.run(options, { provider });

/**
 * Seed usage, chosen so the expected units can be written down independently:
 * api.call   (1 unit = 1000 calls): tenant i uses 1000·(i mod 7) + 250 calls in H1, and 750 in H2
 *            → H1 units = i mod 7 (remainder 250 carried), H2 units = floor((250+750)/1000) = 1.
 * storage.gb (1 unit = 1 GB-hour):  i mod 3 == 0 → no counter row at all (a zero record must still go);
 *            otherwise 10.5 GB-hours per hour → H1 = 10 (0.5 carried), H2 = floor(0.5+10.5) = 11.
 * doc.processed: exactly 2 per hour → 2 and 2.
 */
function usageItems(hour: Date, second: boolean): Record<string, unknown>[] {
  const end = new Date(hour.getTime() + HOUR_MS);
  return tenants.flatMap((t, i) => {
    const items = [
      counterItem(t.tenantId, 'api.call', 'HOUR', hour, end, second ? '750' : String(1000 * (i % 7) + 250)),
      counterItem(t.tenantId, 'doc.processed', 'HOUR', hour, end, '2'),
    ];
    if (i % 3 !== 0) items.push(counterItem(t.tenantId, 'storage.gb', 'HOUR', hour, end, '10.5'));
    return items;
  });
}

const expectedH1 = (i: number) => ({
  ApiCalls: i % 7,
  StorageGbHours: i % 3 === 0 ? 0 : 10,
  DocumentsProcessed: 2,
});
const expectedH2 = (i: number) => ({
  ApiCalls: 1,
  StorageGbHours: i % 3 === 0 ? 0 : 11,
  DocumentsProcessed: 2,
});

beforeAll(async () => {
  await billing.startFakeMarketplace({ seed: 7 });
  tenants = Array.from({ length: 1400 }, (_, i) =>
    i < 1388 ? activeTenant(i, POOLED) : activeTenant(i, SILO, 'enterprise'),
  );
  billing.subscribe(...tenants);
  const dimensions = new Set(config.metrics.map((m) => m.billing.dimension));
  billing.fake.state.products.set(POOLED, dimensions);
  billing.fake.state.products.set(SILO, dimensions);
  await billing.seedCounters([...usageItems(H1, false), ...usageItems(H2, true)]);
});

afterAll(() => billing.stopFakeMarketplace());

describe('hourly billing of 1,400 tenants × 3 dimensions through the Marketplace fake', () => {
  it('bills the hour in exactly ceil(records / 25) calls per product, zero records included', {
    timeout: 300_000,
  }, async () => {
    billing.fake.state.now = () => NOW1;
    calls = 0;
    const started = Date.now();
    const summary = await countedRun({ now: NOW1, tenants, lookbackHours: 3 });
    const elapsed = Date.now() - started;
    const byProduct = new Map<string, number>();
    for (const c of billing.fake.state.calls)
      byProduct.set(c.productCode ?? '?', (byProduct.get(c.productCode ?? '?') ?? 0) + 1);
    console.log(
      `[billing] first hour: ${summary.sent} records, ${billing.fake.state.calls.length} calls, ${elapsed} ms`,
    );
    // Expected calls from the records this test generated: one record per tenant and billed
    // dimension (zero records included), ceil(records / 25) calls per product.
    const recordsPerProduct = new Map<string, number>();
    for (const t of tenants) {
      const product = t.marketplace?.productCode ?? '?';
      recordsPerProduct.set(product, (recordsPerProduct.get(product) ?? 0) + config.metrics.length);
    }
    const expectedCalls = Object.fromEntries(
      [...recordsPerProduct].map(([product, records]) => [product, Math.ceil(records / 25)]),
    );
    expect(Object.fromEntries(byProduct)).toEqual(expectedCalls);
    // 1,388 × 3 = 4,164 records → 167 calls; 12 × 3 = 36 → 2 calls.
    expect(expectedCalls).toEqual({ [POOLED]: 167, [SILO]: 2 });
    expect(calls).toBe(169);
    expect(summary).toMatchObject({
      targetHour: H1.toISOString(),
      prepared: 4200,
      sent: 4200,
      accepted: 4200,
      undecided: 0,
    });
    expect(billing.fake.state.records.size).toBe(4200);
    const wrong = tenants.flatMap((t, i) =>
      Object.entries(expectedH1(i))
        .filter(([dimension, units]) => billing.billedQuantity(t, dimension, H1) !== units)
        .map(
          ([dimension, units]) =>
            `${t.tenantId}/${dimension}: expected ${units}, got ${billing.billedQuantity(t, dimension, H1)}`,
        ),
    );
    expect(wrong).toEqual([]);
  });

  it('writes the ledger: ACCEPTED with the metering record id and the carried remainder', async () => {
    const t = tenants[10] as Tenant; // api.call: 1000·3 + 250 → 3 units, 250 carried
    const entry = await billing.ledgerEntry(t.tenantId, 'ApiCalls', H1);
    expect(entry).toMatchObject({
      status: 'ACCEPTED',
      units: 3,
      usageMicro: '3250000000',
      carryInMicro: '0',
      carryOutMicro: '250000000',
      attempts: 1,
    });
    expect(entry?.meteringRecordId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a rerun of the hour sends zero records', { timeout: 300_000 }, async () => {
    const before = billing.fake.state.calls.length;
    const summary = await countedRun({ now: NOW1, tenants, lookbackHours: 3 });
    expect(billing.fake.state.calls.length - before).toBe(0);
    expect(summary).toMatchObject({ prepared: 0, sent: 0 });
  });

  it('with 5% throttling and injected UnprocessedRecords, every record of the next hour is accepted, none sent twice with another quantity', {
    timeout: 300_000,
  }, async () => {
    billing.fake.state.now = () => NOW2;
    billing.fake.state.faults.throttleRate = 0.05;
    billing.fake.state.faults.unprocessedRate = 0.05;
    const before = billing.fake.state.calls.length;
    const summary = await countedRun({ now: NOW2, tenants, lookbackHours: 3 });
    billing.fake.state.faults.throttleRate = 0;
    billing.fake.state.faults.unprocessedRate = 0;
    const newCalls = billing.fake.state.calls.slice(before);
    console.log(
      `[billing] faulty hour: ${newCalls.length} calls (${newCalls.filter((c) => c.outcome === 'ThrottlingException').length} throttled), unprocessed ${billing.fake.state.statusCounts.Unprocessed ?? 0}`,
    );
    expect(newCalls.filter((c) => c.outcome === 'ThrottlingException').length).toBeGreaterThan(0);
    expect(billing.fake.state.statusCounts.Unprocessed ?? 0).toBeGreaterThan(0);
    expect(summary).toMatchObject({ targetHour: H2.toISOString(), sent: 4200, accepted: 4200, undecided: 0 });
    expect(billing.fake.state.statusCounts.DuplicateRecord ?? 0).toBe(0);
    expect(billing.fake.state.records.size).toBe(8400);
    const wrong = tenants.flatMap((t, i) =>
      Object.entries(expectedH2(i))
        .filter(([dimension, units]) => billing.billedQuantity(t, dimension, H2) !== units)
        .map(([dimension]) => `${t.tenantId}/${dimension}`),
    );
    expect(wrong).toEqual([]);
  });

  it('a crash after sending (before the ledger update) is healed by the rerun with the identical record', async () => {
    // Prepare: the next hour for a few tenants; a provider that sends for real, then "crashes".
    const H3 = new Date('2026-03-10T07:00:00.000Z');
    const NOW3 = new Date('2026-03-10T08:15:00.000Z');
    billing.fake.state.now = () => NOW3;
    const some = tenants.slice(0, 5);
    await billing.seedCounters(
      some.map((t) => counterItem(t.tenantId, 'api.call', 'HOUR', H3, NOW3, '1000')),
    );
    const real = countingProvider();
    const crashing: BillingProvider = {
      name: 'crashing',
      submit: async (records) => {
        await real.submit(records);
        throw new Error('process killed after the call');
      },
    };
    await expect(countedRun({ now: NOW3, tenants: some, lookbackHours: 3 }, crashing)).rejects.toThrow(
      /killed/,
    );
    const pending = await billing.ledgerEntry(some[0]?.tenantId as string, 'ApiCalls', H3);
    expect(pending?.status).toBe('PENDING');
    // Act: rerun
    const summary = await countedRun({ now: NOW3, tenants: some, lookbackHours: 3 });
    // Assess: resent unchanged (no DuplicateRecord), now ACCEPTED, nothing new prepared
    expect(summary).toMatchObject({ prepared: 0, sent: 15, accepted: 15 });
    expect(billing.fake.state.statusCounts.DuplicateRecord ?? 0).toBe(0);
    const accepted = await billing.ledgerEntry(some[0]?.tenantId as string, 'ApiCalls', H3);
    expect(accepted?.status).toBe('ACCEPTED');
    // api.call: H2 left carry 0 (250 + 750 = 1 unit exactly); H3 = 1000 calls → 1 unit
    expect(billing.billedQuantity(some[0] as Tenant, 'ApiCalls', H3)).toBe(1);
  });

  it('alerts on records alertAgeHours (4 h) old, then sends them while still accepted (6 h)', async () => {
    // Prepare: one tenant's next hours (H3 and H4: it was last billed at H2) fail at the API
    // (DisabledApiException) and stay PENDING.
    const H4 = new Date('2026-03-10T08:00:00.000Z');
    const NOW4 = new Date('2026-03-10T09:15:00.000Z');
    const t = [tenants[20] as Tenant];
    billing.fake.state.now = () => NOW4;
    alerts.alerts.length = 0;
    billing.fake.state.faults.errorQueue.push({ name: 'DisabledApiException' });
    const failed = await countedRun({ now: NOW4, tenants: t, lookbackHours: 23 });
    expect(failed).toMatchObject({ targetHour: H4.toISOString(), prepared: 6, sent: 6, undecided: 6 });
    expect(alerts.alerts.map((a) => a.type)).toEqual(['BillingRecordsUndecided']);
    // Act: 4.5 h after H4 (1.5 h before its deadline; H3 0.5 h before) the run resends them and raises
    // the near-expiry alert.
    alerts.alerts.length = 0;
    const later = new Date(H4.getTime() + 4.5 * HOUR_MS);
    billing.fake.state.now = () => later;
    const resent = await countedRun({ now: later, tenants: t, lookbackHours: 23 });
    // Assess
    expect(resent.nearExpiry).toBeGreaterThanOrEqual(6);
    expect(alerts.alerts.map((a) => a.type)).toContain('BillingRecordsNearExpiry');
    expect(billing.billedQuantity(t[0] as Tenant, 'ApiCalls', H4)).toBe(0);
    const entry = await billing.ledgerEntry(t[0]?.tenantId as string, 'ApiCalls', H4);
    expect(entry).toMatchObject({ status: 'ACCEPTED', attempts: 1 });
  });

  it('marks EXPIRED (and alerts) a PENDING record whose acceptance window has passed, without sending it, and carries its units into the open hour', async () => {
    const H4 = new Date('2026-03-10T08:00:00.000Z');
    const NOW4 = new Date('2026-03-10T09:15:00.000Z');
    const t = [tenants[21] as Tenant];
    billing.fake.state.now = () => NOW4;
    billing.fake.state.faults.errorQueue.push(
      { name: 'InternalServiceErrorException' },
      { name: 'InternalServiceErrorException' },
      { name: 'InternalServiceErrorException' },
    );
    const failed = await countedRun(
      { now: NOW4, tenants: t, lookbackHours: 23 },
      new MarketplaceBillingProvider({ maxRounds: 1, clientSettings: { maxAttempts: 1 } }),
    );
    expect(failed).toMatchObject({ prepared: 6, sent: 6, undecided: 6 });
    alerts.alerts.length = 0;
    const tooLate = new Date(H4.getTime() + 25 * HOUR_MS);
    billing.fake.state.now = () => tooLate;
    const before = billing.fake.state.records.size;
    const summary = await countedRun({ now: tooLate, tenants: t, lookbackHours: 23 });
    // H4 and the 19 hours after it up to 03:00 on the 11th (6 h or more old at 09:00 minus the
    // 5-minute margin), × 3 dimensions; the 4 closed hours 04:00-07:00 are sent. (H3 is outside the
    // 23-hour lookback from the 07:00 target: not read again — README, known limits.)
    expect(summary).toMatchObject({ targetHour: '2026-03-11T07:00:00.000Z', expired: 60, sent: 12 });
    expect(alerts.alerts.find((a) => a.type === 'BillingRecordsExpired')?.detail).toMatchObject({
      records: expect.arrayContaining([
        expect.objectContaining({
          tenantId: t[0]?.tenantId,
          hour: H4.toISOString(),
          reason: expect.stringMatching(/^acceptance window passed/),
        }),
      ]),
    });
    const entry = await billing.ledgerEntry(t[0]?.tenantId as string, 'ApiCalls', H4);
    expect(entry?.status).toBe('EXPIRED');
    expect(billing.billedQuantity(t[0] as Tenant, 'ApiCalls', H4)).toBeUndefined();
    // the other 24 hours in between were billed (zero records) — none of them was the expired one
    expect(billing.fake.state.records.size - before).toBe(summary.accepted);
  });
});

// The offboarding final bill and a day of hourly runs, on tenants of their own (9001, 8100).
const DAY = new Date('2026-03-10T00:00:00.000Z');
const PRODUCT = POOLED;

describe('offboarding final bill (billing-final)', () => {
  const t = activeTenant(9001, PRODUCT);
  it('bills the last partial hour from the running total, rounds the carried remainder once, and closes', async () => {
    // Prepare: H1 billed by the hourly job: 1,400 calls → 1 unit, 400 carried.
    billing.subscribe(t);
    await billing.seedCounters([counterItem(t.tenantId, 'api.call', 'HOUR', H1, H2, '1400')]);
    billing.fake.state.now = () => new Date('2026-03-10T06:15:00.000Z');
    await billing.run({
      now: new Date('2026-03-10T06:15:00.000Z'),
      tenants: [t],
      lookbackHours: 3,
    });
    expect(billing.billedQuantity(t, 'ApiCalls', H1)).toBe(1);
    // Offboarding at 06:40: no HOUR row for 06:00 yet; the day's running total says 1,700 calls.
    await billing.seedCounters([
      counterItem(t.tenantId, 'api.call', 'CUMULATIVE', DAY, new Date('2026-03-10T06:40:00.000Z'), '1700'),
    ]);
    const offboardAt = new Date('2026-03-10T06:40:00.000Z');
    billing.fake.state.now = () => offboardAt;
    // Act
    const summary = await billing.run({
      now: offboardAt,
      tenants: [{ ...t, status: 'OFFBOARDING' }],
      final: true,
      lookbackHours: 3,
    });
    // Assess: partial hour = 1,700 − 1,400 = 300 calls; 400 + 300 = 700 → half-up → 1 unit (+300 recorded)
    expect(summary).toMatchObject({ targetHour: H2.toISOString(), prepared: 3, accepted: 3 });
    expect(billing.billedQuantity(t, 'ApiCalls', H2)).toBe(1);
    const entry = await billing.ledgerEntry(t.tenantId, 'ApiCalls', H2);
    expect(entry).toMatchObject({
      final: true,
      usageMicro: '300000000',
      carryInMicro: '400000000',
      units: 1,
      carryOutMicro: '0',
      closingAdjustmentMicro: '300000000',
    });
  });

  it('is idempotent: a rerun, and later hourly runs, send nothing for the closed tenant', async () => {
    const before = billing.fake.state.calls.length;
    const again = await billing.run({
      now: new Date('2026-03-10T06:50:00.000Z'),
      tenants: [t],
      final: true,
      lookbackHours: 3,
    });
    const hourly = await billing.run({
      now: new Date('2026-03-10T08:15:00.000Z'),
      tenants: [t],
      lookbackHours: 3,
    });
    expect([again.sent, hourly.sent, hourly.prepared]).toEqual([0, 0, 0]);
    expect(billing.fake.state.calls.length).toBe(before);
  });
});

describe('rounding over a day, through the whole pipeline', () => {
  it('bills over 24 hourly runs exactly the day total rounded once (floor), remainder carried', async () => {
    // Prepare: every hour of 2026-03-12: 1,234.567 API calls and 10.35 GB-hours
    const t = activeTenant(8100, PRODUCT);
    billing.subscribe(t);
    const day = new Date('2026-03-12T00:00:00.000Z');
    const rows = Array.from({ length: 24 }, (_, h) => new Date(day.getTime() + h * HOUR_MS)).flatMap(
      (hour) => [
        counterItem(t.tenantId, 'api.call', 'HOUR', hour, new Date(hour.getTime() + HOUR_MS), '1234.567'),
        counterItem(t.tenantId, 'storage.gb', 'HOUR', hour, new Date(hour.getTime() + HOUR_MS), '10.35'),
      ],
    );
    await billing.seedCounters(rows);
    // Act: the hourly job, once per hour, each at HH:15 of the next hour
    for (let h = 0; h < 24; h++) {
      const now = new Date(day.getTime() + (h + 1) * HOUR_MS + 15 * 60_000);
      billing.fake.state.now = () => now;
      await billing.run({ now, tenants: [t], lookbackHours: 1 });
    }
    // Assess: Σ over the day = floor(24 × 1,234.567 / 1000) = floor(29.629608) = 29 API units,
    // floor(24 × 10.35) = floor(248.4) = 248 GB-hours; zero documents in 24 zero records.
    const m = t.marketplace as NonNullable<Tenant['marketplace']>;
    const sum = (dimension: string) =>
      [...billing.fake.state.records.values()]
        .filter(
          (r) =>
            r.licenseArn === m.licenseArn &&
            r.dimension === dimension &&
            r.timestamp.startsWith('2026-03-12'),
        )
        .reduce((acc, r) => acc + r.quantity, 0);
    const count = (dimension: string) =>
      [...billing.fake.state.records.values()].filter(
        (r) => r.licenseArn === m.licenseArn && r.dimension === dimension,
      ).length;
    expect([sum('ApiCalls'), sum('StorageGbHours'), sum('DocumentsProcessed')]).toEqual([29, 248, 0]);
    expect([count('ApiCalls'), count('StorageGbHours'), count('DocumentsProcessed')]).toEqual([24, 24, 24]);
    const entry = await billing.ledgerEntry(
      t.tenantId,
      'StorageGbHours',
      new Date('2026-03-12T23:00:00.000Z'),
    );
    expect(entry?.carryOutMicro).toBe('400000'); // the 0.4 GB-hour not billed yet is carried, not lost
  });
});

describe("Marketplace's 6-hour window: a billing outage of 8 hours, then recovery", () => {
  it('bills every unit exactly once, never sending a record 6 hours old or more', {
    timeout: 300_000,
  }, async () => {
    // Prepare: three tenants, every hour of 2026-03-14 from 00:00 to 19:00: 1,234.567 API calls,
    // 10.35 GB-hours and 3 documents. The hourly job runs at HH:15 for hours 00-02, is down from 04:15 to
    // 11:15 (8 runs missed), and runs again from 12:15 to 20:15 (hours up to 19:00).
    const outageTenants = [9100, 9101, 9102].map((i) => activeTenant(i, PRODUCT));
    billing.subscribe(...outageTenants);
    const day = new Date('2026-03-14T00:00:00.000Z');
    const hours = Array.from({ length: 20 }, (_, h) => new Date(day.getTime() + h * HOUR_MS));
    await billing.seedCounters(
      outageTenants.flatMap((t) =>
        hours.flatMap((hour) => {
          const end = new Date(hour.getTime() + HOUR_MS);
          return [
            counterItem(t.tenantId, 'api.call', 'HOUR', hour, end, '1234.567'),
            counterItem(t.tenantId, 'storage.gb', 'HOUR', hour, end, '10.35'),
            counterItem(t.tenantId, 'doc.processed', 'HOUR', hour, end, '3'),
          ];
        }),
      ),
    );
    const runHours = [1, 2, 3, ...Array.from({ length: 9 }, (_, k) => 12 + k)];
    billing.fake.state.faults.errorQueue.length = 0; // no fault left by an earlier test
    const callsBefore = billing.fake.state.calls.length;
    alerts.alerts.length = 0;

    // Act
    const summaries = [];
    for (const h of runHours) {
      const now = new Date(day.getTime() + h * HOUR_MS + 15 * 60_000);
      billing.fake.state.now = () => now;
      summaries.push(await billing.run({ now, tenants: outageTenants }));
    }

    // Assess: no record the fake received was 6 hours old or more at the call, and no call was refused.
    const calls = billing.fake.state.calls.slice(callsBefore);
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      expect(call.outcome).toBe('ok');
      for (const timestamp of call.timestamps) {
        expect(Date.parse(call.at) - Date.parse(timestamp)).toBeLessThan(6 * HOUR_MS);
      }
    }
    // The billed total equals the usage, rounded once: 20 × 1,234.567 calls = 24 units (1000 each),
    // 20 × 10.35 = 207 GB-hours, 20 × 3 = 60 documents — per tenant, nothing billed twice.
    for (const t of outageTenants) {
      const m = t.marketplace as NonNullable<Tenant['marketplace']>;
      const billed = (dimension: string) =>
        [...billing.fake.state.records.values()]
          .filter((r) => r.licenseArn === m.licenseArn && r.dimension === dimension)
          .reduce((sum, r) => sum + r.quantity, 0);
      expect([billed('ApiCalls'), billed('StorageGbHours'), billed('DocumentsProcessed')]).toEqual([
        24, 207, 60,
      ]);
      // Hours 03:00-06:00 were past the window at recovery (12:15): never sent, carried into 12:00.
      expect(billing.billedQuantity(t, 'DocumentsProcessed', hours[3] as Date)).toBeUndefined();
      expect(billing.billedQuantity(t, 'DocumentsProcessed', hours[6] as Date)).toBeUndefined();
      expect(billing.billedQuantity(t, 'DocumentsProcessed', hours[7] as Date)).toBe(3);
      expect(billing.billedQuantity(t, 'DocumentsProcessed', hours[12] as Date)).toBe(3 + 4 * 3);
    }
    expect(billing.fake.state.statusCounts.DuplicateRecord ?? 0).toBe(0);
    const recovery = summaries[3];
    expect(recovery).toMatchObject({ expired: 4 * 3 * 3, carried: 4 * 3 * 3 });
    const types = alerts.alerts.map((a) => a.type);
    expect(types).toContain('BillingRecordsNearExpiry');
    expect(alerts.alerts.find((a) => a.type === 'BillingRecordsExpired')?.detail).toMatchObject({
      records: expect.arrayContaining([
        expect.objectContaining({
          tenantId: outageTenants[0]?.tenantId,
          dimension: 'DocumentsProcessed',
          hour: hours[3]?.toISOString(),
          reason: expect.stringMatching(/3 units carried as adjustment \w+ into 2026-03-14T12:00:00.000Z/),
        }),
      ]),
    });
  });
});

describe('tenants sharing one Marketplace identity', () => {
  it('holds back their records and alerts, while every other tenant is billed', async () => {
    // Prepare: tn09200 and tn09201 on one customer + license (a catalog error), tn09202 on its own
    const [a, b, other] = [9200, 9201, 9202].map((i) => activeTenant(i, PRODUCT)) as [Tenant, Tenant, Tenant];
    const clashing = { ...b, marketplace: a.marketplace };
    for (const t of [a, other]) billing.subscribe(t);
    const hour = new Date('2026-03-15T05:00:00.000Z');
    const now = new Date('2026-03-15T06:15:00.000Z');
    await billing.seedCounters([
      counterItem(a.tenantId, 'doc.processed', 'HOUR', hour, new Date(hour.getTime() + HOUR_MS), '4'),
      counterItem(other.tenantId, 'doc.processed', 'HOUR', hour, new Date(hour.getTime() + HOUR_MS), '5'),
    ]);
    billing.fake.state.now = () => now;
    billing.fake.state.faults.errorQueue.length = 0;
    alerts.alerts.length = 0;
    // Act
    const summary = await billing.run({ now, tenants: [a, clashing, other, other] });
    // Assess
    expect(summary).toMatchObject({ tenants: 1, heldBack: [a.tenantId, b.tenantId], accepted: 3 });
    expect(billing.billedQuantity(other, 'DocumentsProcessed', hour)).toBe(5);
    expect(billing.billedQuantity(a, 'DocumentsProcessed', hour)).toBeUndefined();
    expect(alerts.alerts.find((x) => x.type === 'BillingMeteringIdentityClash')?.detail).toEqual({
      clashes: [
        {
          tenantIds: [a.tenantId, b.tenantId],
          customerAwsAccountId: a.marketplace?.customerAwsAccountId,
          licenseArn: a.marketplace?.licenseArn,
        },
      ],
    });
  });
});
