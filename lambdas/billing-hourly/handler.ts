import { Metrics } from '@aws-lambda-powertools/metrics';
import { runBilling } from '../../domain/billing/billing-run';
import { billingRuntime } from '../../domain/billing/runtime';
import { billableTenants } from '../../domain/billing/tenants';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { addBillingRunMetrics, METRICS_NAMESPACE, metricServices } from '../../domain/metrics';
import { contract } from './contract';

/**
 * Hourly (EventBridge schedule): bills every closed, unbilled hour of every subscribed tenant through
 * AWS Marketplace, zero-usage records included, and resends what earlier runs left PENDING.
 */
const env = readFunctionEnv(contract);
const runtime = billingRuntime(contract.name, env);
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: metricServices.billingHourly });

export const handler = contractHandler(contract, async () => {
  const tenants = await billableTenants(runtime.catalog);
  const summary = await runBilling(runtime.deps, {
    now: new Date(),
    tenants,
    lookbackHours: env.BILLING_LOOKBACK_HOURS,
  });
  addBillingRunMetrics(metrics, summary);
  metrics.publishStoredMetrics();
  return summary;
});
