import type { TenantryConfig } from '../config';
import { TENANT_SESSION_SECONDS } from '../identity/token-vending';
import { AUTHORIZER_CATALOG_CACHE_SECONDS, maxAuthorizerResultCacheSeconds } from '../identity/usage-limit';

/**
 * How long a promotion waits after setting MIGRATING before it copies anything: until no cached
 * read-write authorization of the tenant can still be honoured by the authorizer. The one definition,
 * substituted into the promotion definition as `${WriteFreezeSeconds}` (infra/lifecycle-stack.ts).
 *
 *   API Gateway authorizer result cache  the longest the identity stack accepts
 *                                          (`maxAuthorizerResultCacheSeconds`)
 * + the authorizer's catalog cache        `AUTHORIZER_CATALOG_CACHE_SECONDS`
 * + a margin for clock skew and the Lambda still running a request it authorized.
 *
 * The tenant-scoped credentials the authorizer vends (AssumeRole, valid up to 900 s) are NOT covered:
 * STS sessions cannot be revoked per tenant and a 15-minute wait would be disproportionate. A write
 * made with such credentials after this freeze is still possible, so the freeze alone does not make
 * the purge safe: the purge itself (`purgeVerifiedTenantChunk`) deletes only pooled items whose silo
 * copy is present and identical, and fails the promotion into its rollback otherwise.
 */
const WRITE_FREEZE_MARGIN_SECONDS = 5;

export function writeFreezeSeconds(config: TenantryConfig): number {
  return (
    maxAuthorizerResultCacheSeconds(config) + AUTHORIZER_CATALOG_CACHE_SECONDS + WRITE_FREEZE_MARGIN_SECONDS
  );
}

/**
 * How long offboarding waits after setting OFFBOARDING (the authorizer refuses the tenant from then on)
 * before it bills and purges: the promotion's freeze plus the lifetime of the tenant-scoped credentials
 * the authorizer vends (`TENANT_SESSION_SECONDS`). A session vended just before OFFBOARDING can write
 * until it expires, and STS cannot revoke sessions per tenant; so the purge starts only once no vended
 * credential of the tenant can still be valid, and nothing can be written behind its cursor.
 * Substituted as `${OffboardingFreezeSeconds}` (infra/lifecycle-stack.ts; the local env sets seconds).
 */
export function offboardingFreezeSeconds(config: TenantryConfig): number {
  return writeFreezeSeconds(config) + TENANT_SESSION_SECONDS;
}
