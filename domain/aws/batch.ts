import type { AttributeValue, KeysAndAttributes, WriteRequest } from '@aws-sdk/client-dynamodb';
import { BatchGetItemCommand, BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UnprocessedItemsError } from '../errors';

/**
 * BatchWriteItem / BatchGetItem over any number of requests — the one implementation of the
 * batching limits (25 writes, 100 keys) and of the UnprocessedItems / UnprocessedKeys retry. The SDK
 * has no maintained helper for either. Unprocessed requests of a round are pooled and re-sent in full
 * batches in the next round, after a jittered backoff that grows only while DynamoDB makes no
 * progress. Nothing is ever dropped: after `maxAttempts` rounds in a row without progress it throws
 * UnprocessedItemsError (retriable: the requests are idempotent).
 */
export const BATCH_WRITE_LIMIT = 25;
export const BATCH_GET_LIMIT = 100;

export interface BatchOptions {
  /** Rounds in a row without progress before giving up (default 12). */
  readonly maxAttempts?: number;
  /** Base of the exponential backoff between rounds, ms (default 50, capped at 2 s). */
  readonly baseDelayMs?: number;
  /** Batches of one round sent at once (default 1). */
  readonly concurrency?: number;
  readonly sleep?: (ms: number) => Promise<void>;
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
  send: (batch: R[]) => Promise<readonly R[]>,
  options: BatchOptions,
): Promise<BatchWriteResult> {
  const maxAttempts = options.maxAttempts ?? 12;
  const baseDelayMs = options.baseDelayMs ?? 50;
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
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
    await sleep(Math.random() * Math.min(2_000, baseDelayMs * 2 ** stalled));
    pending = next;
  }
  return { calls, retried };
}

/** Every write request, over the low-level client (items as AttributeValue maps, copied exactly). */
export function batchWriteAll(
  client: DynamoDBClient,
  tableName: string,
  requests: readonly WriteRequest[],
  options: BatchOptions = {},
): Promise<BatchWriteResult> {
  return inRounds(
    tableName,
    requests,
    BATCH_WRITE_LIMIT,
    async (batch) => {
      const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: batch } }));
      return out.UnprocessedItems?.[tableName] ?? [];
    },
    options,
  );
}

/** Puts every item, over the document client (native JavaScript items). */
export function batchPutDocuments(
  client: DynamoDBDocumentClient,
  tableName: string,
  items: readonly Record<string, unknown>[],
  options: BatchOptions = {},
): Promise<BatchWriteResult> {
  type PutRequest = { PutRequest: { Item: Record<string, unknown> } };
  const requests: PutRequest[] = items.map((Item) => ({ PutRequest: { Item } }));
  return inRounds(
    tableName,
    requests,
    BATCH_WRITE_LIMIT,
    async (batch) => {
      const out = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: batch } }));
      return (out.UnprocessedItems?.[tableName] ?? []) as PutRequest[];
    },
    options,
  );
}

/** Reads every key over the low-level client; `consistent` for strongly consistent reads. */
export async function batchGetAll(
  client: DynamoDBClient,
  tableName: string,
  keys: readonly Record<string, AttributeValue>[],
  options: BatchOptions & { readonly consistent?: boolean } = {},
): Promise<Record<string, AttributeValue>[]> {
  const found: Record<string, AttributeValue>[] = [];
  await inRounds(
    tableName,
    keys,
    BATCH_GET_LIMIT,
    async (batch) => {
      const request: KeysAndAttributes = { Keys: batch, ConsistentRead: options.consistent ?? false };
      const out = await client.send(new BatchGetItemCommand({ RequestItems: { [tableName]: request } }));
      found.push(...(out.Responses?.[tableName] ?? []));
      return out.UnprocessedKeys?.[tableName]?.Keys ?? [];
    },
    options,
  );
  return found;
}

/** Reads every key over the document client (native JavaScript items). */
export async function batchGetDocuments(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Record<string, unknown>[],
  options: BatchOptions & { readonly consistent?: boolean } = {},
): Promise<Record<string, unknown>[]> {
  const found: Record<string, unknown>[] = [];
  await inRounds(
    tableName,
    keys,
    BATCH_GET_LIMIT,
    async (batch) => {
      const out = await client.send(
        new BatchGetCommand({
          RequestItems: { [tableName]: { Keys: batch, ConsistentRead: options.consistent ?? false } },
        }),
      );
      found.push(...(out.Responses?.[tableName] ?? []));
      return (out.UnprocessedKeys?.[tableName]?.Keys ?? []) as Record<string, unknown>[];
    },
    options,
  );
  return found;
}
