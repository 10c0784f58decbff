import { PutObjectCommand } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { BILLED_STATUSES } from '../../domain/billing/billing-run';
import { reconcile } from '../../domain/billing/reconciliation';
import { billingRuntime, reconciliationClients, reconciliationEnvShape } from '../../domain/billing/runtime';
import { readEnv } from '../../domain/env';
import { ValidationError } from '../../domain/errors';
import { toFieldIssues } from '../../domain/issues';

/**
 * Reconciliation: monthly (EventBridge schedule, previous UTC month) or on demand (`{from, to}` ISO).
 * Writes `reports/reconciliation/<from>_<to>.json` and `.txt` to REPORT_BUCKET; emits an alert event
 * when there are discrepancies. Billable late events of subscribed tenants that no adjustment covers
 * yet are scheduled as adjustments (the hourly `billing-adjustments` function does the same sooner).
 */
const env = readEnv(reconciliationEnvShape);
const runtime = billingRuntime('reconciliation');
const { s3 } = reconciliationClients();
const inputSchema = z.object({ from: z.iso.datetime().optional(), to: z.iso.datetime().optional() }).loose();

export const handler = async (event: unknown) => {
  const parsed = inputSchema.safeParse(event ?? {});
  if (!parsed.success) throw new ValidationError('reconciliation input', toFieldIssues(parsed.error));
  const now = new Date();
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const from = parsed.data.from
    ? new Date(parsed.data.from)
    : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const to = parsed.data.to ? new Date(parsed.data.to) : monthStart;
  const statuses = [...BILLED_STATUSES, 'OFFBOARDED'] as const;
  const tenants = (await Promise.all(statuses.map((s) => runtime.catalog.listByStatus(s)))).flat();
  const report = await reconcile(
    {
      config: runtime.config,
      s3,
      bucket: env.LAKE_BUCKET,
      counters: runtime.deps.counters,
      ledger: runtime.deps.ledger,
      alerts: runtime.deps.alerts,
    },
    {
      from,
      to,
      now,
      tenantIds: tenants.map((t) => t.tenantId),
      billedTenantIds: tenants.filter((t) => t.marketplace !== undefined).map((t) => t.tenantId),
      // Offboarded tenants' billing is closed (final bill): their late events can only be reported.
      adjustTenantIds: tenants
        .filter((t) => t.marketplace !== undefined && t.status !== 'OFFBOARDED')
        .map((t) => t.tenantId),
    },
  );
  const base = `reports/reconciliation/${report.period.from}_${report.period.to}`;
  await s3.send(
    new PutObjectCommand({
      Bucket: env.REPORT_BUCKET,
      Key: `${base}.json`,
      Body: JSON.stringify(report, null, 2),
      ContentType: 'application/json',
    }),
  );
  await s3.send(
    new PutObjectCommand({
      Bucket: env.REPORT_BUCKET,
      Key: `${base}.txt`,
      Body: report.summary,
      ContentType: 'text/plain',
    }),
  );
  runtime.logger.info('reconciliation done', {
    period: report.period,
    discrepancies: report.discrepancies.length,
  });
  return { period: report.period, discrepancies: report.discrepancies.length, reportKey: `${base}.json` };
};
