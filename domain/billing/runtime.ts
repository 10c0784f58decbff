/**
 * Wiring shared by the billing Lambdas (lambdas/billing-*, lambdas/reconciliation): SDK clients and
 * repositories from the environment the function's contract validated at cold start. Handlers stay thin.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import type { z } from 'zod';
import { baseClientConfig, documentClient, s3ClientConfig } from '../aws/clients';
import { CatalogRepository } from '../catalog/repository';
import { loadConfig, type TenantryConfig } from '../config';
import { envVar } from '../env';
import { readMeteringProgress } from '../usage/progress';
import { AdjustmentStore } from './adjustments';
import { EventBridgeBillingAlerts } from './alerts';
import type { BillingRunDeps } from './billing-run';
import { CountersReader, countersDocumentClient } from './counters';
import { LedgerRepository } from './ledger';
import { MarketplaceBillingProvider } from './marketplace-provider';

/** The environment of the functions that run the billing (hourly, final bill, reconciliation). */
export const billingRunEnv = {
  CATALOG_TABLE_NAME: envVar.name(),
  COUNTERS_TABLE_NAME: envVar.name(),
  LEDGER_TABLE_NAME: envVar.name(),
  EVENT_BUS_NAME: envVar.name(),
};

/** The usage lake (raw events, late sink), for the functions that read it. */
export const lakeEnv = { LAKE_BUCKET_NAME: envVar.name() };

/** The billing run's dependencies and the catalog, from `billingRunEnv` values. */
export function billingRuntime(
  serviceName: string,
  env: z.infer<z.ZodObject<typeof billingRunEnv>>,
  /** The demo's own configuration, provider, alert sink and progress log; by default the loaded configuration, AWS Marketplace, EventBridge and the function's logger. */
  overrides: Partial<Pick<BillingRunDeps, 'config' | 'provider' | 'alerts' | 'log'>> = {},
): { logger: Logger; catalog: CatalogRepository; deps: BillingRunDeps } {
  const logger = new Logger({ serviceName });
  const documents = documentClient();
  const ledger = new LedgerRepository(documents, env.LEDGER_TABLE_NAME);
  const counters = countersDocumentClient();
  return {
    logger,
    catalog: catalogRepository(env.CATALOG_TABLE_NAME),
    deps: {
      config: overrides.config ?? loadConfig(),
      ledger,
      adjustments: new AdjustmentStore(ledger),
      counters: new CountersReader(counters, env.COUNTERS_TABLE_NAME),
      meteringProgress: () => readMeteringProgress(counters, env.COUNTERS_TABLE_NAME),
      provider: overrides.provider ?? new MarketplaceBillingProvider(),
      alerts:
        overrides.alerts ??
        new EventBridgeBillingAlerts(new EventBridgeClient(baseClientConfig()), env.EVENT_BUS_NAME),
      log: overrides.log ?? ((message, detail) => logger.info(message, detail ?? {})),
    },
  };
}

/** What the late-usage adjustment pass needs: the catalog and the ledger's adjustment items. */
export function adjustmentRuntime(
  serviceName: string,
  env: { CATALOG_TABLE_NAME: string; LEDGER_TABLE_NAME: string },
): { logger: Logger; config: TenantryConfig; catalog: CatalogRepository; adjustments: AdjustmentStore } {
  return {
    logger: new Logger({ serviceName }),
    config: loadConfig(),
    catalog: catalogRepository(env.CATALOG_TABLE_NAME),
    adjustments: new AdjustmentStore(new LedgerRepository(documentClient(), env.LEDGER_TABLE_NAME)),
  };
}

function catalogRepository(tableName: string): CatalogRepository {
  return new CatalogRepository({ client: documentClient(), tableName });
}

/** The S3 client the functions reading the usage lake use. */
export function lakeClient(): S3Client {
  return new S3Client(s3ClientConfig());
}
