/**
 * Reading the counters the Flink job writes (table `counters`): pk `<tenantId>#<metric>`,
 * sk `<HOUR|DAY|CUMULATIVE>#<windowStartIso>`, `quantity` an exact decimal string. Items are final
 * window totals written idempotently; billing only reads them.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { baseClientConfig, type ClientSettings } from '../aws/clients';
import { counterKey, counterSortKeyPrefix, type WindowGranularity } from '../keys';
import { toMicro } from './decimal';
import { batchGetAll, type Item, keyString, queryAll } from './dynamo';
import { BillingDataError } from './errors';

export const counterItemSchema = z.object({
  pk: z.string(),
  sk: z.string(),
  tenantId: z.string(),
  metric: z.string(),
  granularity: z.enum(['HOUR', 'DAY', 'CUMULATIVE']),
  windowStart: z.string(),
  windowEnd: z.string(),
  /** Flink's DynamoDB sink writes DECIMAL as a DynamoDB number; read it wrapped (exact) or as a string. */
  quantity: z.union([z.string(), z.number(), z.object({ value: z.string() }).transform((n) => n.value)]),
  eventCount: z
    .union([z.number(), z.string(), z.object({ value: z.string() }).transform((n) => n.value)])
    .transform(Number)
    .optional(),
});

/**
 * A document client that keeps DynamoDB numbers exact (`wrapNumbers`): counters quantities are
 * DECIMAL(38, 6) and must never pass through a double.
 */
export function countersDocumentClient(settings: ClientSettings = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(baseClientConfig(settings)), {
    marshallOptions: { removeUndefinedValues: true },
    unmarshallOptions: { wrapNumbers: true },
  });
}

export interface Counter {
  readonly tenantId: string;
  readonly metric: string;
  readonly granularity: WindowGranularity;
  readonly windowStart: Date;
  readonly windowEnd: Date;
  readonly quantityMicro: bigint;
  readonly eventCount: number | undefined;
}

export function parseCounter(item: Item): Counter {
  const parsed = counterItemSchema.safeParse(item);
  if (!parsed.success) {
    throw new BillingDataError(
      `counters item ${String(item.pk)}/${String(item.sk)} is malformed: ${parsed.error.message}`,
    );
  }
  const c = parsed.data;
  return {
    tenantId: c.tenantId,
    metric: c.metric,
    granularity: c.granularity,
    windowStart: new Date(c.windowStart),
    windowEnd: new Date(c.windowEnd),
    quantityMicro: toMicro(c.quantity, `counter ${c.pk}/${c.sk} quantity`),
    eventCount: c.eventCount,
  };
}

/** Counters windows are keyed by their start in canonical ISO (`toISOString`). */
export function windowStartKey(at: Date): string {
  return at.toISOString();
}

export class CountersReader {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** HOUR totals for each (tenant, metric) at `hour`; a missing row means no usage. Key: `tenant#metric`. */
  public async hourTotals(
    pairs: readonly { tenantId: string; metric: string }[],
    hour: Date,
  ): Promise<Map<string, Counter>> {
    const keys = pairs.map((p) => counterKey(p.tenantId, p.metric, 'HOUR', windowStartKey(hour)));
    const items = await batchGetAll(this.client, this.tableName, keys);
    const out = new Map<string, Counter>();
    for (const [i, key] of keys.entries()) {
      const item = items.get(keyString(key));
      const pair = pairs[i];
      if (item !== undefined && pair !== undefined)
        out.set(`${pair.tenantId}#${pair.metric}`, parseCounter(item));
    }
    return out;
  }

  /** All counters of one granularity for (tenant, metric) with window start in [from, to). */
  public async range(
    tenantId: string,
    metric: string,
    granularity: WindowGranularity,
    from: Date,
    to: Date,
  ): Promise<Counter[]> {
    const first = counterKey(tenantId, metric, granularity, windowStartKey(from));
    const last = counterKey(tenantId, metric, granularity, windowStartKey(new Date(to.getTime() - 1)));
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': first.pk,
        ':from': first.sk,
        ':to': last.sk,
      },
      ConsistentRead: true,
    });
    return items.map(parseCounter);
  }

  /** The latest CUMULATIVE (running daily total) row of (tenant, metric), if any. */
  public async latestCumulative(tenantId: string, metric: string): Promise<Counter | undefined> {
    const { pk } = counterKey(tenantId, metric, 'CUMULATIVE', '');
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': counterSortKeyPrefix('CUMULATIVE') },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    const item = page.Items?.[0];
    return item === undefined ? undefined : parseCounter(item);
  }
}
