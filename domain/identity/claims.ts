import type { IsolationModel, TenantryConfig } from '../config';
import { siloStackName } from '../keys';
import type { TenantStatus } from '../tenant/status';
import type { Tenant } from '../tenant/tenant';
import { type TenantId, tenantIdSchema } from '../tenant/tenant-id';

/**
 * The tenant claims Tenantry puts into Cognito tokens, and how they are read back. Defined once:
 * the pre-token-generation trigger writes them, the authorizer reads them, CDK declares the
 * user-pool attributes they come from.
 */

/** Cognito user attributes (set server-side only: no app client may write them). */
export const tenantUserAttributes = { tenantId: 'custom:tenantId', tier: 'custom:tier' } as const;

/** The custom attribute names without the `custom:` prefix (CDK `customAttributes` keys). */
export const tenantAttributeNames = { tenantId: 'tenantId', tier: 'tier' } as const;

/** Claims the pre-token-generation trigger adds to BOTH the ID and the access token. */
const tenantClaimNames = {
  tenantId: 'tenantId',
  tier: 'tier',
  isolation: 'isolation',
  route: 'route',
  status: 'tenantStatus',
} as const;

interface TenantClaims {
  readonly tenantId: TenantId;
  readonly tier: string;
}

type ClaimsResult =
  | { readonly ok: true; readonly claims: TenantClaims }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads the tenant from a VERIFIED token payload: the `tenantId` claim added by the trigger, or the
 * `custom:tenantId` attribute an ID token carries. When both are present they must agree.
 */
export function tenantClaimsFrom(payload: Readonly<Record<string, unknown>>): ClaimsResult {
  const tenantId = agreeing(payload, tenantClaimNames.tenantId, tenantUserAttributes.tenantId);
  if (!tenantId.ok) return tenantId;
  if (tenantId.value === undefined) return { ok: false, reason: 'token carries no tenant claim' };
  const parsed = tenantIdSchema.safeParse(tenantId.value);
  if (!parsed.success) return { ok: false, reason: 'token tenant claim is not a valid tenant id' };
  const tier = agreeing(payload, tenantClaimNames.tier, tenantUserAttributes.tier);
  if (!tier.ok) return tier;
  if (tier.value === undefined) return { ok: false, reason: 'token carries no tier claim' };
  return { ok: true, claims: { tenantId: parsed.data, tier: tier.value } };
}

function agreeing(
  payload: Readonly<Record<string, unknown>>,
  claim: string,
  attribute: string,
): { ok: true; value: string | undefined } | { ok: false; reason: string } {
  const a = payload[claim];
  const b = payload[attribute];
  for (const [name, value] of [
    [claim, a],
    [attribute, b],
  ] as const) {
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      return { ok: false, reason: `token claim ${name} is not a non-empty string` };
    }
  }
  if (typeof a === 'string' && typeof b === 'string' && a !== b) {
    return { ok: false, reason: `token claims ${claim} and ${attribute} disagree` };
  }
  return { ok: true, value: (a ?? b) as string | undefined };
}

/**
 * Where a tenant's requests go: `pool`, `pool+<collection>+…` for a pooled tenant with dedicated
 * collection tables (as the catalog records them), or `silo:<silo stack name>`. A route that changes
 * (a table created or removed) tells the service its caller's authorization predates the change.
 */
export function tenantRoute(
  config: TenantryConfig,
  tenant: Pick<Tenant, 'tenantId' | 'isolation' | 'collections'>,
): string {
  if (tenant.isolation !== 'pool') return `silo:${siloStackName(config, tenant.tenantId)}`;
  return ['pool', ...(tenant.collections ?? []).map((t) => t.collection)].join('+');
}

/** The claims the trigger adds for a tenant (string values only: Cognito claims are strings here). */
export function tenantTokenClaims(
  config: TenantryConfig,
  tenant: Pick<Tenant, 'tenantId' | 'tier' | 'isolation' | 'status'>,
): Record<string, string> {
  const claims: Record<(typeof tenantClaimNames)[keyof typeof tenantClaimNames], string> = {
    tenantId: tenant.tenantId,
    tier: tenant.tier,
    isolation: tenant.isolation satisfies IsolationModel,
    route: tenantRoute(config, tenant),
    tenantStatus: tenant.status satisfies TenantStatus,
  };
  return claims;
}
