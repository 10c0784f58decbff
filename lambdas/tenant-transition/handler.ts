import { z } from 'zod';
import { documentClient } from '../../domain/aws/clients';
import { CatalogRepository } from '../../domain/catalog/repository';
import { envVar, readEnv } from '../../domain/env';
import { transitionTenant } from '../../domain/lifecycle/catalog-ops';
import { parseInput } from '../../domain/lifecycle/plan';
import { lifecycleLogger, withTenant } from '../../domain/lifecycle/runtime';
import { tenantStatuses } from '../../domain/tenant/status';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

/**
 * Every lifecycle status change: through `CatalogRepository.transition` (the domain's status rules),
 * with the execution ARN recorded in the tenant's history. Idempotent for the execution that asks.
 */
const env = readEnv({ CATALOG_TABLE_NAME: envVar.name() });
const catalog = new CatalogRepository({ client: documentClient(), tableName: env.CATALOG_TABLE_NAME });
const logger = lifecycleLogger('tenant-transition');

const status = z.enum(tenantStatuses);
const requestSchema = z.object({
  tenantId: tenantIdSchema,
  to: status,
  executionArn: z.string().min(1),
  reason: z.string().max(500).optional(),
  onlyFrom: z.array(status).optional(),
  resume: z.boolean().optional(),
  allowMissing: z.boolean().optional(),
  expectedVersion: z.number().int().nonnegative().optional(),
});

export const handler = async (event: unknown) => {
  const request = parseInput(requestSchema, event, 'tenant-transition request');
  return withTenant(logger, request.tenantId, async () => {
    const result = await transitionTenant(catalog, request);
    logger.info('tenant transition', { to: request.to, status: result.status, changed: result.changed });
    return result;
  });
};
