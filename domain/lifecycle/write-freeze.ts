import type { TenantryConfig } from '../config';
import { planLimitCacheSeconds, stepSeconds } from '../identity/usage-limit';

/**
 * How long a promotion waits after setting MIGRATING before it copies anything: until no cached
 * read-write authorization of the tenant can still be honoured by the authorizer. The one definition,
 * substituted into the promotion definition as `${WriteFreezeSeconds}` (infra/lifecycle-stack.ts).
 *
 *   API Gateway authorizer result cache  min(60 s, one metering step − the plan-limit cache)
 *                                          (the identity stack's default `authorizerCacheTtl`)
 * + the authorizer's catalog cache        `CATALOG_CACHE_SECONDS` (30 s, identity stack)
 * + a margin for clock skew and the Lambda still running a request it authorized.
 *
 * The tenant-scoped credentials the authorizer vends (AssumeRole, valid up to 900 s) are NOT covered:
 * STS sessions cannot be revoked per tenant and a 15-minute wait would be disproportionate. A write
 * made with such credentials after this freeze is still possible, so the freeze alone does not make
 * the purge safe: the purge itself (`purgeVerifiedTenantChunk`) deletes only pooled items whose silo
 * copy is present and identical, and fails the promotion into its rollback otherwise.
 */
export const AUTHORIZER_CATALOG_CACHE_SECONDS = 30;
export const WRITE_FREEZE_MARGIN_SECONDS = 5;

/** The authorizer result cache TTL the identity stack uses by default. */
export function authorizerResultCacheSeconds(config: TenantryConfig): number {
  return Math.min(60, stepSeconds(config) - planLimitCacheSeconds(config));
}

export function writeFreezeSeconds(config: TenantryConfig): number {
  return (
    authorizerResultCacheSeconds(config) + AUTHORIZER_CATALOG_CACHE_SECONDS + WRITE_FREEZE_MARGIN_SECONDS
  );
}
