import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  type TableDescription,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import type { CatalogRepository } from '../catalog/repository';
import { dedicatedCollections, type TenantryConfig } from '../config';
import { collectionTableDefinition, collectionTableName, createTableInput } from '../tables';
import type { CollectionTable, HistoryEntry, Tenant } from '../tenant/tenant';
import type { TenantId } from '../tenant/tenant-id';
import { SILO_TENANT_TAG } from './silo';

/**
 * A business tenant's dedicated collection tables ("pool with dedicated collections"): one DynamoDB
 * table per collection its tier names (`dedicatedCollections`), in the platform account and the primary
 * region, created and deleted by the lifecycle's `tenant-collections` task with the DynamoDB API rather
 * than a CloudFormation stack per tenant: a table is one resource with nothing to roll back together,
 * CreateTable is idempotent by name, and a stack per tenant would add a 500-stacks-per-account limit
 * and minutes of CloudFormation latency to every business onboarding.
 *
 * Every table: on-demand, encrypted at rest (DynamoDB's default key, as the pooled tables), point-in-time
 * recovery, deletion protection (switched off only by the lifecycle's own delete) and tagged with the
 * tenant id. The catalog records the ARN DynamoDB reports; the runtime routes by that record.
 */

/** Waits for a table to become ACTIVE or to disappear: DynamoDB takes seconds, a Lambda task has minutes. */
const TABLE_WAIT_SECONDS = 240;

/** Creates (or finds, when an earlier attempt did) the tenant's tables for the collections of `tier`. */
export async function createCollectionTables(
  dynamo: DynamoDBClient,
  config: TenantryConfig,
  tenantId: TenantId,
  tier: string,
): Promise<CollectionTable[]> {
  const tables: CollectionTable[] = [];
  for (const collection of dedicatedCollections(config, tier)) {
    const tableName = collectionTableName(config, tenantId, collection);
    try {
      await dynamo.send(
        new CreateTableCommand({
          ...createTableInput(collectionTableDefinition, tableName),
          DeletionProtectionEnabled: true,
          Tags: [{ Key: SILO_TENANT_TAG, Value: tenantId }],
        }),
      );
    } catch (error) {
      // Created by an earlier attempt of this task (its name is the tenant's own).
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    await waitUntilTableExists({ client: dynamo, maxWaitTime: TABLE_WAIT_SECONDS }, { TableName: tableName });
    await dynamo.send(
      new UpdateContinuousBackupsCommand({
        TableName: tableName,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    );
    const table = await describe(dynamo, tableName);
    tables.push({ collection, tableName, tableArn: String(table?.TableArn) });
  }
  return tables;
}

/**
 * Every collection table the tenant may have: the ones the catalog records and, by name, one per
 * collection any tier names (a table created by a run that failed before recording it).
 */
export function collectionTableNamesOf(
  config: TenantryConfig,
  tenant: { readonly tenantId: TenantId; readonly collections?: readonly CollectionTable[] | undefined },
): string[] {
  const named = config.tiers.flatMap((tier) =>
    (tier.dedicatedCollections ?? []).map((c) => collectionTableName(config, tenant.tenantId, c)),
  );
  return [...new Set([...(tenant.collections ?? []).map((t) => t.tableName), ...named])].sort();
}

/**
 * The tenant's collection tables split by `keepTier` (none: keep nothing): `remove`, the names of every
 * table it may have (`collectionTableNamesOf`) but those of that tier's collections, and `keep`, the
 * recorded tables of that tier's collections.
 */
export function collectionTablesBeyond(
  config: TenantryConfig,
  tenant: { readonly tenantId: TenantId; readonly collections?: readonly CollectionTable[] | undefined },
  keepTier: string | undefined,
): { remove: string[]; keep: CollectionTable[] } {
  const kept = (keepTier === undefined ? [] : dedicatedCollections(config, keepTier)).map((c) =>
    collectionTableName(config, tenant.tenantId, c),
  );
  return {
    remove: collectionTableNamesOf(config, tenant).filter((name) => !kept.includes(name)),
    keep: (tenant.collections ?? []).filter((t) => kept.includes(t.tableName)),
  };
}

/** Deletes the tables that exist (deletion protection off first) and waits until they are gone. */
export async function deleteCollectionTables(
  dynamo: DynamoDBClient,
  tableNames: readonly string[],
): Promise<string[]> {
  const deleted: string[] = [];
  for (const tableName of tableNames) {
    const table = await describe(dynamo, tableName);
    if (table === undefined) continue;
    if (table.TableStatus !== 'DELETING') {
      await waitUntilTableExists(
        { client: dynamo, maxWaitTime: TABLE_WAIT_SECONDS },
        { TableName: tableName },
      );
      if (table.DeletionProtectionEnabled) {
        await dynamo.send(new UpdateTableCommand({ TableName: tableName, DeletionProtectionEnabled: false }));
      }
      try {
        await dynamo.send(new DeleteTableCommand({ TableName: tableName }));
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }
    }
    await waitUntilTableNotExists(
      { client: dynamo, maxWaitTime: TABLE_WAIT_SECONDS },
      { TableName: tableName },
    );
    deleted.push(tableName);
  }
  return deleted;
}

/** The tables of `tableNames` that still exist (the erasure verification). */
export async function remainingCollectionTables(
  dynamo: DynamoDBClient,
  tableNames: readonly string[],
): Promise<string[]> {
  const found = await Promise.all(
    tableNames.map(async (name) => ((await describe(dynamo, name)) ? name : null)),
  );
  return found.filter((name): name is string => name !== null);
}

/**
 * Records the tenant's collection tables in the catalog (an empty list removes them), audited with a
 * history entry naming the execution. A no-op when the record already says so.
 */
export function recordCollectionTables(
  repository: CatalogRepository,
  tenantId: TenantId,
  tables: readonly CollectionTable[],
  executionArn: string,
  at: () => Date = () => new Date(),
): Promise<Tenant> {
  return repository.update(tenantId, (tenant) => {
    const before = tenant.collections ?? [];
    if (JSON.stringify(before) === JSON.stringify(tables)) return tenant;
    const { collections: _previous, ...rest } = tenant;
    const now = at().toISOString();
    const names = (list: readonly CollectionTable[]) => list.map((t) => t.tableName).join(', ') || 'none';
    const entry: HistoryEntry = {
      from: tenant.status,
      to: tenant.status,
      at: now,
      reason: `collection tables: ${names(before)} → ${names(tables)}`.slice(0, 500),
      executionArn,
    };
    return {
      ...rest,
      ...(tables.length === 0 ? {} : { collections: [...tables] }),
      updatedAt: now,
      history: [...tenant.history, entry],
    };
  });
}

async function describe(dynamo: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await dynamo.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}
