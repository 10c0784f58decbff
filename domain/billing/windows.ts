/**
 * Time rules of billing: which hourly windows are closed (safe to bill), and Marketplace's
 * acceptance window (`billing.acceptanceWindowHours`: BatchMeterUsage refuses a record 6 hours or
 * more after its timestamp — which also ends a month's usage before 06:00 UTC on the 1st).
 */
import type { TenantryConfig } from '../config';

const HOUR_MS = 3_600_000;

/** Start of the UTC hour containing `at`. */
export function hourStart(at: Date): Date {
  return new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);
}

/** Canonical ISO form of an hour (`2026-03-01T13:00:00.000Z`): ledger sort key, counters window start. */
export function hourIso(at: Date): string {
  return hourStart(at).toISOString();
}

export function addHours(at: Date, hours: number): Date {
  return new Date(at.getTime() + hours * HOUR_MS);
}

/**
 * The latest hourly window that is closed for billing at `now`: its end, plus the watermark delay
 * (Flink fires the window only then), plus the billing grace period, has passed.
 */
export function latestClosedHour(config: TenantryConfig, now: Date): Date {
  const settleMs = config.metering.watermarkDelaySeconds * 1000 + config.billing.graceMinutes * 60_000;
  return addHours(hourStart(new Date(now.getTime() - settleMs)), -1);
}

/**
 * The latest hourly window the metering job has closed, given its progress (the event time its watermark
 * has passed, domain/usage/progress.ts): the hour's end plus the allowed lateness (`billing.graceMinutes`:
 * the totals' sink writes landing after the progress's) is at or before the progress. Undefined while
 * the job has published no progress: no hour is closed.
 */
export function latestHourClosedByMetering(
  config: TenantryConfig,
  progress: Date | undefined,
): Date | undefined {
  if (!progress) return undefined;
  return addHours(hourStart(new Date(progress.getTime() - config.billing.graceMinutes * 60_000)), -1);
}

/** The metering progress is further behind `now` than `billing.progressAlertMinutes` (or absent). */
export function isMeteringBehind(config: TenantryConfig, progress: Date | undefined, now: Date): boolean {
  return !progress || now.getTime() - progress.getTime() > config.billing.progressAlertMinutes * 60_000;
}

/** The instant from which Marketplace refuses a record stamped `timestamp`. */
export function acceptanceDeadline(config: TenantryConfig, timestamp: Date): Date {
  return addHours(timestamp, config.billing.acceptanceWindowHours);
}

/** Marketplace still accepts, at `now`, a record stamped `timestamp` (late usage is billable). */
export function isWithinAcceptanceWindow(config: TenantryConfig, timestamp: Date, now: Date): boolean {
  return acceptanceDeadline(config, timestamp).getTime() > now.getTime();
}

/** The unbilled record stamped `timestamp` is old enough (`billing.alertAgeHours`) to raise an alert. */
export function isNearExpiry(config: TenantryConfig, timestamp: Date, now: Date): boolean {
  return now.getTime() - timestamp.getTime() >= config.billing.alertAgeHours * HOUR_MS;
}

/** Hours [from, to] inclusive, ascending. */
export function hoursBetween(from: Date, to: Date): Date[] {
  const out: Date[] = [];
  for (let t = hourStart(from).getTime(); t <= hourStart(to).getTime(); t += HOUR_MS) out.push(new Date(t));
  return out;
}
