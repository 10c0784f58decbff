/**
 * Exact decimal quantities. Counters carry quantities as decimal strings (Flink DECIMAL); billing
 * does all arithmetic in integer micro-units (scale 6, the usage event's quantity scale) as bigint,
 * so no floating-point error can ever create or lose a fraction of a unit.
 */
import { USAGE_EVENT_LIMITS } from '../usage/event';
import { BillingDataError } from './errors';

const MICRO_SCALE = USAGE_EVENT_LIMITS.quantityScale;
const MICRO = 10n ** BigInt(MICRO_SCALE);
const DECIMAL_PATTERN = /^(\d+)(?:\.(\d+))?$/;

/** `"12.5"` → 12_500_000n. Rejects negatives, exponents and more than 6 decimals (never rounds). */
export function toMicro(value: string | number, what = 'quantity'): bigint {
  const text = typeof value === 'number' ? numberToPlain(value) : value.trim();
  const match = DECIMAL_PATTERN.exec(text);
  if (match === null) throw new BillingDataError(`${what} "${String(value)}" is not a non-negative decimal`);
  const whole = match[1] ?? '0';
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > MICRO_SCALE) {
    throw new BillingDataError(`${what} "${String(value)}" has more than ${MICRO_SCALE} decimal places`);
  }
  return BigInt(whole) * MICRO + BigInt(fraction.padEnd(MICRO_SCALE, '0') || '0');
}

/** 12_500_000n → `"12.5"` (exact). */
export function fromMicro(micro: bigint): string {
  const negative = micro < 0n;
  const abs = negative ? -micro : micro;
  const whole = abs / MICRO;
  const fraction = (abs % MICRO).toString().padStart(MICRO_SCALE, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** Micro-units as a JS number (for reports and costs only — never for billing arithmetic). */
export function microToNumber(micro: bigint): number {
  return Number(micro) / Number(MICRO);
}

function numberToPlain(value: number): string {
  if (!Number.isFinite(value) || value < 0) return String(value);
  // toFixed(6) is exact for every number that has at most 6 decimals and fits a double's precision.
  const fixed = value.toFixed(MICRO_SCALE);
  if (Number(fixed) !== value) return String(value); // more than 6 decimals: let the pattern reject it
  return fixed;
}
