/**
 * Reconciliation: the S3 raw lake (lake.ts — the system of record) against the counters (Flink) and
 * the billing ledger, per tenant, metric and hour of a period.
 *
 *  1. raw lines are validated with the shared usage-event rules (rejected ones are left out, as
 *     Flink leaves them out), de-duplicated on (tenantId, eventId), and summed exactly per event hour;
 *  2. events in the Flink late sink are taken out of the expected window totals (Flink does not
 *     count them) and accounted for one by one: `adjusted` when an ADJUSTMENT billed them in a later
 *     hour (adjustments.ts; for `adjustTenantIds`, reconciliation schedules the missing ones itself), else a
 *     LATE_EVENT discrepancy: `billable` while Marketplace's acceptance window of the event is open,
 *     else `unbillable`;
 *  3. counters: expected (raw − late) vs the HOUR row → COUNTER_MISSING / COUNTER_MISMATCH /
 *     COUNTER_UNEXPECTED;
 *  4. ledger (for billed tenants): the entry's exact usage vs expected → LEDGER_USAGE_MISMATCH; its
 *     units vs the rounding rule applied to its own carry, the expected usage and its adjustments →
 *     LEDGER_QUANTITY_MISMATCH; a broken carry chain → LEDGER_CARRY_BROKEN; an hour with usage and no
 *     entry → LEDGER_MISSING; an entry not ACCEPTED → LEDGER_NOT_ACCEPTED.
 * The ledger is compared with the raw lake (not with the counters), so each injected fault shows up
 * once, under its own kind.
 */

import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import type { TenantryConfig } from '../config';
import { classifyUsageLine } from '../usage/event';
import { type AdjustmentEntry, type AdjustmentStore, scheduleLateAdjustments } from './adjustments';
import type { BillingAlerts } from './alerts';
import type { CountersReader } from './counters';
import { fromMicro, toMicro } from './decimal';
import { type LateEvent, rawLakeHourPrefix, readLakeLines, readLateEvents } from './lake';
import { entryKey, type LedgerEntry, type LedgerRepository, pairKey } from './ledger';
import { roundHour } from './rounding';
import { addHours, hourIso, hourStart, hoursBetween, isWithinAcceptanceWindow } from './windows';

const discrepancyKinds = [
  'COUNTER_MISSING',
  'COUNTER_MISMATCH',
  'COUNTER_UNEXPECTED',
  'LATE_EVENT',
  'LEDGER_MISSING',
  'LEDGER_USAGE_MISMATCH',
  'LEDGER_QUANTITY_MISMATCH',
  'LEDGER_CARRY_BROKEN',
  'LEDGER_NOT_ACCEPTED',
] as const;
type DiscrepancyKind = (typeof discrepancyKinds)[number];

interface Discrepancy {
  readonly kind: DiscrepancyKind;
  readonly tenantId: string;
  readonly metric: string;
  readonly hour: string;
  readonly expected: string;
  readonly actual: string;
  readonly detail?: string;
}

interface LateEventFinding {
  readonly eventId: string;
  readonly tenantId: string;
  readonly metric: string;
  readonly hour: string;
  readonly quantity: string;
  readonly billable: boolean;
  /**
   * The ADJUSTMENT covering the event, if any: `scheduled` (its target hour not billed yet),
   * `billed` (the target hour's record, adjustment included, was accepted), `missed` (the target hour
   * was billed without it — a final bill raced the scheduling; needs an operator).
   */
  readonly adjustment?: {
    readonly adjustmentId: string;
    readonly targetHour: string;
    readonly state: 'scheduled' | 'billed' | 'missed';
  };
}

interface ReconciliationReport {
  readonly period: { readonly from: string; readonly to: string };
  readonly generatedAt: string;
  readonly totals: {
    readonly rawLines: number;
    readonly rejected: number;
    readonly duplicates: number;
    readonly late: number;
    readonly counted: number;
    readonly tenantMetricHours: number;
  };
  readonly discrepancies: Discrepancy[];
  readonly lateEvents: {
    /** Billed through an adjustment (its target hour's record was accepted): accounted for. */
    readonly adjusted: LateEventFinding[];
    /** Still inside the acceptance window: to be (or being) billed through an adjustment. */
    readonly billable: LateEventFinding[];
    /** Past the acceptance window and never adjusted: reported, not billable. */
    readonly unbillable: LateEventFinding[];
  };
  readonly summary: string;
}

interface ReconciliationDeps {
  readonly config: TenantryConfig;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly counters: CountersReader;
  readonly ledger: LedgerRepository;
  readonly adjustments: AdjustmentStore;
  readonly alerts?: BillingAlerts;
}

interface ReconciliationOptions {
  readonly from: Date;
  readonly to: Date;
  readonly now: Date;
  /** Tenants whose counters and ledger are checked (others only through raw-lake rows). */
  readonly tenantIds: readonly string[];
  /** Which of them are billed (have a ledger); default all. */
  readonly billedTenantIds?: readonly string[];
  /** Raw-lake hours read after `to` (Firehose partitions by arrival time). Default 2. */
  readonly arrivalLagHours?: number;
  /**
   * Tenants (billed, still subscribed) whose billable late events are scheduled as adjustments
   * (adjustments.ts). Default none: existing adjustments are only read.
   */
  readonly adjustTenantIds?: readonly string[];
}

export async function reconcile(
  deps: ReconciliationDeps,
  options: ReconciliationOptions,
): Promise<ReconciliationReport> {
  const { config } = deps;
  const from = hourStart(options.from);
  const to = hourStart(options.to);
  const inPeriod = (t: number) => t >= from.getTime() && t < to.getTime();
  const metrics = new Map(config.metrics.map((m) => [m.name, m]));
  const tenants = new Set(options.tenantIds);
  const billed = new Set(options.billedTenantIds ?? options.tenantIds);

  // 1. Raw lake.
  const rawTotals = new Map<string, bigint>(); // tenant#metric#hour → micro
  const seen = new Set<string>();
  const eventHour = new Map<string, string>();
  let rawLines = 0;
  let rejected = 0;
  let duplicates = 0;
  const lastArrival = addHours(to, options.arrivalLagHours ?? 2);
  for (const arrival of hoursBetween(from, addHours(lastArrival, -1))) {
    const prefix = rawLakeHourPrefix(arrival);
    const validationNow = addHours(arrival, 1);
    for (const line of await readLakeLines(deps.s3, deps.bucket, prefix)) {
      rawLines++;
      const result = classifyUsageLine(line, { config, now: validationNow });
      if (!result.ok) {
        rejected++;
        continue;
      }
      const e = result.event;
      const id = `${e.tenantId}#${e.eventId}`;
      if (seen.has(id)) {
        duplicates++;
        continue;
      }
      seen.add(id);
      const t = Date.parse(e.timestamp);
      if (!inPeriod(t)) continue;
      const hour = hourIso(new Date(t));
      eventHour.set(id, hour);
      const key = `${e.tenantId}#${e.metric}#${hour}`;
      rawTotals.set(key, (rawTotals.get(key) ?? 0n) + toMicro(String(e.quantity)));
    }
  }

  // 2. Late events: out of the expected window totals (Flink does not count them), then accounted
  //    for: billed through an adjustment (adjustments.ts; scheduled here when `adjust` is set), or
  //    reported — billable while Marketplace's acceptance window of the event is open, else unbillable.
  const late: LateEvent[] = [];
  for (const e of await readLateEvents(deps.s3, deps.bucket)) {
    if (!inPeriod(e.eventTime.getTime())) continue;
    const key = `${e.tenantId}#${e.metric}#${hourIso(e.eventTime)}`;
    if (seen.has(`${e.tenantId}#${e.eventId}`))
      rawTotals.set(key, (rawTotals.get(key) ?? 0n) - e.quantityMicro);
    late.push(e);
  }
  const adjustable = new Set(options.adjustTenantIds ?? []);
  const { byEvent } = await scheduleLateAdjustments(
    { config, adjustments: deps.adjustments },
    late.filter((e) => billed.has(e.tenantId)),
    {
      now: options.now,
      billedTenantIds: adjustable,
      coveredTenantIds: billed,
      dryRun: adjustable.size === 0,
    },
  );
  // Where each adjustment stands: billed when its target hour's entry includes it and was accepted.
  const targets = [...new Set(byEvent.values())];
  const targetEntries = await deps.ledger.entriesAt(
    [...new Map(targets.map((a) => [pairKey(a.tenantId, a.dimension), a])).values()],
    [...new Set(targets.map((a) => a.targetHour))],
  );
  const adjustmentState = (a: AdjustmentEntry): NonNullable<LateEventFinding['adjustment']>['state'] => {
    const entry = targetEntries.get(entryKey(a.tenantId, a.dimension, a.targetHour));
    if (entry === undefined) return 'scheduled';
    if (!(entry.adjustmentIds ?? []).includes(a.adjustmentId)) return 'missed';
    return entry.status === 'ACCEPTED' ? 'billed' : 'scheduled';
  };
  const lateEvents: LateEventFinding[] = late.map((e) => {
    const adjustment = byEvent.get(`${e.tenantId}#${e.eventId}`);
    return {
      eventId: e.eventId,
      tenantId: e.tenantId,
      metric: e.metric,
      hour: hourIso(e.eventTime),
      quantity: fromMicro(e.quantityMicro),
      billable: isWithinAcceptanceWindow(config, e.eventTime, options.now),
      ...(adjustment === undefined
        ? {}
        : {
            adjustment: {
              adjustmentId: adjustment.adjustmentId,
              targetHour: adjustment.targetHour,
              state: adjustmentState(adjustment),
            },
          }),
    };
  });
  const discrepancies: Discrepancy[] = lateEvents
    .filter((e) => e.adjustment?.state !== 'billed')
    .map((e) => ({
      kind: 'LATE_EVENT',
      tenantId: e.tenantId,
      metric: e.metric,
      hour: e.hour,
      expected: e.quantity,
      actual: '0',
      detail: `${e.eventId} ${lateDetail(e)}`,
    }));

  // 3-4. Counters and ledger, per tenant and metric.
  const limit = pLimit(4);
  const hours = hoursBetween(from, addHours(to, -1)).map(hourIso);
  await Promise.all(
    [...tenants].flatMap((tenantId) =>
      [...metrics.values()].map((metric) =>
        limit(async () => {
          const counterRows = await deps.counters.range(tenantId, metric.name, 'HOUR', from, to);
          const byHour = new Map(counterRows.map((c) => [hourIso(c.windowStart), c.quantityMicro]));
          const ledger = billed.has(tenantId)
            ? await deps.ledger.entriesBetween(tenantId, metric.billing.dimension, from, to)
            : [];
          const entries = new Map(ledger.map((e) => [entryKey(e.tenantId, e.dimension, e.hour), e]));
          let previous: LedgerEntry | undefined;
          for (const hour of hours) {
            const expected = rawTotals.get(`${tenantId}#${metric.name}#${hour}`) ?? 0n;
            const counter = byHour.get(hour);
            const base = { tenantId, metric: metric.name, hour };
            if (counter === undefined && expected > 0n) {
              discrepancies.push({
                ...base,
                kind: 'COUNTER_MISSING',
                expected: fromMicro(expected),
                actual: 'none',
              });
            } else if (
              counter !== undefined &&
              expected === 0n &&
              counter > 0n &&
              !rawTotals.has(`${tenantId}#${metric.name}#${hour}`)
            ) {
              discrepancies.push({
                ...base,
                kind: 'COUNTER_UNEXPECTED',
                expected: 'none',
                actual: fromMicro(counter),
              });
            } else if (counter !== undefined && counter !== expected) {
              discrepancies.push({
                ...base,
                kind: 'COUNTER_MISMATCH',
                expected: fromMicro(expected),
                actual: fromMicro(counter),
              });
            }
            if (!billed.has(tenantId)) continue;
            const entry = entries.get(entryKey(tenantId, metric.billing.dimension, hour));
            if (entry === undefined) {
              if (expected > 0n)
                discrepancies.push({
                  ...base,
                  kind: 'LEDGER_MISSING',
                  expected: fromMicro(expected),
                  actual: 'none',
                });
              previous = undefined;
              continue;
            }
            if (BigInt(entry.usageMicro) !== expected) {
              discrepancies.push({
                ...base,
                kind: 'LEDGER_USAGE_MISMATCH',
                expected: fromMicro(expected),
                actual: fromMicro(BigInt(entry.usageMicro)),
              });
            }
            if (previous !== undefined && previous.carryOutMicro !== entry.carryInMicro) {
              discrepancies.push({
                ...base,
                kind: 'LEDGER_CARRY_BROKEN',
                expected: previous.carryOutMicro,
                actual: entry.carryInMicro,
              });
            }
            if (!entry.final) {
              // Late usage of earlier hours billed in this hour rides on the same rounding.
              const units = roundHour({
                usageMicro: expected + BigInt(entry.adjustmentMicro ?? '0'),
                carryInMicro: BigInt(entry.carryInMicro),
                perUnitMicro: BigInt(entry.perUnitMicro),
              }).units;
              if (BigInt(entry.units) !== units) {
                discrepancies.push({
                  ...base,
                  kind: 'LEDGER_QUANTITY_MISMATCH',
                  expected: units.toString(),
                  actual: String(entry.units),
                });
              }
            }
            if (entry.status !== 'ACCEPTED') {
              discrepancies.push({
                ...base,
                kind: 'LEDGER_NOT_ACCEPTED',
                expected: 'ACCEPTED',
                actual: entry.status,
                detail: entry.reason,
              });
            }
            previous = entry;
          }
        }),
      ),
    ),
  );
  discrepancies.sort((a, b) =>
    `${a.kind}${a.tenantId}${a.metric}${a.hour}`.localeCompare(`${b.kind}${b.tenantId}${b.metric}${b.hour}`),
  );
  const counted = [...seen].length - lateEvents.length;
  const report: ReconciliationReport = {
    period: { from: from.toISOString(), to: to.toISOString() },
    generatedAt: options.now.toISOString(),
    totals: {
      rawLines,
      rejected,
      duplicates,
      late: lateEvents.length,
      counted,
      tenantMetricHours: tenants.size * metrics.size * hours.length,
    },
    discrepancies,
    lateEvents: {
      adjusted: lateEvents.filter((e) => e.adjustment?.state === 'billed'),
      billable: lateEvents.filter((e) => e.adjustment?.state !== 'billed' && e.billable),
      unbillable: lateEvents.filter((e) => e.adjustment?.state !== 'billed' && !e.billable),
    },
    summary: '',
  };
  const withSummary = { ...report, summary: summarize(report) };
  if (discrepancies.length > 0 && deps.alerts) {
    const byKind: Record<string, number> = {};
    for (const d of discrepancies) byKind[d.kind] = (byKind[d.kind] ?? 0) + 1;
    await deps.alerts.emit({
      type: 'BillingReconciliationDiscrepancies',
      detail: { period: report.period, count: discrepancies.length, byKind },
    });
  }
  return withSummary;
}

/** Writes `reports/reconciliation/<from>_<to>.json` (the report) and `.txt` (its summary); the JSON key. */
export async function writeReconciliationReport(
  s3: S3Client,
  bucket: string,
  report: ReconciliationReport,
): Promise<string> {
  const base = `reports/reconciliation/${report.period.from}_${report.period.to}`;
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: `${base}.json`,
      Body: JSON.stringify(report, null, 2),
      ContentType: 'application/json',
    }),
  );
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: `${base}.txt`,
      Body: report.summary,
      ContentType: 'text/plain',
    }),
  );
  return `${base}.json`;
}

/** A readable summary: counts, then one line per discrepancy (first 50). */
function summarize(report: ReconciliationReport): string {
  const t = report.totals;
  const lines = [
    `Reconciliation ${report.period.from} → ${report.period.to} (generated ${report.generatedAt})`,
    `raw lines ${t.rawLines}: rejected ${t.rejected}, duplicates ${t.duplicates}, late ${t.late}, counted ${t.counted}`,
    `checked ${t.tenantMetricHours} tenant-metric-hours: ${report.discrepancies.length} discrepancies`,
    ...report.discrepancies
      .slice(0, 50)
      .map(
        (d) =>
          `  ${d.kind.padEnd(24)} ${d.tenantId} ${d.metric} ${d.hour} expected ${d.expected} actual ${d.actual}${d.detail ? ` (${d.detail})` : ''}`,
      ),
  ];
  if (report.discrepancies.length > 50) lines.push(`  ... and ${report.discrepancies.length - 50} more`);
  return lines.join('\n');
}

function lateDetail(e: LateEventFinding): string {
  const a = e.adjustment;
  if (a?.state === 'scheduled') return `billable: adjustment ${a.adjustmentId} scheduled in ${a.targetHour}`;
  if (a?.state === 'missed') return `adjustment ${a.adjustmentId} missed its target hour ${a.targetHour}`;
  return e.billable ? 'billable as an adjustment' : 'unbillable (outside the acceptance window)';
}
