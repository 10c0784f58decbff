import type { TenantryConfig } from '../config';
import { findTier } from '../config';
import { type AccessLevel, accessLevel } from '../tenant/status';
import type { TenantId } from '../tenant/tenant-id';
import { type ApiPolicyDocument, apiPolicy, isReadOnlyMethod, parseMethodArn } from './api-policy';
import { tenantClaimsFrom, tenantRoute } from './claims';
import type { TenantCredentials } from './credentials';
import { TokenRejectedError } from './errors';
import { planLimitContextKeys } from './request-context';
import type { TenantLookup } from './tenant-lookup';
import { type TenantDataLocation, tenantDataResources } from './tenant-resources';
import type { TokenVendingMachine } from './token-vending';
import type { UsageLimitCheck } from './usage-limit';
import { quotaExhaustedKeyValue, usagePlanKeyValue } from './usage-plans';

/**
 * The authorizer's decision logic, free of Lambda and API Gateway plumbing. The tenant comes ONLY
 * from the verified token; anything the caller claims elsewhere (a header, the query string) is
 * compared and reported, never used.
 */

/** Verifies a JWT and returns its payload; throws when it is not valid (aws-jwt-verify's verifier). */
export interface TokenVerifier {
  verify(token: string): Promise<Readonly<Record<string, unknown>>>;
}

interface AuthorizerRequest {
  /** The Authorization header value (`Bearer <jwt>`). */
  readonly authorization: string | undefined;
  /** `arn:…:<apiId>/<stage>/<METHOD>/<path>`: the stage the policy covers, the method it checks. */
  readonly methodArn: string;
  /** Tenant ids the caller named outside the token (header, query). Compared, never trusted. */
  readonly claimedTenantIds?: readonly string[];
}

/** Header and query parameter through which a caller might (wrongly) name a tenant. */
const TENANT_HEADER = 'x-tenant-id';
const TENANT_QUERY_PARAMETER = 'tenantId';

/** The fields of an API Gateway REQUEST authorizer event the decision reads. */
interface RequestAuthorizerEvent {
  readonly methodArn: string;
  readonly headers?: Readonly<Record<string, string>> | null;
  readonly queryStringParameters?: Readonly<Record<string, string>> | null;
}

/**
 * The request to decide on: the Authorization header (header names are case-insensitive), and the
 * tenants the caller names in the tenant header or query parameter, to be compared, never used.
 */
export function authorizerRequestFrom(event: RequestAuthorizerEvent): AuthorizerRequest {
  const headers = new Map(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const claimed = [headers.get(TENANT_HEADER), event.queryStringParameters?.[TENANT_QUERY_PARAMETER]];
  return {
    authorization: headers.get('authorization'),
    methodArn: event.methodArn,
    claimedTenantIds: claimed.filter((v): v is string => v !== undefined && v !== ''),
  };
}

/** A value the handler must log as suspicious (no token content in it). */
interface AuthorizerWarning {
  readonly kind: 'tenant-mismatch' | 'tier-claim-stale';
  readonly detail: string;
}

/**
 * The tenant context handed to the integration (API Gateway allows string/number/boolean values
 * only). Never holds a credential: see `AuthorizerDecision` (allow) and `./request-context`.
 */
export type AuthorizerContext = Record<string, string>;

export type AuthorizerDecision =
  /** 401: no valid token. */
  | { readonly kind: 'unauthorized'; readonly reason: string; readonly warnings: AuthorizerWarning[] }
  /**
   * 403: a valid token whose tenant may not do this. The policy denies the whole stage and no
   * credentials are vended: API Gateway caches this result per token AND method (identity sources
   * in the identity stack), so a refused write never blocks the same token's reads.
   */
  | {
      readonly kind: 'forbidden';
      readonly reason: string;
      readonly principalId: string;
      readonly tenantId: TenantId;
      readonly policy: ApiPolicyDocument;
      readonly context: AuthorizerContext;
      readonly warnings: AuthorizerWarning[];
    }
  /**
   * 429: the tenant is over a plan limit. A REST authorizer cannot answer 429 itself (a policy only
   * allows or denies, and any error other than "Unauthorized" becomes a 500), so this is an ALLOW
   * policy whose `usageIdentifierKey` is the key of the stage's quota-exhausted usage plan
   * (throttle rate 0, burst 0): API Gateway rejects the request with 429 `Too Many Requests` before
   * any integration runs. Defence in depth, fail closed: NO credentials are vended, and the context
   * carries `planLimit: exceeded`, so a request the best-effort throttle let through reaches compute
   * without tenant credentials and `tenantRequestFrom` refuses it (`PlanLimitExceededError`, 429).
   */
  | {
      readonly kind: 'quota-exceeded';
      readonly reason: string;
      readonly principalId: string;
      readonly tenantId: TenantId;
      readonly tier: string;
      readonly metric?: string;
      readonly policy: ApiPolicyDocument;
      readonly context: AuthorizerContext;
      readonly usageIdentifierKey: string;
      readonly warnings: AuthorizerWarning[];
    }
  /**
   * Allowed. `credentials` are the tenant's vended (cached) session; they are NOT in `context`. The
   * handler hands them to pooled compute through the API Gateway authorizer context of ALLOW results
   * only (`authorizerResultContext` in ./request-context): that keeps compute from ever choosing a
   * tenant or holding sts:AssumeRole, so a compute bug cannot reach another tenant's data. Compute
   * reads them with `tenantRequestFrom` and logs events only through `redactedForLog`.
   * `TenantCredentials` redacts itself when serialised, so logging a decision leaks nothing.
   */
  | {
      readonly kind: 'allow';
      readonly principalId: string;
      readonly tenantId: TenantId;
      readonly tier: string;
      readonly route: string;
      readonly access: Exclude<AccessLevel, 'none'>;
      readonly policy: ApiPolicyDocument;
      readonly context: AuthorizerContext;
      readonly credentials: TenantCredentials;
      readonly usageIdentifierKey: string;
      readonly warnings: AuthorizerWarning[];
    };

interface TenantAuthorizerOptions {
  readonly config: TenantryConfig;
  readonly verifier: TokenVerifier;
  /** Catalog lookup, cached (see `cachedTenantLookup`). */
  readonly tenants: TenantLookup;
  /** Plan-limit check, cached (see `cachedUsageLimitCheck`). */
  readonly usageLimit: UsageLimitCheck;
  readonly vending: TokenVendingMachine;
  readonly dataLocation: TenantDataLocation;
}

/** Longest accepted token, characters (Cognito tokens are 1-4 KB). */
const MAX_TOKEN_CHARS = 8_192;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export class TenantAuthorizer {
  public constructor(private readonly options: TenantAuthorizerOptions) {}

  public async decide(request: AuthorizerRequest): Promise<AuthorizerDecision> {
    const warnings: AuthorizerWarning[] = [];
    const token = this.bearerToken(request.authorization);
    if (!token.ok) return { kind: 'unauthorized', reason: token.reason, warnings };

    let payload: Readonly<Record<string, unknown>>;
    try {
      payload = await this.options.verifier.verify(token.value);
    } catch (error) {
      // Only the error's kind: aws-jwt-verify's messages echo claim values of the caller's token.
      const kind = error instanceof TokenRejectedError ? error.kind : 'TokenVerificationError';
      return { kind: 'unauthorized', reason: `token rejected: ${kind}`, warnings };
    }
    const claims = tenantClaimsFrom(payload);
    if (!claims.ok) return { kind: 'unauthorized', reason: claims.reason, warnings };
    const { tenantId } = claims.claims;
    const principalId = typeof payload.sub === 'string' ? payload.sub : tenantId;

    for (const claimed of request.claimedTenantIds ?? []) {
      if (claimed !== tenantId) {
        warnings.push({
          kind: 'tenant-mismatch',
          detail: `request names tenant "${sanitize(claimed)}" but the token's tenant is ${tenantId}; ignored`,
        });
      }
    }

    const { stageArn, method } = parseMethodArn(request.methodArn);
    const denyAll = (reason: string): AuthorizerDecision => ({
      kind: 'forbidden',
      reason,
      principalId,
      tenantId,
      policy: apiPolicy(stageArn, 'none'),
      context: { tenantId, denyReason: reason },
      warnings,
    });

    const tenant = await this.options.tenants(tenantId);
    if (tenant === undefined) return denyAll(`tenant ${tenantId} is not in the catalog`);
    const access = accessLevel(tenant.status);
    if (access === 'none') return denyAll(`tenant ${tenantId} is ${tenant.status}`);

    let tier = claims.claims.tier;
    if (tier !== tenant.tier) {
      warnings.push({
        kind: 'tier-claim-stale',
        detail: `token tier ${sanitize(tier)} differs from the catalog's ${tenant.tier}; using the catalog's`,
      });
      tier = tenant.tier;
    }
    if (findTier(this.options.config, tier) === undefined) return denyAll(`tier ${tier} is not configured`);

    if (access === 'read-only' && !isReadOnlyMethod(method)) {
      // Decided before the plan-limit check and before vending: a refused request gets neither
      // credentials nor an STS call, and reads 403 whatever the tenant's usage.
      return denyAll(`tenant ${tenantId} is ${tenant.status}: read-only, ${method} refused`);
    }

    const usage = await this.options.usageLimit(tenantId, tier);
    if (usage.exceeded) {
      const context: AuthorizerContext = {
        tenantId,
        tier,
        [planLimitContextKeys.state]: 'exceeded',
        ...(usage.metric !== undefined ? { [planLimitContextKeys.metric]: usage.metric } : {}),
      };
      return {
        kind: 'quota-exceeded',
        reason: `tenant ${tenantId} is over its ${tier} plan limit${usage.metric ? ` for ${usage.metric}` : ''}`,
        principalId,
        tenantId,
        tier,
        ...(usage.metric !== undefined ? { metric: usage.metric } : {}),
        policy: apiPolicy(stageArn, access),
        context,
        usageIdentifierKey: quotaExhaustedKeyValue(this.options.config),
        warnings,
      };
    }

    const resources = tenantDataResources(this.options.config, this.options.dataLocation, tenant);
    const credentials = await this.options.vending.credentialsFor({ tenantId, tier, access, ...resources });
    const route = tenantRoute(this.options.config, tenant);
    const usageIdentifierKey = usagePlanKeyValue(this.options.config, tier);
    const context: AuthorizerContext = { tenantId, tier, route, accessLevel: access };
    const policy = apiPolicy(stageArn, access);
    return {
      kind: 'allow',
      principalId,
      tenantId,
      tier,
      route,
      access,
      policy,
      context,
      credentials,
      usageIdentifierKey,
      warnings,
    };
  }

  private bearerToken(
    header: string | undefined,
  ): { ok: true; value: string } | { ok: false; reason: string } {
    if (header === undefined || header.trim() === '') return { ok: false, reason: 'no Authorization header' };
    const match = /^Bearer[ ]+(\S*)\s*$/i.exec(header);
    if (match === null) return { ok: false, reason: 'Authorization header is not "Bearer <token>"' };
    const value = match[1] as string;
    if (value === '') return { ok: false, reason: 'empty bearer token' };
    if (value.length > MAX_TOKEN_CHARS) {
      return { ok: false, reason: `token longer than ${MAX_TOKEN_CHARS} characters` };
    }
    if (!JWT_SHAPE.test(value)) return { ok: false, reason: 'token is not a compact JWT' };
    return { ok: true, value };
  }
}

/** A caller-supplied value, safe to put in a log line: short and printable. */
function sanitize(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, 64);
}
