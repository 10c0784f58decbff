/**
 * The counters item: the final usage total of one window (tenant, metric, HOUR | DAY | CUMULATIVE),
 * as the metering job writes it to the counters table. Usage events flow emitter → Kinesis → Flink →
 * counters → billing (hourly bill, final bill, reconciliation, margin, plan limits), so the item is
 * defined here, next to the event it aggregates: the producer's side owns the shape, and every writer
 * (the SQL sink of flink/sql.ts, the reference aggregator, the demo, the test fixtures) and the reader
 * (domain/billing/counters.ts) take it from this one module.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { type BatchWriteResult, batchPutDocuments } from '../aws/batch';
import { counterKey, type WindowGranularity } from '../keys';

/** Closed windows are kept 400 days; running totals 35 days (DynamoDB TTL `expiresAt`). */
export const COUNTER_RETENTION_SECONDS: Readonly<Record<WindowGranularity, number>> = {
  HOUR: 400 * 86_400,
  DAY: 400 * 86_400,
  CUMULATIVE: 35 * 86_400,
};

/** A counters item as written. `quantity` is an exact decimal string (never a double). */
export type CounterItem = {
  /** `counterKey`: `<tenantId>#<metric>`. */
  readonly pk: string;
  /** `counterKey`: `<granularity>#<windowStart>`. */
  readonly sk: string;
  readonly tenantId: string;
  readonly metric: string;
  readonly granularity: WindowGranularity;
  /** ISO instants, millisecond precision, UTC. */
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly quantity: string;
  readonly eventCount: number;
  /** Epoch seconds: window end plus the granularity's retention. */
  readonly expiresAt: number;
};

/**
 * What each field holds, in the order of the SQL sink's columns: `text`, an exact `decimal` total, an
 * `integer` count or `epochSeconds`. The SQL generator maps every field from here (a missing one fails
 * typecheck there).
 */
export const COUNTER_FIELDS = {
  pk: 'text',
  sk: 'text',
  tenantId: 'text',
  metric: 'text',
  granularity: 'text',
  windowStart: 'text',
  windowEnd: 'text',
  quantity: 'decimal',
  eventCount: 'integer',
  expiresAt: 'epochSeconds',
} as const satisfies Record<keyof CounterItem, 'text' | 'decimal' | 'integer' | 'epochSeconds'>;

export type CounterField = keyof typeof COUNTER_FIELDS;

/** DynamoDB numbers may come back as strings, numbers or (`wrapNumbers`) wrapped values. */
const storedNumber = z.union([
  z.string(),
  z.number(),
  z.object({ value: z.string() }).transform((n) => n.value),
]);

/**
 * A counters item as read. Flink's DynamoDB sink writes DECIMAL as a DynamoDB number: the quantity is
 * read wrapped (exact) or as a string, never converted here.
 */
export const counterItemSchema = z.object({
  pk: z.string(),
  sk: z.string(),
  tenantId: z.string(),
  metric: z.string(),
  granularity: z.enum(['HOUR', 'DAY', 'CUMULATIVE']),
  windowStart: z.string(),
  windowEnd: z.string(),
  quantity: storedNumber,
  eventCount: storedNumber.transform(Number).optional(),
  expiresAt: storedNumber.transform(Number).optional(),
});

export interface WindowTotal {
  readonly tenantId: string;
  readonly metric: string;
  readonly granularity: WindowGranularity;
  readonly windowStart: Date;
  readonly windowEnd: Date;
  /** Exact decimal string. */
  readonly quantity: string;
  readonly eventCount: number;
}

/** The item of one window total: key from `counterKey`, TTL from the retention. */
export function counterItem(total: WindowTotal): CounterItem {
  const windowStart = total.windowStart.toISOString();
  return {
    ...counterKey(total.tenantId, total.metric, total.granularity, windowStart),
    tenantId: total.tenantId,
    metric: total.metric,
    granularity: total.granularity,
    windowStart,
    windowEnd: total.windowEnd.toISOString(),
    quantity: total.quantity,
    eventCount: total.eventCount,
    expiresAt: Math.floor(total.windowEnd.getTime() / 1000) + COUNTER_RETENTION_SECONDS[total.granularity],
  };
}

/** Writes window totals as the metering job does (whole-item overwrite, idempotent). */
export async function writeCounters(
  client: DynamoDBDocumentClient,
  tableName: string,
  items: readonly CounterItem[],
): Promise<BatchWriteResult> {
  return batchPutDocuments(client, tableName, items);
}
