/**
 * `bill --hour H [--dry-run]`, `reconcile --month M`, `margin --month M [--html FILE]`: the billing
 * run, the reconciliation and the margin report of domain/billing, wired as the billing Lambdas wire
 * them (domain/billing/runtime.ts).
 */
import { writeFileSync } from 'node:fs';
import { runBilling } from '../../domain/billing/billing-run';
import { fromMicro } from '../../domain/billing/decimal';
import { marginReport } from '../../domain/billing/margin';
import { reconcile } from '../../domain/billing/reconciliation';
import { billingRuntime, lakeClient } from '../../domain/billing/runtime';
import { billableTenants, billedPairs, reconciliationTenants } from '../../domain/billing/tenants';
import { addHours, isWithinAcceptanceWindow, latestClosedHour } from '../../domain/billing/windows';
import { resourceName } from '../../domain/config';
import { renderMarginHtml } from '../../reporting/margin-report';
import type { CliContext } from '../context';
import { ArgumentError } from '../errors';
import { EXIT, type ExitCode } from '../exit-codes';
import { emit, table } from '../output';
import { parseHour, parseMonth } from './time-arguments';

const SERVICE = 'tenantry-cli';

function runtime(ctx: CliContext) {
  return billingRuntime(
    SERVICE,
    {
      CATALOG_TABLE_NAME: ctx.tables.catalog,
      COUNTERS_TABLE_NAME: ctx.tables.counters,
      LEDGER_TABLE_NAME: ctx.tables.billingLedger,
      EVENT_BUS_NAME: resourceName(ctx.config, 'bus'),
    },
    { config: ctx.config, log: () => {} },
  );
}

/**
 * Bills the closed hour H (and, as every run does, the unbilled hours before it and the PENDING
 * records it finds). The hour must be closed and still inside Marketplace's acceptance window.
 */
export async function bill(ctx: CliContext, options: { hour: string; dryRun: boolean }): Promise<ExitCode> {
  const hour = parseHour('--hour', options.hour);
  const now = new Date();
  if (hour > latestClosedHour(ctx.config, now))
    throw new ArgumentError(
      '--hour',
      `${hour.toISOString()} is not closed yet; the latest closed hour is ${latestClosedHour(ctx.config, now).toISOString()}`,
    );
  if (!isWithinAcceptanceWindow(ctx.config, hour, now))
    throw new ArgumentError(
      '--hour',
      `${hour.toISOString()} is past Marketplace's ${ctx.config.billing.acceptanceWindowHours}-hour acceptance window`,
    );
  const { catalog, deps } = runtime(ctx);
  const tenants = await billableTenants(catalog);
  if (options.dryRun) {
    const { pairs } = billedPairs(ctx.config, tenants);
    const quantities = await deps.counters.usageAt(
      pairs.map((p) => ({ tenantId: p.tenant.tenantId, metric: p.metric.name })),
      hour,
    );
    const records = pairs.map((p, i) => ({
      tenantId: p.tenant.tenantId,
      dimension: p.metric.billing.dimension,
      usage: fromMicro(quantities[i] ?? 0n),
    }));
    emit(ctx, { hour: hour.toISOString(), dryRun: true, records }, () => [
      `dry run: the usage of ${hour.toISOString()} per billed tenant and dimension (nothing sent, nothing written)`,
      ...table([['TENANT', 'DIMENSION', 'USAGE'], ...records.map((r) => [r.tenantId, r.dimension, r.usage])]),
    ]);
    return EXIT.ok;
  }
  // The run bills up to the latest closed hour at `now`: the instant H became closed bills exactly H.
  const closedAt = new Date(addHours(hour, 2).getTime() - 1 + settleMs(ctx));
  const summary = await runBilling(deps, { now: closedAt < now ? closedAt : now, tenants });
  emit(ctx, summary, () => [
    `billed up to ${summary.targetHour} for ${summary.tenants} tenant(s)`,
    `  prepared ${summary.prepared} · sent ${summary.sent} · accepted ${summary.accepted} · duplicate ${summary.duplicate}`,
    `  rejected ${summary.rejected} · undecided ${summary.undecided} · expired ${summary.expired} (carried ${summary.carried}) · near expiry ${summary.nearExpiry}`,
    ...(summary.heldBack.length > 0 ? [`  held back (identity clash): ${summary.heldBack.join(', ')}`] : []),
  ]);
  return summary.rejected + summary.undecided > 0 ? EXIT.failed : EXIT.ok;
}

function settleMs(ctx: CliContext): number {
  return ctx.config.metering.watermarkDelaySeconds * 1000 + ctx.config.billing.graceMinutes * 60_000;
}

/** Reconciles month M read-only: the report is printed; no adjustment is scheduled, no alert sent. */
export async function reconcileMonth(
  ctx: CliContext,
  options: { month: string; lakeBucket: string },
): Promise<ExitCode> {
  const period = parseMonth('--month', options.month);
  const now = new Date();
  if (period.from > now) throw new ArgumentError('--month', `${options.month} has not started yet`);
  const { catalog, deps } = runtime(ctx);
  const scope = await reconciliationTenants(catalog);
  const report = await reconcile(
    { ...deps, alerts: undefined, s3: lakeClient(), bucket: options.lakeBucket },
    { ...period, now, tenantIds: scope.tenantIds, billedTenantIds: scope.billedTenantIds },
  );
  emit(ctx, report, () => [report.summary, ...report.discrepancies.map((d) => `  ${JSON.stringify(d)}`)]);
  return report.discrepancies.length > 0 ? EXIT.failed : EXIT.ok;
}

/** The margin of every billed tenant over month M, from the DAY counters; optionally as an HTML page. */
export async function margin(ctx: CliContext, options: { month: string; html?: string }): Promise<ExitCode> {
  const period = parseMonth('--month', options.month);
  if (period.from > new Date()) throw new ArgumentError('--month', `${options.month} has not started yet`);
  const { catalog, deps } = runtime(ctx);
  const tenants = await billableTenants(catalog);
  const report = await marginReport(ctx.config, deps.counters, tenants, period);
  if (options.html) writeFileSync(options.html, renderMarginHtml(report));
  emit(ctx, report, () => [
    `margin ${report.period.from} → ${report.period.to} (USD)`,
    ...table([
      ['TENANT', 'TIER', 'REVENUE', 'COST', 'MARGIN', 'FLAGGED'],
      ...report.tenants.map((t) => [
        t.tenantId,
        t.tier,
        t.revenueUsd.toFixed(2),
        t.costUsd.toFixed(2),
        t.marginUsd.toFixed(2),
        report.flagged.includes(t.tenantId) ? 'yes' : '',
      ]),
    ]),
    `total revenue ${report.totals.revenueUsd.toFixed(2)} · cost ${report.totals.costUsd.toFixed(2)} · margin ${report.totals.marginUsd.toFixed(2)}`,
    ...(options.html ? [`html: ${options.html}`] : []),
  ]);
  return EXIT.ok;
}
