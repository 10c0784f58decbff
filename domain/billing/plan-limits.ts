/**
 * Plan limits from near-real-time usage: the identity part's `UsageLimitCheck` over the CUMULATIVE
 * counters (the metering job's running totals over the UTC day; one item per tenant, metric and UTC day, key
 * `counterKey(tenant, metric, 'CUMULATIVE', <day start>)`, overwritten at every step with events).
 *
 * A tenant is over its plan when, for some metric its tier limits, today's running total has
 * reached the daily limit (usage ≥ limit: the allowance is used up). This check is uncached: the
 * authorizer wraps it in `cachedUsageLimitCheck` (domain/identity/usage-limit.ts) for one cumulative
 * step, so a warm authorizer makes no DynamoDB read per request, and a crossing is seen at most one
 * step (plus the counter's own watermark lag) after it happens.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGetDocuments } from '../aws/batch';
import { requireTier, type TenantryConfig } from '../config';
import type { UsageLimitCheck, UsageLimitResult } from '../identity/usage-limit';
import { counterKey } from '../keys';
import { parseCounter } from './counters';
import { toMicro } from './decimal';

interface PlanLimitOptions {
  readonly config: TenantryConfig;
  readonly client: DynamoDBDocumentClient;
  readonly countersTable: string;
  readonly now?: () => Date;
}

/** The uncached check: one BatchGetItem of today's running totals for the tier's limited metrics. */
export function planLimitCheck(options: PlanLimitOptions): UsageLimitCheck {
  const now = options.now ?? (() => new Date());
  return async (tenantId: string, tierName: string): Promise<UsageLimitResult> => {
    const tier = requireTier(options.config, tierName);
    const limits = Object.entries(tier.dailyLimits);
    if (limits.length === 0) return { exceeded: false };
    const at = now();
    const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate())).toISOString();
    const keys = limits.map(([metric]) => counterKey(tenantId, metric, 'CUMULATIVE', day));
    const items = await batchGetDocuments(options.client, options.countersTable, keys);
    const today = new Map(items.map(parseCounter).map((c) => [c.metric, c.quantityMicro]));
    for (const [metric, limit] of limits) {
      const usage = today.get(metric);
      if (usage === undefined) continue;
      if (usage >= toMicro(limit, `${tierName} daily limit of ${metric}`)) {
        return { exceeded: true, metric };
      }
    }
    return { exceeded: false };
  };
}
