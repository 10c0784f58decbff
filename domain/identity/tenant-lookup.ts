import type { Tenant } from '../tenant/tenant';
import { TtlCache } from './ttl-cache';

/** Reads a tenant's catalog record (undefined when there is none). */
export type TenantLookup = (tenantId: string) => Promise<Tenant | undefined>;

/**
 * A catalog lookup cached per tenant for `ttlSeconds` (absent tenants too): one catalog read per
 * tenant per TTL, not per request or per sign-in. `find` is usually `CatalogRepository.find`.
 */
export function cachedTenantLookup(
  find: TenantLookup,
  ttlSeconds: number,
  now: () => number = Date.now,
): TenantLookup {
  const cache = new TtlCache<Tenant | undefined>({ ttlMs: ttlSeconds * 1000, now });
  return (tenantId) => cache.get(tenantId, () => find(tenantId));
}
