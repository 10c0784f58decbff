/**
 * Step 0 of the billing run: who is billed. Tenants with a live subscription get a record every hour
 * (zero included) for every billed metric (dimension); the catalog lists them by status.
 */
import type { CatalogRepository } from '../catalog/repository';
import type { MetricConfig, TenantryConfig } from '../config';
import type { Tenant } from '../tenant/tenant';

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

/** Tenants held back because they share one Marketplace customer + license. */
export interface IdentityClash {
  readonly tenantIds: string[];
  readonly customerAwsAccountId: string;
  readonly licenseArn: string;
}

/**
 * The (tenant, metric) pairs to bill, the tenants billed, the tenants left out (not in a billed status,
 * or without a Marketplace identity), and the tenants held back: different tenants sharing one
 * Marketplace customer + license would share every record identity (one of them could never be
 * billed), so none of them is billed until the catalog is fixed — everyone else is. Refuses a
 * configuration with two metrics billing one dimension.
 */
export function billedPairs(
  config: TenantryConfig,
  tenants: readonly Tenant[],
): { pairs: BilledPair[]; billed: BilledTenant[]; notBillable: string[]; heldBack: IdentityClash[] } {
  const dimensions = new Set<string>();
  for (const m of config.metrics) {
    if (dimensions.has(m.billing.dimension))
      throw new Error(`two metrics bill dimension ${m.billing.dimension}`);
    dimensions.add(m.billing.dimension);
  }
  const notBillable: string[] = [];
  const byIdentity = new Map<string, BilledTenant[]>();
  const seen = new Set<string>();
  for (const tenant of tenants) {
    if (seen.has(tenant.tenantId)) continue; // listed twice: billed once
    seen.add(tenant.tenantId);
    if (!(BILLED_STATUSES as readonly string[]).includes(tenant.status) || tenant.marketplace === undefined) {
      notBillable.push(tenant.tenantId);
      continue;
    }
    const identity = `${tenant.marketplace.customerAwsAccountId}|${tenant.marketplace.licenseArn}`;
    byIdentity.set(identity, [...(byIdentity.get(identity) ?? []), tenant as BilledTenant]);
  }
  const billed: BilledTenant[] = [];
  const heldBack: IdentityClash[] = [];
  for (const sharing of byIdentity.values()) {
    const [first] = sharing;
    if (sharing.length === 1 && first !== undefined) billed.push(first);
    else if (first !== undefined) {
      const { customerAwsAccountId, licenseArn } = first.marketplace;
      heldBack.push({ tenantIds: sharing.map((t) => t.tenantId), customerAwsAccountId, licenseArn });
    }
  }
  const pairs = billed.flatMap((tenant) => config.metrics.map((metric) => ({ tenant, metric })));
  return { pairs, billed, notBillable, heldBack };
}

/**
 * Who a reconciliation covers: every tenant billed at some point of the period (billed statuses, and
 * offboarded ones for their last month), the billed among them (a Marketplace identity), and those whose
 * late events may still be adjusted (billed and not offboarded: an offboarded tenant's billing is closed).
 */
export async function reconciliationTenants(
  catalog: CatalogRepository,
): Promise<{ tenantIds: string[]; billedTenantIds: string[]; adjustTenantIds: string[] }> {
  const statuses = [...BILLED_STATUSES, 'OFFBOARDED'] as const;
  const tenants = (await Promise.all(statuses.map((s) => catalog.listByStatus(s)))).flat();
  const billed = tenants.filter((t) => t.marketplace !== undefined);
  return {
    tenantIds: tenants.map((t) => t.tenantId),
    billedTenantIds: billed.map((t) => t.tenantId),
    adjustTenantIds: billed.filter((t) => t.status !== 'OFFBOARDED').map((t) => t.tenantId),
  };
}
