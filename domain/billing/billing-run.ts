/**
 * The billing run: closed hourly counters → ledger entries → Marketplace records, one step per file:
 *
 *  0. tenants.ts   — the billed (tenant, metric) pairs; tenants sharing one Marketplace identity are
 *                    held back (alert), everyone else is billed;
 *  1. ledger.ts    — where each pair resumes (`cursors`): after its latest entry in the lookback window
 *                    [target − lookbackHours, target] (a pair without one starts at the target hour),
 *                    with that entry's carry; a pair whose latest entry is a final bill is closed. The
 *                    target is the latest hour closed both by the clock (window end + watermark delay +
 *                    grace ≤ now) and by the metering job (window end + grace ≤ its published progress,
 *                    domain/usage/progress.ts): an hour Flink has not fired waits, unprepared, and a
 *                    progress older than `billing.progressAlertMinutes` raises an alert;
 *  then for each hour to prepare, ascending:
 *  2. counters.ts  — the hour's exact usage (a missing row in an hour Flink has closed is a true zero,
 *                    and a zero record is still sent);
 *     adjustments.ts — the late usage scheduled into that hour (`slotsAt`);
 *     plan.ts      — integer units by the rounding rule from the carried remainder;
 *  3. ledger.ts    — the PENDING entries, written (only if absent) BEFORE anything is sent;
 *     adjustments.ts — a PENDING entry past Marketplace's acceptance window (a billing outage, a
 *                    stalled Flink) is never sent: its units are carried into the open hour as an
 *                    adjustment (`carryUnsendable`) and the entry ends EXPIRED — before the open hour
 *                    is prepared, so a final bill takes them too;
 *  4. send.ts      — every other PENDING entry of the window (new, or left by an earlier run) sent
 *                    unchanged; an alert for those `billing.alertAgeHours` old;
 *  5. outcomes.ts  — decided outcomes written back, undecided ones left PENDING; alerts.
 * A rerun finds nothing to prepare and nothing PENDING: it sends zero records.
 *
 * Final mode (offboarding): one tenant, up to the current (partial) hour; the partial hour's usage is
 * the day's CUMULATIVE running total minus the day's HOUR totals already written; the last entry is
 * rounded by the closing rule and marked final, so nothing is billed after it.
 */
import { z } from 'zod';
import type { TenantryConfig } from '../config';
import type { Tenant } from '../tenant/tenant';
import { type AdjustmentStore, carryUnsendable } from './adjustments';
import type { BillingAlerts } from './alerts';
import type { CountersReader } from './counters';
import { type Cursor, cursorAfter, type LedgerEntry, type LedgerRepository, pairKey } from './ledger';
import { recordOutcomes } from './outcomes';
import { planHour } from './plan';
import { type BillingProvider, isSendable, sendPending } from './send';
import { billedPairs } from './tenants';
import {
  hourIso,
  hourStart,
  hoursBetween,
  isMeteringBehind,
  latestClosedHour,
  latestHourClosedByMetering,
} from './windows';

/**
 * Default lookback: how far back a pair finds where it resumes. An outage shorter than this is
 * recovered exactly (hours past the acceptance window are carried into the open hour); a longer one
 * restarts the pair at the target hour (README, known limits).
 */
export const DEFAULT_LOOKBACK_HOURS = 23;

export interface BillingRunDeps {
  readonly config: TenantryConfig;
  readonly counters: CountersReader;
  /** The metering job's progress (domain/usage/progress.ts `readMeteringProgress`), undefined before any. */
  readonly meteringProgress: () => Promise<Date | undefined>;
  readonly adjustments: AdjustmentStore;
  readonly ledger: LedgerRepository;
  readonly provider: BillingProvider;
  readonly alerts: BillingAlerts;
  readonly log?: (message: string, detail?: Record<string, unknown>) => void;
}

interface BillingRunOptions {
  readonly now: Date;
  /** Billable tenants (status in BILLED_STATUSES, with a Marketplace identity); others are ignored. */
  readonly tenants: readonly Tenant[];
  /** Final bill for these tenants: bill up to the current partial hour and close their billing. */
  readonly final?: boolean;
  /**
   * Hours of ledger read back each run (0-23): PENDING entries in it are resent (or carried when past
   * the acceptance window), and a pair resumes after its latest entry in it. Default 23.
   */
  readonly lookbackHours?: number;
}

const count = z.number().int().nonnegative();

/** What a run did (the hourly function's output; the final bill's, with the tenant). */
export const billingRunSummarySchema = z.object({
  targetHour: z.iso.datetime(),
  /** The event time the metering job has passed (null: none published yet). */
  meteringProgress: z.iso.datetime().nullable(),
  /** Hours closed by the clock that wait for the metering job to close them (null: no progress yet). */
  hoursWaiting: count.nullable(),
  tenants: count,
  notBillable: z.array(z.string()),
  /** Tenants not billed because they share a Marketplace customer + license with another tenant. */
  heldBack: z.array(z.string()),
  prepared: count,
  sent: count,
  accepted: count,
  duplicate: count,
  rejected: count,
  undecided: count,
  expired: count,
  /** Expired entries whose units were carried into the open hour as an adjustment. */
  carried: count,
  nearExpiry: count,
  unitsSent: count,
});
type BillingRunSummary = z.infer<typeof billingRunSummarySchema>;

export async function runBilling(
  deps: BillingRunDeps,
  options: BillingRunOptions,
): Promise<BillingRunSummary> {
  const { config, ledger } = deps;
  const log = deps.log ?? (() => {});
  const { now } = options;
  const final = options.final ?? false;
  const lastClosed = latestClosedHour(config, now);
  const progress = await deps.meteringProgress();
  const meteredUpTo = latestHourClosedByMetering(config, progress);
  // Until the job publishes progress no hour is prepared (the clock's target only places the cursors).
  const target = final
    ? hourStart(now)
    : meteredUpTo === undefined || meteredUpTo > lastClosed
      ? lastClosed
      : meteredUpTo;
  if (isMeteringBehind(config, progress, now)) {
    await deps.alerts.emit({
      type: 'MeteringProgressBehind',
      detail: {
        progress: progress?.toISOString() ?? null,
        lagSeconds: progress ? Math.floor((now.getTime() - progress.getTime()) / 1000) : null,
        alertAfterSeconds: config.billing.progressAlertMinutes * 60,
      },
    });
  }
  const lookbackHours = options.lookbackHours ?? DEFAULT_LOOKBACK_HOURS;
  if (!Number.isInteger(lookbackHours) || lookbackHours < 0 || lookbackHours > 23) {
    throw new RangeError(`lookbackHours must be an integer in [0, 23] (got ${lookbackHours})`);
  }

  const { pairs, billed, notBillable, heldBack } = billedPairs(config, options.tenants);
  if (heldBack.length > 0) {
    await deps.alerts.emit({ type: 'BillingMeteringIdentityClash', detail: { clashes: heldBack } });
  }
  const refOf = (p: (typeof pairs)[number]) => ({
    tenantId: p.tenant.tenantId,
    dimension: p.metric.billing.dimension,
  });
  const { cursors, pending } = await ledger.cursors(pairs.map(refOf), { target, lookbackHours, now });
  const cursorOf = (p: (typeof pairs)[number]) => cursors.get(pairKey(refOf(p).tenantId, refOf(p).dimension));
  const earliest = new Date(
    Math.min(target.getTime(), ...[...cursors.values()].map((c) => c.next.getTime())),
  );

  const sendable = (e: LedgerEntry) => isSendable(config, new Date(e.hour), now);
  const carried = await carryUnsendable(
    deps,
    pending.filter((e) => !sendable(e)),
    now,
  );
  const fresh: LedgerEntry[] = [];
  for (const hour of meteredUpTo === undefined && !final ? [] : hoursBetween(earliest, target)) {
    const due = pairs
      .map((pair) => ({ pair, cursor: cursorOf(pair) as Cursor }))
      .filter(({ cursor }) => !cursor.closed && cursor.next.getTime() <= hour.getTime());
    if (due.length === 0) continue;
    const isFinalHour = final && hour.getTime() === target.getTime();
    const usage = await deps.counters.usageAt(
      due.map(({ pair }) => ({ tenantId: pair.tenant.tenantId, metric: pair.metric.name })),
      hour,
      isFinalHour && hour > lastClosed,
    );
    const slots = await deps.adjustments.slotsAt(
      due.map(({ pair }) => refOf(pair)),
      hourIso(hour),
    );
    const planned = planHour({
      hour: hourIso(hour),
      due: due.map((d, i) => ({ ...d, usageMicro: usage[i] ?? 0n, slot: slots[i] })),
      final: isFinalHour,
    });
    const { written, existing } = await ledger.preparePending(planned);
    const unsendable: LedgerEntry[] = [];
    // An entry another writer stored first wins: its quantity and carry are the ones that count.
    for (const entry of [...written, ...existing]) {
      cursors.set(pairKey(entry.tenantId, entry.dimension), cursorAfter(entry));
      if (entry.status === 'PENDING') (sendable(entry) ? fresh : unsendable).push(entry);
    }
    carried.push(...(await carryUnsendable(deps, unsendable, now)));
    log('prepared hour', { hour: hourIso(hour), written: written.length, existing: existing.length });
  }

  const sent = await sendPending(deps, [...pending.filter(sendable), ...fresh], now);
  const tally = await recordOutcomes(deps, { ...sent, expired: [...sent.expired, ...carried] });

  const summary: BillingRunSummary = {
    targetHour: hourIso(target),
    meteringProgress: progress?.toISOString() ?? null,
    hoursWaiting:
      final || meteredUpTo === undefined ? (final ? 0 : null) : hoursBetween(target, lastClosed).length - 1,
    tenants: billed.length,
    notBillable,
    heldBack: heldBack.flatMap((c) => c.tenantIds),
    prepared: fresh.length,
    sent: sent.sent.length,
    ...tally,
    carried: carried.filter((e) => e.units > 0).length,
    nearExpiry: sent.nearExpiry,
    unitsSent: sent.sent.reduce((sum, e) => sum + e.units, 0),
  };
  log('billing run done', { ...summary, notBillable: notBillable.length, heldBack: summary.heldBack.length });
  return summary;
}
