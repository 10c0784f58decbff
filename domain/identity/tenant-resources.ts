import type { TenantryConfig } from '../config';
import type { Tenant } from '../tenant/tenant';
import { TenantResourceError } from './errors';
import { bucketArnOf, parseKeyArn, parseTableArn, siloTableArn } from './session-policy';

/** Where tenant data lives, as the runtime (authorizer, pooled compute) is configured. */
export interface TenantDataLocation {
  /** ARN of the pooled table. */
  readonly pooledTableArn: string;
  /** The shared bucket holding tenant objects under `<tenantId>/`. */
  readonly bucketName: string;
}

/**
 * The tables, bucket and key one tenant's session may reach: for a silo tenant its silo table and the
 * KMS key recorded in the catalog, which must sit in the tenant's region and the platform's account.
 */
export function tenantDataResources(
  config: TenantryConfig,
  location: TenantDataLocation,
  tenant: Pick<Tenant, 'tenantId' | 'isolation' | 'region' | 'silo'>,
): { tableArns: string[]; bucketArn: string; siloKeyArn?: string } {
  const { partition, account } = parseTableArn(location.pooledTableArn);
  const bucketArn = bucketArnOf(partition, location.bucketName);
  if (tenant.isolation === 'pool') return { tableArns: [location.pooledTableArn], bucketArn };
  if (tenant.silo === undefined) {
    throw new TenantResourceError(tenant.tenantId, 'silo tenant has no silo resources in the catalog');
  }
  const key = parseKeyArn(tenant.silo.kmsKeyArn);
  if (key.region !== tenant.region || key.account !== account || key.partition !== partition) {
    throw new TenantResourceError(
      tenant.tenantId,
      `silo key ${tenant.silo.kmsKeyArn} is not in the tenant's region ${tenant.region} of account ${account}`,
    );
  }
  return {
    tableArns: [
      siloTableArn(config, location.pooledTableArn, tenant.tenantId, tenant.region, tenant.silo.tableName),
    ],
    bucketArn,
    siloKeyArn: tenant.silo.kmsKeyArn,
  };
}
