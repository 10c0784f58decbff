/**
 * Step 0 of the billing run: who is billed. Tenants with a live subscription get a record every hour
 * (zero included) for every billed metric (dimension); the catalog lists them by status.
 */
import type { CatalogRepository } from '../catalog/repository';
import type { MetricConfig, TenantryConfig } from '../config';
import type { Tenant } from '../tenant/tenant';
import { DuplicateMeteringIdentityError } from './errors';

/** Tenants that get hourly records (zero included): those with a live subscription. */
export const BILLED_STATUSES = ['ACTIVE', 'SUSPENDED', 'MIGRATING', 'OFFBOARDING'] as const;

type BilledTenant = Tenant & { readonly marketplace: NonNullable<Tenant['marketplace']> };

/** One billed (tenant, metric): the unit every later step works on. */
export interface BilledPair {
  readonly tenant: BilledTenant;
  readonly metric: MetricConfig;
}

/** Every tenant in a billed status (a tenant listed twice, e.g. moving between statuses, once). */
export async function billableTenants(catalog: CatalogRepository): Promise<Tenant[]> {
  const lists = await Promise.all(BILLED_STATUSES.map((status) => catalog.listByStatus(status)));
  return [...new Map(lists.flat().map((t) => [t.tenantId, t])).values()];
}

/**
 * The (tenant, metric) pairs to bill, the tenants billed, and the tenants left out (not in a billed status, or without a
 * Marketplace identity). Refuses, before anything is written, two metrics billing one dimension and
 * two tenants sharing one Marketplace customer + license (they would share every record identity).
 */
export function billedPairs(
  config: TenantryConfig,
  tenants: readonly Tenant[],
): { pairs: BilledPair[]; billed: BilledTenant[]; notBillable: string[] } {
  const dimensions = new Set<string>();
  for (const m of config.metrics) {
    if (dimensions.has(m.billing.dimension))
      throw new Error(`two metrics bill dimension ${m.billing.dimension}`);
    dimensions.add(m.billing.dimension);
  }
  const notBillable: string[] = [];
  const pairs: BilledPair[] = [];
  const billed: BilledTenant[] = [];
  const byIdentity = new Map<string, string>();
  const seen = new Set<string>();
  for (const tenant of tenants) {
    if (seen.has(tenant.tenantId)) continue; // listed twice: billed once
    seen.add(tenant.tenantId);
    if (!(BILLED_STATUSES as readonly string[]).includes(tenant.status) || tenant.marketplace === undefined) {
      notBillable.push(tenant.tenantId);
      continue;
    }
    const { customerAwsAccountId, licenseArn } = tenant.marketplace;
    const identity = `${customerAwsAccountId}|${licenseArn}`;
    const other = byIdentity.get(identity);
    if (other !== undefined) {
      throw new DuplicateMeteringIdentityError(other, tenant.tenantId, { customerAwsAccountId, licenseArn });
    }
    byIdentity.set(identity, tenant.tenantId);
    billed.push(tenant as BilledTenant);
    for (const metric of config.metrics) pairs.push({ tenant: tenant as BilledTenant, metric });
  }
  return { pairs, billed, notBillable };
}
