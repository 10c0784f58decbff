import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  ScanCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { tenantKeyPrefix } from '../keys';
import { siloTableDefinition, tableDefinitions } from '../tables';
import type { TenantId } from '../tenant/tenant-id';
import { ChecksumAccumulator, type ItemTally } from './checksum';
import { UnprocessedItemsError } from './errors';

/**
 * Reading, copying and deleting one tenant's items in a table keyed like the pooled table
 * (pk `TENANT#<id>#<collection>`, sk). DynamoDB cannot Query on a partition-key prefix, and the key
 * scheme spreads a tenant over one partition per collection, so the tenant's items are found with a
 * paginated Scan filtered on `begins_with(pk, "TENANT#<id>#")` — the only way that cannot miss an item
 * of an unknown collection. Work is done in chunks that return a continuation key, so a workflow can
 * checkpoint between chunks and a large tenant never needs one long-running call.
 */

export type DynamoItem = Record<string, AttributeValue>;
export type StartKey = DynamoItem | null;

const PK = tableDefinitions.pooled.partitionKey.name;
const SK = tableDefinitions.pooled.sortKey.name;
if (siloTableDefinition.partitionKey.name !== PK || siloTableDefinition.sortKey?.name !== SK) {
  throw new Error('silo and pooled tables must share a key schema for items to copy unchanged');
}

/** DynamoDB's BatchWriteItem limit. */
export const BATCH_WRITE_LIMIT = 25;

export interface ChunkOptions {
  /** Stop after a page once this many tenant items were handled (default 2,500). */
  readonly maxItems?: number;
  /** Stop after a page once less than this much time is left (Lambda's remaining time), ms. */
  readonly deadline?: () => boolean;
  /** Scan page size (items evaluated per page, before filtering). Default: `maxItems`. */
  readonly pageSize?: number;
}

export interface ChunkResult {
  readonly handled: number;
  /** Where to continue, or null when the whole table was scanned. */
  readonly nextKey: StartKey;
}

export interface BatchWriteOptions {
  /** Attempts per batch of 25 before giving up with UnprocessedItemsError (default 12). */
  readonly maxAttempts?: number;
  /** Base of the exponential backoff between attempts, ms (default 50, capped at 2 s). */
  readonly baseDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** One page of a tenant's items (after filtering) and the scan's continuation key. */
export async function scanTenantPage(
  client: DynamoDBClient,
  tableName: string,
  tenantId: TenantId,
  startKey: StartKey,
  pageSize?: number,
): Promise<{ items: DynamoItem[]; nextKey: StartKey }> {
  const page = await client.send(
    new ScanCommand({
      TableName: tableName,
      FilterExpression: 'begins_with(#pk, :prefix)',
      ExpressionAttributeNames: { '#pk': PK },
      ExpressionAttributeValues: { ':prefix': { S: tenantKeyPrefix(tenantId) } },
      ConsistentRead: true,
      Limit: pageSize,
      ExclusiveStartKey: startKey ?? undefined,
    }),
  );
  return { items: page.Items ?? [], nextKey: page.LastEvaluatedKey ?? null };
}

/**
 * Writes every request in batches of 25, retrying UnprocessedItems until none remain. Unprocessed
 * requests of a round are pooled and re-sent in full batches in the next round, after a backoff that
 * grows only while DynamoDB makes no progress. Never drops an item: after `maxAttempts` rounds in a row
 * without progress it throws UnprocessedItemsError (retriable — the writes are idempotent).
 */
export async function batchWriteAll(
  client: DynamoDBClient,
  tableName: string,
  requests: readonly WriteRequest[],
  options: BatchWriteOptions = {},
): Promise<{ calls: number; retried: number }> {
  const maxAttempts = options.maxAttempts ?? 12;
  const baseDelayMs = options.baseDelayMs ?? 50;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let calls = 0;
  let retried = 0;
  let pending: WriteRequest[] = [...requests];
  let stalled = 0;
  while (pending.length > 0) {
    const next: WriteRequest[] = [];
    for (let offset = 0; offset < pending.length; offset += BATCH_WRITE_LIMIT) {
      const batch = pending.slice(offset, offset + BATCH_WRITE_LIMIT);
      calls += 1;
      const result = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: batch } }));
      next.push(...(result.UnprocessedItems?.[tableName] ?? []));
    }
    if (next.length === 0) break;
    stalled = next.length < pending.length ? 0 : stalled + 1;
    if (stalled >= maxAttempts) throw new UnprocessedItemsError(tableName, next.length, maxAttempts);
    retried += next.length;
    await sleep(Math.random() * Math.min(2_000, baseDelayMs * 2 ** stalled));
    pending = next;
  }
  return { calls, retried };
}

/** Copies the tenant's items from `source` to `target`, from `startKey`, until the chunk budget is used. */
export async function copyTenantChunk(
  client: DynamoDBClient,
  source: string,
  target: string,
  tenantId: TenantId,
  startKey: StartKey,
  options: ChunkOptions & BatchWriteOptions = {},
): Promise<ChunkResult & { retried: number }> {
  const maxItems = options.maxItems ?? 2_500;
  let handled = 0;
  let retried = 0;
  let key = startKey;
  do {
    const page = await scanTenantPage(client, source, tenantId, key, options.pageSize ?? maxItems);
    const written = await batchWriteAll(
      client,
      target,
      page.items.map((Item) => ({ PutRequest: { Item } })),
      options,
    );
    handled += page.items.length;
    retried += written.retried;
    key = page.nextKey;
  } while (key !== null && handled < maxItems && !(options.deadline?.() ?? false));
  return { handled, nextKey: key, retried };
}

/** Deletes the tenant's items from `table`, from `startKey`, until the chunk budget is used. */
export async function purgeTenantChunk(
  client: DynamoDBClient,
  table: string,
  tenantId: TenantId,
  startKey: StartKey,
  options: ChunkOptions & BatchWriteOptions = {},
): Promise<ChunkResult> {
  const maxItems = options.maxItems ?? 2_500;
  let handled = 0;
  let key = startKey;
  do {
    const page = await scanTenantPage(client, table, tenantId, key, options.pageSize ?? maxItems);
    await batchWriteAll(
      client,
      table,
      page.items.map((item) => ({ DeleteRequest: { Key: keyOf(item) } })),
      options,
    );
    handled += page.items.length;
    key = page.nextKey;
  } while (key !== null && handled < maxItems && !(options.deadline?.() ?? false));
  return { handled, nextKey: key };
}

/** Count and checksum of every item of the tenant in `table` (reads all pages). */
export async function tallyTenantItems(
  client: DynamoDBClient,
  table: string,
  tenantId: TenantId,
  pageSize?: number,
): Promise<ItemTally> {
  const acc = new ChecksumAccumulator();
  let key: StartKey = null;
  do {
    const page = await scanTenantPage(client, table, tenantId, key, pageSize);
    for (const item of page.items) acc.add(item);
    key = page.nextKey;
  } while (key !== null);
  return acc.tally();
}

function keyOf(item: DynamoItem): DynamoItem {
  const pk = item[PK];
  const sk = item[SK];
  if (pk === undefined || sk === undefined) throw new Error(`item without its key attributes ${PK}/${SK}`);
  return { [PK]: pk, [SK]: sk };
}
