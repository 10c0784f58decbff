import { adjustLateEvents } from '../../domain/billing/adjustments';
import { adjustmentRuntime, lakeClient } from '../../domain/billing/runtime';
import { billableTenants } from '../../domain/billing/tenants';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { contract } from './contract';

/**
 * Hourly (EventBridge schedule): late events the Flink job wrote in the last 25 hours that are still
 * inside Marketplace's acceptance window are scheduled as ADJUSTMENT entries into the open hour
 * (domain/billing/adjustments.ts); the hourly billing job bills them with that hour. Idempotent:
 * events an adjustment already covers are skipped.
 */
const env = readFunctionEnv(contract);
const runtime = adjustmentRuntime(contract.name, env);
const s3 = lakeClient();

export const handler = contractHandler(contract, async () => {
  const tenants = await billableTenants(runtime.catalog);
  const result = await adjustLateEvents(
    { config: runtime.config, adjustments: runtime.adjustments, s3, bucket: env.LAKE_BUCKET_NAME },
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
});
