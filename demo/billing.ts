// The billing step of `make demo`: bills the hour the metering step metered (the counters Flink
// wrote from the emitted usage) through the local Marketplace Metering fake, shows the ledger, proves
// a rerun sends nothing, reconciles against the raw lake (the stream's copy of the same events) in
// moto S3, and writes the per-tenant margin report (JSON + SVG + HTML) from the metered hour, which
// flags the heavy pooled tenant of the reference scenario (a pro tenant at 11× the average API
// volume and 2.1 TB on a $290/month plan).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig } from '../domain/aws/clients';
import { MemoryBillingAlerts } from '../domain/billing/alerts';
import { runBilling } from '../domain/billing/billing-run';
import { fromMicro } from '../domain/billing/decimal';
import { rawLakeHourPrefix } from '../domain/billing/lake';
import { computeMargins } from '../domain/billing/margin';
import { MarketplaceBillingProvider } from '../domain/billing/marketplace-provider';
import { reconcile } from '../domain/billing/reconciliation';
import { billingRuntime } from '../domain/billing/runtime';
import { resourceName, type TenantryConfig } from '../domain/config';
import { functionEnvironment, readFunctionEnv } from '../domain/function-contract';
import type { Tenant } from '../domain/tenant/tenant';
import { contract as hourlyContract } from '../lambdas/billing-hourly/contract';
import { startMarketplaceFake } from '../local/marketplace-fake/server';
import { renderMarginHtml, renderMarginSvg } from '../reporting/margin-report';

export interface BillingDemoContext {
  readonly config: TenantryConfig;
  readonly log: (line: string) => void;
  /** Table names (`controlPlane.tables` of local/control-plane.ts). */
  readonly tables: { readonly catalog: string; readonly counters: string; readonly billingLedger: string };
  /** The control-plane bus (local/control-plane.ts). Default `<product>-<stage>-bus`. */
  readonly eventBusName?: string;
  /** Output folder (`.local/demo`); the step writes into `<outDir>/billing`. */
  readonly outDir: string;
  /** Bucket for the demo's raw lake (created if missing). Default `<product>-<stage>-demo-lake`. */
  readonly lakeBucket?: string;
  /** What the metering step metered: its tenants (with Marketplace identities), hour, clock and usage lines. */
  readonly metered: {
    readonly tenants: readonly Tenant[];
    readonly hour: Date;
    readonly now: Date;
    readonly lines: readonly string[];
  };
}

export interface BillingDemoResult {
  readonly billedRecords: number;
  readonly marketplaceCalls: number;
  readonly rerunRecords: number;
  readonly discrepancies: number;
  readonly flagged: string[];
}

const HOUR_MS = 3_600_000;

export async function runBillingDemo(ctx: BillingDemoContext): Promise<BillingDemoResult> {
  const { config, log } = ctx;
  const { tenants, hour, now, lines } = ctx.metered;
  const dir = join(ctx.outDir, 'billing');
  mkdirSync(dir, { recursive: true });
  const fake = await startMarketplaceFake({ port: 0 });
  const previousEndpoint = process.env.AWS_ENDPOINT_URL_MARKETPLACE_METERING;
  process.env.AWS_ENDPOINT_URL_MARKETPLACE_METERING = fake.url;
  try {
    log(`billing: Marketplace Metering fake at ${fake.url} (AWS_ENDPOINT_URL_MARKETPLACE_METERING)`);
    for (const t of tenants) {
      const m = t.marketplace;
      if (m)
        fake.state.licenses.set(m.licenseArn, {
          customerAwsAccountId: m.customerAwsAccountId,
          productCode: m.productCode,
        });
    }

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

    // 4. Reconciliation against the raw lake: the stream's copy of the same events (Firehose's job).
    const s3 = new S3Client(s3ClientConfig());
    const bucket = ctx.lakeBucket ?? `${config.naming.product}-${config.naming.stage}-demo-lake`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: unknown) => {
      if (!/BucketAlready/.test(String((error as Error).name))) throw error;
    });
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${rawLakeHourPrefix(hour)}demo-raw-1`,
        Body: `${lines.join('\n')}\n`,
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

    // 5. The margin report from the metered hour (HOUR counters), scaled by the period to monthly prices.
    const period = { from: hour, to: new Date(hour.getTime() + HOUR_MS) };
    const usage = await counters.dailyTotals(
      tenants.map((t) => t.tenantId),
      config.metrics,
      period,
      'HOUR',
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
    };
    writeFileSync(files.marginJson, JSON.stringify(margins, null, 2));
    writeFileSync(files.marginSvg, renderMarginSvg(margins));
    writeFileSync(files.marginHtml, renderMarginHtml(margins));
    log(`margin report (the metered hour, ${margins.tenants.length} tenants): ${files.marginHtml}`);
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
    };
  } finally {
    if (previousEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_MARKETPLACE_METERING;
    else process.env.AWS_ENDPOINT_URL_MARKETPLACE_METERING = previousEndpoint;
    await fake.stop();
  }
}
