// The metering step of `make demo`: the sample tenants' usage for the last closed hour goes the whole
// metered path — the authorizer's verified request context → the emitter → Kinesis (moto) → the
// generated SQL's aws profile on a local Flink → the counters table (moto) — and the totals Flink
// wrote are printed next to the reference aggregator's. Billing (demo/billing.ts) then bills them.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { documentClient } from '../domain/aws/clients';
import { planLimitCheck } from '../domain/billing/plan-limits';
import { hourIso, latestClosedHour } from '../domain/billing/windows';
import type { CatalogRepository } from '../domain/catalog/repository';
import { resourceName, type TenantryConfig } from '../domain/config';
import { TenantNotFoundError } from '../domain/errors';
import type { TenantRequest } from '../domain/identity/request-context';
import { cachedUsageLimitCheck, planLimitCacheSeconds } from '../domain/identity/usage-limit';
import type { Tenant } from '../domain/tenant/tenant';
import { canonicalDecimal, referenceAggregate, toUnits } from '../flink/reference';
import {
  emitUsageLines,
  localAuthorizer,
  localUsageStream,
  runMeteringOnKinesis,
  scanCounters,
  verifiedRequest,
} from '../local/metering-pipeline';

export interface MeteringDemoContext {
  readonly config: TenantryConfig;
  readonly log: (line: string) => void;
  readonly catalog: CatalogRepository;
  /** moto's endpoint and region (the Flink job's `aws.endpoint`). */
  readonly aws: { readonly endpoint: string; readonly region: string };
  readonly tables: { readonly counters: string };
  /** The demo's output folder; the step writes into `<outDir>/metering`. */
  readonly outDir: string;
  /** The sample tenants (one per tier) the lifecycle step onboarded. */
  readonly tenants: readonly { readonly tenantId: string; readonly tier: string }[];
  readonly now?: Date;
}

export interface MeteringDemoResult {
  readonly matched: boolean;
  /** The metered (and billable) hour. */
  readonly hour: Date;
  /** The clock the step ran with (billing bills the same hour). */
  readonly now: Date;
  /** The metered tenants, each with a Marketplace identity. */
  readonly tenants: Tenant[];
  /** The usage lines as emitted (the raw lake's copy for reconciliation). */
  readonly lines: string[];
}

const HOUR_MS = 3_600_000;
const HEAVY = 'demo-pro-heavy';
const BURST = 'demo-starter-burst';
/** Hourly usage profiles (api calls, GB-hours, documents): a day's usage over 24. */
const PROFILES: Record<string, { api: number; storageGb: number; docs: number }> = {
  starter: { api: 4_000 / 24, storageGb: 5, docs: 60 / 24 },
  pro: { api: 90_000 / 24, storageGb: 40, docs: 300 / 24 },
  business: { api: 600_000 / 24, storageGb: 900, docs: 9_000 / 24 },
  enterprise: { api: 5_000_000 / 24, storageGb: 20_000, docs: 90_000 / 24 },
  // The reference case: 11× the pro average API volume, 2.1 TB stored, 9× the documents.
  heavy: { api: 990_000 / 24, storageGb: 2_100, docs: 2_700 / 24 },
  // A starter tenant whose burst passes the tier's 10,000 api calls a day within the hour.
  burst: { api: 11_000, storageGb: 5, docs: 3 },
};

export async function runMeteringDemo(ctx: MeteringDemoContext): Promise<MeteringDemoResult> {
  const { config, log, catalog } = ctx;
  const now = ctx.now ?? new Date();
  const dir = join(ctx.outDir, 'metering');
  mkdirSync(dir, { recursive: true });

  // Tenants: the sample tenants, five pro peers, the heavy pro tenant and a starter with a burst.
  for (let i = 1; i <= 5; i++) await ensureTenant(catalog, `demo-pro-peer-${i}`, `Pro peer ${i}`, 'pro');
  await ensureTenant(catalog, HEAVY, 'Harbor & Vance LLP (heavy)', 'pro');
  await ensureTenant(catalog, BURST, 'Brightpath Studio (burst)', 'starter');
  const ids = [
    ...ctx.tenants.map((t) => t.tenantId),
    ...[1, 2, 3, 4, 5].map((i) => `demo-pro-peer-${i}`),
    HEAVY,
    BURST,
  ];
  const tenants: Tenant[] = [];
  for (const [i, tenantId] of ids.entries())
    tenants.push(await withMarketplaceIdentity(catalog, tenantId, i));

  // Usage of the last closed hour, in event-time order, each metric in events of at most its bound.
  const hour = latestClosedHour(config, now);
  const profileOf = (t: Tenant) =>
    PROFILES[t.tenantId === HEAVY ? 'heavy' : t.tenantId === BURST ? 'burst' : t.tier] ?? PROFILES.pro;
  const events: { eventId: string; tenantId: string; metric: string; quantity: number; timestamp: string }[] =
    [];
  for (const t of tenants) {
    const p = profileOf(t) as { api: number; storageGb: number; docs: number };
    const hourly: Record<string, number> = {
      'api.call': p.api,
      'storage.gb': p.storageGb,
      'doc.processed': p.docs,
    };
    for (const metric of config.metrics) {
      const total = Math.round((hourly[metric.name] ?? 0) * 1000); // thousandths: a fraction shows the carry
      const maxPerEvent = Math.floor(metric.maxQuantityPerEvent * 1000);
      const parts = Math.max(1, Math.ceil(total / maxPerEvent));
      for (let i = 0, left = total; left > 0; i++) {
        const quantity = Math.min(left, Math.ceil(total / parts));
        left -= quantity;
        events.push({
          eventId: `demo-${hourIso(hour).slice(0, 13)}-${t.tenantId}-${metric.name}-${i}`,
          tenantId: t.tenantId,
          metric: metric.name,
          quantity: quantity / 1000,
          timestamp: new Date(
            hour.getTime() + Math.floor(((i + 0.5) / parts) * (HOUR_MS - 1000)),
          ).toISOString(),
        });
      }
    }
  }
  events.sort((a, b) => a.timestamp.localeCompare(b.timestamp));
  const lines = events.map((e) => JSON.stringify(e));
  // At-least-once delivery: every 40th event arrives twice (the job keeps the first).
  const delivered = lines.flatMap((line, i) => (i % 40 === 39 ? [line, line] : [line]));

  // The authorizer as deployed (verified token, catalog, cached plan-limit check over the counters).
  let offsetMs = 0;
  const clock = () => new Date(Date.now() + offsetMs);
  const docs = documentClient();
  const authorizer = localAuthorizer({
    config,
    region: ctx.aws.region,
    tenants: (id) => catalog.find(id),
    usageLimit: cachedUsageLimitCheck(
      planLimitCheck({ config, client: docs, countersTable: ctx.tables.counters, now: clock }),
      planLimitCacheSeconds(config),
      () => clock().getTime(),
    ),
  });
  const byId = new Map(tenants.map((t) => [t.tenantId, t]));
  const decide = (tenantId: string) => authorizer.decide(tenantId, byId.get(tenantId)?.tier ?? 'starter');

  const streamName = resourceName(config, 'usage');
  const { kinesis, streamArn, emitter } = await localUsageStream({
    config,
    region: ctx.aws.region,
    streamName,
    now: () => now,
  });
  // API Gateway caches the authorizer's answer per token: one decision per tenant serves its requests.
  const requests = new Map<string, Promise<TenantRequest>>();
  const requestOf = (tenantId: string) => {
    const known = requests.get(tenantId) ?? decide(tenantId).then(verifiedRequest);
    requests.set(tenantId, known);
    return known;
  };
  const emitted = await emitUsageLines(emitter, delivered, requestOf);
  log(
    `events in: ${emitted.records} usage records (${lines.length} events + ${delivered.length - lines.length} redeliveries) ` +
      `for ${tenants.length} tenants, hour ${hourIso(hour)}, in ${emitted.requests} verified requests → Kinesis ${streamName} (${emitted.putMs} ms)`,
  );

  const run = await runMeteringOnKinesis({
    config,
    kinesis,
    region: ctx.aws.region,
    endpoint: ctx.aws.endpoint,
    streamArn,
    countersTable: ctx.tables.counters,
    dir,
    now: now.toISOString(),
  });
  const metered = (await scanCounters(docs, ctx.tables.counters)).filter((r) => byId.has(String(r.tenantId)));
  const written = (g: string) => metered.filter((r) => r.granularity === g).length;
  log(
    `Flink (aws profile, Kinesis → DynamoDB on moto): ${(run.durationMs / 1000).toFixed(1)} s; rows written: ` +
      `${written('HOUR')} HOUR, ${written('DAY')} DAY, ${written('CUMULATIVE')} CUMULATIVE (SQL: ${run.sqlPath})`,
  );

  // Flink's hourly totals against the reference aggregator over the delivered lines.
  const reference = referenceAggregate(delivered, { config, now });
  const perKey = (rows: readonly Record<string, unknown>[]) =>
    new Map(
      rows
        .filter((r) => r.granularity === 'HOUR')
        .map((r) => [`${r.tenantId}|${r.metric}`, toUnits(String(r.quantity))] as const),
    );
  const flinkTotals = perKey(metered);
  const referenceTotals = perKey(reference.hourly as unknown as Record<string, unknown>[]);
  let matched = true;
  log('tenant              tier        metric              Flink HOUR      reference');
  for (const key of [...new Set([...flinkTotals.keys(), ...referenceTotals.keys()])].sort()) {
    const [tenantId = '', metric = ''] = key.split('|');
    const f = canonicalDecimal(flinkTotals.get(key) ?? 0n);
    const r = canonicalDecimal(referenceTotals.get(key) ?? 0n);
    if (f !== r) matched = false;
    log(
      `${tenantId.padEnd(20)}${(byId.get(tenantId)?.tier ?? '?').padEnd(12)}${metric.padEnd(16)}${f.padStart(14)} ${r.padStart(14)}${f === r ? '' : '  MISMATCH'}`,
    );
  }
  const b = reference.books;
  log(
    `books: ${b.input} lines = ${b.counted} counted + ${b.duplicates} duplicates + ${b.late} late + ${b.rejected} rejected; ` +
      `${matched ? 'every total matches the reference' : 'MISMATCH against the reference'}`,
  );

  // Plan limits: one cumulative step later, the authorizer's cached answers have expired.
  offsetMs += config.metering.cumulativeStepMinutes * 60_000;
  for (const tenantId of [BURST, ctx.tenants[0]?.tenantId ?? BURST]) {
    const decision = await decide(tenantId);
    log(
      `authorizer, one cumulative step later: ${tenantId} → ${decision.kind}` +
        (decision.kind === 'quota-exceeded' ? ` (${decision.reason})` : ''),
    );
    if (tenantId === BURST && decision.kind !== 'quota-exceeded') matched = false;
  }
  return { matched, hour, now, tenants, lines };
}

async function ensureTenant(
  catalog: CatalogRepository,
  tenantId: string,
  name: string,
  tier: string,
): Promise<void> {
  if ((await catalog.find(tenantId)) !== undefined) return;
  await catalog.create({ tenantId, name, tier, isolation: 'pool', region: 'us-east-1' });
  await catalog.transition(tenantId, 'ACTIVE', { reason: 'metering demo tenant' });
}

/** The tenant as the catalog holds it, given a Marketplace identity (customer account + license) if it has none. */
async function withMarketplaceIdentity(
  catalog: CatalogRepository,
  tenantId: string,
  i: number,
): Promise<Tenant> {
  const tenant = await catalog.find(tenantId);
  if (!tenant) throw new TenantNotFoundError(tenantId);
  if (tenant.marketplace !== undefined) return tenant;
  return catalog.update(tenantId, (current) => ({
    ...current,
    marketplace: {
      customerAwsAccountId: String(300_000_000_000 + i),
      licenseArn: `arn:aws:license-manager::123456789012:license:l-demo${i}`,
      productCode: current.tier === 'enterprise' ? 'tenantry-enterprise' : 'tenantry-pooled',
    },
  }));
}
