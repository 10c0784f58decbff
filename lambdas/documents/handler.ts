import { Logger } from '@aws-lambda-powertools/logger';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { documentClient, kinesisClientConfig } from '../../domain/aws/clients';
import { CatalogRepository } from '../../domain/catalog/repository';
import { loadConfig } from '../../domain/config';
import { iamAuthPool, nodePostgresDatabase } from '../../domain/documents/postgres';
import { handleDocumentRequest } from '../../domain/documents/service';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { TenantClientFactory } from '../../domain/identity/tenant-clients';
import { cachedTenantLookup } from '../../domain/identity/tenant-lookup';
import { UsageEmitter } from '../../domain/usage/emitter';
import { contract } from './contract';

/**
 * API Gateway (REST, Lambda proxy) → the tenant authorizer → this handler. Thin: the contract
 * parses the event, domain/documents/service.ts does the rest. Never logs the event: its
 * authorizer context carries the tenant's credentials.
 */
const env = readFunctionEnv(contract);
const config = loadConfig(env.TENANTRY_CONFIG ?? '');
const controlPlane = { region: env.CONTROL_PLANE_REGION ?? env.AWS_REGION };
const catalog = new CatalogRepository({
  client: documentClient(controlPlane),
  tableName: env.CATALOG_TABLE_NAME,
});
const clientFactories = new Map<string, TenantClientFactory>();
const deps = {
  config,
  tenants: cachedTenantLookup((id) => catalog.find(id), env.CATALOG_CACHE_SECONDS),
  location: { pooledTableArn: env.POOLED_TABLE_ARN, bucketName: env.TENANT_BUCKET_NAME },
  ...(env.SILO_TENANT_ID === undefined ? {} : { siloTenantId: env.SILO_TENANT_ID }),
  clientsFor: (region: string) => {
    const factory = clientFactories.get(region) ?? new TenantClientFactory({ region });
    clientFactories.set(region, factory);
    return factory;
  },
  database: nodePostgresDatabase(
    iamAuthPool({
      host: env.DATABASE_HOST,
      port: env.DATABASE_PORT,
      database: env.DATABASE_NAME,
      user: env.DATABASE_USER,
      region: env.AWS_REGION,
    }),
  ),
  usage: new UsageEmitter({
    client: new KinesisClient(kinesisClientConfig(controlPlane)),
    streamName: env.USAGE_STREAM_NAME,
    ...(env.USAGE_STREAM_ARN === undefined ? {} : { streamArn: env.USAGE_STREAM_ARN }),
    config,
  }),
  logger: new Logger({ serviceName: 'tenantry-documents' }),
};

export const handler = contractHandler(contract, (event) => handleDocumentRequest(deps, event));
