/**
 * The billing run: turns closed hourly counters into ledger entries and Marketplace records.
 *
 * For each subscribed tenant and each billed metric (dimension):
 *  1. hours to prepare: from the cursor's last hour + 1 (a new tenant starts at the target hour) to
 *     the target hour — the latest closed hour (window end + watermark delay + grace ≤ now) —
 *     never earlier than the oldest hour Marketplace still accepts (older hours are alerted as skipped);
 *  2. for each such hour, ascending: exact usage from the HOUR counter (missing = zero, and a zero
 *     record is still sent), integer units by the rounding rule (rounding.ts) from the carried
 *     remainder; the PENDING entry and the advanced cursor are written atomically BEFORE sending;
 *  3. every PENDING entry (new, or left by an earlier run: crash, throttling) is sent unchanged —
 *     unless past the acceptance deadline (EXPIRED + alert); entries near it raise an alert;
 *  4. outcomes are written back (ACCEPTED with the metering record id, DUPLICATE, REJECTED, or
 *     PENDING again for undecided ones).
 * A rerun finds nothing to prepare and nothing PENDING: it sends zero records.
 *
 * Final mode (offboarding): one tenant, up to the current (partial) hour; the partial hour's usage is
 * the day's CUMULATIVE running total minus the day's HOUR totals already counted; the last entry is
 * rounded by the closing rule and the cursor is closed so nothing is billed after it.
 */
import pLimit from 'p-limit';
import type { MetricConfig, TenantryConfig } from '../config';
import { ledgerKey } from '../keys';
import type { Tenant } from '../tenant/tenant';
import type { BillingAlerts } from './alerts';
import type { CountersReader } from './counters';
import { toMicro } from './decimal';
import {
  entryKey,
  type LedgerCursor,
  type LedgerEntry,
  type LedgerRepository,
  type OutcomeUpdate,
  type PreparedEntry,
  pairKey,
} from './ledger';
import type { BillingProvider, MeteringRecord, RecordOutcome } from './model';
import { roundClosing, roundHour } from './rounding';
import {
  acceptanceDeadline,
  addHours,
  HOUR_MS,
  hourIso,
  hourStart,
  hoursBetween,
  isNearExpiry,
  latestClosedHour,
} from './windows';

/** Tenants that get hourly records (zero included): those with a live subscription. */
export const BILLED_STATUSES = ['ACTIVE', 'SUSPENDED', 'MIGRATING', 'OFFBOARDING'] as const;

/** Do not send a record this close to its acceptance deadline (clock skew, request time). */
const DEADLINE_SAFETY_MS = 5 * 60_000;

export interface BillingRunDeps {
  readonly config: TenantryConfig;
  readonly ledger: LedgerRepository;
  readonly counters: CountersReader;
  readonly provider: BillingProvider;
  readonly alerts: BillingAlerts;
  readonly log?: (message: string, detail?: Record<string, unknown>) => void;
}

export interface BillingRunOptions {
  readonly now: Date;
  /** Billable tenants (status in BILLED_STATUSES, with a Marketplace identity); others are ignored. */
  readonly tenants: readonly Tenant[];
  /** Final bill for these tenants: bill up to the current partial hour and close their cursors. */
  readonly final?: boolean;
}

export interface BillingRunSummary {
  readonly targetHour: string;
  readonly tenants: number;
  readonly notBillable: string[];
  readonly prepared: number;
  readonly sent: number;
  readonly accepted: number;
  readonly duplicate: number;
  readonly rejected: number;
  readonly undecided: number;
  readonly expired: number;
  readonly nearExpiry: number;
  readonly skippedHours: number;
  readonly unitsSent: number;
}

interface Pair {
  readonly tenant: Tenant & { marketplace: NonNullable<Tenant['marketplace']> };
  readonly metric: MetricConfig;
}

export async function runBilling(
  deps: BillingRunDeps,
  options: BillingRunOptions,
): Promise<BillingRunSummary> {
  const { config, ledger, counters, provider, alerts } = deps;
  const log = deps.log ?? (() => {});
  const now = options.now;
  const final = options.final ?? false;
  const target = final ? hourStart(now) : latestClosedHour(config, now);
  const oldestSendable = hourStart(new Date(now.getTime() - 23 * HOUR_MS));

  const dimensions = new Set<string>();
  for (const m of config.metrics) {
    if (dimensions.has(m.billing.dimension))
      throw new Error(`two metrics bill dimension ${m.billing.dimension}`);
    dimensions.add(m.billing.dimension);
  }
  const notBillable: string[] = [];
  const pairs: Pair[] = [];
  for (const tenant of options.tenants) {
    if (!(BILLED_STATUSES as readonly string[]).includes(tenant.status) || tenant.marketplace === undefined) {
      notBillable.push(tenant.tenantId);
      continue;
    }
    for (const metric of config.metrics) pairs.push({ tenant: tenant as Pair['tenant'], metric });
  }
  const pairRefs = pairs.map((p) => ({ tenantId: p.tenant.tenantId, dimension: p.metric.billing.dimension }));
  const cursors = await ledger.getCursors(pairRefs);

  // 1-2. Prepare new hours, ascending, per pair.
  const state = new Map<string, { lastHour: string | undefined; carry: bigint; closed: boolean }>();
  let skippedHours = 0;
  let earliest = target;
  const startOf = new Map<string, Date>();
  for (const p of pairs) {
    const key = pairKey(p.tenant.tenantId, p.metric.billing.dimension);
    const cursor = cursors.get(key);
    state.set(key, {
      lastHour: cursor?.lastHour,
      carry: cursor === undefined ? 0n : BigInt(cursor.carryOutMicro),
      closed: cursor?.closed === true,
    });
    let start = cursor === undefined ? target : addHours(new Date(cursor.lastHour), 1);
    if (start < oldestSendable) {
      skippedHours += (oldestSendable.getTime() - start.getTime()) / HOUR_MS;
      start = oldestSendable;
    }
    startOf.set(key, start);
    if (start < earliest) earliest = start;
  }
  if (skippedHours > 0) {
    await alerts.emit({
      type: 'BillingHoursSkipped',
      detail: { hours: skippedHours, before: oldestSendable.toISOString() },
    });
  }

  const fresh: LedgerEntry[] = [];
  const lastClosed = latestClosedHour(config, now);
  for (const hour of hoursBetween(earliest, target)) {
    const hourKey = hourIso(hour);
    const due = pairs.filter((p) => {
      const key = pairKey(p.tenant.tenantId, p.metric.billing.dimension);
      const s = state.get(key);
      const start = startOf.get(key);
      return s !== undefined && !s.closed && start !== undefined && start <= hour;
    });
    if (due.length === 0) continue;
    const usage = await usageAt(
      counters,
      due,
      hour,
      final && hour > lastClosed && hour.getTime() === target.getTime(),
    );
    const prepared: PreparedEntry[] = due.map((p) => {
      const key = pairKey(p.tenant.tenantId, p.metric.billing.dimension);
      const s = state.get(key) as { lastHour: string | undefined; carry: bigint; closed: boolean };
      const perUnitMicro = toMicro(p.metric.billing.quantityPerUnit, `${p.metric.name} quantityPerUnit`);
      const usageMicro = usage.get(`${p.tenant.tenantId}#${p.metric.name}`) ?? 0n;
      const isFinal = final && hour.getTime() === target.getTime();
      const rounded = (isFinal ? roundClosing : roundHour)({
        usageMicro,
        carryInMicro: s.carry,
        perUnitMicro,
      });
      return {
        previousCursorHour: s.lastHour,
        entry: {
          ...ledgerKey(p.tenant.tenantId, p.metric.billing.dimension, hourKey),
          tenantId: p.tenant.tenantId,
          dimension: p.metric.billing.dimension,
          metric: p.metric.name,
          hour: hourKey,
          status: 'PENDING',
          units: Number(rounded.units),
          usageMicro: usageMicro.toString(),
          carryInMicro: s.carry.toString(),
          carryOutMicro: rounded.carryOutMicro.toString(),
          closingAdjustmentMicro: rounded.closingAdjustmentMicro.toString(),
          perUnitMicro: perUnitMicro.toString(),
          customerAwsAccountId: p.tenant.marketplace.customerAwsAccountId,
          licenseArn: p.tenant.marketplace.licenseArn,
          productCode: p.tenant.marketplace.productCode,
          final: isFinal,
          attempts: 0,
          createdAt: '',
          updatedAt: '',
        },
      };
    });
    const written = await ledger.preparePending(prepared);
    const writtenKeys = new Set(written.map((e) => pairKey(e.tenantId, e.dimension)));
    for (const entry of written) {
      state.set(pairKey(entry.tenantId, entry.dimension), {
        lastHour: entry.hour,
        carry: BigInt(entry.carryOutMicro),
        closed: entry.final,
      });
    }
    // Pairs that lost a race are done for this run (their state moved under us).
    for (const p of due) {
      const key = pairKey(p.tenant.tenantId, p.metric.billing.dimension);
      if (!writtenKeys.has(key)) state.set(key, { lastHour: undefined, carry: 0n, closed: true });
    }
    fresh.push(...written);
    log('prepared hour', { hour: hourKey, entries: written.length, conflicts: due.length - written.length });
  }

  // 3. Everything PENDING: fresh entries plus those earlier runs left.
  const leftover: { tenantId: string; dimension: string; hour: string }[] = [];
  for (const [key, cursor] of cursors) {
    for (const hour of cursor.pendingHours ?? []) leftover.push({ ...splitPair(key, cursor), hour });
  }
  const old =
    leftover.length === 0
      ? new Map<string, LedgerEntry>()
      : await ledger.getEntries(
          leftover.map(({ tenantId, dimension }) => ({ tenantId, dimension })),
          [...new Set(leftover.map((l) => l.hour))],
        );
  const pending = [
    ...[...old.values()].filter(
      (e) =>
        e.status === 'PENDING' &&
        leftover.some(
          (l) => entryKey(l.tenantId, l.dimension, l.hour) === entryKey(e.tenantId, e.dimension, e.hour),
        ),
    ),
    ...fresh,
  ];
  const expired: LedgerEntry[] = [];
  const toSend: LedgerEntry[] = [];
  let nearExpiry = 0;
  for (const entry of pending) {
    const ts = new Date(entry.hour);
    if (
      acceptanceDeadline(ts).getTime() - DEADLINE_SAFETY_MS <= now.getTime() ||
      ts.getTime() > now.getTime()
    ) {
      expired.push(entry);
      continue;
    }
    if (isNearExpiry(config, ts, now)) nearExpiry++;
    toSend.push(entry);
  }
  if (nearExpiry > 0) {
    const hours = [
      ...new Set(toSend.filter((e) => isNearExpiry(config, new Date(e.hour), now)).map((e) => e.hour)),
    ];
    await alerts.emit({ type: 'BillingRecordsNearExpiry', detail: { records: nearExpiry, hours } });
  }

  const outcomes = toSend.length === 0 ? [] : await provider.submit(toSend.map(toRecord));
  const byKey = new Map(toSend.map((e) => [entryKey(e.tenantId, e.dimension, e.hour), e]));
  const updates: OutcomeUpdate[] = expired.map((entry) => ({
    entry,
    event: 'expired',
    reason: 'acceptance window passed',
  }));
  const tally = { accepted: 0, duplicate: 0, rejected: 0, retryable: 0 };
  const problems: Record<
    'duplicate' | 'rejected' | 'retryable',
    { tenantId: string; dimension: string; hour: string; reason: string }[]
  > = {
    duplicate: [],
    rejected: [],
    retryable: [],
  };
  for (const outcome of outcomes) {
    const entry = byKey.get(
      entryKey(outcome.record.tenantId, outcome.record.dimension, hourIso(outcome.record.hour)),
    );
    if (entry === undefined)
      throw new Error(`provider answered for a record it was not sent: ${outcome.record.tenantId}`);
    tally[outcome.kind]++;
    updates.push(outcomeUpdate(entry, outcome));
    if (outcome.kind !== 'accepted') {
      problems[outcome.kind].push({
        tenantId: entry.tenantId,
        dimension: entry.dimension,
        hour: entry.hour,
        reason: outcome.reason,
      });
    }
  }
  await ledger.recordOutcomes(updates);

  if (expired.length > 0) {
    await alerts.emit({
      type: 'BillingRecordsExpired',
      detail: {
        records: expired.map((e) => ({
          tenantId: e.tenantId,
          dimension: e.dimension,
          hour: e.hour,
          units: e.units,
        })),
      },
    });
  }
  if (problems.duplicate.length > 0)
    await alerts.emit({ type: 'BillingDuplicateRecords', detail: { records: problems.duplicate } });
  if (problems.rejected.length > 0)
    await alerts.emit({ type: 'BillingRecordsRejected', detail: { records: problems.rejected } });
  if (problems.retryable.length > 0)
    await alerts.emit({ type: 'BillingRecordsUndecided', detail: { records: problems.retryable } });

  const summary: BillingRunSummary = {
    targetHour: hourIso(target),
    tenants: options.tenants.length - notBillable.length,
    notBillable,
    prepared: fresh.length,
    sent: toSend.length,
    accepted: tally.accepted,
    duplicate: tally.duplicate,
    rejected: tally.rejected,
    undecided: tally.retryable,
    expired: expired.length,
    nearExpiry,
    skippedHours,
    unitsSent: toSend.reduce((sum, e) => sum + e.units, 0),
  };
  log('billing run done', { ...summary, notBillable: notBillable.length });
  return summary;
}

function splitPair(_key: string, cursor: LedgerCursor): { tenantId: string; dimension: string } {
  return { tenantId: cursor.tenantId, dimension: cursor.dimension };
}

function toRecord(entry: LedgerEntry): MeteringRecord {
  return {
    tenantId: entry.tenantId,
    dimension: entry.dimension,
    hour: new Date(entry.hour),
    quantity: entry.units,
    customer: {
      customerAwsAccountId: entry.customerAwsAccountId,
      licenseArn: entry.licenseArn,
      productCode: entry.productCode,
    },
  };
}

function outcomeUpdate(entry: LedgerEntry, outcome: RecordOutcome): OutcomeUpdate {
  switch (outcome.kind) {
    case 'accepted':
      return { entry, event: 'accepted', meteringRecordId: outcome.meteringRecordId };
    case 'duplicate':
      return { entry, event: 'duplicate', reason: outcome.reason };
    case 'rejected':
      return { entry, event: 'rejected', reason: outcome.reason };
    case 'retryable':
      return { entry, event: 'retryable', reason: outcome.reason };
  }
}

/**
 * Exact usage (micro-units) per `tenant#metric` at `hour`. For a partial (unclosed) hour in final
 * mode: the HOUR row if Flink already wrote it, else the day's CUMULATIVE total minus the day's
 * HOUR rows before `hour`.
 */
async function usageAt(
  counters: CountersReader,
  pairs: readonly Pair[],
  hour: Date,
  partial: boolean,
): Promise<Map<string, bigint>> {
  const refs = pairs.map((p) => ({ tenantId: p.tenant.tenantId, metric: p.metric.name }));
  const rows = await counters.hourTotals(refs, hour);
  const out = new Map<string, bigint>();
  for (const [key, counter] of rows) out.set(key, counter.quantityMicro);
  if (!partial) return out;
  const limit = pLimit(4);
  const dayStart = new Date(Date.UTC(hour.getUTCFullYear(), hour.getUTCMonth(), hour.getUTCDate()));
  await Promise.all(
    refs.map((ref) =>
      limit(async () => {
        const key = `${ref.tenantId}#${ref.metric}`;
        if (out.has(key)) return;
        const cumulative = await counters.latestCumulative(ref.tenantId, ref.metric);
        if (cumulative === undefined || cumulative.windowStart.getTime() !== dayStart.getTime()) return;
        const hours = await counters.range(ref.tenantId, ref.metric, 'HOUR', dayStart, hour);
        const counted = hours.reduce((sum, c) => sum + c.quantityMicro, 0n);
        const rest = cumulative.quantityMicro - counted;
        if (rest > 0n) out.set(key, rest);
      }),
    ),
  );
  return out;
}
