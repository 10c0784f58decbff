/**
 * Late-usage adjustments. Flink leaves late events (event time ≤ watermark) out of the windows and
 * writes them to the late sink (`metering/late/`), so the hour they belong to was (or will be) billed
 * without them. Marketplace cannot correct an hour in place: a second record for the same customer +
 * dimension + hour with another quantity is a DuplicateRecord. So:
 *
 *  - a late event still inside Marketplace's acceptance window of its own timestamp (24 h; 06:00 UTC
 *    on the 1st for the previous month) is BILLABLE: it is billed as an adjustment in the hour that is
 *    open when the adjustment is scheduled (the target hour). One ADJUSTMENT ledger entry per
 *    (tenant, dimension, original hour, set of new late events) references the original hour and the
 *    event ids; its id is a digest of exactly those, and it is written only if absent, so scheduling
 *    is idempotent (a rerun, or a later run seeing the same events, schedules nothing new: events an
 *    existing ADJUSTMENT already covers are left out);
 *  - when the billing run prepares the target hour it adds the adjustments' exact usage to the hour's
 *    own usage BEFORE rounding, so the late quantity goes through the same rule and carried remainder
 *    (rounding.ts) and nothing is rounded twice;
 *  - a late event past the acceptance window is UNBILLABLE: reported (reconciliation.ts), not billed.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { TenantryConfig } from '../config';
import { toMicro } from './decimal';
import { BillingDataError } from './errors';
import type { AdjustmentEntry, LedgerRepository } from './ledger';
import { acceptanceDeadline, addHours, hourIso, hourStart } from './windows';

/** One row of the Flink late sink. */
export interface LateEvent {
  readonly eventId: string;
  readonly tenantId: string;
  readonly metric: string;
  readonly eventTime: Date;
  readonly quantityMicro: bigint;
}

/** Parses a late-sink JSON line; the quantity is read as its literal text (exact, never a double). */
export function parseLateLine(line: string): LateEvent {
  let row: Record<string, unknown>;
  try {
    row = JSON.parse(line.replace(/"quantity":(-?[0-9][0-9.eE+-]*)/, '"quantity":"$1"')) as Record<
      string,
      unknown
    >;
  } catch (error) {
    throw new BillingDataError(`late-sink line is not JSON: ${line.slice(0, 200)}`, {}, { cause: error });
  }
  const eventTime = new Date(String(row.eventTime));
  if (typeof row.eventId !== 'string' || typeof row.tenantId !== 'string' || typeof row.metric !== 'string') {
    throw new BillingDataError(`late-sink line lacks eventId/tenantId/metric: ${line.slice(0, 200)}`);
  }
  if (Number.isNaN(eventTime.getTime())) {
    throw new BillingDataError(`late-sink line ${row.eventId} has no valid eventTime`);
  }
  return {
    eventId: row.eventId,
    tenantId: row.tenantId,
    metric: row.metric,
    eventTime,
    quantityMicro: toMicro(String(row.quantity), `late event ${row.eventId} quantity`),
  };
}

/** Billable: Marketplace would still accept usage stamped with the event's own time. */
export function isBillableLate(eventTime: Date, now: Date): boolean {
  return acceptanceDeadline(eventTime).getTime() > now.getTime();
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

export interface AdjustmentDraft {
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
    if (!isBillableLate(e.eventTime, options.now) || e.quantityMicro <= 0n) continue;
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

export interface ScheduledAdjustments {
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
  deps: { config: TenantryConfig; ledger: LedgerRepository },
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
    pairs.set(`${e.tenantId}#${metric.billing.dimension}`, {
      tenantId: e.tenantId,
      dimension: metric.billing.dimension,
    });
  }
  const byEvent = new Map<string, AdjustmentEntry>();
  for (const pair of pairs.values()) {
    for (const entry of await deps.ledger.adjustmentsOf(pair.tenantId, pair.dimension)) {
      for (const eventId of entry.eventIds) byEvent.set(`${entry.tenantId}#${eventId}`, entry);
    }
  }
  const scheduled: AdjustmentEntry[] = [];
  if (options.dryRun) return { scheduled, byEvent };
  const drafts = planAdjustments(deps.config, events, { ...options, covered: new Set(byEvent.keys()) });
  for (const draft of drafts) {
    const base = { ...draft, usageMicro: draft.usageMicro.toString() };
    // The open hour; if a final bill already prepared it, the next one (at most a few tries).
    for (let offset = 0; offset < 3; offset++) {
      const targetHour = hourIso(addHours(hourStart(options.now), offset));
      const result = await deps.ledger.scheduleAdjustment({ ...base, targetHour });
      if (result === 'hour-prepared') continue;
      if (result === 'scheduled') {
        const entry = { ...base, targetHour, kind: 'ADJUSTMENT', pk: '', sk: '', createdAt: '' } as const;
        scheduled.push(entry);
        for (const eventId of draft.eventIds) byEvent.set(`${draft.tenantId}#${eventId}`, entry);
      }
      break;
    }
  }
  return { scheduled, byEvent };
}

/** Every line of every object under `prefix` (GZIP or plain), objects modified since `since` only. */
export async function readLakeLines(
  s3: S3Client,
  bucket: string,
  prefix: string,
  since?: Date,
): Promise<string[]> {
  const lines: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key === undefined) continue;
      if (since !== undefined && object.LastModified !== undefined && object.LastModified < since) continue;
      const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
      const bytes = Buffer.from((await body.Body?.transformToByteArray()) ?? new Uint8Array());
      // Firehose writes GZIP objects (metering stack); plain JSON lines are read as they are.
      const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
      for (const line of text.split('\n')) if (line.trim() !== '') lines.push(line.trim());
    }
    token = page.NextContinuationToken;
  } while (token !== undefined);
  return lines;
}

/**
 * The hourly adjustment pass: late events the Flink job wrote in the last 25 hours (older ones can
 * only be past the acceptance window), scheduled as adjustments in the open hour.
 */
export async function adjustLateEvents(
  deps: {
    config: TenantryConfig;
    ledger: LedgerRepository;
    s3: S3Client;
    bucket: string;
    /** Late-events sink prefix (Flink, `<lakeUri>/late`). Default `metering/late/`. */
    latePrefix?: string;
  },
  options: {
    now: Date;
    billedTenantIds: readonly string[];
    /** Read late-sink objects of any age (default: only those written in the 25 hours before now). */
    allObjects?: boolean;
  },
): Promise<{ lateEvents: number; billable: number; scheduled: AdjustmentEntry[] }> {
  const lines = await readLakeLines(
    deps.s3,
    deps.bucket,
    deps.latePrefix ?? 'metering/late/',
    options.allObjects ? undefined : addHours(options.now, -25),
  );
  const events = lines.map(parseLateLine);
  const { scheduled } = await scheduleLateAdjustments(deps, events, {
    now: options.now,
    billedTenantIds: new Set(options.billedTenantIds),
  });
  return {
    lateEvents: events.length,
    billable: events.filter((e) => isBillableLate(e.eventTime, options.now)).length,
    scheduled,
  };
}
