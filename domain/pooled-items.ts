import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { pooledPartitionKey } from './keys';
import { tableDefinitions } from './tables';
import { type TenantId, tenantIdSchema } from './tenant/tenant-id';

/**
 * The contract of an item in the pooled table (`tableDefinitions.pooled`):
 * - `pk` = `TENANT#<tenantId>#<collection>` (`pooledPartitionKey`): the ONLY proof of ownership. Tenant
 *   sessions are confined to it by `dynamodb:LeadingKeys`.
 * - `sk`: the item's sort key within the collection.
 * - `tenantId` = the same tenant id, as a plain attribute: the partition key of the `byTenant` index, so
 *   the lifecycle can Query every item of a tenant (DynamoDB cannot Query a partition-key prefix).
 *   An item without it is invisible to promotion and offboarding: every writer builds items here.
 *
 * `tenantId` is an attribute, and IAM cannot pin attribute values: a tenant session can write an item
 * under its own key carrying another tenant's id. So `tenantId` only FINDS items; whoever acts on them
 * checks the partition key (`ownedBy`) and skips the rest (domain/lifecycle/tenant-items.ts).
 */
export const POOLED_TENANT_ATTRIBUTE = 'tenantId';

const byTenant = tableDefinitions.pooled.globalSecondaryIndexes.find((i) => i.indexName === 'byTenant');
if (byTenant?.partitionKey.name !== POOLED_TENANT_ATTRIBUTE) {
  throw new Error(`the pooled table's byTenant index must be keyed by "${POOLED_TENANT_ATTRIBUTE}"`);
}
/** The index listing a tenant's pooled items (partition key `tenantId`, sort key `pk`, projection ALL). */
export const BY_TENANT_INDEX = byTenant.indexName;

export type PooledItem = Record<string, AttributeValue>;

const RESERVED = new Set([
  tableDefinitions.pooled.partitionKey.name,
  tableDefinitions.pooled.sortKey.name,
  POOLED_TENANT_ATTRIBUTE,
]);

/** A pooled-table item of `tenantId` in `collection`: key attributes and `tenantId` set from one id. */
export function pooledItem(
  tenantId: TenantId,
  collection: string,
  sk: string,
  attributes: Record<string, AttributeValue> = {},
): PooledItem {
  const id = tenantIdSchema.parse(tenantId);
  for (const name of Object.keys(attributes)) {
    if (RESERVED.has(name)) throw new RangeError(`"${name}" is set by pooledItem, not by the caller`);
  }
  if (sk.length === 0) throw new RangeError('sort key must not be empty');
  return {
    ...attributes,
    [tableDefinitions.pooled.partitionKey.name]: { S: pooledPartitionKey(id, collection) },
    [tableDefinitions.pooled.sortKey.name]: { S: sk },
    [POOLED_TENANT_ATTRIBUTE]: { S: id },
  };
}
