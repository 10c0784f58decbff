/**
 * Wiring shared by the billing Lambdas: environment (validated at cold start with `readEnv`),
 * SDK clients, repositories. Handlers stay thin.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { baseClientConfig, documentClient, s3ClientConfig } from '../aws/clients';
import { CatalogRepository } from '../catalog/repository';
import { loadConfig, type TenantryConfig } from '../config';
import { envVar, readEnv } from '../env';
import type { Tenant } from '../tenant/tenant';
import { EventBridgeBillingAlerts } from './alerts';
import { BILLED_STATUSES, type BillingRunDeps } from './billing-run';
import { CountersReader, countersDocumentClient } from './counters';
import { LedgerRepository } from './ledger';
import { MarketplaceBillingProvider } from './marketplace-provider';

export const billingEnvShape = {
  CATALOG_TABLE: envVar.name(),
  COUNTERS_TABLE: envVar.name(),
  LEDGER_TABLE: envVar.name(),
  EVENT_BUS_NAME: envVar.name(),
};

export interface BillingRuntime {
  readonly config: TenantryConfig;
  readonly logger: Logger;
  readonly catalog: CatalogRepository;
  readonly deps: BillingRunDeps;
  readonly documents: DynamoDBDocumentClient;
}

export function billingRuntime(serviceName: string, source: NodeJS.ProcessEnv = process.env): BillingRuntime {
  const env = readEnv(billingEnvShape, source);
  const config = loadConfig(source.TENANTRY_CONFIG);
  const logger = new Logger({ serviceName });
  const documents = documentClient();
  const catalog = new CatalogRepository({ client: documents, tableName: env.CATALOG_TABLE });
  const deps: BillingRunDeps = {
    config,
    ledger: new LedgerRepository(documents, env.LEDGER_TABLE),
    counters: new CountersReader(countersDocumentClient(), env.COUNTERS_TABLE),
    provider: new MarketplaceBillingProvider(),
    alerts: new EventBridgeBillingAlerts(new EventBridgeClient(baseClientConfig()), env.EVENT_BUS_NAME),
    log: (message, detail) => logger.info(message, detail ?? {}),
  };
  return { config, logger, catalog, deps, documents };
}

/** Every tenant that receives hourly records (zero included). */
export async function billableTenants(catalog: CatalogRepository): Promise<Tenant[]> {
  const lists = await Promise.all(BILLED_STATUSES.map((status) => catalog.listByStatus(status)));
  return lists.flat();
}

export const reconciliationEnvShape = {
  ...billingEnvShape,
  LAKE_BUCKET: envVar.name(),
  REPORT_BUCKET: envVar.name(),
};

export function reconciliationClients() {
  return { s3: new S3Client(s3ClientConfig()) };
}
