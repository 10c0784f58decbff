/**
 * The metering progress: the event time the Flink job's watermark has passed, published to the counters
 * table. Each global tumbling window of the job (one minute, one day) fires only when the watermark
 * passes its end, so the job writes one item per fired window end: `pk` = `METERING#PROGRESS`, `sk` = that
 * end. Items are never overwritten (sink batches may land out of order); the progress is the greatest
 * `sk`. Billing prepares an hour only once the progress has passed its end (domain/billing/windows.ts).
 *
 * Idle streams: a heartbeat tick on every shard each minute (`heartbeatLine`, lambdas/metering-heartbeat)
 * moves the watermark like a valid event, and is kept out of the totals and the rejected sink.
 */
import {
  type KinesisClient,
  ListShardsCommand,
  type ListShardsCommandOutput,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { METERING_PROGRESS_PK, meteringProgressKey } from '../keys';
import { HeartbeatRejectedError } from './errors';

/** Progress items are kept two days (DynamoDB TTL): only the greatest is ever read. */
export const PROGRESS_RETENTION_SECONDS = 2 * 86_400;

/** The progress item as written. */
export type ProgressItem = {
  readonly pk: string;
  /** The instant the watermark has passed (ISO, millisecond precision, UTC). */
  readonly sk: string;
  readonly passedAt: string;
  /** Epoch seconds: `passedAt` plus the retention. */
  readonly expiresAt: number;
};

/** What each field holds, in the order of the SQL progress sink's columns. */
export const PROGRESS_FIELDS = {
  pk: 'text',
  sk: 'text',
  passedAt: 'text',
  expiresAt: 'epochSeconds',
} as const satisfies Record<keyof ProgressItem, 'text' | 'epochSeconds'>;

export type ProgressField = keyof typeof PROGRESS_FIELDS;

export function progressItem(passedAt: Date): ProgressItem {
  const iso = passedAt.toISOString();
  return {
    ...meteringProgressKey(iso),
    passedAt: iso,
    expiresAt: Math.floor(passedAt.getTime() / 1000) + PROGRESS_RETENTION_SECONDS,
  };
}

const progressItemSchema = z.object({ pk: z.literal(METERING_PROGRESS_PK), passedAt: z.iso.datetime() });

/** The event time the metering job has passed, or undefined before it has published any. */
export async function readMeteringProgress(
  client: DynamoDBDocumentClient,
  tableName: string,
): Promise<Date | undefined> {
  // One page of one item: the greatest sort key is the progress.
  const out = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': METERING_PROGRESS_PK },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  const item = out.Items?.[0];
  return item ? new Date(progressItemSchema.parse(item).passedAt) : undefined;
}

/** The heartbeat tick's marker field: a line `{"heartbeat":true,"timestamp":…}` is a tick, not usage. */
export const HEARTBEAT_FIELD = 'heartbeat';

/** A heartbeat tick stamped `at`: moves the watermark of its shard while the shard carries no usage. */
export function heartbeatLine(at: Date): string {
  return JSON.stringify({ [HEARTBEAT_FIELD]: true, timestamp: at.toISOString() });
}

/**
 * Puts one heartbeat tick stamped `at` on every open shard of the stream (explicit hash key: the shard's
 * first hash key), so every source split of the job sees event time advance while it carries no usage.
 * Returns the number of shards ticked. A tick the stream refuses fails the call: the next minute's
 * schedule puts a fresh one (a stale retry would only repeat an older time).
 */
export async function putHeartbeats(client: KinesisClient, streamArn: string, at: Date): Promise<number> {
  // ListShards has no SDK paginator: follow NextToken (StreamARN and NextToken are exclusive).
  const hashKeys: string[] = [];
  let page: ListShardsCommandOutput | undefined;
  do {
    page = await client.send(
      new ListShardsCommand(
        page?.NextToken
          ? { NextToken: page.NextToken }
          : { StreamARN: streamArn, ShardFilter: { Type: 'AT_LATEST' } },
      ),
    );
    for (const shard of page.Shards ?? []) {
      if (shard.HashKeyRange?.StartingHashKey) hashKeys.push(shard.HashKeyRange.StartingHashKey);
    }
  } while (page.NextToken);
  const data = new TextEncoder().encode(heartbeatLine(at));
  // PutRecords takes at most 500 records; a stream has at most `kinesis.shards` (≤ 500) open shards.
  for (let i = 0; i < hashKeys.length; i += 500) {
    const out = await client.send(
      new PutRecordsCommand({
        StreamARN: streamArn,
        Records: hashKeys
          .slice(i, i + 500)
          .map((hashKey) => ({ Data: data, PartitionKey: HEARTBEAT_FIELD, ExplicitHashKey: hashKey })),
      }),
    );
    if ((out.FailedRecordCount ?? 0) > 0) {
      throw new HeartbeatRejectedError(streamArn, out.FailedRecordCount ?? 0, at.toISOString());
    }
  }
  return hashKeys.length;
}
