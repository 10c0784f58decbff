import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarketplaceBillingProvider } from '../../../domain/billing/marketplace-provider';
import { planLimitCheck } from '../../../domain/billing/plan-limits';
import { PlanLimitExceededError } from '../../../domain/identity/errors';
import { cachedUsageLimitCheck, planLimitCacheSeconds } from '../../../domain/identity/usage-limit';
import type { Tenant } from '../../../domain/tenant/tenant';
import {
  emitUsageLines,
  localAuthorizer,
  localUsageStream,
  runMeteringOnKinesis,
  scanCounters,
  verifiedRequest,
} from '../../../local/metering-pipeline';
import { activeTenant, BillingHarness, config, tables } from '../domain/billing/support';
import { useLocalAws } from '../support';

// The whole metered path with nothing hand-written in between: usage emitted per verified request
// (the authorizer's ALLOW) → Kinesis (moto) → the generated SQL's aws profile on a local Flink → the
// counters (moto) → the hourly billing run → the Marketplace fake → the ledger; and the tenant whose
// running total crossed its daily limit gets the quota-exceeded decision within one cumulative step.
const HOUR = new Date('2026-03-10T10:00:00.000Z');
const at = (minute: number) => new Date(HOUR.getTime() + minute * 60_000).toISOString();
/** Billing's clock: the hour has ended, Flink's watermark delay (2 min) and the grace (10 min) have passed. */
const BILLING_NOW = new Date('2026-03-10T11:15:00.000Z');

const over = activeTenant(1, 'tenantry-pooled', 'starter'); // 12 × 1,000 api calls: past 10,000 at 10:38
const under = activeTenant(2, 'tenantry-pooled', 'starter');
const pro = activeTenant(3, 'tenantry-pooled', 'pro');
const tenants: Tenant[] = [over, under, pro];

/** Usage lines in event-time order (on time: the watermark trails by 2 minutes), with one redelivery. */
function usageLines(): string[] {
  const events: { eventId: string; tenantId: string; metric: string; quantity: number; timestamp: string }[] =
    [];
  for (let i = 0; i < 12; i++) {
    const e = {
      eventId: `over-${i}`,
      tenantId: over.tenantId,
      metric: 'api.call',
      quantity: 1000,
      timestamp: at(2 + 4 * i),
    };
    events.push(e);
    if (i === 3) events.push({ ...e }); // a redelivery: the same event id arrives twice
  }
  for (let i = 0; i < 5; i++)
    events.push({
      eventId: `under-api-${i}`,
      tenantId: under.tenantId,
      metric: 'api.call',
      quantity: 1000,
      timestamp: at(3 + 9 * i),
    });
  for (let i = 0; i < 3; i++)
    events.push({
      eventId: `under-doc-${i}`,
      tenantId: under.tenantId,
      metric: 'doc.processed',
      quantity: 7,
      timestamp: at(5 + 15 * i),
    });
  for (let i = 0; i < 3; i++)
    events.push({
      eventId: `pro-api-${i}`,
      tenantId: pro.tenantId,
      metric: 'api.call',
      quantity: 500,
      timestamp: at(10 + 15 * i),
    });
  for (let i = 0; i < 2; i++)
    events.push({
      eventId: `pro-gb-${i}`,
      tenantId: pro.tenantId,
      metric: 'storage.gb',
      quantity: 40,
      timestamp: at(20 + 30 * i),
    });
  // Arrival order = event-time order (stable: the redelivery right after the first delivery).
  const order = events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.timestamp.localeCompare(b.e.timestamp) || a.i - b.i);
  return order.map(({ e }) => JSON.stringify(e));
}

describe('usage → emitter → Kinesis → Flink → counters → billing → Marketplace → ledger → authorizer', () => {
  const billing = new BillingHarness();
  beforeAll(async () => {
    await billing.startFakeMarketplace();
    billing.fake.state.now = () => BILLING_NOW;
    billing.subscribe(...tenants);
  });
  afterAll(async () => {
    await billing.stopFakeMarketplace();
  });

  it('bills what Flink counted from the emitted usage, and refuses the tenant past its daily limit', async () => {
    // Prepare: the authorizer as deployed (verified token, catalog, cached plan-limit check over the
    // counters, moto STS vending); its plan-limit answers are warm before any usage exists.
    const local = useLocalAws();
    const { ctx } = billing;
    let clock = BILLING_NOW.getTime();
    const usageLimit = cachedUsageLimitCheck(
      planLimitCheck({
        config,
        client: ctx.docs,
        countersTable: tables.counters,
        now: () => new Date(clock),
      }),
      planLimitCacheSeconds(config),
      () => clock,
    );
    const byId = new Map(tenants.map((t) => [t.tenantId, t]));
    const authorizer = localAuthorizer({
      config,
      region: local.region,
      tenants: async (id) => byId.get(id),
      usageLimit,
    });
    const before = await Promise.all(tenants.map((t) => authorizer.decide(t.tenantId, t.tier)));
    expect(before.map((d) => d.kind)).toEqual(['allow', 'allow', 'allow']);
    const { kinesis, streamArn, emitter } = await localUsageStream({
      config,
      region: local.region,
      streamName: 'tenantry-e2e-pipeline-usage',
      now: () => new Date(clock),
    });
    const lines = usageLines();

    // Act 1: emit per verified request, then meter everything on the stream.
    const emitted = await emitUsageLines(emitter, lines, async (tenantId) => {
      const t = byId.get(tenantId) as Tenant;
      return verifiedRequest(await authorizer.decide(t.tenantId, t.tier));
    });
    await runMeteringOnKinesis({
      config,
      kinesis,
      region: local.region,
      endpoint: local.endpoint,
      streamArn,
      countersTable: tables.counters,
      dir: mkdtempSync(join(tmpdir(), 'tenantry-pipeline-')),
      now: BILLING_NOW.toISOString(),
      timeoutMs: 240_000,
    });

    // Assess 1: the counters Flink wrote (the redelivery of over-3 counted once).
    expect(emitted.records).toBe(26);
    const items = await scanCounters(ctx.docs, tables.counters);
    const rows = (granularity: string) =>
      items
        .filter((r) => r.granularity === granularity)
        .map(
          (r) => `${r.tenantId} ${r.metric} ${r.windowStart}→${r.windowEnd} ${r.quantity} ×${r.eventCount}`,
        )
        .sort();
    const hour = `${HOUR.toISOString()}→2026-03-10T11:00:00.000Z`;
    expect(rows('HOUR')).toEqual(
      [
        `${over.tenantId} api.call ${hour} 12000 ×12`,
        `${under.tenantId} api.call ${hour} 5000 ×5`,
        `${under.tenantId} doc.processed ${hour} 21 ×3`,
        `${pro.tenantId} api.call ${hour} 1500 ×3`,
        `${pro.tenantId} storage.gb ${hour} 80 ×2`,
      ].sort(),
    );
    const day = '2026-03-10T00:00:00.000Z';
    // The running totals hold the last step with events (the step ending a minute after the last event).
    expect(rows('CUMULATIVE')).toEqual(
      [
        `${over.tenantId} api.call ${day}→${at(47)} 12000 ×12`,
        `${under.tenantId} api.call ${day}→${at(40)} 5000 ×5`,
        `${under.tenantId} doc.processed ${day}→${at(36)} 21 ×3`,
        `${pro.tenantId} api.call ${day}→${at(41)} 1500 ×3`,
        `${pro.tenantId} storage.gb ${day}→${at(51)} 80 ×2`,
      ].sort(),
    );

    // Act 2: the hourly billing run, after the bounded Flink run (its drain fired every window).
    let calls = 0;
    const provider = new MarketplaceBillingProvider({ onCall: () => calls++ });
    const summary = await billing.run({ now: BILLING_NOW, tenants }, { provider });

    // Assess 2: one call (9 records of one product ≤ 25), integer units with the api-call carry.
    expect(summary.targetHour).toBe(HOUR.toISOString());
    expect({ sent: summary.sent, accepted: summary.accepted, calls }).toEqual({
      sent: 9,
      accepted: 9,
      calls: 1,
    });
    const billed = tenants.map((t) =>
      ['ApiCalls', 'StorageGbHours', 'DocumentsProcessed'].map((d) => billing.billedQuantity(t, d, HOUR)),
    );
    expect(billed).toEqual([
      [12, 0, 0],
      [5, 0, 21],
      [1, 80, 0],
    ]);
    const entries = await ctx.ledger.entriesAt(
      tenants.map((t) => ({ tenantId: t.tenantId, dimension: 'ApiCalls' })),
      [HOUR.toISOString()],
    );
    const proEntry = entries.get(`${pro.tenantId}#ApiCalls#${HOUR.toISOString()}`);
    expect({ status: proEntry?.status, units: proEntry?.units, carry: proEntry?.carryOutMicro }).toEqual({
      status: 'ACCEPTED',
      units: 1,
      carry: '500000000',
    });

    // Act 3: one cumulative step after the warm answers, the authorizer decides again.
    clock += config.metering.cumulativeStepMinutes * 60_000;
    const after = await Promise.all(tenants.map((t) => authorizer.decide(t.tenantId, t.tier)));

    // Assess 3: the tenant past 10,000 api calls is refused (HTTP 429 downstream); the others are not.
    expect(after.map((d) => d.kind)).toEqual(['quota-exceeded', 'allow', 'allow']);
    expect(after[0]).toMatchObject({ tenantId: over.tenantId, metric: 'api.call' });
    expect(() => verifiedRequest(after[0] as (typeof after)[number])).toThrow(PlanLimitExceededError);
  }, 300_000);
});
