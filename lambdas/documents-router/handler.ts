import { Logger } from '@aws-lambda-powertools/logger';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { baseClientConfig, documentClient } from '../../domain/aws/clients';
import { CatalogRepository } from '../../domain/catalog/repository';
import { loadConfig } from '../../domain/config';
import { lambdaInvoker, routeDocumentRequest } from '../../domain/documents/router';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { cachedTenantLookup } from '../../domain/identity/tenant-lookup';
import { contract } from './contract';

/**
 * API Gateway (REST, Lambda proxy) → the tenant authorizer → this router → the tenant's documents
 * function. Thin: domain/documents/router.ts decides. Never logs the event (it carries the
 * tenant's vended credentials).
 */
const env = readFunctionEnv(contract);
const catalog = new CatalogRepository({ client: documentClient(), tableName: env.CATALOG_TABLE_NAME });
const lambdaClients = new Map<string, LambdaClient>();
const deps = {
  config: loadConfig(),
  tenants: cachedTenantLookup((id) => catalog.find(id), env.CATALOG_CACHE_SECONDS),
  pooledFunctionArn: env.POOLED_SERVICE_FUNCTION_ARN,
  invoke: lambdaInvoker((region) => {
    const client = lambdaClients.get(region) ?? new LambdaClient(baseClientConfig({ region }));
    lambdaClients.set(region, client);
    return client;
  }),
  logger: new Logger({ serviceName: 'tenantry-documents-router' }),
};

export const handler = contractHandler(
  contract,
  async (event) => (await routeDocumentRequest(deps, event)).response,
);
