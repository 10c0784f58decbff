import { documentClient } from '../../domain/aws/clients';
import { CatalogRepository } from '../../domain/catalog/repository';
import { loadConfig } from '../../domain/config';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { planOffboarding, planOnboarding, planPromotion } from '../../domain/lifecycle/plan';
import { lifecycleLogger, withTenant } from '../../domain/lifecycle/runtime';
import { contract } from './contract';

const env = readFunctionEnv(contract);
const config = loadConfig();
const catalog = new CatalogRepository({ client: documentClient(), tableName: env.CATALOG_TABLE_NAME });
const logger = lifecycleLogger(contract.name);

export const handler = contractHandler(contract, async (request) => {
  const tenantId = (request.input as { tenantId?: unknown } | null)?.tenantId;
  return withTenant(logger, tenantId, async () => {
    const plan =
      request.kind === 'onboarding'
        ? planOnboarding(config, request.input)
        : request.kind === 'promotion'
          ? planPromotion(config, await catalog.get(String(tenantId)), request.input)
          : planOffboarding(config, await catalog.get(String(tenantId)), request.input);
    logger.info('lifecycle input valid', { kind: request.kind });
    return plan;
  });
});
