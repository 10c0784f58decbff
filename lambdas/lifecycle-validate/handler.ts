import { z } from 'zod';
import { documentClient } from '../../domain/aws/clients';
import { CatalogRepository } from '../../domain/catalog/repository';
import { loadConfig } from '../../domain/config';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { parseInput, planOffboarding, planOnboarding, planPromotion } from '../../domain/lifecycle/plan';
import { lifecycleLogger, withTenant } from '../../domain/lifecycle/runtime';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';
import { contract } from './contract';

const env = readFunctionEnv(contract);
const config = loadConfig();
const catalog = new CatalogRepository({ client: documentClient(), tableName: env.CATALOG_TABLE_NAME });
const logger = lifecycleLogger(contract.name);
const tenantIdOnly = z.object({ tenantId: tenantIdSchema });

export const handler = contractHandler(contract, async (request) => {
  if (request.kind === 'onboarding') {
    const plan = planOnboarding(config, request.input);
    return withTenant(logger, plan.tenantId, async () => {
      logger.info('lifecycle input valid', { kind: request.kind });
      return plan;
    });
  }
  // The tenant id is validated before the catalog is read with it.
  const { tenantId } = parseInput(tenantIdOnly, request.input, `${request.kind} input`);
  return withTenant(logger, tenantId, async () => {
    const tenant = await catalog.get(tenantId);
    const plan =
      request.kind === 'promotion'
        ? planPromotion(config, tenant, request.input)
        : planOffboarding(config, tenant, request.input);
    logger.info('lifecycle input valid', { kind: request.kind });
    return plan;
  });
});
