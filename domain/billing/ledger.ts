/**
 * The billing ledger (table `billingLedger`): one entry per (tenant, dimension, hour) — key
 * `ledgerKey(tenantId, dimension, hourIso)` — plus one cursor per (tenant, dimension) holding the
 * last hour prepared and the carried remainder (see rounding.ts). The state machine is in
 * ledger-state.ts; every write here is conditional on the state it moves from.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { ledgerKey } from '../keys';
import { batchGetAll, type Item, type ItemKey, keyString, queryAll } from './dynamo';
import { BillingDataError } from './errors';
import { type LedgerEvent, type LedgerStatus, ledgerStatuses, nextLedgerStatus } from './ledger-state';

/** Sort key of the per-(tenant, dimension) cursor; sorts after every ISO hour. */
export const CURSOR_SK = 'CURSOR';

export function ledgerCursorKey(tenantId: string, dimension: string): ItemKey {
  return ledgerKey(tenantId, dimension, CURSOR_SK);
}

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
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type LedgerEntry = z.infer<typeof ledgerEntrySchema>;

export const ledgerCursorSchema = z.object({
  pk: z.string(),
  sk: z.literal(CURSOR_SK),
  tenantId: z.string(),
  dimension: z.string(),
  lastHour: z.string(),
  carryOutMicro: micro,
  /** Set by the final bill: nothing more is billed for this tenant and dimension. */
  closed: z.boolean().optional(),
  /** Hours whose entry is still PENDING (to resend); removed when the entry reaches a final state. */
  pendingHours: z.set(z.string()).optional(),
});
export type LedgerCursor = z.infer<typeof ledgerCursorSchema>;

export type NewLedgerEntry = Omit<
  LedgerEntry,
  'pk' | 'sk' | 'status' | 'attempts' | 'createdAt' | 'updatedAt'
>;

export interface PreparedEntry {
  readonly entry: LedgerEntry;
  /** The cursor's lastHour this write was computed from (undefined: no cursor yet). */
  readonly previousCursorHour: string | undefined;
}

export class LedgerRepository {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    public readonly tableName: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  public async getCursors(
    pairs: readonly { tenantId: string; dimension: string }[],
  ): Promise<Map<string, LedgerCursor>> {
    const items = await batchGetAll(
      this.client,
      this.tableName,
      pairs.map((p) => ledgerCursorKey(p.tenantId, p.dimension)),
    );
    const out = new Map<string, LedgerCursor>();
    for (const item of items.values()) {
      const cursor = parseWith(ledgerCursorSchema, item, 'ledger cursor');
      out.set(pairKey(cursor.tenantId, cursor.dimension), cursor);
    }
    return out;
  }

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
    const { pk } = ledgerKey(tenantId, dimension, CURSOR_SK);
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
   * Writes PENDING entries and advances their cursors, atomically per entry: the entry must not
   * exist and the cursor must still be where the computation read it. Entries go in transactions
   * of up to 25 (50 actions); a cancelled transaction is retried entry by entry, so one conflicting
   * entry never blocks the others. Returns the entries written; the others lost a race and are
   * left for the next run (which reads the winner's state).
   */
  public async preparePending(prepared: readonly PreparedEntry[]): Promise<LedgerEntry[]> {
    const now = this.clock().toISOString();
    const written: LedgerEntry[] = [];
    for (let i = 0; i < prepared.length; i += 25) {
      const chunk = prepared.slice(i, i + 25).map((p) => ({
        ...p,
        entry: { ...p.entry, status: 'PENDING' as const, attempts: 0, createdAt: now, updatedAt: now },
      }));
      try {
        await this.client.send(
          new TransactWriteCommand({ TransactItems: chunk.flatMap((p) => this.prepareActions(p)) }),
        );
        written.push(...chunk.map((p) => p.entry));
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        for (const p of chunk) {
          try {
            await this.client.send(new TransactWriteCommand({ TransactItems: this.prepareActions(p) }));
            written.push(p.entry);
          } catch (single) {
            if (!(single instanceof TransactionCanceledException)) throw single;
          }
        }
      }
    }
    return written;
  }

  private prepareActions(p: PreparedEntry): NonNullable<TransactWriteCommandInput['TransactItems']> {
    const { entry } = p;
    const values: Record<string, unknown> = {
      ':tenantId': entry.tenantId,
      ':dimension': entry.dimension,
      ':hour': entry.hour,
      ':carry': entry.carryOutMicro,
      ':hours': new Set([entry.hour]),
    };
    let set = 'tenantId = :tenantId, dimension = :dimension, lastHour = :hour, carryOutMicro = :carry';
    if (entry.final) {
      set += ', closed = :closed';
      values[':closed'] = true;
    }
    let condition = 'attribute_not_exists(pk)';
    if (p.previousCursorHour !== undefined) {
      condition = 'lastHour = :previous AND attribute_not_exists(closed)';
      values[':previous'] = p.previousCursorHour;
    }
    return [
      {
        Put: {
          TableName: this.tableName,
          Item: { ...entry },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Update: {
          TableName: this.tableName,
          Key: ledgerCursorKey(entry.tenantId, entry.dimension),
          UpdateExpression: `SET ${set} ADD pendingHours :hours`,
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
        },
      },
    ];
  }

  /**
   * Applies provider outcomes to PENDING entries. Each change is conditional on the entry still
   * being PENDING with the quantity that was sent; a final status also removes the hour from the
   * cursor's pending set in the same transaction. Returns how many entries each status received;
   * entries that were no longer PENDING are counted under `stale`.
   */
  public async recordOutcomes(
    outcomes: readonly OutcomeUpdate[],
  ): Promise<Record<LedgerStatus | 'stale', number>> {
    const counts: Record<LedgerStatus | 'stale', number> = {
      PENDING: 0,
      ACCEPTED: 0,
      DUPLICATE: 0,
      REJECTED: 0,
      EXPIRED: 0,
      stale: 0,
    };
    const now = this.clock().toISOString();
    for (let i = 0; i < outcomes.length; i += 25) {
      const chunk = outcomes.slice(i, i + 25);
      try {
        await this.client.send(
          new TransactWriteCommand({ TransactItems: chunk.flatMap((o) => this.outcomeActions(o, now)) }),
        );
        for (const o of chunk) counts[statusOf(o.event)]++;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        for (const o of chunk) {
          try {
            await this.client.send(new TransactWriteCommand({ TransactItems: this.outcomeActions(o, now) }));
            counts[statusOf(o.event)]++;
          } catch (single) {
            if (!(single instanceof TransactionCanceledException)) throw single;
            counts.stale++;
          }
        }
      }
    }
    return counts;
  }

  private outcomeActions(
    o: OutcomeUpdate,
    now: string,
  ): NonNullable<TransactWriteCommandInput['TransactItems']> {
    const to = statusOf(o.event);
    const values: Record<string, unknown> = {
      ':pending': 'PENDING',
      ':to': to,
      ':units': o.entry.units,
      ':now': now,
      ':one': 1,
    };
    let set = '#status = :to, updatedAt = :now';
    if (o.meteringRecordId !== undefined) {
      set += ', meteringRecordId = :mrid';
      values[':mrid'] = o.meteringRecordId;
    }
    if (o.reason !== undefined) {
      set += ', reason = :reason';
      values[':reason'] = o.reason;
    }
    const actions: NonNullable<TransactWriteCommandInput['TransactItems']> = [
      {
        Update: {
          TableName: this.tableName,
          Key: ledgerKey(o.entry.tenantId, o.entry.dimension, o.entry.hour),
          UpdateExpression: `SET ${set} ADD attempts :one`,
          ConditionExpression: '#status = :pending AND units = :units',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
        },
      },
    ];
    if (to !== 'PENDING') {
      actions.push({
        Update: {
          TableName: this.tableName,
          Key: ledgerCursorKey(o.entry.tenantId, o.entry.dimension),
          UpdateExpression: 'DELETE pendingHours :hours',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':hours': new Set([o.entry.hour]) },
        },
      });
    }
    return actions;
  }
}

export interface OutcomeUpdate {
  readonly entry: Pick<LedgerEntry, 'tenantId' | 'dimension' | 'hour' | 'units'>;
  readonly event: LedgerEvent;
  readonly meteringRecordId?: string;
  readonly reason?: string;
}

function statusOf(event: LedgerEvent): LedgerStatus {
  const to = nextLedgerStatus('PENDING', event);
  if (to === undefined) throw new BillingDataError(`no ledger transition from PENDING on ${event}`);
  return to;
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
