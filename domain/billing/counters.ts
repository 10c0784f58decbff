/**
 * Step 1 of the billing run — read the counters the Flink job writes (table `counters`; the item is
 * defined once in domain/usage/counters.ts). Items are final window totals written idempotently;
 * billing only reads them. Also the totals reconciliation (HOUR ranges), the margin report (DAY
 * totals) and plan limits (CUMULATIVE) read through here: every reader of the table is billing's.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateQuery, QueryCommand } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { batchGetDocuments } from '../aws/batch';
import { baseClientConfig, type ClientSettings } from '../aws/clients';
import type { MetricConfig } from '../config';
import { counterKey, counterSortKeyPrefix, type WindowGranularity } from '../keys';
import { counterItemSchema } from '../usage/counters';
import { toMicro } from './decimal';
import { BillingDataError } from './errors';

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

interface Counter {
  readonly tenantId: string;
  readonly metric: string;
  readonly granularity: WindowGranularity;
  readonly windowStart: Date;
  readonly windowEnd: Date;
  readonly quantityMicro: bigint;
  readonly eventCount: number | undefined;
}

export function parseCounter(item: Record<string, unknown>): Counter {
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

export class CountersReader {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Exact usage (micro-units) of each (tenant, metric) in `hour`, in the order of `pairs`; no row means
   * no usage (0). For the partial hour of a final bill (`partial`): the HOUR row if Flink already wrote
   * it, else the day's CUMULATIVE running total minus the day's HOUR rows before `hour`.
   */
  public async usageAt(
    pairs: readonly { tenantId: string; metric: string }[],
    hour: Date,
    partial = false,
  ): Promise<bigint[]> {
    const keys = pairs.map((p) => counterKey(p.tenantId, p.metric, 'HOUR', hour.toISOString()));
    const items = await batchGetDocuments(this.client, this.tableName, keys, { concurrency: 4 });
    // Every row read is an HOUR row of `hour`: its partition (`<tenant>#<metric>`) tells them apart.
    const byPartition = new Map(items.map((item) => [String(item.pk), parseCounter(item).quantityMicro]));
    const limit = pLimit(4);
    const dayStart = new Date(Date.UTC(hour.getUTCFullYear(), hour.getUTCMonth(), hour.getUTCDate()));
    return Promise.all(
      pairs.map((p, i) =>
        limit(async () => {
          const row = byPartition.get((keys[i] as { pk: string }).pk);
          if (row !== undefined || !partial) return row ?? 0n;
          const cumulative = await this.latestCumulative(p.tenantId, p.metric);
          if (cumulative === undefined || cumulative.windowStart.getTime() !== dayStart.getTime()) return 0n;
          const hours = await this.range(p.tenantId, p.metric, 'HOUR', dayStart, hour);
          const rest = cumulative.quantityMicro - hours.reduce((sum, c) => sum + c.quantityMicro, 0n);
          return rest > 0n ? rest : 0n;
        }),
      ),
    );
  }

  /** All counters of one granularity for (tenant, metric) with window start in [from, to). */
  public async range(
    tenantId: string,
    metric: string,
    granularity: WindowGranularity,
    from: Date,
    to: Date,
  ): Promise<Counter[]> {
    const first = counterKey(tenantId, metric, granularity, from.toISOString());
    const last = counterKey(tenantId, metric, granularity, new Date(to.getTime() - 1).toISOString());
    const counters: Counter[] = [];
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': first.pk, ':from': first.sk, ':to': last.sk },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) counters.push(...(page.Items ?? []).map(parseCounter));
    return counters;
  }

  /**
   * Usage totals of a period from the DAY counters (whole UTC days in [from, to)), or from the HOUR
   * counters for a period of whole hours: tenant → metric → micro.
   */
  public async dailyTotals(
    tenantIds: readonly string[],
    metrics: readonly MetricConfig[],
    period: { from: Date; to: Date },
    granularity: 'DAY' | 'HOUR' = 'DAY',
  ): Promise<Map<string, Map<string, bigint>>> {
    const out = new Map<string, Map<string, bigint>>();
    for (const tenantId of tenantIds) {
      const perMetric = new Map<string, bigint>();
      for (const m of metrics) {
        const rows = await this.range(tenantId, m.name, granularity, period.from, period.to);
        perMetric.set(
          m.name,
          rows.reduce((sum, r) => sum + r.quantityMicro, 0n),
        );
      }
      out.set(tenantId, perMetric);
    }
    return out;
  }

  /** The latest CUMULATIVE (running daily total) row of (tenant, metric), if any. */
  private async latestCumulative(tenantId: string, metric: string): Promise<Counter | undefined> {
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
