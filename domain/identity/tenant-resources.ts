import type { TenantryConfig } from '../config';
import type { Tenant } from '../tenant/tenant';
import { TenantResourceError } from './errors';
import { bucketArnOf, parseTableArn, siloTableArn } from './session-policy';

/** Where tenant data lives, as the runtime (authorizer, pooled compute) is configured. */
export interface TenantDataLocation {
  /** ARN of the pooled table. */
  readonly pooledTableArn: string;
  /** The shared bucket holding tenant objects under `<tenantId>/`. */
  readonly bucketName: string;
}

/** The tables and bucket one tenant's session may reach: its silo table for silo tenants. */
export function tenantDataResources(
  config: TenantryConfig,
  location: TenantDataLocation,
  tenant: Pick<Tenant, 'tenantId' | 'isolation' | 'region' | 'silo'>,
): { tableArns: string[]; bucketArn: string } {
  const { partition } = parseTableArn(location.pooledTableArn);
  const bucketArn = bucketArnOf(partition, location.bucketName);
  if (tenant.isolation === 'pool') return { tableArns: [location.pooledTableArn], bucketArn };
  if (tenant.silo === undefined) {
    throw new TenantResourceError(tenant.tenantId, 'silo tenant has no silo resources in the catalog');
  }
  return {
    tableArns: [
      siloTableArn(config, location.pooledTableArn, tenant.tenantId, tenant.region, tenant.silo.tableName),
    ],
    bucketArn,
  };
}
