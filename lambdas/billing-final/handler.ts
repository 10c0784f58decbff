import { runBilling } from '../../domain/billing/billing-run';
import { billingRuntime } from '../../domain/billing/runtime';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { contract } from './contract';

/**
 * Offboarding's final bill (task `billing-final`, input `{tenantId}`): bills every unbilled hour of
 * the tenant up to the current partial hour (its usage from the day's running total), rounds the
 * last carried remainder once (closing rule) and closes the tenant's ledger cursors. Idempotent:
 * a rerun sends nothing new (closed cursors) and only resends entries still PENDING, unchanged.
 */
const runtime = billingRuntime(contract.name, readFunctionEnv(contract));

export const handler = contractHandler(contract, async ({ tenantId }) => {
  runtime.logger.appendKeys({ tenantId });
  try {
    const tenant = await runtime.catalog.get(tenantId);
    if (tenant.marketplace === undefined) {
      runtime.logger.info('tenant does not buy through Marketplace: no final bill');
      return { tenantId, billed: false as const, reason: 'no Marketplace identity' };
    }
    const summary = await runBilling(runtime.deps, { now: new Date(), tenants: [tenant], final: true });
    runtime.logger.info('final bill', { ...summary });
    return { tenantId, billed: true as const, ...summary };
  } finally {
    runtime.logger.resetKeys();
  }
});
