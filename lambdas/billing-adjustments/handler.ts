import { adjustLateEvents } from '../../domain/billing/adjustments';
import { billableTenants, billingRuntime, reconciliationClients } from '../../domain/billing/runtime';
import { envVar, readEnv } from '../../domain/env';

/**
 * Hourly (EventBridge schedule): late events the Flink job wrote in the last 25 hours that are still
 * inside Marketplace's acceptance window are scheduled as ADJUSTMENT entries into the open hour
 * (domain/billing/adjustments.ts); the hourly billing job bills them with that hour. Idempotent:
 * events an adjustment already covers are skipped.
 */
const runtime = billingRuntime('billing-adjustments');
const env = readEnv({ LAKE_BUCKET: envVar.name() });
const { s3 } = reconciliationClients();

export const handler = async (_event: unknown) => {
  const tenants = await billableTenants(runtime.catalog);
  const result = await adjustLateEvents(
    { config: runtime.config, ledger: runtime.deps.ledger, s3, bucket: env.LAKE_BUCKET },
    {
      now: new Date(),
      billedTenantIds: tenants.filter((t) => t.marketplace !== undefined).map((t) => t.tenantId),
    },
  );
  const summary = {
    lateEvents: result.lateEvents,
    billable: result.billable,
    scheduled: result.scheduled.length,
  };
  runtime.logger.info('late adjustments scheduled', summary);
  return summary;
};
