import { z } from 'zod';
import type { TenantryConfig } from '../config';
import type { TenantStatus } from '../tenant/status';
import { isTenantId } from '../tenant/tenant-id';
import { tenantTokenClaims, tenantUserAttributes } from './claims';
import { TokenIssuanceRefusedError } from './errors';
import type { TenantLookup } from './tenant-lookup';

/** Tenant states for which Cognito must not issue tokens at all. */
const NO_TOKEN_STATUSES: readonly TenantStatus[] = ['OFFBOARDED', 'FAILED'];

const claimsToAddOrOverride = z.object({ claimsToAddOrOverride: z.record(z.string(), z.string()) });
/** The V2 trigger's `claimsAndScopeOverrideDetails`: the tenant claims, in both tokens. */
export const claimsOverrideSchema = z.object({
  idTokenGeneration: claimsToAddOrOverride,
  accessTokenGeneration: claimsToAddOrOverride,
});
type ClaimsOverride = z.infer<typeof claimsOverrideSchema>;

/** A user whose `custom:tier` is not the catalog's (a tier change in flight, or one that failed). */
export interface TierDrift {
  readonly tenantId: string;
  readonly userTier: string;
  readonly catalogTier: string;
}

/**
 * The pre-token-generation decision: read the user's tenant from its server-side attributes
 * (`custom:tenantId`, `custom:tier`, which no app client can write), check it against the catalog,
 * and add the tenant claims to both tokens. `clientMetadata` — what the client sent — is never
 * read. Throws TokenIssuanceRefusedError when no token may be issued.
 *
 * The catalog is the source of truth for the tier: a user whose `custom:tier` differs (a promotion
 * updates the catalog before its users) gets the catalog's tier and route, also as `custom:tier` in
 * the ID token (so the token's claims agree), and `onDrift` reports the difference.
 */
export async function tenantClaimsOverride(
  config: TenantryConfig,
  tenants: TenantLookup,
  userAttributes: Readonly<Record<string, string>>,
  onDrift: (drift: TierDrift) => void = () => {},
): Promise<ClaimsOverride> {
  const tenantId = userAttributes[tenantUserAttributes.tenantId];
  if (tenantId === undefined || tenantId === '') {
    throw new TokenIssuanceRefusedError(`user has no ${tenantUserAttributes.tenantId} attribute`);
  }
  if (!isTenantId(tenantId)) {
    throw new TokenIssuanceRefusedError(`user's ${tenantUserAttributes.tenantId} is not a valid tenant id`);
  }
  const tenant = await tenants(tenantId);
  if (tenant === undefined) throw new TokenIssuanceRefusedError('tenant is not in the catalog', { tenantId });
  if (NO_TOKEN_STATUSES.includes(tenant.status)) {
    throw new TokenIssuanceRefusedError(`tenant is ${tenant.status}`, { tenantId });
  }
  const tier = userAttributes[tenantUserAttributes.tier];
  if (tier === undefined || tier === '') {
    throw new TokenIssuanceRefusedError(`user has no ${tenantUserAttributes.tier} attribute`, { tenantId });
  }
  const claims = tenantTokenClaims(config, tenant);
  if (tier === tenant.tier) {
    return {
      idTokenGeneration: { claimsToAddOrOverride: { ...claims } },
      accessTokenGeneration: { claimsToAddOrOverride: { ...claims } },
    };
  }
  onDrift({ tenantId, userTier: tier, catalogTier: tenant.tier });
  return {
    idTokenGeneration: { claimsToAddOrOverride: { ...claims, [tenantUserAttributes.tier]: tenant.tier } },
    accessTokenGeneration: { claimsToAddOrOverride: { ...claims } },
  };
}
