import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TenantryConfig } from '../config';
import { ValidationError } from '../errors';
import { pooledPartitionKey } from '../keys';
import { collectionTableName } from '../tables';
import type { TenantId } from '../tenant/tenant-id';
import { siloTableName } from './silo';
import {
  type ChunkResult,
  collectionTable,
  type DynamoItem,
  pooledPartition,
  pooledTable,
  type StartKey,
  siloTable,
  type TallyChunk,
  type TallyChunkOptions,
  type TallyPosition,
  type TenantTable,
  tallyTenantChunk,
} from './tenant-items';

/**
 * Where a promotion moves a tenant's items, as the tables a chunked copy, verification or purge walks
 * one after the other (the cursor holds the table's index and the position in it):
 *
 * - `pool-to-silo`: the pooled table and then each dedicated collection table of the tenant (a business
 *   tenant) → its silo table, with the same item keys (the service addresses `TENANT#<id>#<collection>`
 *   in whichever table the catalog routes it to: domain/documents/service.ts `documentsTableArn`);
 * - `silo-to-pool` (the rollback's restore, and a silo tenant's demotion to a pool tier): the silo
 *   table → the pooled table, or the table of an item's collection when the move names that collection
 *   (the restore: the ones the tenant had; a demotion: the ones the target tier dedicates);
 * - `pool-to-collections` (a tier change to a tier naming dedicated collections): the tenant's pooled
 *   partition of each collection → that collection's table;
 * - `collections-to-pool` (back to a tier naming fewer): each collection table → the pooled table;
 * - `silo-to-account` (promotion silo → account): the platform silo table → the same-named table in
 *   the tenant's own account (the cursor names the account; domain/lifecycle/account-data.ts gives the
 *   client of each side). Its own reverse: a verification tallies the same table on both sides.
 *
 * A verification tallies the sources of a direction against the sources of its reverse (the place the
 * items went), so only moving items are counted on either side: a tier change leaves the tenant's other
 * pooled items where they are and out of the tallies.
 */

export const moveDirections = [
  'pool-to-silo',
  'silo-to-pool',
  'pool-to-collections',
  'collections-to-pool',
  'silo-to-account',
] as const;
export type MoveDirection = (typeof moveDirections)[number];

export const reverseOf: Record<MoveDirection, MoveDirection> = {
  'pool-to-silo': 'silo-to-pool',
  'silo-to-pool': 'pool-to-silo',
  'pool-to-collections': 'collections-to-pool',
  'collections-to-pool': 'pool-to-collections',
  'silo-to-account': 'silo-to-account',
};

/** Does the direction read or write the tenant's silo table? */
export const involvesSilo = (direction: MoveDirection): boolean =>
  direction === 'pool-to-silo' || direction === 'silo-to-pool' || direction === 'silo-to-account';

export interface MoveTables {
  readonly tenantId: TenantId;
  readonly pooledTable: string;
  /** The tenant's silo table (directions involving the silo only). */
  readonly siloTable: string | null;
  /** The dedicated collections moving (or, to and from a silo, the ones the tenant has). */
  readonly collections: readonly string[];
}

/**
 * The tables of a move a cursor names, checked: the silo table must be the tenant's own (and given
 * only to or from a silo); collection tables are named from the tenant id, never taken from input.
 * Invalid input of `functionName` otherwise.
 */
export function moveTablesOf(
  config: TenantryConfig,
  functionName: string,
  pooledTableName: string,
  cursor: {
    readonly tenantId: TenantId;
    readonly direction: MoveDirection;
    readonly siloTable: string | null;
    readonly collections: readonly string[];
  },
  /** The cursor's field naming the silo table (in refusals). */
  siloField = 'siloTable',
): MoveTables {
  const { tenantId, direction, siloTable: named, collections } = cursor;
  const expected = siloTableName(config, tenantId);
  const refuse = (message: string) =>
    new ValidationError(`${functionName} input`, [{ field: siloField, message }]);
  if (involvesSilo(direction) && named === null)
    throw refuse(`null: ${direction} needs the tenant's silo table`);
  if (!involvesSilo(direction) && named !== null) {
    throw refuse(`"${named}": ${direction} stays in the pool and takes no silo table`);
  }
  if (named !== null && named !== expected) {
    throw refuse(`"${named}" is not the silo table of this tenant (${expected})`);
  }
  return { tenantId, pooledTable: pooledTableName, siloTable: named, collections };
}

function silo(tables: MoveTables, direction: MoveDirection): string {
  if (tables.siloTable === null) throw new RangeError(`${direction} needs the tenant's silo table`);
  return tables.siloTable;
}

/** The tables the items of a move are read from, in the order a cursor walks them. */
export function moveSources(
  config: TenantryConfig,
  direction: MoveDirection,
  tables: MoveTables,
): TenantTable[] {
  const { tenantId } = tables;
  const own = tables.collections.map((c) => collectionTable(collectionTableName(config, tenantId, c)));
  switch (direction) {
    case 'pool-to-silo':
      return [pooledTable(tables.pooledTable), ...own];
    case 'silo-to-pool':
    case 'silo-to-account':
      return [siloTable(silo(tables, direction))];
    case 'pool-to-collections':
      return tables.collections.map((c) =>
        pooledPartition(tables.pooledTable, pooledPartitionKey(tenantId, c)),
      );
    case 'collections-to-pool':
      return own;
  }
}

/** The table each item of a move goes to (its key is unchanged). */
export function moveTarget(
  config: TenantryConfig,
  direction: MoveDirection,
  tables: MoveTables,
): (item: DynamoItem) => string {
  if (direction === 'pool-to-silo' || direction === 'silo-to-account') {
    const table = silo(tables, direction);
    return () => table;
  }
  if (direction === 'collections-to-pool') return () => tables.pooledTable;
  const byPartition = new Map(
    tables.collections.map((c) => [
      pooledPartitionKey(tables.tenantId, c),
      collectionTableName(config, tables.tenantId, c),
    ]),
  );
  return (item) => byPartition.get(item.pk?.S ?? '') ?? tables.pooledTable;
}

/** Where a walk over several tables stands: the table's index and the position in it. */
export interface TablesPosition {
  readonly table: number;
  readonly startKey: StartKey;
}

/**
 * Runs `chunk` over `tables` from `at`, table after table, until `maxItems` items were handled or the
 * deadline is near; each call gets the budget that is left. `done` once the last table is finished.
 */
export async function acrossTables(
  tables: readonly TenantTable[],
  at: TablesPosition,
  options: { readonly maxItems: number; readonly deadline?: () => boolean },
  chunk: (table: TenantTable, startKey: StartKey, maxItems: number) => Promise<ChunkResult>,
): Promise<TablesPosition & { handled: number; foreign: number; done: boolean }> {
  let { table, startKey } = at;
  let handled = 0;
  let foreign = 0;
  while (table < tables.length && handled < options.maxItems) {
    const result = await chunk(tables[table] as TenantTable, startKey, options.maxItems - handled);
    handled += result.handled;
    foreign += result.foreign;
    if (result.nextKey === null) {
      table += 1;
      startKey = null;
    } else {
      startKey = result.nextKey;
    }
    if (options.deadline?.() ?? false) break;
  }
  return { table, startKey, handled, foreign, done: table >= tables.length };
}

/**
 * One chunk of the count and checksum of the tenant's items over several tables taken as one (the
 * checksum is a sum of item digests, so the total of several tables is the sum of theirs), continuing
 * from `position` (`position.table`: the table being read).
 */
export async function tallyTablesChunk(
  client: DynamoDBClient,
  tables: readonly TenantTable[],
  tenantId: TenantId,
  position: TallyPosition,
  options: TallyChunkOptions = {},
): Promise<TallyChunk> {
  const maxItems = options.maxItems ?? 10_000;
  let current = position;
  let read = 0;
  let foreign = 0;
  const sample: string[] = [];
  while (!current.done && read < maxItems) {
    const index = current.table ?? 0;
    const table = tables[index];
    if (table === undefined) {
      current = { ...current, done: true };
      break;
    }
    const chunk = await tallyTenantChunk(
      client,
      table,
      tenantId,
      { ...current, table: index },
      {
        ...options,
        maxItems: maxItems - read,
      },
    );
    read += chunk.read;
    foreign += chunk.foreign;
    sample.push(...chunk.sample);
    current = chunk.position;
    if (current.done && index + 1 < tables.length) {
      current = { ...current, table: index + 1, partition: null, startKey: null, done: false };
    }
    if (options.deadline?.() ?? false) break;
  }
  return { position: current, read, foreign, sample: sample.slice(0, 5) };
}
