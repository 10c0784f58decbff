import { runBilling } from '../../domain/billing/billing-run';
import { billableTenants, billingRuntime } from '../../domain/billing/runtime';

/**
 * Hourly (EventBridge schedule): bills every closed, unbilled hour of every subscribed tenant through
 * AWS Marketplace, zero-usage records included, and resends what earlier runs left PENDING.
 */
const runtime = billingRuntime('billing-hourly');

export const handler = async (_event: unknown) => {
  const tenants = await billableTenants(runtime.catalog);
  return runBilling(runtime.deps, { now: new Date(), tenants });
};
