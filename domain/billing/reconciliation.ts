/**
 * Reconciliation: the S3 raw lake (Firehose, `raw/dt=YYYY-MM-DD/hour=HH/`, GZIP or plain JSON lines —
 * the system of record; layout from infra/metering-stack.ts) against the
 * counters (Flink) and the billing ledger, per tenant, metric and hour of a period.
 *
 *  1. raw lines are validated with the shared usage-event rules (rejected ones are left out, as
 *     Flink leaves them out), de-duplicated on (tenantId, eventId), and summed exactly per event hour;
 *  2. events in the Flink late sink (`metering/late/`) are taken out of the expected window totals (Flink does not
 *     count them) and reported one by one as LATE_EVENT: `billable` while an adjustment can still be
 *     sent within Marketplace's acceptance window, else `unbillable`;
 *  3. counters: expected (raw − late) vs the HOUR row → COUNTER_MISSING / COUNTER_MISMATCH /
 *     COUNTER_UNEXPECTED;
 *  4. ledger (for billed tenants): the entry's exact usage vs expected → LEDGER_USAGE_MISMATCH; its
 *     units vs the rounding rule applied to its own carry and the expected usage →
 *     LEDGER_QUANTITY_MISMATCH; a broken carry chain → LEDGER_CARRY_BROKEN; an hour with usage and no
 *     entry → LEDGER_MISSING; an entry not ACCEPTED → LEDGER_NOT_ACCEPTED.
 * The ledger is compared with the raw lake (not with the counters), so each injected fault shows up
 * once, under its own kind.
 */

import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import type { TenantryConfig } from '../config';
import { classifyUsageLine } from '../usage/event';
import type { BillingAlerts } from './alerts';
import type { CountersReader } from './counters';
import { fromMicro, toMicro } from './decimal';
import { entryKey, type LedgerEntry, type LedgerRepository } from './ledger';
import { roundHour } from './rounding';
import { acceptanceDeadline, addHours, hourIso, hourStart, hoursBetween } from './windows';

export const discrepancyKinds = [
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
export type DiscrepancyKind = (typeof discrepancyKinds)[number];

export interface Discrepancy {
  readonly kind: DiscrepancyKind;
  readonly tenantId: string;
  readonly metric: string;
  readonly hour: string;
  readonly expected: string;
  readonly actual: string;
  readonly detail?: string;
}

export interface LateEventFinding {
  readonly eventId: string;
  readonly tenantId: string;
  readonly metric: string;
  readonly hour: string;
  readonly quantity: string;
  readonly billable: boolean;
}

export interface ReconciliationReport {
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
  readonly lateEvents: { readonly billable: LateEventFinding[]; readonly unbillable: LateEventFinding[] };
  readonly summary: string;
}

export interface ReconciliationDeps {
  readonly config: TenantryConfig;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly counters: CountersReader;
  readonly ledger: LedgerRepository;
  readonly alerts?: BillingAlerts;
  /** Prefix of one arrival hour in the raw lake. Default: the metering stack's Firehose layout. */
  readonly rawHourPrefix?: (hour: Date) => string;
  /** Late-events sink prefix (Flink, `<lakeUri>/late`). Default `metering/late/`. */
  readonly latePrefix?: string;
}

export interface ReconciliationOptions {
  readonly from: Date;
  readonly to: Date;
  readonly now: Date;
  /** Tenants whose counters and ledger are checked (others only through raw-lake rows). */
  readonly tenantIds: readonly string[];
  /** Which of them are billed (have a ledger); default all. */
  readonly billedTenantIds?: readonly string[];
  /** Raw-lake hours read after `to` (Firehose partitions by arrival time). Default 2. */
  readonly arrivalLagHours?: number;
}

export async function reconcile(
  deps: ReconciliationDeps,
  options: ReconciliationOptions,
): Promise<ReconciliationReport> {
  const { config } = deps;
  const rawHourPrefix = deps.rawHourPrefix ?? rawLakeHourPrefix;
  const latePrefix = deps.latePrefix ?? 'metering/late/';
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
    const prefix = rawHourPrefix(arrival);
    const validationNow = addHours(arrival, 1);
    for (const line of await readLines(deps.s3, deps.bucket, prefix)) {
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

  // 2. Late events: out of the expected window totals, reported one by one.
  const lateEvents: LateEventFinding[] = [];
  for (const line of await readLines(deps.s3, deps.bucket, latePrefix)) {
    const row = JSON.parse(line.replace(/"quantity":(-?[0-9][0-9.eE+-]*)/, '"quantity":"$1"')) as Record<
      string,
      string
    >;
    const t = Date.parse(String(row.eventTime));
    if (!inPeriod(t)) continue;
    const hour = hourIso(new Date(t));
    const quantity = toMicro(String(row.quantity));
    const key = `${row.tenantId}#${row.metric}#${hour}`;
    if (seen.has(`${row.tenantId}#${row.eventId}`)) rawTotals.set(key, (rawTotals.get(key) ?? 0n) - quantity);
    lateEvents.push({
      eventId: String(row.eventId),
      tenantId: String(row.tenantId),
      metric: String(row.metric),
      hour,
      quantity: fromMicro(quantity),
      // Billable while Marketplace would still accept usage of that moment: the adjustment is added
      // to the next open hour. Past the window it can only be reported.
      billable: acceptanceDeadline(new Date(t)).getTime() > options.now.getTime(),
    });
  }
  const discrepancies: Discrepancy[] = lateEvents.map((e) => ({
    kind: 'LATE_EVENT',
    tenantId: e.tenantId,
    metric: e.metric,
    hour: e.hour,
    expected: e.quantity,
    actual: '0',
    detail: `${e.eventId} ${e.billable ? 'billable as an adjustment' : 'unbillable (outside the acceptance window)'}`,
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
              const units = roundHour({
                usageMicro: expected,
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
      billable: lateEvents.filter((e) => e.billable),
      unbillable: lateEvents.filter((e) => !e.billable),
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

/** A readable summary: counts, then one line per discrepancy (first 50). */
export function summarize(report: ReconciliationReport): string {
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

/** Firehose's raw-lake prefix for one UTC hour: `raw/dt=YYYY-MM-DD/hour=HH/`. */
export function rawLakeHourPrefix(hour: Date): string {
  const iso = hour.toISOString();
  return `raw/dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/`;
}

async function readLines(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const lines: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key === undefined) continue;
      const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
      const bytes = Buffer.from((await body.Body?.transformToByteArray()) ?? new Uint8Array());
      // Firehose writes GZIP objects (metering stack); plain JSON lines are read as they are.
      const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
      // Firehose concatenates records; producers end each with a newline (JSON lines).
      for (const line of text.split('\n')) if (line.trim() !== '') lines.push(line.trim());
    }
    token = page.NextContinuationToken;
  } while (token !== undefined);
  return lines;
}
