import { resourceName, type TenantryConfig } from './config';
import type { TenantId } from './tenant/tenant-id';
import { tenantIdSchema } from './tenant/tenant-id';

/**
 * Key builders — the only place a tenant-scoped key or prefix is spelled out. The tenant id is
 * validated on every call, so a key can never smuggle a wildcard or a second tenant's prefix.
 */

const TENANT_KEY_PREFIX = 'TENANT#';

/** `TENANT#<tenantId>#`: every pooled partition key of the tenant starts with it (LeadingKeys). */
export function tenantKeyPrefix(tenantId: TenantId): string {
  return `${TENANT_KEY_PREFIX}${tenantIdSchema.parse(tenantId)}#`;
}

/** A pooled-table partition key: `TENANT#<tenantId>#<collection>`. */
export function pooledPartitionKey(tenantId: TenantId, collection: string): string {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(collection)) {
    throw new RangeError(
      `collection "${collection}" must be 1-64 characters of letters, digits, ".", "_" or "-"`,
    );
  }
  return `${tenantKeyPrefix(tenantId)}${collection}`;
}

/** The tenant that owns a pooled partition key, or undefined when the key is not tenant-scoped. */
export function tenantOfPartitionKey(pk: string): TenantId | undefined {
  if (!pk.startsWith(TENANT_KEY_PREFIX)) return undefined;
  const id = pk.slice(TENANT_KEY_PREFIX.length).split('#', 1)[0];
  return tenantIdSchema.safeParse(id).success ? id : undefined;
}

/**
 * One string per item key (`pk`, `sk`), for finding items by key in a Map. JSON, so that no two
 * distinct keys collide whatever characters a tenant puts in them.
 */
export function keyString(key: { readonly pk: unknown; readonly sk: unknown }): string {
  return JSON.stringify([String(key.pk), String(key.sk)]);
}

/** `<tenantId>/`: the tenant's prefix in shared buckets. */
export function tenantObjectPrefix(tenantId: TenantId): string {
  return `${tenantIdSchema.parse(tenantId)}/`;
}

export type WindowGranularity = 'HOUR' | 'DAY' | 'CUMULATIVE';

/** Counters table sort-key prefix of one granularity (`<granularity>#`): every sk of it starts so. */
export function counterSortKeyPrefix(granularity: WindowGranularity): string {
  return `${granularity}#`;
}

/** Counters table keys: pk `<tenantId>#<metric>`, sk `<granularity>#<windowStartIso>`. */
export function counterKey(
  tenantId: TenantId,
  metric: string,
  granularity: WindowGranularity,
  windowStart: string,
): { pk: string; sk: string } {
  return {
    pk: `${tenantIdSchema.parse(tenantId)}#${metric}`,
    sk: `${counterSortKeyPrefix(granularity)}${windowStart}`,
  };
}

export const METERING_PROGRESS_PK = 'METERING#PROGRESS';

/**
 * Counters table keys of the metering progress (domain/usage/progress.ts): pk `METERING#PROGRESS` (upper
 * case: never a tenant's `<tenantId>#<metric>`), sk the instant the job's watermark has passed (ISO, UTC).
 */
export function meteringProgressKey(passedAt: string): { pk: string; sk: string } {
  return { pk: METERING_PROGRESS_PK, sk: passedAt };
}

/** Billing ledger keys: pk `<tenantId>#<dimension>`, sk the hour billed (ISO, UTC). */
export function ledgerKey(
  tenantId: TenantId,
  dimension: string,
  hourIso: string,
): { pk: string; sk: string } {
  return { pk: `${tenantIdSchema.parse(tenantId)}#${dimension}`, sk: hourIso };
}

/** The Cognito group of a tenant's users. */
export function tenantGroupName(tenantId: TenantId): string {
  return `tenant-${tenantIdSchema.parse(tenantId)}`;
}

/** CloudFormation stack name of a tenant's silo (`<product>-<stage>-silo-<tenantId>`). */
export function siloStackName(config: TenantryConfig, tenantId: TenantId): string {
  return resourceName(config, `silo-${tenantIdSchema.parse(tenantId)}`);
}
