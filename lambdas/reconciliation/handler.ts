import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { reconcile, writeReconciliationReport } from '../../domain/billing/reconciliation';
import { billingRuntime, lakeClient } from '../../domain/billing/runtime';
import { reconciliationTenants } from '../../domain/billing/tenants';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { METRICS_NAMESPACE, metricNames, metricServices } from '../../domain/metrics';
import { contract } from './contract';

/**
 * Reconciliation: monthly (EventBridge schedule, previous UTC month) or on demand (`{from, to}` ISO).
 * Writes `reports/reconciliation/<from>_<to>.json` and `.txt` to REPORT_BUCKET_NAME; emits an alert
 * event when there are discrepancies. Billable late events of subscribed tenants that no adjustment
 * covers yet are scheduled as adjustments (the hourly `billing-adjustments` function does the same sooner).
 */
const env = readFunctionEnv(contract);
const runtime = billingRuntime(contract.name, env);
const s3 = lakeClient();
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: metricServices.reconciliation });

export const handler = contractHandler(contract, async (input) => {
  const now = new Date();
  const from = input.from
    ? new Date(input.from)
    : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const to = input.to ? new Date(input.to) : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const scope = await reconciliationTenants(runtime.catalog);
  const report = await reconcile(
    { ...runtime.deps, s3, bucket: env.LAKE_BUCKET_NAME },
    {
      from,
      to,
      now,
      tenantIds: scope.tenantIds,
      billedTenantIds: scope.billedTenantIds,
      adjustTenantIds: scope.adjustTenantIds,
    },
  );
  metrics.addMetric(metricNames.reconciliationDiscrepancies, MetricUnit.Count, report.discrepancies.length);
  metrics.publishStoredMetrics();
  const reportKey = await writeReconciliationReport(s3, env.REPORT_BUCKET_NAME, report);
  runtime.logger.info('reconciliation done', {
    period: report.period,
    discrepancies: report.discrepancies.length,
  });
  return { period: report.period, discrepancies: report.discrepancies.length, reportKey };
});
