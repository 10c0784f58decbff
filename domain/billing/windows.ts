/**
 * Time rules of billing: which hourly windows are closed (safe to bill), and Marketplace's
 * acceptance window (a record is accepted up to 24 h after its timestamp; usage of a month is
 * accepted only until 06:00 UTC on the 1st of the next month).
 */
import type { TenantryConfig } from '../config';

const HOUR_MS = 3_600_000;
const ACCEPTANCE_MS = 24 * HOUR_MS;
const MONTH_END_GRACE_MS = 6 * HOUR_MS;

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

/** Last instant Marketplace accepts a record stamped `timestamp`. */
export function acceptanceDeadline(timestamp: Date): Date {
  const byAge = timestamp.getTime() + ACCEPTANCE_MS;
  const nextMonth = Date.UTC(timestamp.getUTCFullYear(), timestamp.getUTCMonth() + 1, 1);
  return new Date(Math.min(byAge, nextMonth + MONTH_END_GRACE_MS));
}

/** Marketplace still accepts, at `now`, a record stamped `timestamp` (late usage is billable). */
export function isWithinAcceptanceWindow(timestamp: Date, now: Date): boolean {
  return acceptanceDeadline(timestamp).getTime() > now.getTime();
}

/** Hours left before the record for `timestamp` can no longer be sent (negative when expired). */
function hoursUntilExpiry(timestamp: Date, now: Date): number {
  return (acceptanceDeadline(timestamp).getTime() - now.getTime()) / HOUR_MS;
}

/** The record is old enough that an alert must fire (it has `expiryAlertHours` or more of age). */
export function isNearExpiry(config: TenantryConfig, timestamp: Date, now: Date): boolean {
  return hoursUntilExpiry(timestamp, now) <= 24 - config.billing.expiryAlertHours;
}

/** Hours [from, to] inclusive, ascending. */
export function hoursBetween(from: Date, to: Date): Date[] {
  const out: Date[] = [];
  for (let t = hourStart(from).getTime(); t <= hourStart(to).getTime(); t += HOUR_MS) out.push(new Date(t));
  return out;
}
