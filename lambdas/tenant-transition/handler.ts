import { documentClient } from '../../domain/aws/clients';
import { CatalogRepository } from '../../domain/catalog/repository';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { transitionTenant } from '../../domain/lifecycle/catalog-ops';
import { lifecycleLogger, withTenant } from '../../domain/lifecycle/runtime';
import { contract } from './contract';

const env = readFunctionEnv(contract);
const catalog = new CatalogRepository({ client: documentClient(), tableName: env.CATALOG_TABLE_NAME });
const logger = lifecycleLogger(contract.name);

export const handler = contractHandler(contract, async (request) =>
  withTenant(logger, request.tenantId, async () => {
    const result = await transitionTenant(catalog, request);
    logger.info('tenant transition', { to: request.to, status: result.status, changed: result.changed });
    return result;
  }),
);
