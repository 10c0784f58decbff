import { z } from 'zod';
import { documentClient } from '../../domain/aws/clients';
import { CatalogRepository } from '../../domain/catalog/repository';
import { isolationModels, loadConfig } from '../../domain/config';
import { envVar, readEnv } from '../../domain/env';
import { createPendingTenant, setPlacement } from '../../domain/lifecycle/catalog-ops';
import { parseInput } from '../../domain/lifecycle/plan';
import { lifecycleLogger, withTenant } from '../../domain/lifecycle/runtime';
import { siloResourcesSchema } from '../../domain/tenant/tenant';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

/**
 * Catalog writes other than status changes: register a PENDING tenant (or re-register a FAILED one),
 * record where it is served from (validated against the config, audited in the history).
 */
const env = readEnv({ CATALOG_TABLE_NAME: envVar.name() });
const client = documentClient();
const catalog = new CatalogRepository({ client, tableName: env.CATALOG_TABLE_NAME });
const logger = lifecycleLogger('tenant-catalog');
const config = loadConfig();

const requestSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('create'),
    tenantId: tenantIdSchema,
    name: z.string(),
    tier: z.string(),
    isolation: z.enum(isolationModels),
    region: z.string(),
    executionArn: z.string().min(1),
  }),
  z.object({
    action: z.literal('set-placement'),
    tenantId: tenantIdSchema,
    tier: z.string().min(1),
    isolation: z.enum(isolationModels),
    silo: siloResourcesSchema.nullable(),
    /** Recorded in the tenant's history with the placement change. */
    executionArn: z.string().min(1),
    /** Compensation of a run that may have failed before the record existed. */
    allowMissing: z.boolean().optional(),
  }),
]);

export const handler = async (event: unknown) => {
  const request = parseInput(requestSchema, event, 'tenant-catalog request');
  return withTenant(logger, request.tenantId, async () => {
    if (request.action === 'create') {
      const { action: _a, executionArn, ...tenant } = request;
      const result = await createPendingTenant(client, env.CATALOG_TABLE_NAME, catalog, tenant, executionArn);
      logger.info('tenant registered', {
        alreadyCreated: result.alreadyCreated,
        reonboarded: result.reonboarded,
      });
      return {
        tenantId: result.tenant.tenantId,
        status: result.tenant.status,
        alreadyCreated: result.alreadyCreated,
      };
    }
    if (request.allowMissing && (await catalog.find(request.tenantId)) === undefined) {
      logger.info('no tenant record: nothing to place');
      return { tenantId: request.tenantId, tier: null, isolation: null, silo: null };
    }
    const tenant = await setPlacement(
      catalog,
      config,
      request.tenantId,
      { tier: request.tier, isolation: request.isolation, silo: request.silo },
      request.executionArn,
    );
    logger.info('tenant placement recorded', { tier: tenant.tier, isolation: tenant.isolation });
    return {
      tenantId: tenant.tenantId,
      tier: tenant.tier,
      isolation: tenant.isolation,
      silo: tenant.silo ?? null,
    };
  });
};
