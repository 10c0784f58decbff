import { Logger } from '@aws-lambda-powertools/logger';
import { PreTokenGenerationTriggerSchemaV2AndV3 } from '@aws-lambda-powertools/parser/schemas/cognito';
import { z } from 'zod';
import { documentClient } from '../../domain/aws/clients';
import { CatalogRepository } from '../../domain/catalog/repository';
import { loadConfig, type TenantryConfig } from '../../domain/config';
import { envVar, readEnv } from '../../domain/env';
import { ValidationError } from '../../domain/errors';
import { tenantUserAttributes } from '../../domain/identity/claims';
import { type ClaimsOverride, tenantClaimsOverride } from '../../domain/identity/pre-token';
import { cachedTenantLookup, type TenantLookup } from '../../domain/identity/tenant-lookup';
import { toFieldIssues } from '../../domain/issues';

/**
 * Cognito pre-token-generation trigger, event version V2_0: adds tenantId, tier, isolation, route
 * and tenant status to BOTH the ID and the access token from the catalog (cached per tenant for
 * CATALOG_CACHE_SECONDS). Throwing makes Cognito refuse the sign-in.
 */
export const preTokenEnvShape = {
  CATALOG_TABLE_NAME: envVar.name(),
  CATALOG_CACHE_SECONDS: envVar.seconds(60),
  /** Path of a configuration file; default configuration when unset. */
  TENANTRY_CONFIG: z.string().optional(),
};

export interface PreTokenDependencies {
  readonly config: TenantryConfig;
  readonly tenants: TenantLookup;
  readonly logger: Logger;
}

export function dependenciesFromEnv(source: NodeJS.ProcessEnv = process.env): PreTokenDependencies {
  const env = readEnv(preTokenEnvShape, source);
  const catalog = new CatalogRepository({ client: documentClient(), tableName: env.CATALOG_TABLE_NAME });
  return {
    config: loadConfig(env.TENANTRY_CONFIG ?? ''),
    tenants: cachedTenantLookup((id) => catalog.find(id), env.CATALOG_CACHE_SECONDS),
    logger: new Logger({ serviceName: 'tenantry-pre-token-generation' }),
  };
}

type PreTokenEvent = Omit<ReturnType<typeof PreTokenGenerationTriggerSchemaV2AndV3.parse>, 'response'> & {
  response: { claimsAndScopeOverrideDetails?: ClaimsOverride | null };
};

export function createPreTokenHandler(deps: PreTokenDependencies) {
  return async (raw: unknown): Promise<PreTokenEvent> => {
    const parsed = PreTokenGenerationTriggerSchemaV2AndV3.safeParse(raw);
    if (!parsed.success) throw new ValidationError('pre-token-generation event', toFieldIssues(parsed.error));
    const event = parsed.data as PreTokenEvent;
    const claimedTenant = event.request.userAttributes[tenantUserAttributes.tenantId];
    if (claimedTenant !== undefined) deps.logger.appendKeys({ tenantId: claimedTenant.slice(0, 64) });
    try {
      const override = await tenantClaimsOverride(deps.config, deps.tenants, event.request.userAttributes);
      deps.logger.info('tenant claims added', { triggerSource: event.triggerSource });
      return { ...event, response: { ...event.response, claimsAndScopeOverrideDetails: override } };
    } catch (error) {
      deps.logger.warn('token issuance refused', { reason: (error as Error).message });
      throw error;
    } finally {
      deps.logger.resetKeys();
    }
  };
}

let instance: ReturnType<typeof createPreTokenHandler> | undefined;

export const handler = (event: unknown): Promise<PreTokenEvent> => {
  instance ??= createPreTokenHandler(dependenciesFromEnv());
  return instance(event);
};
