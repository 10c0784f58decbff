import { z } from 'zod';
import { tenantIdSchema } from '../tenant/tenant-id';
import type { AuthorizerContext, AuthorizerDecision } from './authorizer';
import { TenantCredentials } from './credentials';
import { PlanLimitExceededError, TenantContextMissingError } from './errors';

/**
 * The hand-off of vended credentials from the authorizer to pooled compute.
 *
 * Design (why credentials travel in the authorizer context at all): the authorizer is the only
 * principal allowed to assume the tenant-runtime role, and it does so for the tenant of the VERIFIED
 * token. Pooled compute receives ready-made tenant-scoped credentials and never holds sts:AssumeRole,
 * so no compute bug can pick another tenant. The price is that the credentials sit in API Gateway's
 * authorizer cache (AWS-managed, for at most the cache TTL, which the vending machine's
 * `minRemainingSeconds` covers) and in the integration event's `requestContext.authorizer`. Hence:
 * - only ALLOW results carry them (`authorizerResultContext`); unauthorized, forbidden and
 *   quota-exceeded results never do, and the decision's own `context` never does;
 * - a quota-exceeded result is an API Gateway Allow (see `AuthorizerDecision`) flagged with
 *   `planLimit: exceeded`: `tenantRequestFrom` refuses it with `PlanLimitExceededError` (HTTP 429)
 *   before looking at anything else, in case the quota-exhausted usage plan let a request through;
 * - compute reads them only through `tenantRequestFrom` (validated, wrapped in the self-redacting
 *   `TenantCredentials`), and logs an event only as `redactedForLog(event)` — which also hides the
 *   bearer token;
 * - the stage's access-log format names no credential field and data tracing stays off (identity stack).
 */

/** Authorizer-context keys of the credential hand-off (and of nothing else). */
export const credentialContextKeys = {
  accessKeyId: 'tenantAccessKeyId',
  secretAccessKey: 'tenantSecretAccessKey',
  sessionToken: 'tenantSessionToken',
  expiration: 'tenantCredentialsExpiration',
} as const;

/** Authorizer-context keys of the tenant context (non-secret). */
const tenantContextKeys = {
  tenantId: 'tenantId',
  tier: 'tier',
  route: 'route',
  accessLevel: 'accessLevel',
} as const;

/**
 * Authorizer-context keys of the plan-limit flag: present only on quota-exceeded results
 * (`state` is then `exceeded`; `metric` names the limit reached when known).
 */
export const planLimitContextKeys = {
  state: 'planLimit',
  metric: 'planLimitMetric',
} as const;

export const REDACTED = '[redacted]';

/**
 * The API Gateway authorizer `context` for a decision: the tenant context, plus the credential
 * hand-off for an ALLOW decision only.
 */
export function authorizerResultContext(decision: AuthorizerDecision): AuthorizerContext {
  if (decision.kind === 'allow') {
    const c = decision.credentials;
    return {
      ...decision.context,
      [credentialContextKeys.accessKeyId]: c.accessKeyId,
      [credentialContextKeys.secretAccessKey]: c.secretAccessKey,
      [credentialContextKeys.sessionToken]: c.sessionToken,
      [credentialContextKeys.expiration]: c.expiration.toISOString(),
    };
  }
  return 'context' in decision ? { ...decision.context } : {};
}

/** The part of an API Gateway (REST, Lambda proxy) event this module reads. */
interface EventWithAuthorizer {
  readonly requestContext?: { readonly authorizer?: Readonly<Record<string, unknown>> | null } | null;
}

export interface TenantRequest {
  readonly tenantId: string;
  readonly tier: string;
  readonly route: string;
  readonly access: 'read-write' | 'read-only';
  /** The tenant's session credentials (redacted whenever serialised). */
  readonly credentials: TenantCredentials;
}

/** Requests built by `tenantRequestFrom` from an authorizer hand-off (and no others). */
const verifiedRequests = new WeakSet<TenantRequest>();

/**
 * Whether `request` is one `tenantRequestFrom` built from the authorizer's hand-off, not an object of
 * the same shape built elsewhere with a free tenant id (usage emission relies on it).
 */
export function isVerifiedTenantRequest(request: TenantRequest): boolean {
  return verifiedRequests.has(request);
}

const handOffSchema = z.object({
  [tenantContextKeys.tenantId]: tenantIdSchema,
  [tenantContextKeys.tier]: z.string().min(1),
  [tenantContextKeys.route]: z.string().min(1),
  [tenantContextKeys.accessLevel]: z.enum(['read-write', 'read-only']),
  [credentialContextKeys.accessKeyId]: z.string().min(1),
  [credentialContextKeys.secretAccessKey]: z.string().min(1),
  [credentialContextKeys.sessionToken]: z.string().min(1),
  [credentialContextKeys.expiration]: z.iso.datetime(),
});

/**
 * For pooled compute: the tenant and its credentials as the authorizer established them.
 * Throws `PlanLimitExceededError` (map it to HTTP 429, `error.httpStatus`) when the authorizer
 * flagged the tenant as over its plan limit — checked first, whatever else the context holds — and
 * `TenantContextMissingError` (naming the bad fields, never their values) when the event did not
 * come through the tenant authorizer.
 */
export function tenantRequestFrom(event: EventWithAuthorizer): TenantRequest {
  const authorizer = event.requestContext?.authorizer ?? {};
  const planLimit = authorizer[planLimitContextKeys.state];
  if (planLimit !== undefined && planLimit !== null) {
    if (planLimit !== 'exceeded') throw new TenantContextMissingError([planLimitContextKeys.state]);
    const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 64) : 'unknown');
    const metric = authorizer[planLimitContextKeys.metric];
    throw new PlanLimitExceededError(
      text(authorizer[tenantContextKeys.tenantId]),
      text(authorizer[tenantContextKeys.tier]),
      typeof metric === 'string' ? metric.slice(0, 64) : undefined,
    );
  }
  const parsed = handOffSchema.safeParse(authorizer);
  if (!parsed.success) {
    throw new TenantContextMissingError([...new Set(parsed.error.issues.map((i) => String(i.path[0])))]);
  }
  const v = parsed.data;
  const request: TenantRequest = Object.freeze({
    tenantId: v.tenantId,
    tier: v.tier,
    route: v.route,
    access: v.accessLevel,
    credentials: new TenantCredentials(
      v.tenantId,
      v[credentialContextKeys.accessKeyId],
      v[credentialContextKeys.secretAccessKey],
      v[credentialContextKeys.sessionToken],
      new Date(v[credentialContextKeys.expiration]),
    ),
  });
  verifiedRequests.add(request);
  return request;
}

const SECRET_HEADERS = new Set(['authorization', 'cookie']);

/**
 * A copy of an API Gateway event that is safe to log: the credential hand-off in
 * `requestContext.authorizer` and the Authorization/Cookie headers are replaced by `[redacted]`.
 * The original event is not modified.
 */
export function redactedForLog<E extends object>(event: E): E {
  const copy = structuredClone(event) as E & {
    requestContext?: { authorizer?: Record<string, unknown> | null } | null;
    headers?: Record<string, unknown> | null;
    multiValueHeaders?: Record<string, unknown> | null;
  };
  const authorizer = copy.requestContext?.authorizer;
  if (authorizer !== undefined && authorizer !== null) {
    for (const key of Object.values(credentialContextKeys)) {
      if (key in authorizer) authorizer[key] = REDACTED;
    }
  }
  for (const headers of [copy.headers, copy.multiValueHeaders]) {
    if (headers === undefined || headers === null) continue;
    for (const name of Object.keys(headers)) {
      if (SECRET_HEADERS.has(name.toLowerCase())) headers[name] = REDACTED;
    }
  }
  return copy;
}
