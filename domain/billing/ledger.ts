/**
 * The billing ledger (table `billingLedger`): one entry per (tenant, dimension, hour), key
 * `ledgerKey(tenantId, dimension, hourIso)`, holding the exact usage, the carried remainder in and
 * out (rounding.ts), the integer units sent, the status and the metering record id. This file owns the
 * ledger's reads and step 3 of the billing run, the PENDING write:
 *
 *   (none) ──prepare──► PENDING ──accepted──► ACCEPTED                     (terminal)
 *                          │ ──duplicate──► DUPLICATE  (provider holds another quantity; alert)
 *                          │ ──rejected───► REJECTED   (not subscribed, bad license...; alert)
 *                          │ ──retryable──► PENDING    (same quantity, resent next run)
 *                          └──expired───► EXPIRED      (past Marketplace's acceptance window; alert)
 *
 * PENDING is written with a conditional PutItem (`attribute_not_exists`) BEFORE anything is sent: the
 * quantity of an hour is fixed once, by whoever writes first; a writer that loses the race adopts the
 * stored entry (and its quantity) instead of its own computation. A crash after sending leaves
 * PENDING; the rerun resends the identical record, which Marketplace deduplicates, so no hour is ever
 * sent with two different quantities. The transitions after sending are outcomes.ts.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { z } from 'zod';
import { batchGetDocuments } from '../aws/batch';
import { ledgerKey } from '../keys';
import { BillingDataError, LedgerConflictError } from './errors';
import { addHours, hourIso, hourStart, hoursBetween } from './windows';

const ledgerStatuses = ['PENDING', 'ACCEPTED', 'DUPLICATE', 'REJECTED', 'EXPIRED'] as const;
export type LedgerStatus = (typeof ledgerStatuses)[number];

const micro = z.string().regex(/^-?\d+$/);

const ledgerEntrySchema = z.object({
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
   * it comes from (adjustments.ts).
   */
  adjustmentMicro: micro.optional(),
  adjustmentIds: z.array(z.string()).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type LedgerEntry = z.infer<typeof ledgerEntrySchema>;

/** What the planning step computes; the ledger adds status, attempts and timestamps when it writes. */
export type NewLedgerEntry = Omit<LedgerEntry, 'status' | 'attempts' | 'createdAt' | 'updatedAt'>;

/** Where a (tenant, dimension) resumes: the next hour to prepare and the remainder carried into it. */
export interface Cursor {
  readonly next: Date;
  readonly carry: bigint;
  /** The pair's billing ended with a final bill: nothing is prepared after it. */
  readonly closed: boolean;
}

export function pairKey(tenantId: string, dimension: string): string {
  return `${tenantId}#${dimension}`;
}

export function entryKey(tenantId: string, dimension: string, hour: string): string {
  return `${tenantId}#${dimension}#${hour}`;
}

/** The cursor after an entry: the hour after it, its carried remainder, closed by a final bill. */
export function cursorAfter(entry: LedgerEntry): Cursor {
  return { next: addHours(new Date(entry.hour), 1), carry: BigInt(entry.carryOutMicro), closed: entry.final };
}

/** The ledger table, as the steps that write outcomes and adjustments into it see it. */
export interface LedgerTable {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

export class LedgerRepository implements LedgerTable {
  public constructor(
    public readonly client: DynamoDBDocumentClient,
    public readonly tableName: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Entries for each pair at each hour; map key `entryKey`. */
  public async entriesAt(
    pairs: readonly { tenantId: string; dimension: string }[],
    hours: readonly string[],
  ): Promise<Map<string, LedgerEntry>> {
    const keys = pairs.flatMap((p) => hours.map((h) => ledgerKey(p.tenantId, p.dimension, h)));
    const items = await batchGetDocuments(this.client, this.tableName, keys, { concurrency: 4 });
    const entries = items.map(parseLedgerEntry);
    return new Map(entries.map((e) => [entryKey(e.tenantId, e.dimension, e.hour), e]));
  }

  /** Every entry of (tenant, dimension) with hour in [from, to). */
  public async entriesBetween(
    tenantId: string,
    dimension: string,
    from: Date,
    to: Date,
  ): Promise<LedgerEntry[]> {
    const { pk } = ledgerKey(tenantId, dimension, from.toISOString());
    const entries: LedgerEntry[] = [];
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': pk,
          ':from': from.toISOString(),
          ':to': new Date(to.getTime() - 1).toISOString(),
        },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) entries.push(...(page.Items ?? []).map(parseLedgerEntry));
    return entries;
  }

  /**
   * Where each pair resumes, from one read (BatchGetItem) of its entries in the lookback window
   * [target − lookbackHours, target]: after its latest entry there, with that entry's carry (a pair
   * without one starts at the target hour with no carry); closed when that entry, or one after the
   * target up to `now`, is a final bill. Also every PENDING entry of the window: sent again unchanged.
   */
  public async cursors(
    pairs: readonly { tenantId: string; dimension: string }[],
    window: { target: Date; lookbackHours: number; now: Date },
  ): Promise<{ cursors: Map<string, Cursor>; pending: LedgerEntry[] }> {
    const { target } = window;
    const windowHours = hoursBetween(addHours(target, -window.lookbackHours), target).map(hourIso);
    const laterHours = hoursBetween(addHours(target, 1), hourStart(window.now))
      .map(hourIso)
      .filter((h) => h > hourIso(target));
    const known = await this.entriesAt(pairs, [...windowHours, ...laterHours]);
    const cursors = new Map<string, Cursor>();
    const pending: LedgerEntry[] = [];
    for (const { tenantId, dimension } of pairs) {
      let latest: LedgerEntry | undefined;
      for (const hour of windowHours) {
        const entry = known.get(entryKey(tenantId, dimension, hour));
        if (entry === undefined) continue;
        latest = entry;
        if (entry.status === 'PENDING') pending.push(entry);
      }
      const closedLater = laterHours.some((h) => known.get(entryKey(tenantId, dimension, h))?.final === true);
      const cursor = latest === undefined ? { next: target, carry: 0n, closed: false } : cursorAfter(latest);
      cursors.set(pairKey(tenantId, dimension), { ...cursor, closed: cursor.closed || closedLater });
    }
    return { cursors, pending };
  }

  /**
   * Writes PENDING entries, each only if absent (conditional PutItem, `concurrency` at a time).
   * An entry that already exists is read back and returned under `existing`: its stored quantity
   * is the one that counts (it may already have been sent).
   */
  public async preparePending(
    entries: readonly NewLedgerEntry[],
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
            existing.push(parseLedgerEntry(Item));
          }
        }),
      ),
    );
    return { written, existing };
  }
}

function parseLedgerEntry(item: Record<string, unknown>): LedgerEntry {
  const parsed = ledgerEntrySchema.safeParse(item);
  if (!parsed.success) {
    throw new BillingDataError(
      `ledger entry ${String(item.pk)}/${String(item.sk)} is malformed: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}
