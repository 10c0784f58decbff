import type { TenantryConfig } from '../config';
import { siloTableNamePrefix } from '../lifecycle/silo';
import { memberRoleArn } from '../naming';
import { collectionTableName } from '../tables';
import type { Tenant } from '../tenant/tenant';
import { TenantResourceError } from './errors';
import { bucketArnOf, parseKeyArn, parseTableArn } from './session-policy';

/** Where tenant data lives, as the runtime (authorizer, pooled compute) is configured. */
export interface TenantDataLocation {
  /** ARN of the pooled table. */
  readonly pooledTableArn: string;
  /** The shared bucket holding tenant objects under `<tenantId>/`. */
  readonly bucketName: string;
}

/**
 * The tables, bucket and key one tenant's session may reach: for a silo tenant the table ARN and the
 * KMS key ARN its stack reported, as the catalog recorded them (never rebuilt from names). Both must sit
 * in the tenant's region and the platform's account (an account tenant's: the account the catalog
 * records), and the table must carry a silo table name (the only names the tenant-runtime role may
 * reach). An account tenant's session is vended by the runtime role of its own account (`roleArn`).
 * A pooled tenant with dedicated collection tables (a business tier) may also reach those, as the catalog
 * recorded them: each must sit in the tenant's region of the platform account and carry exactly the
 * name of that tenant's table for that collection (so a record can never point a session at another
 * tenant's table). `collectionTableArns` maps each such collection to its table.
 */
export function tenantDataResources(
  config: TenantryConfig,
  location: TenantDataLocation,
  tenant: Pick<Tenant, 'tenantId' | 'isolation' | 'region' | 'silo' | 'accountId' | 'collections'>,
): {
  tableArns: string[];
  collectionTableArns: Record<string, string>;
  bucketArn: string;
  siloKeyArn?: string;
  roleArn?: string;
} {
  const { partition, account: platformAccount } = parseTableArn(location.pooledTableArn);
  const bucketArn = bucketArnOf(partition, location.bucketName);
  if (tenant.isolation === 'pool') {
    const collectionTableArns: Record<string, string> = {};
    for (const { collection, tableArn } of tenant.collections ?? []) {
      const table = parseTableArn(tableArn);
      const expected = collectionTableName(config, tenant.tenantId, collection);
      if (
        table.name !== expected ||
        table.region !== tenant.region ||
        table.account !== platformAccount ||
        table.partition !== partition
      ) {
        throw new TenantResourceError(
          tenant.tenantId,
          `collection table ${tableArn} is not ${expected} in the tenant's region ${tenant.region} of account ${platformAccount}`,
        );
      }
      collectionTableArns[collection] = tableArn;
    }
    return {
      tableArns: [location.pooledTableArn, ...Object.values(collectionTableArns)],
      collectionTableArns,
      bucketArn,
    };
  }
  if (tenant.silo === undefined) {
    throw new TenantResourceError(
      tenant.tenantId,
      `${tenant.isolation} tenant has no silo resources in the catalog`,
    );
  }
  let account = platformAccount;
  let roleArn: string | undefined;
  if (tenant.isolation === 'account') {
    if (tenant.accountId === undefined || config.accounts === undefined) {
      throw new TenantResourceError(
        tenant.tenantId,
        'account tenant has no account in the catalog or no accounts settings',
      );
    }
    account = tenant.accountId;
    roleArn = memberRoleArn(account, config.accounts.runtimeRoleName);
  }
  const key = parseKeyArn(tenant.silo.kmsKeyArn);
  const table = parseTableArn(tenant.silo.tableArn);
  for (const [what, arn, parts] of [
    ['key', tenant.silo.kmsKeyArn, key],
    ['table', tenant.silo.tableArn, table],
  ] as const) {
    if (parts.region !== tenant.region || parts.account !== account || parts.partition !== partition) {
      throw new TenantResourceError(
        tenant.tenantId,
        `silo ${what} ${arn} is not in the tenant's region ${tenant.region} of account ${account}`,
      );
    }
  }
  if (!table.name.startsWith(siloTableNamePrefix(config))) {
    throw new TenantResourceError(
      tenant.tenantId,
      `silo table "${table.name}" is not named ${siloTableNamePrefix(config)}…, so the tenant-runtime role cannot reach it`,
    );
  }
  return {
    tableArns: [tenant.silo.tableArn],
    collectionTableArns: {},
    bucketArn,
    siloKeyArn: tenant.silo.kmsKeyArn,
    ...(roleArn === undefined ? {} : { roleArn }),
  };
}
