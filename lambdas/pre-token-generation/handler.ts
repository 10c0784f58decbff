import { Logger } from '@aws-lambda-powertools/logger';
import { documentClient } from '../../domain/aws/clients';
import { CatalogRepository } from '../../domain/catalog/repository';
import { loadConfig } from '../../domain/config';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { tenantUserAttributes } from '../../domain/identity/claims';
import { tenantClaimsOverride } from '../../domain/identity/pre-token';
import { cachedTenantLookup } from '../../domain/identity/tenant-lookup';
import { contract } from './contract';

/**
 * Cognito pre-token-generation trigger, event version V2_0: adds tenantId, tier, isolation, route
 * and tenant status to BOTH the ID and the access token from the catalog (cached per tenant for
 * CATALOG_CACHE_SECONDS). Throwing makes Cognito refuse the sign-in. A user whose custom:tier differs
 * from the catalog (a tier change in flight) gets the catalog's tier; the drift is logged.
 */

const env = readFunctionEnv(contract);
const config = loadConfig(env.TENANTRY_CONFIG ?? '');
const catalog = new CatalogRepository({ client: documentClient(), tableName: env.CATALOG_TABLE_NAME });
const tenants = cachedTenantLookup((id) => catalog.find(id), env.CATALOG_CACHE_SECONDS);
const logger = new Logger({ serviceName: 'tenantry-pre-token-generation' });

export const handler = contractHandler(contract, async (event) => {
  const claimedTenant = event.request.userAttributes[tenantUserAttributes.tenantId];
  if (claimedTenant !== undefined) logger.appendKeys({ tenantId: claimedTenant.slice(0, 64) });
  try {
    const override = await tenantClaimsOverride(config, tenants, event.request.userAttributes, (drift) =>
      // No username, e-mail or token: the tenant (already a key) and the two tier names.
      logger.warn('user tier differs from the catalog; the catalog tier is issued', {
        userTier: drift.userTier.slice(0, 20),
        catalogTier: drift.catalogTier,
      }),
    );
    logger.info('tenant claims added', { triggerSource: event.triggerSource });
    return { ...event, response: { ...event.response, claimsAndScopeOverrideDetails: override } };
  } catch (error) {
    logger.warn('token issuance refused', { reason: (error as Error).message });
    throw error;
  } finally {
    logger.resetKeys();
  }
});
