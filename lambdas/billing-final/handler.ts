import { z } from 'zod';
import { runBilling } from '../../domain/billing/billing-run';
import { billingRuntime } from '../../domain/billing/runtime';
import { ValidationError } from '../../domain/errors';
import { toFieldIssues } from '../../domain/issues';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

/**
 * Offboarding's final bill (task `billing-final`, input `{tenantId}`): bills every unbilled hour of
 * the tenant up to the current partial hour (its usage from the day's running total), rounds the
 * last carried remainder once (closing rule) and closes the tenant's ledger cursors. Idempotent:
 * a rerun sends nothing new (closed cursors) and only resends entries still PENDING, unchanged.
 */
const runtime = billingRuntime('billing-final');
const inputSchema = z.object({ tenantId: tenantIdSchema });

export const handler = async (event: unknown) => {
  const parsed = inputSchema.safeParse(event);
  if (!parsed.success) throw new ValidationError('billing-final input', toFieldIssues(parsed.error));
  const { tenantId } = parsed.data;
  runtime.logger.appendKeys({ tenantId });
  try {
    const tenant = await runtime.catalog.get(tenantId);
    if (tenant.marketplace === undefined) {
      runtime.logger.info('tenant does not buy through Marketplace: no final bill');
      return { tenantId, billed: false, reason: 'no Marketplace identity' };
    }
    const summary = await runBilling(runtime.deps, { now: new Date(), tenants: [tenant], final: true });
    runtime.logger.info('final bill', { ...summary });
    return { tenantId, billed: true, ...summary };
  } finally {
    runtime.logger.resetKeys();
  }
};
