import { TenantryError } from '../errors';

/**
 * Errors of the identity part. Each carries the context needed to see what was wrong, and never a
 * token or a credential.
 */

/** A local-only setting (e.g. a JWKS override) was configured without the explicit local flag. */
export class LocalOverrideRefusedError extends TenantryError {
  public constructor(variable: string, flag: string) {
    super(`${variable} is a local-environment override and is refused unless ${flag}=true is also set`, {
      variable,
      flag,
    });
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
