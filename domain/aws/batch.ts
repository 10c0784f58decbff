import type { AttributeValue, KeysAndAttributes, WriteRequest } from '@aws-sdk/client-dynamodb';
import { BatchGetItemCommand, BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UnprocessedItemsError } from '../errors';
import { type BackoffPolicy, backoffDelayMs, sleep as realSleep, type Sleep } from './backoff';

/**
 * BatchWriteItem / BatchGetItem over any number of requests — the one implementation of the
 * batching limits (25 writes, 100 keys) and of the UnprocessedItems / UnprocessedKeys retry, over
 * either client (the low-level one copies AttributeValue maps exactly; the document one takes native
 * JavaScript items). The SDK has no maintained helper for either. Unprocessed requests of a round are
 * pooled and re-sent in full batches in the next round, after a backoff that grows only while
 * DynamoDB makes no progress. Nothing is ever dropped: after `maxAttempts` rounds in a row without
 * progress it throws UnprocessedItemsError (retriable: the requests are idempotent).
 */
export const BATCH_WRITE_LIMIT = 25;
const BATCH_GET_LIMIT = 100;

/**
 * Unprocessed items mean the table's throughput is exhausted for a moment: the first re-send waits
 * up to 50 ms, each round in a row without progress doubles that, up to 2 s.
 */
const UNPROCESSED_BACKOFF: BackoffPolicy = { baseMs: 50, capMs: 2_000 };

export interface BatchOptions {
  /** Rounds in a row without progress before giving up (default 12). */
  readonly maxAttempts?: number;
  /** Batches of one round sent at once (default 1). */
  readonly concurrency?: number;
  readonly sleep?: Sleep;
}

export interface BatchGetOptions extends BatchOptions {
  /** Strongly consistent reads (default false). */
  readonly consistent?: boolean;
}

export interface BatchWriteResult {
  readonly calls: number;
  readonly retried: number;
}

/** The retry loop shared by every batch operation: `send` returns what was left unprocessed. */
async function inRounds<R>(
  tableName: string,
  requests: readonly R[],
  limit: number,
  options: BatchOptions,
  send: (batch: R[]) => Promise<readonly R[]>,
): Promise<BatchWriteResult> {
  const maxAttempts = options.maxAttempts ?? 12;
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const sleep = options.sleep ?? realSleep;
  let calls = 0;
  let retried = 0;
  let pending: R[] = [...requests];
  let stalled = 0;
  while (pending.length > 0) {
    const batches: R[][] = [];
    for (let offset = 0; offset < pending.length; offset += limit)
      batches.push(pending.slice(offset, offset + limit));
    const next: R[] = [];
    let cursor = 0;
    const worker = async () => {
      while (cursor < batches.length) {
        const batch = batches[cursor++] as R[];
        calls += 1;
        next.push(...(await send(batch)));
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
    if (next.length === 0) break;
    stalled = next.length < pending.length ? 0 : stalled + 1;
    if (stalled >= maxAttempts) throw new UnprocessedItemsError(tableName, next.length, maxAttempts);
    retried += next.length;
    await sleep(backoffDelayMs(UNPROCESSED_BACKOFF, stalled + 1));
    pending = next;
  }
  return { calls, retried };
}

/**
 * Every key read once (BatchGetItem rejects a batch naming a key twice), in rounds; `send` answers
 * one batch's found items and unprocessed keys.
 */
async function getInRounds<K, I>(
  tableName: string,
  keys: readonly K[],
  options: BatchGetOptions,
  send: (request: { Keys: K[]; ConsistentRead: boolean }) => Promise<{
    found?: readonly I[];
    unprocessed?: readonly K[];
  }>,
): Promise<I[]> {
  const unique = [...new Map(keys.map((key) => [JSON.stringify(key), key])).values()];
  const found: I[] = [];
  await inRounds(tableName, unique, BATCH_GET_LIMIT, options, async (Keys) => {
    const out = await send({ Keys, ConsistentRead: options.consistent ?? false });
    found.push(...(out.found ?? []));
    return out.unprocessed ?? [];
  });
  return found;
}

/** Every write request, over the low-level client (items as AttributeValue maps, copied exactly). */
export function batchWriteAll(
  client: DynamoDBClient,
  tableName: string,
  requests: readonly WriteRequest[],
  options: BatchOptions = {},
): Promise<BatchWriteResult> {
  return inRounds(tableName, requests, BATCH_WRITE_LIMIT, options, async (batch) => {
    const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: batch } }));
    return out.UnprocessedItems?.[tableName] ?? [];
  });
}

/** Puts every item, over the document client (native JavaScript items). */
export function batchPutDocuments(
  client: DynamoDBDocumentClient,
  tableName: string,
  items: readonly Record<string, unknown>[],
  options: BatchOptions = {},
): Promise<BatchWriteResult> {
  type PutRequest = { PutRequest: { Item: Record<string, unknown> } };
  const requests = items.map((Item): PutRequest => ({ PutRequest: { Item } }));
  return inRounds(tableName, requests, BATCH_WRITE_LIMIT, options, async (batch) => {
    const out = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: batch } }));
    return (out.UnprocessedItems?.[tableName] ?? []) as PutRequest[];
  });
}

/** Reads every key over the low-level client; the items found, in no particular order. */
export function batchGetAll(
  client: DynamoDBClient,
  tableName: string,
  keys: readonly Record<string, AttributeValue>[],
  options: BatchGetOptions = {},
): Promise<Record<string, AttributeValue>[]> {
  return getInRounds(tableName, keys, options, async (request: KeysAndAttributes) => {
    const out = await client.send(new BatchGetItemCommand({ RequestItems: { [tableName]: request } }));
    return { found: out.Responses?.[tableName], unprocessed: out.UnprocessedKeys?.[tableName]?.Keys };
  });
}

/** Reads every key over the document client (native JavaScript items), in no particular order. */
export function batchGetDocuments(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Record<string, unknown>[],
  options: BatchGetOptions = {},
): Promise<Record<string, unknown>[]> {
  return getInRounds(tableName, keys, options, async (request) => {
    const out = await client.send(new BatchGetCommand({ RequestItems: { [tableName]: request } }));
    return { found: out.Responses?.[tableName], unprocessed: out.UnprocessedKeys?.[tableName]?.Keys };
  });
}
