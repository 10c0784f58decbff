/**
 * Late-usage adjustments. Flink leaves late events (event time ≤ watermark) out of the windows and
 * writes them to the late sink (lake.ts), so the hour they belong to was (or will be) billed without
 * them. Marketplace cannot correct an hour in place: a second record for the same customer +
 * dimension + hour with another quantity is a DuplicateRecord. So:
 *
 *  - a late event still inside Marketplace's acceptance window of its own timestamp (windows.ts) is
 *    BILLABLE: it is billed as an adjustment in the hour that is open when the adjustment is scheduled
 *    (the target hour). One ADJUSTMENT ledger item per (tenant, dimension, original hour, set of new
 *    late events), key `ADJUSTMENT#<originalHour>#<id>`, references the original hour and the event
 *    ids; its id is a digest of exactly those, and it is written only if absent, so scheduling is
 *    idempotent (a rerun, or a later run seeing the same events, schedules nothing new: events an
 *    existing ADJUSTMENT already covers are left out);
 *  - scheduling writes, in one transaction, the ADJUSTMENT item (only if absent), its line in the
 *    target hour's slot `ADJUSTMENTS#<targetHour>`, and a check that the target hour has no ledger
 *    entry yet (a final bill may have prepared it: then the next hour is tried);
 *  - when the billing run prepares the target hour it reads the slot (`slotsAt`) and adds the
 *    adjustments' exact usage to the hour's own usage BEFORE rounding, so the late quantity goes
 *    through the same rule and carried remainder (rounding.ts) and nothing is rounded twice;
 *  - a late event past the acceptance window is UNBILLABLE: reported (reconciliation.ts), not billed;
 *  - an hour whose ledger entry can no longer be sent (past the acceptance window: a billing outage,
 *    a stalled Flink, Marketplace down) is CARRIED (`carryUnsendable`): its units (units × perUnit,
 *    exact) become an adjustment of the open hour by the same mechanism, under the pseudo event id
 *    `HOUR#<originalHour>` (so the id is deterministic and a rerun schedules nothing new); the entry
 *    itself ends EXPIRED, its carried remainder already passed on to the next hour.
 */
import { createHash } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { paginateQuery, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { batchGetDocuments } from '../aws/batch';
import type { TenantryConfig } from '../config';
import { ledgerKey } from '../keys';
import { BillingDataError } from './errors';
import { type LateEvent, readLateEvents } from './lake';
import { type LedgerEntry, type LedgerTable, pairKey } from './ledger';
import { addHours, hourIso, hourStart, isWithinAcceptanceWindow } from './windows';

const micro = z.string().regex(/^-?\d+$/);

/**
 * An ADJUSTMENT entry: billable late usage of `originalHour`, billed in `targetHour`. Immutable once
 * written; its id is derived from (tenant, dimension, original hour, event ids).
 */
const adjustmentEntrySchema = z.object({
  pk: z.string(),
  sk: z.string(),
  kind: z.literal('ADJUSTMENT'),
  adjustmentId: z.string(),
  tenantId: z.string(),
  dimension: z.string(),
  metric: z.string(),
  originalHour: z.string(),
  targetHour: z.string(),
  eventIds: z.array(z.string()).min(1),
  usageMicro: micro,
  createdAt: z.string(),
});
export type AdjustmentEntry = z.infer<typeof adjustmentEntrySchema>;

/** The adjustments an hour's entry must add (one slot item per tenant, dimension and target hour). */
const adjustmentSlotSchema = z.object({
  pk: z.string(),
  sk: z.string(),
  adjustments: z.array(z.object({ adjustmentId: z.string(), usageMicro: micro })),
});
export interface AdjustmentSlot {
  readonly adjustmentIds: string[];
  readonly usageMicro: bigint;
}

/**
 * Ledger sort keys besides the hour entries' (ISO hours, which sort before them), under the tenant's
 * and dimension's partition (`ledgerKey`).
 */
const ADJUSTMENT_PREFIX = 'ADJUSTMENT#';
const ADJUSTMENT_SLOT_PREFIX = 'ADJUSTMENTS#';

const adjustmentKey = (tenantId: string, dimension: string, originalHour: string, id: string) =>
  ledgerKey(tenantId, dimension, `${ADJUSTMENT_PREFIX}${originalHour}#${id}`);
const adjustmentSlotKey = (tenantId: string, dimension: string, targetHour: string) =>
  ledgerKey(tenantId, dimension, `${ADJUSTMENT_SLOT_PREFIX}${targetHour}`);

export type ScheduleResult = 'scheduled' | 'exists' | 'hour-prepared';
export type NewAdjustment = Omit<AdjustmentEntry, 'pk' | 'sk' | 'kind' | 'createdAt'>;

/** The adjustment items of the ledger table. */
export class AdjustmentStore {
  public constructor(
    private readonly ledger: LedgerTable,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Every ADJUSTMENT entry of (tenant, dimension), all original hours. */
  public async existing(tenantId: string, dimension: string): Promise<AdjustmentEntry[]> {
    const { pk } = ledgerKey(tenantId, dimension, '');
    const entries: AdjustmentEntry[] = [];
    const pages = paginateQuery(
      { client: this.ledger.client },
      {
        TableName: this.ledger.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': ADJUSTMENT_PREFIX },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      entries.push(
        ...(page.Items ?? []).map((item) => parse(adjustmentEntrySchema, item, 'adjustment entry')),
      );
    }
    return entries;
  }

  /**
   * Schedules an adjustment in its target hour, atomically (TransactWriteItems): the ADJUSTMENT entry
   * is written only if absent (`exists`: an earlier run scheduled it — nothing to do), it is appended
   * to the target hour's slot, and only while the target hour has no ledger entry yet
   * (`hour-prepared`: that hour is billed already; the caller picks a later hour).
   */
  public async schedule(adjustment: NewAdjustment): Promise<ScheduleResult> {
    const { tenantId, dimension, targetHour } = adjustment;
    const entry: AdjustmentEntry = {
      ...adjustmentKey(tenantId, dimension, adjustment.originalHour, adjustment.adjustmentId),
      kind: 'ADJUSTMENT',
      ...adjustment,
      createdAt: this.clock().toISOString(),
    };
    const TableName = this.ledger.tableName;
    try {
      await this.ledger.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName, Item: entry, ConditionExpression: 'attribute_not_exists(pk)' } },
            {
              Update: {
                TableName,
                Key: adjustmentSlotKey(tenantId, dimension, targetHour),
                UpdateExpression: 'SET adjustments = list_append(if_not_exists(adjustments, :empty), :one)',
                ExpressionAttributeValues: {
                  ':empty': [],
                  ':one': [{ adjustmentId: entry.adjustmentId, usageMicro: entry.usageMicro }],
                },
              },
            },
            {
              ConditionCheck: {
                TableName,
                Key: ledgerKey(tenantId, dimension, targetHour),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
      return 'scheduled';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      if (reasons[0]?.Code === 'ConditionalCheckFailed') return 'exists';
      if (reasons[2]?.Code === 'ConditionalCheckFailed') return 'hour-prepared';
      throw error;
    }
  }

  /** The adjustment slot of each pair at `targetHour`, in the order of `pairs` (undefined: none). */
  public async slotsAt(
    pairs: readonly { tenantId: string; dimension: string }[],
    targetHour: string,
  ): Promise<(AdjustmentSlot | undefined)[]> {
    const keys = pairs.map((p) => adjustmentSlotKey(p.tenantId, p.dimension, targetHour));
    const items = await batchGetDocuments(this.ledger.client, this.ledger.tableName, keys, {
      concurrency: 4,
    });
    // Every slot read has the same sort key: the partition (`<tenant>#<dimension>`) tells them apart.
    const byPartition = new Map(items.map((item) => [String(item.pk), item]));
    return keys.map((key) => {
      const item = byPartition.get(key.pk);
      if (item === undefined) return undefined;
      const slot = parse(adjustmentSlotSchema, item, 'adjustment slot');
      return {
        adjustmentIds: slot.adjustments.map((a) => a.adjustmentId),
        usageMicro: slot.adjustments.reduce((sum, a) => sum + BigInt(a.usageMicro), 0n),
      };
    });
  }
}

/** The deterministic id of an adjustment: a digest of tenant, dimension, original hour and event ids. */
export function adjustmentId(
  tenantId: string,
  dimension: string,
  originalHour: string,
  eventIds: readonly string[],
): string {
  const canonical = [tenantId, dimension, originalHour, ...[...eventIds].sort()].join('\n');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 24);
}

interface AdjustmentDraft {
  readonly adjustmentId: string;
  readonly tenantId: string;
  readonly dimension: string;
  readonly metric: string;
  readonly originalHour: string;
  readonly eventIds: string[];
  readonly usageMicro: bigint;
}

/**
 * Pure planning: billable late events of billed tenants and billed metrics, minus events already
 * covered (key `tenant#eventId`), grouped per (tenant, metric, original hour). Events of unknown
 * metrics, non-billed tenants or past the acceptance window are left out (reported elsewhere).
 */
export function planAdjustments(
  config: TenantryConfig,
  events: readonly LateEvent[],
  options: { now: Date; billedTenantIds: ReadonlySet<string>; covered: ReadonlySet<string> },
): AdjustmentDraft[] {
  const metrics = new Map(config.metrics.map((m) => [m.name, m]));
  const groups = new Map<string, { metric: string; tenantId: string; hour: string; events: LateEvent[] }>();
  const seen = new Set<string>();
  for (const e of events) {
    const id = `${e.tenantId}#${e.eventId}`;
    if (seen.has(id) || options.covered.has(id)) continue;
    seen.add(id);
    if (!metrics.has(e.metric) || !options.billedTenantIds.has(e.tenantId)) continue;
    if (!isWithinAcceptanceWindow(config, e.eventTime, options.now) || e.quantityMicro <= 0n) continue;
    const hour = hourIso(e.eventTime);
    const key = `${e.tenantId}#${e.metric}#${hour}`;
    const group = groups.get(key) ?? { metric: e.metric, tenantId: e.tenantId, hour, events: [] };
    group.events.push(e);
    groups.set(key, group);
  }
  return [...groups.values()]
    .map((g) => {
      const dimension = (metrics.get(g.metric) as TenantryConfig['metrics'][number]).billing.dimension;
      const eventIds = g.events.map((e) => e.eventId).sort();
      return {
        adjustmentId: adjustmentId(g.tenantId, dimension, g.hour, eventIds),
        tenantId: g.tenantId,
        dimension,
        metric: g.metric,
        originalHour: g.hour,
        eventIds,
        usageMicro: g.events.reduce((sum, e) => sum + e.quantityMicro, 0n),
      };
    })
    .sort((a, b) =>
      `${a.tenantId}${a.dimension}${a.originalHour}`.localeCompare(
        `${b.tenantId}${b.dimension}${b.originalHour}`,
      ),
    );
}

interface ScheduledAdjustments {
  /** Newly written ADJUSTMENT entries. */
  readonly scheduled: AdjustmentEntry[];
  /** Every ADJUSTMENT entry of the pairs concerned (earlier ones included), by `tenant#eventId`. */
  readonly byEvent: Map<string, AdjustmentEntry>;
}

/**
 * Schedules the adjustments of `events` (idempotent): reads the existing ADJUSTMENT entries of each
 * (tenant, dimension) concerned, plans the uncovered billable events, and writes each adjustment into
 * the open hour `hourStart(now)` — or a later one if that hour is already prepared (a final bill).
 * With `dryRun` nothing is written (the existing entries are still returned).
 */
export async function scheduleLateAdjustments(
  deps: { config: TenantryConfig; adjustments: AdjustmentStore },
  events: readonly LateEvent[],
  options: {
    now: Date;
    /** Tenants whose billable late events are scheduled (billed and still subscribed). */
    billedTenantIds: ReadonlySet<string>;
    /** Tenants whose existing adjustments are read. Default: `billedTenantIds`. */
    coveredTenantIds?: ReadonlySet<string>;
    dryRun?: boolean;
  },
): Promise<ScheduledAdjustments> {
  const metrics = new Map(deps.config.metrics.map((m) => [m.name, m]));
  const pairs = new Map<string, { tenantId: string; dimension: string }>();
  const read = options.coveredTenantIds ?? options.billedTenantIds;
  for (const e of events) {
    const metric = metrics.get(e.metric);
    if (metric === undefined || !read.has(e.tenantId)) continue;
    pairs.set(pairKey(e.tenantId, metric.billing.dimension), {
      tenantId: e.tenantId,
      dimension: metric.billing.dimension,
    });
  }
  const byEvent = new Map<string, AdjustmentEntry>();
  for (const pair of pairs.values()) {
    for (const entry of await deps.adjustments.existing(pair.tenantId, pair.dimension)) {
      for (const eventId of entry.eventIds) byEvent.set(`${entry.tenantId}#${eventId}`, entry);
    }
  }
  const scheduled: AdjustmentEntry[] = [];
  if (options.dryRun) return { scheduled, byEvent };
  const drafts = planAdjustments(deps.config, events, { ...options, covered: new Set(byEvent.keys()) });
  for (const draft of drafts) {
    const base = { ...draft, usageMicro: draft.usageMicro.toString() };
    const outcome = await scheduleInOpenHour(deps.adjustments, base, options.now);
    if (outcome.state === 'scheduled') {
      const { targetHour } = outcome;
      const entry = { ...base, targetHour, kind: 'ADJUSTMENT', pk: '', sk: '', createdAt: '' } as const;
      scheduled.push(entry);
      for (const eventId of draft.eventIds) byEvent.set(`${draft.tenantId}#${eventId}`, entry);
    }
  }
  return { scheduled, byEvent };
}

/**
 * Schedules an adjustment in the open hour `hourStart(now)` — or a later one if a final bill already
 * prepared it (at most a few tries): `exists` when an earlier run scheduled it already, `no-hour`
 * when none of those hours could take it.
 */
async function scheduleInOpenHour(
  store: AdjustmentStore,
  adjustment: Omit<NewAdjustment, 'targetHour'>,
  now: Date,
): Promise<{ state: 'scheduled'; targetHour: string } | { state: 'exists' | 'no-hour' }> {
  for (let offset = 0; offset < 3; offset++) {
    const targetHour = hourIso(addHours(hourStart(now), offset));
    const result = await store.schedule({ ...adjustment, targetHour });
    if (result === 'scheduled') return { state: 'scheduled', targetHour };
    if (result === 'exists') return { state: 'exists' };
  }
  return { state: 'no-hour' };
}

/** The pseudo event id under which an hour carried whole is covered. */
const CARRIED_HOUR_EVENT = 'HOUR#';

/**
 * PENDING entries that can no longer be sent: each entry's units are scheduled into the open hour as
 * an adjustment (deterministic id: scheduling again is a no-op). Returns the entries to record as
 * EXPIRED, with the reason naming the adjustment; an entry no hour could take stays PENDING (not
 * returned) and is carried by the next run.
 */
export async function carryUnsendable(
  deps: { adjustments: AdjustmentStore },
  entries: readonly LedgerEntry[],
  now: Date,
): Promise<LedgerEntry[]> {
  const carried: LedgerEntry[] = [];
  for (const entry of entries) {
    if (entry.units === 0) {
      carried.push({ ...entry, reason: 'acceptance window passed; no unit to carry' });
      continue;
    }
    const eventIds = [`${CARRIED_HOUR_EVENT}${entry.hour}`];
    const id = adjustmentId(entry.tenantId, entry.dimension, entry.hour, eventIds);
    const outcome = await scheduleInOpenHour(
      deps.adjustments,
      {
        adjustmentId: id,
        tenantId: entry.tenantId,
        dimension: entry.dimension,
        metric: entry.metric,
        originalHour: entry.hour,
        eventIds,
        usageMicro: (BigInt(entry.units) * BigInt(entry.perUnitMicro)).toString(),
      },
      now,
    );
    if (outcome.state === 'no-hour') continue;
    const into = outcome.state === 'scheduled' ? ` into ${outcome.targetHour}` : '';
    carried.push({
      ...entry,
      reason: `acceptance window passed; ${entry.units} units carried as adjustment ${id}${into}`,
    });
  }
  return carried;
}

/**
 * The hourly adjustment pass: late events the Flink job wrote in the last 25 hours (older ones can
 * only be past the acceptance window), scheduled as adjustments in the open hour.
 */
export async function adjustLateEvents(
  deps: {
    config: TenantryConfig;
    adjustments: AdjustmentStore;
    s3: S3Client;
    bucket: string;
    /** Late-events sink prefix. Default `LATE_SINK_PREFIX`. */
    latePrefix?: string;
  },
  options: {
    now: Date;
    billedTenantIds: readonly string[];
    /** Read late-sink objects of any age (default: only those written in the 25 hours before now). */
    allObjects?: boolean;
  },
): Promise<{ lateEvents: number; billable: number; scheduled: AdjustmentEntry[] }> {
  const events = await readLateEvents(deps.s3, deps.bucket, {
    prefix: deps.latePrefix,
    since: options.allObjects ? undefined : addHours(options.now, -25),
  });
  const { scheduled } = await scheduleLateAdjustments(deps, events, {
    now: options.now,
    billedTenantIds: new Set(options.billedTenantIds),
  });
  return {
    lateEvents: events.length,
    billable: events.filter((e) => isWithinAcceptanceWindow(deps.config, e.eventTime, options.now)).length,
    scheduled,
  };
}

function parse<T>(schema: z.ZodType<T>, item: Record<string, unknown>, what: string): T {
  const parsed = schema.safeParse(item);
  if (!parsed.success) {
    throw new BillingDataError(
      `${what} ${String(item.pk)}/${String(item.sk)} is malformed: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}
