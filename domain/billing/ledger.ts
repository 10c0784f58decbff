/**
 * The billing ledger (table `billingLedger`): one entry per (tenant, dimension, hour), key
 * `ledgerKey(tenantId, dimension, hourIso)`, holding the exact usage, the carried remainder in and
 * out (rounding.ts), the integer units sent, the status (ledger-state.ts) and the metering record id.
 *
 * Writes:
 * - PENDING is written with a conditional PutItem (`attribute_not_exists`) BEFORE anything is sent:
 *   the quantity of an hour is fixed once, by whoever writes first; a writer that loses the race
 *   adopts the stored entry (and its quantity) instead of its own computation.
 * - Outcomes are written after the provider answered, as whole-entry puts (BatchWriteItem): they
 *   carry the very entry that was sent, so a repeated or concurrent write can only write the same
 *   outcome (Marketplace answers an identical record identically). Undecided (retryable) outcomes are
 *   not written at all: the entry stays PENDING and is resent unchanged by the next run.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { z } from 'zod';
import { batchPutDocuments } from '../aws/batch';
import { ledgerKey } from '../keys';
import { batchGetAll, type Item, type ItemKey, keyString, queryAll } from './dynamo';
import { BillingDataError, LedgerConflictError } from './errors';
import { type LedgerEvent, type LedgerStatus, ledgerStatuses, nextLedgerStatus } from './ledger-state';

const micro = z.string().regex(/^-?\d+$/);

export const ledgerEntrySchema = z.object({
  pk: z.string(),
  sk: z.string(),
  tenantId: z.string(),
  dimension: z.string(),
  metric: z.string(),
  hour: z.string(),
  status: z.enum(ledgerStatuses),
  /** Integer dimension units sent (fixed when PENDING is written; never changes). */
  units: z.number().int().nonnegative(),
  usageMicro: micro,
  carryInMicro: micro,
  carryOutMicro: micro,
  closingAdjustmentMicro: micro,
  perUnitMicro: micro,
  customerAwsAccountId: z.string(),
  licenseArn: z.string(),
  productCode: z.string(),
  final: z.boolean(),
  attempts: z.number().int().nonnegative(),
  meteringRecordId: z.string().optional(),
  reason: z.string().optional(),
  /**
   * Late usage of earlier hours billed in this hour (exact micro-units, added to `usageMicro` for the
   * rounding rule; `usageMicro` stays this hour's own counter total), and the ADJUSTMENT entries
   * it comes from (see adjustments.ts).
   */
  adjustmentMicro: micro.optional(),
  adjustmentIds: z.array(z.string()).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type LedgerEntry = z.infer<typeof ledgerEntrySchema>;

/**
 * An ADJUSTMENT entry: billable late usage of `originalHour` (events Flink found late, so its HOUR
 * counter and that hour's record never included them), billed in `targetHour` — the hour that was
 * still open when it was scheduled. Marketplace cannot correct an hour in place (same customer +
 * dimension + hour with another quantity is DuplicateRecord), so the late quantity rides on the open
 * hour's record, through the same rounding rule and carried remainder. Immutable once written; its
 * id is derived from (tenant, dimension, original hour, event ids), so scheduling is idempotent.
 */
export const adjustmentEntrySchema = z.object({
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
 * Ledger sort keys besides the hour entries' (ISO hours, which sort before them): an ADJUSTMENT
 * entry `ADJUSTMENT#<originalHour>#<id>`, and the slot of a target hour `ADJUSTMENTS#<targetHour>`.
 * Both go through `ledgerKey`, under the tenant's and dimension's partition.
 */
const ADJUSTMENT_PREFIX = 'ADJUSTMENT#';
const ADJUSTMENT_SLOT_PREFIX = 'ADJUSTMENTS#';

export function adjustmentKey(
  tenantId: string,
  dimension: string,
  originalHour: string,
  adjustmentId: string,
): { pk: string; sk: string } {
  return ledgerKey(tenantId, dimension, `${ADJUSTMENT_PREFIX}${originalHour}#${adjustmentId}`);
}

export function adjustmentSlotKey(
  tenantId: string,
  dimension: string,
  targetHour: string,
): { pk: string; sk: string } {
  return ledgerKey(tenantId, dimension, `${ADJUSTMENT_SLOT_PREFIX}${targetHour}`);
}

export type ScheduleResult = 'scheduled' | 'exists' | 'hour-prepared';

export type NewLedgerEntry = Omit<
  LedgerEntry,
  'pk' | 'sk' | 'status' | 'attempts' | 'createdAt' | 'updatedAt'
>;

export class LedgerRepository {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    public readonly tableName: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Entries for each pair at each hour; map key `tenant#dimension#hourIso`. */
  public async getEntries(
    pairs: readonly { tenantId: string; dimension: string }[],
    hours: readonly string[],
  ): Promise<Map<string, LedgerEntry>> {
    const keys = pairs.flatMap((p) => hours.map((h) => ledgerKey(p.tenantId, p.dimension, h)));
    const items = await batchGetAll(this.client, this.tableName, keys);
    const out = new Map<string, LedgerEntry>();
    for (const item of items.values()) {
      const entry = parseWith(ledgerEntrySchema, item, 'ledger entry');
      out.set(entryKey(entry.tenantId, entry.dimension, entry.hour), entry);
    }
    return out;
  }

  /** Every entry of (tenant, dimension) with hour in [from, to). */
  public async entriesBetween(
    tenantId: string,
    dimension: string,
    from: Date,
    to: Date,
  ): Promise<LedgerEntry[]> {
    const { pk } = ledgerKey(tenantId, dimension, from.toISOString());
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': pk,
        ':from': from.toISOString(),
        ':to': new Date(to.getTime() - 1).toISOString(),
      },
      ConsistentRead: true,
    });
    return items.map((item) => parseWith(ledgerEntrySchema, item, 'ledger entry'));
  }

  /**
   * Writes PENDING entries, each only if absent (conditional PutItem, `concurrency` at a time).
   * An entry that already exists is read back and returned under `existing`: its stored quantity
   * is the one that counts (it may already have been sent).
   */
  public async preparePending(
    entries: readonly LedgerEntry[],
    concurrency = 8,
  ): Promise<{ written: LedgerEntry[]; existing: LedgerEntry[] }> {
    const now = this.clock().toISOString();
    const written: LedgerEntry[] = [];
    const existing: LedgerEntry[] = [];
    const limit = pLimit(concurrency);
    await Promise.all(
      entries.map((e) =>
        limit(async () => {
          const entry: LedgerEntry = { ...e, status: 'PENDING', attempts: 0, createdAt: now, updatedAt: now };
          try {
            await this.client.send(
              new PutCommand({
                TableName: this.tableName,
                Item: entry,
                ConditionExpression: 'attribute_not_exists(pk)',
              }),
            );
            written.push(entry);
          } catch (error) {
            if (!(error instanceof ConditionalCheckFailedException)) throw error;
            const { Item } = await this.client.send(
              new GetCommand({
                TableName: this.tableName,
                Key: { pk: entry.pk, sk: entry.sk },
                ConsistentRead: true,
              }),
            );
            if (Item === undefined)
              throw new LedgerConflictError(
                entry.tenantId,
                entry.dimension,
                entry.hour,
                'vanished during a conditional write',
              );
            existing.push(parseWith(ledgerEntrySchema, Item, 'ledger entry'));
          }
        }),
      ),
    );
    return { written, existing };
  }

  /** Every ADJUSTMENT entry of (tenant, dimension), all original hours. */
  public async adjustmentsOf(tenantId: string, dimension: string): Promise<AdjustmentEntry[]> {
    const { pk } = ledgerKey(tenantId, dimension, '');
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': ADJUSTMENT_PREFIX },
      ConsistentRead: true,
    });
    return items.map((item) => parseWith(adjustmentEntrySchema, item, 'adjustment entry'));
  }

  /**
   * Schedules an adjustment in its target hour, atomically (TransactWriteItems): the ADJUSTMENT entry
   * is written only if absent (`exists`: an earlier run scheduled it — nothing to do), it is appended
   * to the target hour's slot, and only while the target hour has no ledger entry yet
   * (`hour-prepared`: that hour is billed already; the caller picks a later hour).
   */
  public async scheduleAdjustment(
    adjustment: Omit<AdjustmentEntry, 'pk' | 'sk' | 'kind' | 'createdAt'>,
  ): Promise<ScheduleResult> {
    const { tenantId, dimension, targetHour } = adjustment;
    const entry: AdjustmentEntry = {
      ...adjustmentKey(tenantId, dimension, adjustment.originalHour, adjustment.adjustmentId),
      kind: 'ADJUSTMENT',
      ...adjustment,
      createdAt: this.clock().toISOString(),
    };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: entry,
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: this.tableName,
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
                TableName: this.tableName,
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

  /** The adjustment slots of each pair at `targetHour` (pairs without one are absent); key `tenant#dimension`. */
  public async adjustmentSlots(
    pairs: readonly { tenantId: string; dimension: string }[],
    targetHour: string,
  ): Promise<Map<string, AdjustmentSlot>> {
    const keys = pairs.map((p) => adjustmentSlotKey(p.tenantId, p.dimension, targetHour));
    const items = await batchGetAll(this.client, this.tableName, keys);
    const out = new Map<string, AdjustmentSlot>();
    for (const [i, key] of keys.entries()) {
      const item = items.get(keyString(key));
      const pair = pairs[i];
      if (item === undefined || pair === undefined) continue;
      const slot = parseWith(adjustmentSlotSchema, item, 'adjustment slot');
      out.set(pairKey(pair.tenantId, pair.dimension), {
        adjustmentIds: slot.adjustments.map((a) => a.adjustmentId),
        usageMicro: slot.adjustments.reduce((sum, a) => sum + BigInt(a.usageMicro), 0n),
      });
    }
    return out;
  }

  /**
   * Writes decided outcomes (accepted, duplicate, rejected, expired) as whole entries, 25 per
   * BatchWriteItem. Retryable outcomes are skipped: the entry stays PENDING, unchanged.
   * Returns how many entries each status received.
   */
  public async recordOutcomes(
    outcomes: readonly OutcomeUpdate[],
  ): Promise<Partial<Record<LedgerStatus, number>>> {
    const now = this.clock().toISOString();
    const counts: Partial<Record<LedgerStatus, number>> = {};
    const items: LedgerEntry[] = [];
    for (const o of outcomes) {
      const to = nextLedgerStatus(o.entry.status, o.event);
      if (to === undefined) {
        throw new LedgerConflictError(
          o.entry.tenantId,
          o.entry.dimension,
          o.entry.hour,
          `cannot apply ${o.event} to ${o.entry.status}`,
        );
      }
      if (to === 'PENDING') continue;
      counts[to] = (counts[to] ?? 0) + 1;
      const item: LedgerEntry = { ...o.entry, status: to, attempts: o.entry.attempts + 1, updatedAt: now };
      if (o.meteringRecordId !== undefined) item.meteringRecordId = o.meteringRecordId;
      if (o.reason !== undefined) item.reason = o.reason;
      items.push(item);
    }
    await batchPutDocuments(this.client, this.tableName, items);
    return counts;
  }
}

export interface OutcomeUpdate {
  readonly entry: LedgerEntry;
  readonly event: LedgerEvent;
  readonly meteringRecordId?: string;
  readonly reason?: string;
}

export function pairKey(tenantId: string, dimension: string): string {
  return `${tenantId}#${dimension}`;
}

export function entryKey(tenantId: string, dimension: string, hour: string): string {
  return `${tenantId}#${dimension}#${hour}`;
}

function parseWith<T>(schema: z.ZodType<T>, item: Item, what: string): T {
  const parsed = schema.safeParse(item);
  if (!parsed.success) {
    throw new BillingDataError(`${what} ${keyString(item as ItemKey)} is malformed: ${parsed.error.message}`);
  }
  return parsed.data;
}
