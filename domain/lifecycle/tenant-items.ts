import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
  paginateQuery,
  paginateScan,
  QueryCommand,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { BATCH_WRITE_LIMIT, type BatchOptions, batchGetAll, batchWriteAll } from '../aws/batch';
import { keyString, tenantKeyPrefix, tenantOfPartitionKey } from '../keys';
import { BY_TENANT_INDEX, POOLED_TENANT_ATTRIBUTE } from '../pooled-items';
import { siloTableDefinition, tableDefinitions } from '../tables';
import type { TenantId } from '../tenant/tenant-id';
import { ChecksumAccumulator, canonicalJson } from './checksum';
import { PurgeRefusedError } from './errors';

/**
 * Reading, copying and deleting one tenant's items in a table keyed like the pooled table
 * (pk `TENANT#<id>#<collection>`, sk).
 *
 * Finding them: in the pooled table, a paginated Query of the `byTenant` index (partition key
 * `tenantId`, sort key `pk`, projection ALL — every item comes back whole, with its primary key; see
 * domain/pooled-items.ts), so a promotion reads the tenant's items only, not the whole pool. In a silo
 * table every item is the tenant's: a paginated Scan of that table.
 *
 * Ownership: the index is keyed by an attribute a tenant session can set to anything, so it only finds
 * candidates. Only items whose partition key belongs to the tenant (`tenantOfPartitionKey(pk)`) are
 * copied, counted or purged; the others are counted as `foreign` and left alone (an item of tenant A
 * planted with `tenantId = B` never reaches B's silo and is never purged when B moves or leaves).
 *
 * Consistency: a GSI is eventually consistent (no ConsistentRead). That is safe here because promotion
 * and offboarding act on a tenant that no longer writes: promotion sets MIGRATING (read-only) and
 * provisions the silo stack (tens of seconds at least) before the first copy, offboarding sets
 * OFFBOARDING (no access) first; index propagation is normally sub-second, so the index lists every item
 * by the time it is read. The copy takes item values from the index; the verification does not trust
 * them: `tallyTenantChunk` lists the tenant's partitions through the index and reads each from the
 * base table with strongly consistent Queries, so a stale projected value — or an item of a known
 * partition the index does not list (e.g. written without `tenantId`) — fails the verification (and the
 * promotion rolls back) instead of being purged from the pool unverified.
 *
 * Work is done in chunks that return a continuation key, so a workflow can checkpoint between chunks and
 * a large tenant never needs one long-running call.
 */

export type DynamoItem = Record<string, AttributeValue>;
export type StartKey = DynamoItem | null;

/**
 * A table holding a tenant's items: the pooled table with the tenant's items found through its index
 * (`pooled`) or by their key prefix (`prefix`), or a silo table.
 */
export interface TenantTable {
  readonly name: string;
  readonly layout: 'pooled' | 'prefix' | 'silo' | 'partition';
  /** Layout `partition`: the one partition of the tenant read (strongly consistent Queries). */
  readonly partition?: string;
}
export const pooledTable = (name: string): TenantTable => ({ name, layout: 'pooled' });
/**
 * One partition of the tenant in the pooled table (`TENANT#<id>#<collection>`), read with strongly
 * consistent Queries: a collection moving between the pool and its dedicated table is known by its key,
 * so no index is needed to find it.
 */
export const pooledPartition = (name: string, partition: string): TenantTable => ({
  name,
  layout: 'partition',
  partition,
});
/**
 * The pooled table read for erasure: every item whose partition key starts with `TENANT#<id>#`, by a
 * strongly consistent Scan filtered on that prefix. Slower than the index (it reads the whole pool,
 * page by page, checkpointed like every chunk), but it depends on no attribute a writer may leave out:
 * DynamoDB cannot Query a partition-key prefix, tenants choose their collection names (LeadingKeys only
 * pins `TENANT#<id>#*`), and an item without `tenantId` is not in the `byTenant` index.
 */
export const pooledTableByPrefix = (name: string): TenantTable => ({ name, layout: 'prefix' });
export const siloTable = (name: string): TenantTable => ({ name, layout: 'silo' });
/** A dedicated collection table: like a silo table, every item in it is the tenant's (read whole). */
export const collectionTable = siloTable;

const PK = tableDefinitions.pooled.partitionKey.name;
const SK = tableDefinitions.pooled.sortKey.name;
if (siloTableDefinition.partitionKey.name !== PK || siloTableDefinition.sortKey?.name !== SK) {
  throw new Error('silo and pooled tables must share a key schema for items to copy unchanged');
}

export interface ChunkOptions {
  /** Stop after a page once this many tenant items were handled (default 2,500). */
  readonly maxItems?: number;
  /** Stop after a page once less than this much time is left (Lambda's remaining time), ms. */
  readonly deadline?: () => boolean;
  /** Items read per page. Default: `maxItems`. */
  readonly pageSize?: number;
}

export interface ChunkResult {
  readonly handled: number;
  /** Items listed for the tenant whose partition key belongs to another tenant (left alone). */
  readonly foreign: number;
  /** Where to continue, or null when every item was read. */
  readonly nextKey: StartKey;
}

/** Does this item's partition key belong to the tenant? (The only proof of ownership.) */
export function ownedBy(item: DynamoItem, tenantId: TenantId): boolean {
  const pk = item[PK]?.S;
  return pk !== undefined && tenantOfPartitionKey(pk) === tenantId;
}

/**
 * The tenant's items page by page from `startKey` (null: the beginning): `items` are the tenant's own
 * (partition key checked), `foreign` counts those listed for it that belong to another tenant,
 * `nextKey` is where the page after this one starts (null after the last page).
 */
async function* tenantPages(
  client: DynamoDBClient,
  table: TenantTable,
  tenantId: TenantId,
  startKey: StartKey,
  pageSize: number | undefined,
): AsyncGenerator<{ items: DynamoItem[]; foreign: number; nextKey: StartKey }> {
  const paging = { client, pageSize, startingToken: startKey ?? undefined };
  const pages =
    table.layout === 'pooled'
      ? paginateQuery(paging, {
          TableName: table.name,
          IndexName: BY_TENANT_INDEX,
          KeyConditionExpression: '#tenant = :tenant',
          ExpressionAttributeNames: { '#tenant': POOLED_TENANT_ATTRIBUTE },
          ExpressionAttributeValues: { ':tenant': { S: tenantId } },
        })
      : table.layout === 'partition'
        ? paginateQuery(paging, partitionQuery(table))
        : paginateScan(paging, {
            TableName: table.name,
            ConsistentRead: true,
            ...(table.layout === 'prefix' ? prefixFilter(tenantId) : {}),
          });
  for await (const page of pages) {
    const listed = page.Items ?? [];
    const items = listed.filter((item) => ownedBy(item, tenantId));
    yield { items, foreign: listed.length - items.length, nextKey: page.LastEvaluatedKey ?? null };
  }
}

/**
 * The chunk loop of every operation: hands each page of the tenant's items, from `startKey` on, to
 * `handle` (which answers how many items it handled), and stops after the last page, or after the
 * page that brought the handled items to `maxItems`, or when the deadline is near. Whole pages only,
 * so `nextKey` — the key after the last page handled — resumes exactly: nothing skipped, nothing
 * handled twice.
 */
async function inChunk(
  client: DynamoDBClient,
  table: TenantTable,
  tenantId: TenantId,
  startKey: StartKey,
  options: ChunkOptions,
  handle: (items: DynamoItem[]) => Promise<number>,
): Promise<ChunkResult> {
  const maxItems = options.maxItems ?? 2_500;
  let handled = 0;
  let foreign = 0;
  let nextKey = startKey;
  for await (const page of tenantPages(client, table, tenantId, startKey, options.pageSize ?? maxItems)) {
    handled += await handle(page.items);
    foreign += page.foreign;
    nextKey = page.nextKey;
    if (handled >= maxItems || (options.deadline?.() ?? false)) break;
  }
  return { handled, foreign, nextKey };
}

/**
 * Copies the tenant's items from `source` to `target`, from `startKey`, until the chunk budget is used.
 * `targetClient`: the client writing the target when it is elsewhere (another account); default `client`.
 */
export async function copyTenantChunk(
  client: DynamoDBClient,
  source: TenantTable,
  target: string,
  tenantId: TenantId,
  startKey: StartKey,
  options: ChunkOptions & BatchOptions & { readonly targetClient?: DynamoDBClient } = {},
): Promise<ChunkResult & { retried: number }> {
  let retried = 0;
  const chunk = await inChunk(client, source, tenantId, startKey, options, async (items) => {
    const written = await batchWriteAll(
      options.targetClient ?? client,
      target,
      items.map((Item) => ({ PutRequest: { Item } })),
      options,
    );
    retried += written.retried;
    return items.length;
  });
  return { ...chunk, retried };
}

/** Deletes the tenant's items from `table`, from `startKey`, until the chunk budget is used. */
export function purgeTenantChunk(
  client: DynamoDBClient,
  table: TenantTable,
  tenantId: TenantId,
  startKey: StartKey,
  options: ChunkOptions & BatchOptions = {},
): Promise<ChunkResult> {
  return inChunk(client, table, tenantId, startKey, options, async (items) => {
    await batchWriteAll(
      client,
      table.name,
      items.map((item) => ({ DeleteRequest: { Key: keyOf(item) } })),
      options,
    );
    return items.length;
  });
}

/**
 * The purge of a move: deletes the tenant's items of `pool` (the pooled table, a pooled partition or a
 * collection table) from `startKey` on, but only those whose copy in `copyTable` (the silo table, or
 * the table each item moved to) is present and identical. Each page is re-read from both tables with strongly
 * consistent reads (the index may still show an older value) and compared attribute by attribute
 * (canonical JSON); if any item of the page has no silo copy or a different one (written or changed
 * after the copy was verified), nothing of the page is deleted and PurgeRefusedError is thrown — the
 * promotion rolls back instead of losing that write. Items of earlier pages were deleted only after the
 * same check, so the silo holds each of them unchanged.
 *
 * Residual window: a write landing between a page's consistent reads and its BatchWriteItem (one
 * round trip) is not seen; the write freeze before the copy (write-freeze.ts) makes that require a
 * tenant session still holding vended credentials.
 */
export function purgeVerifiedTenantChunk(
  client: DynamoDBClient,
  pool: TenantTable,
  copyTable: TargetTable,
  tenantId: TenantId,
  startKey: StartKey,
  options: ChunkOptions & BatchOptions = {},
): Promise<ChunkResult> {
  const copyTableOf = targetOf(copyTable);
  return inChunk(client, pool, tenantId, startKey, options, async (items) => {
    const keys = items.map(keyOf);
    const byCopyTable = new Map<string, DynamoItem[]>();
    for (const itemKey of keys) {
      const table = copyTableOf(itemKey);
      byCopyTable.set(table, [...(byCopyTable.get(table) ?? []), itemKey]);
    }
    const [current, ...copyPages] = await Promise.all([
      batchGetAll(client, pool.name, keys, { ...options, consistent: true }).then(byKey),
      ...[...byCopyTable].map(([table, tableKeys]) =>
        batchGetAll(client, table, tableKeys, { ...options, consistent: true }),
      ),
    ]);
    const copies = byKey(copyPages.flat());
    const missing: string[] = [];
    const differing: string[] = [];
    const deletable: DynamoItem[] = [];
    for (const itemKey of keys) {
      const id = itemKeyString(itemKey);
      const item = current.get(id);
      if (item === undefined) continue; // already gone (a retried chunk)
      if (!ownedBy(item, tenantId)) continue;
      const copy = copies.get(id);
      if (copy === undefined) missing.push(id);
      else if (canonicalJson(copy) !== canonicalJson(item)) differing.push(id);
      else deletable.push(itemKey);
    }
    if (missing.length + differing.length > 0) {
      throw new PurgeRefusedError(
        tenantId,
        missing.length,
        differing.length,
        [...missing, ...differing].slice(0, 3),
      );
    }
    await batchWriteAll(
      client,
      pool.name,
      deletable.map((Key) => ({ DeleteRequest: { Key } })),
      options,
    );
    return deletable.length;
  });
}

/**
 * Where an item goes (or where its copy is): one table, or a table chosen per item (a collection moving
 * to its dedicated table, a silo restored to the pool and the tenant's collection tables).
 */
export type TargetTable = string | ((item: DynamoItem) => string);
const targetOf = (target: TargetTable) => (typeof target === 'string' ? () => target : target);

/**
 * The restore of a promotion's rollback (and the copy of a collection moving within the pool): copies the
 * tenant's items of `silo` to `poolTableName` (or the table each item belongs to), but never over an
 * item already there (conditional PutItem `attribute_not_exists`): an item the purge
 * refused to delete may be newer than its silo copy. Returns `handled` = items put back.
 */
export async function restoreTenantChunk(
  client: DynamoDBClient,
  silo: TenantTable,
  poolTableName: TargetTable,
  tenantId: TenantId,
  startKey: StartKey,
  options: ChunkOptions & { readonly parallel?: number } = {},
): Promise<ChunkResult & { kept: number }> {
  const parallel = options.parallel ?? BATCH_WRITE_LIMIT;
  const tableOf = targetOf(poolTableName);
  let kept = 0;
  const chunk = await inChunk(client, silo, tenantId, startKey, options, async (items) => {
    for (let offset = 0; offset < items.length; offset += parallel) {
      const results = await Promise.all(
        items.slice(offset, offset + parallel).map(async (Item) => {
          try {
            await client.send(
              new PutItemCommand({
                TableName: tableOf(Item),
                Item,
                ConditionExpression: 'attribute_not_exists(#pk)',
                ExpressionAttributeNames: { '#pk': PK },
              }),
            );
            return true;
          } catch (error) {
            if (error instanceof ConditionalCheckFailedException) return false;
            throw error;
          }
        }),
      );
      kept += results.filter((put) => !put).length;
    }
    return items.length;
  });
  return { ...chunk, handled: chunk.handled - kept, kept };
}

const checksumSchema = z.string().regex(/^[0-9a-f]{16}$/);

/**
 * Where the tally of one table stands between chunks, with what it has counted so far (`ItemTally`:
 * the running count and checksum, continued by `ChecksumAccumulator.resume`). The one definition of a
 * chunked read's position: a promotion's verification holds one per side, an erasure's verification
 * one for the pool; each chunk's output is the next chunk's input (defaults: not started).
 */
export const tallyPositionSchema = z.object({
  /** Several tables tallied as one (domain/lifecycle/moves.ts): the index of the table being read (absent: 0). */
  table: z.number().int().nonnegative().optional(),
  /** Pooled layout: the tenant partition being read (null: not started). Other layouts: always null. */
  partition: z.string().nullable().default(null),
  /** Where to continue: within `partition` (pooled) or in the Scan (silo, prefix). */
  startKey: z.record(z.string(), z.any()).nullable().default(null),
  count: z.number().int().nonnegative().default(0),
  checksum: checksumSchema.default('0'.repeat(16)),
  /** Every item of the tenant in the table has been counted. */
  done: z.boolean().default(false),
});
export type TallyPosition = Omit<z.output<typeof tallyPositionSchema>, 'startKey'> & {
  readonly startKey: StartKey;
};

export interface TallyChunkOptions {
  /** Items read in one call, at most (default 10,000); a filtered Scan counts the items it read, not kept. */
  readonly maxItems?: number;
  /** Items per page (the last page of a call may be smaller); default the smaller of `maxItems` and 1,000. */
  readonly pageSize?: number;
  /** Stop after a page once this says so (Lambda's remaining time). */
  readonly deadline?: () => boolean;
}

export interface TallyChunk {
  readonly position: TallyPosition;
  /** Items read by this call (never more than `maxItems`). */
  readonly read: number;
  /** Items (silo) or partitions (pooled) listed for the tenant that belong to another tenant: not counted. */
  readonly foreign: number;
  /** Keys (`pk/sk`) of the first few of the tenant's items this call counted. */
  readonly sample: readonly string[];
}

/** What is left of a tenant's items: how many, and the keys (`pk/sk`) of the first few. */
export interface Remainder {
  readonly count: number;
  readonly sample: readonly string[];
}

/** Keys named in a remainder (and sampled by a tally chunk), at most. */
export const REMAINDER_SAMPLE_SIZE = 5;

/**
 * One chunk of the count and checksum of the tenant's items in `table`, continuing from `position`:
 * reads pages until `maxItems` items were read (each page's Limit is at most what is left, so a call
 * never reads more) or the deadline is near, and returns the position to continue from, with the
 * running tally.
 *
 * Pooled layout: strongly consistent, from the base table. The tenant's partitions are listed one by
 * one through the index (its sort key is `pk`, so `pk > <last>` with Limit 1 skips to the next one), and
 * each owned partition (`TENANT#<id>#…`) is read with consistent Queries in key order, so a stale
 * projected value, or an item of a listed partition the index does not list (e.g. written without
 * `tenantId`), is counted as it is now. Silo layout: a consistent Scan of the whole table. Prefix
 * layout: a consistent Scan of the whole pool filtered on the tenant's key prefix (`maxItems` bounds the
 * items read, so a large pool holding few of the tenant's items still takes many short calls).
 */
export async function tallyTenantChunk(
  client: DynamoDBClient,
  table: TenantTable,
  tenantId: TenantId,
  position: TallyPosition,
  options: TallyChunkOptions = {},
): Promise<TallyChunk> {
  const maxItems = options.maxItems ?? 10_000;
  const pageSize = options.pageSize ?? Math.min(maxItems, 1_000);
  const acc = ChecksumAccumulator.resume(position);
  let { partition, startKey, done } = position;
  let read = 0;
  let foreign = 0;
  const sample: string[] = [];
  const nearDeadline = () => options.deadline?.() ?? false;
  const more = () => !done && read < maxItems && !nearDeadline();
  /** A paginator's page size for the rest of this call: never past `maxItems`. */
  const nextPageSize = () => Math.min(pageSize, maxItems - read);
  /** Reads pages of at most `size` items while a further page still fits in `maxItems`. */
  const readPages = async (
    pages: AsyncIterable<{ Items?: DynamoItem[]; ScannedCount?: number; LastEvaluatedKey?: DynamoItem }>,
    size: number,
  ) => {
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        if (!ownedBy(item, tenantId)) {
          foreign += 1;
          continue;
        }
        acc.add(item);
        if (sample.length < REMAINDER_SAMPLE_SIZE) sample.push(`${item[PK]?.S}/${item[SK]?.S}`);
      }
      read += page.ScannedCount ?? page.Items?.length ?? 0;
      startKey = page.LastEvaluatedKey ?? null;
      if (startKey === null || read + size > maxItems || nearDeadline()) return;
    }
  };

  if (table.layout === 'partition') {
    while (more()) {
      const size = nextPageSize();
      await readPages(
        paginateQuery(
          { client, pageSize: size, startingToken: startKey ?? undefined },
          partitionQuery(table),
        ),
        size,
      );
      done = startKey === null;
    }
  } else if (table.layout !== 'pooled') {
    while (more()) {
      const size = nextPageSize();
      await readPages(
        paginateScan(
          { client, pageSize: size, startingToken: startKey ?? undefined },
          {
            TableName: table.name,
            ConsistentRead: true,
            ...(table.layout === 'prefix' ? prefixFilter(tenantId) : {}),
          },
        ),
        size,
      );
      done = startKey === null;
    }
  } else {
    if (!done && partition === null) {
      const first = await partitionAfter(client, table.name, tenantId, null);
      foreign += first.foreign;
      partition = first.partition;
      done = partition === null;
    }
    while (more() && partition !== null) {
      const size = nextPageSize();
      await readPages(
        paginateQuery(
          { client, pageSize: size, startingToken: startKey ?? undefined },
          {
            TableName: table.name,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': PK },
            ExpressionAttributeValues: { ':pk': { S: partition } },
            ConsistentRead: true,
          },
        ),
        size,
      );
      if (startKey === null) {
        const next = await partitionAfter(client, table.name, tenantId, partition);
        foreign += next.foreign;
        partition = next.partition;
        done = partition === null;
      }
    }
  }
  return {
    position: {
      ...(position.table === undefined ? {} : { table: position.table }),
      ...acc.tally(),
      partition,
      startKey,
      done,
    },
    read,
    foreign,
    sample,
  };
}

/**
 * The tenant's next partition key after `after` (null: the first) listed in the pooled table's index,
 * skipping (and counting as `foreign`) partitions of other tenants whose items carry this tenant's id.
 * `partition` is null after the last.
 */
async function partitionAfter(
  client: DynamoDBClient,
  tableName: string,
  tenantId: TenantId,
  after: string | null,
): Promise<{ partition: string | null; foreign: number }> {
  let foreign = 0;
  let last = after;
  for (;;) {
    const page: QueryCommandOutput = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: BY_TENANT_INDEX,
        KeyConditionExpression: last === null ? '#tenant = :tenant' : '#tenant = :tenant AND #pk > :after',
        ExpressionAttributeNames: { '#tenant': POOLED_TENANT_ATTRIBUTE, '#pk': PK },
        ExpressionAttributeValues: {
          ':tenant': { S: tenantId },
          ...(last === null ? {} : { ':after': { S: last } }),
        },
        ProjectionExpression: '#pk',
        Limit: 1,
      }),
    );
    const pk: string | undefined = page.Items?.[0]?.[PK]?.S;
    if (pk === undefined) return { partition: null, foreign };
    if (tenantOfPartitionKey(pk) === tenantId) return { partition: pk, foreign };
    foreign += 1;
    last = pk;
  }
}

/** The consistent Query of a `partition` table. */
function partitionQuery(table: TenantTable) {
  if (table.partition === undefined)
    throw new Error(`table ${table.name}: partition layout without a partition`);
  return {
    TableName: table.name,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': PK },
    ExpressionAttributeValues: { ':pk': { S: table.partition } },
    ConsistentRead: true,
  };
}

/** The Scan filter of the tenant's key prefix (`begins_with(pk, 'TENANT#<id>#')`). */
function prefixFilter(tenantId: TenantId) {
  return {
    FilterExpression: 'begins_with(#pk, :prefix)',
    ExpressionAttributeNames: { '#pk': PK },
    ExpressionAttributeValues: { ':prefix': { S: tenantKeyPrefix(tenantId) } },
  };
}

function byKey(items: readonly DynamoItem[]): Map<string, DynamoItem> {
  return new Map(items.map((item) => [itemKeyString(item), item]));
}

function itemKeyString(item: DynamoItem): string {
  return keyString({ pk: item[PK]?.S, sk: item[SK]?.S });
}

function keyOf(item: DynamoItem): DynamoItem {
  const pk = item[PK];
  const sk = item[SK];
  if (pk === undefined || sk === undefined) throw new Error(`item without its key attributes ${PK}/${SK}`);
  return { [PK]: pk, [SK]: sk };
}

/** The tally of a table not read yet: where every verification and count starts. */
export const TALLY_START: TallyPosition = {
  partition: null,
  startKey: null,
  ...new ChecksumAccumulator().tally(),
  done: false,
};

/** Every item of the tenant in the table, counted chunk by chunk (a progress total, not a proof). */
export async function countTenantItems(
  client: DynamoDBClient,
  table: TenantTable,
  tenantId: TenantId,
): Promise<number> {
  let position = TALLY_START;
  while (!position.done) position = (await tallyTenantChunk(client, table, tenantId, position)).position;
  return position.count;
}
