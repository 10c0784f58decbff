// The billing step of `make demo`: bills the sample tenants' last closed hour through the local
// Marketplace Metering fake, shows the ledger, proves a rerun sends nothing, runs a reconciliation
// against a raw lake in moto S3, and writes the per-tenant margin report (JSON + SVG + HTML) that
// flags the heavy pooled tenant of the reference scenario (a pro tenant at 11× the average API
// volume and 2.1 TB on a $290/month plan, costing ~$1,900/month).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, s3ClientConfig } from '../domain/aws/clients';
import { MemoryBillingAlerts } from '../domain/billing/alerts';
import { runBilling } from '../domain/billing/billing-run';
import { fromMicro } from '../domain/billing/decimal';
import { rawLakeHourPrefix } from '../domain/billing/lake';
import { computeMargins } from '../domain/billing/margin';
import { MarketplaceBillingProvider } from '../domain/billing/marketplace-provider';
import { reconcile } from '../domain/billing/reconciliation';
import { billingRuntime } from '../domain/billing/runtime';
import { BILLED_STATUSES } from '../domain/billing/tenants';
import { hourIso, latestClosedHour } from '../domain/billing/windows';
import type { CatalogRepository } from '../domain/catalog/repository';
import { resourceName, type TenantryConfig } from '../domain/config';
import { functionEnvironment, readFunctionEnv } from '../domain/function-contract';
import type { Tenant } from '../domain/tenant/tenant';
import { type CounterItem, counterItem, writeCounters } from '../domain/usage/counters';
import { progressItem } from '../domain/usage/progress';
import { contract as hourlyContract } from '../lambdas/billing-hourly/contract';
import { startMarketplaceFake } from '../local/marketplace-fake/server';
import { renderMarginHtml, renderMarginSvg } from '../reporting/margin-report';

export interface BillingDemoContext {
  readonly config: TenantryConfig;
  readonly log: (line: string) => void;
  /** The catalog the demo registered its sample tenants in (they get a Marketplace identity here). */
  readonly catalog: CatalogRepository;
  /** Table names (`controlPlane.tables` of local/control-plane.ts). */
  readonly tables: { readonly catalog: string; readonly counters: string; readonly billingLedger: string };
  /** The control-plane bus (local/control-plane.ts). Default `<product>-<stage>-bus`. */
  readonly eventBusName?: string;
  /** Output folder (`.local/demo`); the step writes into `<outDir>/billing`. */
  readonly outDir: string;
  /** Bucket for the demo's raw lake (created if missing). Default `<product>-<stage>-demo-lake`. */
  readonly lakeBucket?: string;
  /** The clock (default: now). */
  readonly now?: Date;
}

export interface BillingDemoResult {
  readonly billedRecords: number;
  readonly marketplaceCalls: number;
  readonly rerunRecords: number;
  readonly discrepancies: number;
  readonly flagged: string[];
  readonly files: {
    readonly marginJson: string;
    readonly marginSvg: string;
    readonly marginHtml: string;
    readonly reconciliation: string;
  };
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const HEAVY = 'demo-pro-heavy';
/** Daily usage profiles (api calls, GB-hours, documents). */
const PROFILES: Record<string, { api: number; storageGb: number; docs: number }> = {
  starter: { api: 4_000, storageGb: 5, docs: 60 },
  pro: { api: 90_000, storageGb: 40, docs: 300 },
  business: { api: 600_000, storageGb: 900, docs: 9_000 },
  enterprise: { api: 5_000_000, storageGb: 20_000, docs: 90_000 },
  // The reference case: 11× the pro average API volume, 2.1 TB stored, 9× the documents.
  heavy: { api: 990_000, storageGb: 2_100, docs: 2_700 },
};

export async function runBillingDemo(ctx: BillingDemoContext): Promise<BillingDemoResult> {
  const { config, log, catalog } = ctx;
  const now = ctx.now ?? new Date();
  const dir = join(ctx.outDir, 'billing');
  mkdirSync(dir, { recursive: true });
  const docs = documentClient();
  const fake = await startMarketplaceFake({ port: 0 });
  const previousEndpoint = process.env.AWS_ENDPOINT_URL_MARKETPLACE_METERING;
  process.env.AWS_ENDPOINT_URL_MARKETPLACE_METERING = fake.url;
  try {
    log(`billing: Marketplace Metering fake at ${fake.url} (AWS_ENDPOINT_URL_MARKETPLACE_METERING)`);

    // Tenants: the catalog's sample tenants, five pro peers and the heavy pro tenant.
    for (let i = 1; i <= 5; i++) await ensureTenant(catalog, `demo-pro-peer-${i}`, `Pro peer ${i}`, 'pro');
    await ensureTenant(catalog, HEAVY, 'Harbor & Vance LLP (heavy)', 'pro');
    const all = (await Promise.all(BILLED_STATUSES.map((s) => catalog.listByStatus(s))))
      .flat()
      .filter((t) => t.tenantId.startsWith('demo-'));
    const tenants: Tenant[] = [];
    for (const [i, t] of all.entries()) {
      const withIdentity =
        t.marketplace !== undefined
          ? t
          : await catalog.update(t.tenantId, (current) => ({
              ...current,
              marketplace: {
                customerAwsAccountId: String(300_000_000_000 + i),
                licenseArn: `arn:aws:license-manager::123456789012:license:l-demo${i}`,
                productCode: t.tier === 'enterprise' ? 'tenantry-enterprise' : 'tenantry-pooled',
              },
            }));
      const m = withIdentity.marketplace;
      if (m)
        fake.state.licenses.set(m.licenseArn, {
          customerAwsAccountId: m.customerAwsAccountId,
          productCode: m.productCode,
        });
      tenants.push(withIdentity);
    }
    log(
      `billing: ${tenants.length} subscribed tenants with Marketplace identities (CustomerAWSAccountId + LicenseArn)`,
    );

    // The counters Flink would have written: HOUR rows for the billed hour, DAY rows for 30 days.
    const hour = latestClosedHour(config, now);
    const dayStart = new Date(Math.floor(hour.getTime() / DAY_MS) * DAY_MS);
    const profileOf = (t: Tenant) => PROFILES[t.tenantId === HEAVY ? 'heavy' : t.tier] ?? PROFILES.pro;
    const perMetric = (t: Tenant) => {
      const p = profileOf(t) as { api: number; storageGb: number; docs: number };
      return { 'api.call': p.api, 'storage.gb': p.storageGb * 24, 'doc.processed': p.docs } as Record<
        string,
        number
      >;
    };
    const items: CounterItem[] = [];
    for (const t of tenants) {
      for (const [metric, daily] of Object.entries(perMetric(t))) {
        // an hour's share, with a fraction so the carried remainder shows in the ledger
        const hourly = (daily / 24).toFixed(3);
        items.push(demoCounter(t.tenantId, metric, 'HOUR', hour, new Date(hour.getTime() + HOUR_MS), hourly));
        for (let d = 1; d <= 30; d++) {
          const start = new Date(dayStart.getTime() - d * DAY_MS);
          items.push(
            demoCounter(t.tenantId, metric, 'DAY', start, new Date(start.getTime() + DAY_MS), String(daily)),
          );
        }
      }
    }
    // The metering job's progress as it stands at `now` (watermark delay behind): billing waits for it.
    await writeCounters(docs, ctx.tables.counters, items);
    await docs.send(
      new PutCommand({
        TableName: ctx.tables.counters,
        Item: progressItem(new Date(now.getTime() - config.metering.watermarkDelaySeconds * 1000)),
      }),
    );
    log(
      `billing: counters for ${hourIso(hour)} (hour) and 30 days (day) written for ${tenants.length} tenants`,
    );

    // 1. Bill the hour, wired as the hourly function is (its contract's environment), with the
    //    Marketplace fake counting calls and the alerts kept in memory.
    const alerts = new MemoryBillingAlerts();
    let calls = 0;
    const environment = functionEnvironment(hourlyContract, {
      CATALOG_TABLE_NAME: ctx.tables.catalog,
      COUNTERS_TABLE_NAME: ctx.tables.counters,
      LEDGER_TABLE_NAME: ctx.tables.billingLedger,
      EVENT_BUS_NAME: ctx.eventBusName ?? resourceName(config, 'bus'),
    });
    const { deps } = billingRuntime('billing-demo', readFunctionEnv(hourlyContract, environment), {
      config,
      alerts,
      provider: new MarketplaceBillingProvider({ onCall: () => calls++ }),
      log: () => {}, // the demo tells its own story below
    });
    const { ledger, counters, adjustments } = deps;
    const summary = await runBilling(deps, { now, tenants, lookbackHours: 2 });
    log(
      `billing: hour ${summary.targetHour}: ${summary.sent} records in ${calls} BatchMeterUsage calls ` +
        `(≤ 25 records, one product each) → ${summary.accepted} accepted, ${summary.undecided} undecided`,
    );

    // 2. The ledger.
    const entries = await ledger.entriesAt(
      tenants.flatMap((t) =>
        config.metrics.map((m) => ({ tenantId: t.tenantId, dimension: m.billing.dimension })),
      ),
      [summary.targetHour],
    );
    log(
      'billing ledger (tenant, dimension, hour → status, exact usage, units sent, carried remainder, record id):',
    );
    for (const t of tenants) {
      for (const m of config.metrics) {
        const e = entries.get(`${t.tenantId}#${m.billing.dimension}#${summary.targetHour}`);
        if (!e) continue;
        log(
          `  ${t.tenantId.padEnd(20)} ${m.billing.dimension.padEnd(19)} ${e.status.padEnd(8)} usage ${fromMicro(BigInt(e.usageMicro)).padStart(12)}` +
            ` → ${String(e.units).padStart(6)} units, carry ${fromMicro(BigInt(e.carryOutMicro)).padStart(8)}, ${e.meteringRecordId?.slice(0, 8) ?? '-'}…`,
        );
      }
    }

    // 3. A rerun of the hour sends nothing.
    const callsBefore = calls;
    const rerun = await runBilling(deps, { now, tenants, lookbackHours: 2 });
    log(`billing: rerun of the hour → ${rerun.sent} records, ${calls - callsBefore} calls`);

    // 4. Reconciliation against a raw lake: the hour's events, plus one late event Flink set aside.
    const s3 = new S3Client(s3ClientConfig());
    const bucket = ctx.lakeBucket ?? `${config.naming.product}-${config.naming.stage}-demo-lake`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: unknown) => {
      if (!/BucketAlready/.test(String((error as Error).name))) throw error;
    });
    const lines: string[] = [];
    for (const t of tenants) {
      for (const [metric, daily] of Object.entries(perMetric(t))) {
        const metricConfig = config.metrics.find((m) => m.name === metric);
        const total = Math.round((daily / 24) * 1000); // thousandths, exact
        const maxPerEvent = Math.floor((metricConfig?.maxQuantityPerEvent ?? 1) * 1000);
        let left = total;
        for (let i = 0; left > 0; i++) {
          const q = Math.min(left, maxPerEvent);
          left -= q;
          lines.push(
            JSON.stringify({
              eventId: `demo-${t.tenantId}-${metric}-${i}`,
              tenantId: t.tenantId,
              metric,
              quantity: q / 1000,
              timestamp: new Date(hour.getTime() + ((i * 7_919) % 3_599_000)).toISOString(),
            }),
          );
        }
      }
    }
    const lateEvent = {
      eventId: 'demo-late-1',
      tenantId: HEAVY,
      metric: 'doc.processed',
      quantity: 4,
      timestamp: new Date(hour.getTime() + 1_800_000).toISOString(),
    };
    lines.push(JSON.stringify(lateEvent));
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${rawLakeHourPrefix(hour)}demo-raw-1`,
        Body: `${lines.join('\n')}\n`,
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'metering/late/part-demo.json',
        Body: `${JSON.stringify({ ...lateEvent, eventTime: lateEvent.timestamp, watermarkTime: new Date(hour.getTime() + HOUR_MS).toISOString() })}\n`,
      }),
    );
    const report = await reconcile(
      { config, s3, bucket, counters, ledger, adjustments, alerts },
      {
        from: hour,
        to: new Date(hour.getTime() + HOUR_MS),
        now,
        tenantIds: tenants.map((t) => t.tenantId),
        arrivalLagHours: 1,
      },
    );
    const reconciliationPath = join(dir, 'reconciliation.json');
    writeFileSync(reconciliationPath, JSON.stringify(report, null, 2));
    writeFileSync(join(dir, 'reconciliation.txt'), `${report.summary}\n`);
    for (const line of report.summary.split('\n')) log(`reconciliation: ${line}`);

    // 5. The margin report over the last 30 days.
    const period = { from: new Date(dayStart.getTime() - 30 * DAY_MS), to: dayStart };
    const usage = await counters.dailyTotals(
      tenants.map((t) => t.tenantId),
      config.metrics,
      period,
    );
    const margins = computeMargins(
      config,
      tenants.map((t) => ({ tenantId: t.tenantId, name: t.name, tier: t.tier })),
      usage,
      period,
      now,
    );
    const files = {
      marginJson: join(dir, 'margin-report.json'),
      marginSvg: join(dir, 'margin-report.svg'),
      marginHtml: join(dir, 'margin-report.html'),
      reconciliation: reconciliationPath,
    };
    writeFileSync(files.marginJson, JSON.stringify(margins, null, 2));
    writeFileSync(files.marginSvg, renderMarginSvg(margins));
    writeFileSync(files.marginHtml, renderMarginHtml(margins));
    log(`margin report (30 days, ${margins.tenants.length} tenants): ${files.marginHtml}`);
    for (const r of margins.tenants.slice(0, 4)) {
      log(
        `  ${r.tenantId.padEnd(20)} ${r.tier.padEnd(10)} revenue $${r.revenueUsd.toFixed(2).padStart(9)} cost $${r.costUsd.toFixed(2).padStart(9)} margin $${r.marginUsd.toFixed(2).padStart(10)} ${r.flags.join(' ')}`,
      );
    }
    log(`flagged (negative margin): ${margins.flagged.join(', ') || 'none'}`);
    for (const a of alerts.alerts) log(`alert event: ${a.type} ${JSON.stringify(a.detail).slice(0, 100)}`);
    return {
      billedRecords: summary.sent,
      marketplaceCalls: callsBefore,
      rerunRecords: rerun.sent,
      discrepancies: report.discrepancies.length,
      flagged: margins.flagged,
      files,
    };
  } finally {
    if (previousEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_MARKETPLACE_METERING;
    else process.env.AWS_ENDPOINT_URL_MARKETPLACE_METERING = previousEndpoint;
    await fake.stop();
  }
}

async function ensureTenant(
  catalog: CatalogRepository,
  tenantId: string,
  name: string,
  tier: string,
): Promise<void> {
  if ((await catalog.find(tenantId)) !== undefined) return;
  await catalog.create({ tenantId, name, tier, isolation: 'pool', region: 'us-east-1' });
  await catalog.transition(tenantId, 'ACTIVE', { reason: 'billing demo peer' });
}

/** A window total as Flink would have written it (one event per window: the demo has no events). */
function demoCounter(
  tenantId: string,
  metric: string,
  granularity: 'HOUR' | 'DAY',
  windowStart: Date,
  windowEnd: Date,
  quantity: string,
): CounterItem {
  return counterItem({ tenantId, metric, granularity, windowStart, windowEnd, quantity, eventCount: 1 });
}
