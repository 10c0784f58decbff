/**
 * The billing run: turns closed hourly counters into ledger entries and Marketplace records.
 *
 * For each subscribed tenant and each billed metric (dimension), with the ledger entries of the
 * lookback window [target − lookbackHours, target] read in one pass (BatchGetItem):
 *  1. hours to prepare: from the hour after the latest entry in the window (a tenant without one
 *     starts at the target hour) to the target hour — the latest closed hour (window end +
 *     watermark delay + grace ≤ now). A pair whose latest entry is a final bill is closed.
 *  2. for each such hour, ascending: exact usage from the HOUR counter (missing = zero, and a zero
 *     record is still sent) plus the late-usage adjustments scheduled into that hour (adjustments.ts),
 *     integer units by the rounding rule (rounding.ts) from the carried remainder; the PENDING entry
 *     is written (only if absent) BEFORE anything is sent;
 *  3. every PENDING entry of the window (new, or left by an earlier run: crash, throttling) is sent
 *     unchanged — unless past Marketplace's acceptance deadline (EXPIRED + alert); entries close to
 *     it raise the near-expiry alert;
 *  4. decided outcomes are written back (ACCEPTED with the metering record id, DUPLICATE, REJECTED);
 *     undecided ones stay PENDING for the next run (alerted).
 * A rerun finds nothing to prepare and nothing PENDING: it sends zero records.
 *
 * Final mode (offboarding): one tenant, up to the current (partial) hour; the partial hour's usage is
 * the day's CUMULATIVE running total minus the day's HOUR totals already written; the last entry is
 * rounded by the closing rule and marked final, so nothing is billed after it.
 */
import pLimit from 'p-limit';
import type { MetricConfig, TenantryConfig } from '../config';
import { ledgerKey } from '../keys';
import type { Tenant } from '../tenant/tenant';
import type { BillingAlerts } from './alerts';
import type { CountersReader } from './counters';
import { toMicro } from './decimal';
import { DuplicateMeteringIdentityError } from './errors';
import { entryKey, type LedgerEntry, type LedgerRepository, type OutcomeUpdate, pairKey } from './ledger';
import type { BillingProvider, MeteringRecord, RecordOutcome } from './model';
import { roundClosing, roundHour } from './rounding';
import {
  acceptanceDeadline,
  addHours,
  hourIso,
  hourStart,
  hoursBetween,
  isNearExpiry,
  latestClosedHour,
} from './windows';

/** Tenants that get hourly records (zero included): those with a live subscription. */
export const BILLED_STATUSES = ['ACTIVE', 'SUSPENDED', 'MIGRATING', 'OFFBOARDING'] as const;

/** Default lookback: Marketplace's whole 24-hour acceptance window. */
export const DEFAULT_LOOKBACK_HOURS = 23;

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
  /** Final bill for these tenants: bill up to the current partial hour and close their billing. */
  readonly final?: boolean;
  /**
   * Hours of ledger read back each run (0-23): PENDING entries in it are resent, and a pair resumes
   * after its latest entry in it. Default 23 (the whole acceptance window).
   */
  readonly lookbackHours?: number;
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

  const dimensions = new Set<string>();
  for (const m of config.metrics) {
    if (dimensions.has(m.billing.dimension))
      throw new Error(`two metrics bill dimension ${m.billing.dimension}`);
    dimensions.add(m.billing.dimension);
  }
  const notBillable: string[] = [];
  const pairs: Pair[] = [];
  // Two tenants on one customer + license would share every record identity: refuse before any write.
  const byIdentity = new Map<string, string>();
  for (const tenant of options.tenants) {
    if (!(BILLED_STATUSES as readonly string[]).includes(tenant.status) || tenant.marketplace === undefined) {
      notBillable.push(tenant.tenantId);
      continue;
    }
    const { customerAwsAccountId, licenseArn } = tenant.marketplace;
    const identity = `${customerAwsAccountId}|${licenseArn}`;
    const other = byIdentity.get(identity);
    if (other !== undefined && other !== tenant.tenantId) {
      throw new DuplicateMeteringIdentityError(other, tenant.tenantId, { customerAwsAccountId, licenseArn });
    }
    byIdentity.set(identity, tenant.tenantId);
    for (const metric of config.metrics) pairs.push({ tenant: tenant as Pair['tenant'], metric });
  }
  const lookback = options.lookbackHours ?? DEFAULT_LOOKBACK_HOURS;
  if (!Number.isInteger(lookback) || lookback < 0 || lookback > 23) {
    throw new RangeError(`lookbackHours must be an integer in [0, 23] (got ${lookback})`);
  }
  const windowHours = hoursBetween(addHours(target, -lookback), target).map(hourIso);
  // Hours after the target up to now are read too: a final bill there closes the pair.
  const laterHours = hoursBetween(addHours(target, 1), hourStart(now))
    .map(hourIso)
    .filter((h) => h > hourIso(target));
  const pairRefs = pairs.map((p) => ({ tenantId: p.tenant.tenantId, dimension: p.metric.billing.dimension }));
  const known = await ledger.getEntries(pairRefs, [...windowHours, ...laterHours]);

  // 1. Where each pair resumes: after its latest entry in the window, with that entry's carry.
  const state = new Map<string, { next: Date; carry: bigint; closed: boolean }>();
  const pending: LedgerEntry[] = [];
  let earliest = target;
  for (const p of pairs) {
    const { tenantId } = p.tenant;
    const dimension = p.metric.billing.dimension;
    let latest: LedgerEntry | undefined;
    for (const hour of windowHours) {
      const entry = known.get(entryKey(tenantId, dimension, hour));
      if (entry === undefined) continue;
      latest = entry;
      if (entry.status === 'PENDING') pending.push(entry);
    }
    const closedLater = laterHours.some((h) => known.get(entryKey(tenantId, dimension, h))?.final === true);
    const next = latest === undefined ? target : addHours(new Date(latest.hour), 1);
    state.set(pairKey(tenantId, dimension), {
      next,
      carry: latest === undefined ? 0n : BigInt(latest.carryOutMicro),
      closed: latest?.final === true || closedLater,
    });
    if (next < earliest) earliest = next;
  }

  // 2. Prepare new hours, ascending; PENDING written before anything is sent.
  const fresh: LedgerEntry[] = [];
  const lastClosed = latestClosedHour(config, now);
  for (const hour of hoursBetween(earliest, target)) {
    const hourKey = hourIso(hour);
    const due = pairs.filter((p) => {
      const s = state.get(pairKey(p.tenant.tenantId, p.metric.billing.dimension));
      return s !== undefined && !s.closed && s.next.getTime() <= hour.getTime();
    });
    if (due.length === 0) continue;
    const isFinalHour = final && hour.getTime() === target.getTime();
    const usage = await usageAt(counters, due, hour, isFinalHour && hour > lastClosed);
    // Late usage of earlier hours scheduled into this hour (adjustments.ts): same rounding, same carry.
    const slots = await ledger.adjustmentSlots(
      due.map((p) => ({ tenantId: p.tenant.tenantId, dimension: p.metric.billing.dimension })),
      hourKey,
    );
    const entries: LedgerEntry[] = due.map((p) => {
      const s = state.get(pairKey(p.tenant.tenantId, p.metric.billing.dimension)) as { carry: bigint };
      const perUnitMicro = toMicro(p.metric.billing.quantityPerUnit, `${p.metric.name} quantityPerUnit`);
      const usageMicro = usage.get(`${p.tenant.tenantId}#${p.metric.name}`) ?? 0n;
      const slot = slots.get(pairKey(p.tenant.tenantId, p.metric.billing.dimension));
      const rounded = (isFinalHour ? roundClosing : roundHour)({
        usageMicro: usageMicro + (slot?.usageMicro ?? 0n),
        carryInMicro: s.carry,
        perUnitMicro,
      });
      return {
        ...(slot === undefined
          ? {}
          : { adjustmentMicro: slot.usageMicro.toString(), adjustmentIds: slot.adjustmentIds }),
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
        final: isFinalHour,
        attempts: 0,
        createdAt: '',
        updatedAt: '',
      };
    });
    const { written, existing } = await ledger.preparePending(entries);
    // An entry another writer stored first wins: its quantity and carry are the ones that count.
    for (const entry of [...written, ...existing]) {
      state.set(pairKey(entry.tenantId, entry.dimension), {
        next: addHours(new Date(entry.hour), 1),
        carry: BigInt(entry.carryOutMicro),
        closed: entry.final,
      });
      if (entry.status === 'PENDING') fresh.push(entry);
    }
    log('prepared hour', { hour: hourKey, written: written.length, existing: existing.length });
  }

  // 3. Everything PENDING: left by earlier runs, plus fresh.
  const expired: LedgerEntry[] = [];
  const toSend: LedgerEntry[] = [];
  let nearExpiry = 0;
  for (const entry of [...pending, ...fresh]) {
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
    unitsSent: toSend.reduce((sum, e) => sum + e.units, 0),
  };
  log('billing run done', { ...summary, notBillable: notBillable.length });
  return summary;
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
