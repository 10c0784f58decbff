import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { collectionName, resourceName, type TenantryConfig } from './config';
import { type TenantId, tenantIdSchema } from './tenant/tenant-id';

/**
 * Every DynamoDB table Tenantry owns, defined once. The CDK stacks and the local environment both
 * build their tables from these definitions (infra: `dynamodb.Table`; local: `createTableInput`).
 */
export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

export interface TableIndex {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
}

export interface TableDefinition {
  /** Resource suffix: the table is named `<product>-<stage>-<id>`. */
  readonly id: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Attribute holding an epoch-seconds expiry, when items expire. */
  readonly timeToLiveAttribute?: string;
  readonly globalSecondaryIndexes?: readonly TableIndex[];
}

/** The catalog's index by tenant status (partition key `status`, sort key `tenantId`). */
export const CATALOG_BY_STATUS_INDEX = 'byStatus';

export const tableDefinitions = {
  /** The tenant catalog: one item per tenant (see domain/tenant/tenant.ts). */
  catalog: {
    id: 'catalog',
    partitionKey: { name: 'tenantId', type: 'S' },
    globalSecondaryIndexes: [
      {
        indexName: CATALOG_BY_STATUS_INDEX,
        partitionKey: { name: 'status', type: 'S' },
        sortKey: { name: 'tenantId', type: 'S' },
      },
    ],
  },
  /**
   * The pooled application data: every partition key starts with `TENANT#<tenantId>#` (LeadingKeys), and
   * every item carries `tenantId` (build items with `pooledItem`, domain/pooled-items.ts). The `byTenant`
   * index (partition key `tenantId`, sort key `pk`, projection ALL) lets the lifecycle Query one tenant's
   * items with their full primary key instead of scanning the pool. It is for the control plane only:
   * tenant sessions are not granted the index ARN, and its LeadingKeys (`<tenantId>`) would not match
   * `TENANT#<id>#*` anyway.
   */
  pooled: {
    id: 'pooled-data',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    globalSecondaryIndexes: [
      {
        indexName: 'byTenant',
        partitionKey: { name: 'tenantId', type: 'S' },
        sortKey: { name: 'pk', type: 'S' },
      },
    ],
  },
  /** Metering totals written by Flink: pk `<tenantId>#<metric>`, sk `<granularity>#<windowStart>`. */
  counters: {
    id: 'usage-counters',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    timeToLiveAttribute: 'expiresAt',
  },
  /** Billing ledger: pk `<tenantId>#<dimension>`, sk the billed hour (ISO). */
  billingLedger: {
    id: 'billing-ledger',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
  },
  /** Powertools idempotency records. */
  idempotency: {
    id: 'idempotency',
    partitionKey: { name: 'id', type: 'S' },
    timeToLiveAttribute: 'expiration',
  },
} as const satisfies Record<string, TableDefinition>;

export type TableKey = keyof typeof tableDefinitions;

/**
 * The silo stack's own tenant table has the pooled table's key schema, so items copy unchanged (with
 * their `tenantId`). No `byTenant` index: every item of a silo table is its tenant's.
 */
export const siloTableDefinition: TableDefinition = {
  id: 'silo-data',
  partitionKey: tableDefinitions.pooled.partitionKey,
  sortKey: tableDefinitions.pooled.sortKey,
};

/**
 * A business tenant's dedicated collection table (a tier's `dedicatedCollections`, created by the
 * lifecycle's `tenant-collections` task): the pooled key schema and items unchanged (pk
 * `TENANT#<id>#<collection>`, `tenantId`), so items copy between it, the pool and a silo table as
 * they are, and the session policy's LeadingKeys rule holds on it too. No index: every item is the tenant's.
 */
export const collectionTableDefinition: TableDefinition = {
  id: 'collection',
  partitionKey: tableDefinitions.pooled.partitionKey,
  sortKey: tableDefinitions.pooled.sortKey,
};

/** Prefix of every collection table name (IAM resource patterns): `<product>-<stage>-collection-`. */
export function collectionTableNamePrefix(config: TenantryConfig): string {
  return `${resourceName(config, collectionTableDefinition.id)}-`;
}

/**
 * Physical name of a tenant's collection table: `<product>-<stage>-collection-<tenantId>.<collection>`
 * ("." appears in neither a tenant id nor a collection name, so the name reads back unambiguously).
 */
export function collectionTableName(config: TenantryConfig, tenantId: TenantId, collection: string): string {
  if (!collectionName.safeParse(collection).success) {
    throw new RangeError(`collection "${collection}" is not a dedicated collection name`);
  }
  return `${collectionTableNamePrefix(config)}${tenantIdSchema.parse(tenantId)}.${collection}`;
}

export function tableName(config: TenantryConfig, table: TableKey): string {
  return resourceName(config, tableDefinitions[table].id);
}

/** CreateTable input (on-demand billing) for a definition — used by the local environment. */
export function createTableInput(definition: TableDefinition, name: string): CreateTableCommandInput {
  const attributes = new Map<string, KeyAttribute>();
  const add = (a: KeyAttribute | undefined) => {
    if (a !== undefined) attributes.set(a.name, a);
  };
  add(definition.partitionKey);
  add(definition.sortKey);
  for (const index of definition.globalSecondaryIndexes ?? []) {
    add(index.partitionKey);
    add(index.sortKey);
  }
  const keySchema = (pk: KeyAttribute, sk?: KeyAttribute) => [
    { AttributeName: pk.name, KeyType: 'HASH' as const },
    ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
  ];
  const input: CreateTableCommandInput = {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes.values()].map((a) => ({
      AttributeName: a.name,
      AttributeType: a.type,
    })),
    KeySchema: keySchema(definition.partitionKey, definition.sortKey),
  };
  if (definition.globalSecondaryIndexes?.length) {
    input.GlobalSecondaryIndexes = definition.globalSecondaryIndexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: keySchema(index.partitionKey, index.sortKey),
      Projection: { ProjectionType: 'ALL' },
    }));
  }
  return input;
}
