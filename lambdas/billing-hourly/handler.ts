import { z } from 'zod';
import { DEFAULT_LOOKBACK_HOURS, runBilling } from '../../domain/billing/billing-run';
import { billableTenants, billingRuntime } from '../../domain/billing/runtime';
import { readEnv } from '../../domain/env';

/**
 * Hourly (EventBridge schedule): bills every closed, unbilled hour of every subscribed tenant through
 * AWS Marketplace, zero-usage records included, and resends what earlier runs left PENDING.
 * `BILLING_LOOKBACK_HOURS` (0-23, default 23): how many past hours of ledger each run reads back.
 */
const runtime = billingRuntime('billing-hourly');
const { BILLING_LOOKBACK_HOURS } = readEnv({
  BILLING_LOOKBACK_HOURS: z.coerce.number().int().min(0).max(23).default(DEFAULT_LOOKBACK_HOURS),
});

export const handler = async (_event: unknown) => {
  const tenants = await billableTenants(runtime.catalog);
  return runBilling(runtime.deps, { now: new Date(), tenants, lookbackHours: BILLING_LOOKBACK_HOURS });
};
