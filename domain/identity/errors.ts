import { TenantryError } from '../errors';

/**
 * Errors of the identity part. Each carries the context needed to see what was wrong, and never a
 * token or a credential.
 */

/**
 * A local-only setting (e.g. a JWKS override) was configured where it must not take effect: without
 * the explicit local flag, or on real Lambda (not the local emulator).
 */
export class LocalOverrideRefusedError extends TenantryError {
  public constructor(
    variable: string,
    flag: string,
    reason = `it is refused unless ${flag}=true is also set`,
  ) {
    super(`${variable} is a local-environment override and ${reason}`, { variable, flag });
  }
}

/**
 * The token verifier rejected a token. `kind` is a fixed name (the verifier's error class, e.g.
 * `JwtExpiredError`); the verifier's own message is dropped because it echoes claim values from
 * the caller's token (issuer, client id, token use).
 */
export class TokenRejectedError extends TenantryError {
  public readonly kind: string;

  public constructor(kind: string) {
    super(`token rejected: ${kind}`, { kind });
    this.kind = kind;
  }
}

/**
 * A tenant over its plan limit reached tenant compute: `tenantRequestFrom` throws it for a request
 * the authorizer flagged `planLimit: exceeded` (normally API Gateway's quota-exhausted usage plan
 * rejects such a request with 429 first; this is the fail-closed second line). Compute answers
 * `httpStatus` (429). Carries the tenant, tier and metric: no token, no credential.
 */
export class PlanLimitExceededError extends TenantryError {
  /** The HTTP status pooled compute answers with. */
  public readonly httpStatus = 429;

  public constructor(tenantId: string, tier: string, metric?: string) {
    super(
      `tenant ${tenantId} is over its ${tier} plan limit${metric === undefined ? '' : ` for ${metric}`}`,
      {
        tenantId,
        tier,
        ...(metric === undefined ? {} : { metric }),
      },
    );
  }
}

/**
 * The authorizer could not decide (catalog, STS or configuration failure); the request is refused
 * (API Gateway: AUTHORIZER_CONFIGURATION_ERROR / AUTHORIZER_FAILURE, which the identity stack
 * answers with 503 — never with the plan-limit 429).
 */
export class AuthorizerUnavailableError extends TenantryError {
  public constructor(cause: string) {
    super(`authorizer unavailable: ${cause}`, { cause });
  }
}

/** A request reached tenant compute without the tenant context (and credentials) the authorizer hands off. */
export class TenantContextMissingError extends TenantryError {
  public constructor(fields: readonly string[]) {
    super(`request carries no valid tenant context from the authorizer (${fields.join(', ')})`, { fields });
  }
}

/** The pre-token-generation trigger refuses to issue tokens for this user (Cognito fails the sign-in). */
export class TokenIssuanceRefusedError extends TenantryError {
  public constructor(reason: string, context: Record<string, unknown> = {}) {
    super(`refusing to issue tokens: ${reason}`, { reason, ...context });
  }
}

/** A generated IAM session policy would exceed the AssumeRole size limit. */
export class SessionPolicyTooLargeError extends TenantryError {
  public constructor(tenantId: string, length: number, limit: number) {
    super(`session policy for tenant ${tenantId} is ${length} characters, over the ${limit} limit`, {
      tenantId,
      length,
      limit,
    });
  }
}

/** STS returned no usable credentials for a tenant. */
export class TokenVendingError extends TenantryError {
  public constructor(tenantId: string, message: string, options?: ErrorOptions) {
    super(`cannot vend credentials for tenant ${tenantId}: ${message}`, { tenantId }, options);
  }
}

/** A tenant's silo table is not one the tenant-runtime role may reach (wrong name or missing). */
export class TenantResourceError extends TenantryError {
  public constructor(tenantId: string, message: string) {
    super(`tenant ${tenantId}: ${message}`, { tenantId });
  }
}

/** The migration knows no database endpoint: neither its secret nor its environment names one. */
export class DatabaseEndpointMissingError extends TenantryError {
  public constructor(secretArn: string) {
    super(`no database endpoint: secret ${secretArn} has no host and DATABASE_HOST is unset`, { secretArn });
  }
}
