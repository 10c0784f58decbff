import type { TenantryConfig } from '../domain/config';
import type { WindowGranularity } from '../domain/keys';
import { type CounterItem, counterItem } from '../domain/usage/counters';
import { classifyUsageLine, USAGE_EVENT_LIMITS } from '../domain/usage/event';
import type { JobOutputs, LateRow, RejectedRow } from './local';

/**
 * The reference aggregator: the executable specification of the metering semantics, written
 * independently of the SQL (validation is the shared zod schema, arithmetic is exact BigInt micro-units).
 *
 * Lines are processed one at a time, in file order (the local profile runs with parallelism 1):
 *  - a line the schema rejects goes to `rejected` with the schema's reason;
 *  - the watermark before line i is `max(event time of earlier valid lines) − delay` (null before the
 *    first valid line); rejected lines never move it, valid ones (duplicates included) do;
 *  - a valid event whose (tenantId, eventId) was already seen among valid events is a duplicate
 *    (dropped, whatever its own timestamp or quantity);
 *  - otherwise it is late when the watermark is set and `eventTime <= watermark`, else counted;
 *  - counted events sum into hourly and daily (UTC) windows per tenant and metric, and into
 *    cumulative rows: for each step end `e` of the day such that an event fell in `[e − step, e)`,
 *    the sum of the day's events before `e`.
 */
export interface ReferenceResult extends JobOutputs {
  readonly books: { input: number; counted: number; duplicates: number; late: number; rejected: number };
}

const SCALE = USAGE_EVENT_LIMITS.quantityScale;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Exact micro-units of a decimal number string (`12.5`, `3`, `1e-6`). */
export function toUnits(value: number | string): bigint {
  const text = typeof value === 'number' ? String(value) : value;
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([-+]?\d+))?$/i.exec(text);
  if (!match) throw new Error(`not a decimal number: ${text}`);
  const [, sign, int = '0', frac = '', exp = '0'] = match;
  let digits = int + frac;
  let scale = frac.length - Number(exp);
  while (scale > SCALE) {
    if (!digits.endsWith('0')) throw new Error(`${text} has more than ${SCALE} decimal places`);
    digits = digits.slice(0, -1);
    scale -= 1;
  }
  const units = BigInt(digits) * 10n ** BigInt(SCALE - scale);
  return sign === '-' ? -units : units;
}

/** Canonical decimal text: no exponent, no trailing zeros (`1.5`, `3`, `0.000001`). */
export function canonicalDecimal(value: bigint | string): string {
  const units = typeof value === 'bigint' ? value : toUnits(value);
  const negative = units < 0n;
  const abs = (negative ? -units : units).toString().padStart(SCALE + 1, '0');
  const int = abs.slice(0, -SCALE);
  const frac = abs.slice(-SCALE).replace(/0+$/, '');
  return `${negative ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}

const isoOf = (ms: number) => new Date(ms).toISOString();

export interface ReferenceOptions {
  readonly config: TenantryConfig;
  /** The clock of the age/future bounds (the job's `now`). */
  readonly now: Date;
}

export function referenceAggregate(lines: readonly string[], options: ReferenceOptions): ReferenceResult {
  const { config, now } = options;
  const delayMs = config.metering.watermarkDelaySeconds * 1000;
  const stepMs = config.metering.cumulativeStepMinutes * 60_000;

  const rejected: RejectedRow[] = [];
  const late: LateRow[] = [];
  const seen = new Set<string>();
  const counted: { tenantId: string; metric: string; ts: number; units: bigint }[] = [];
  let duplicates = 0;
  let maxEventTime: number | null = null;

  for (const line of lines) {
    const watermark = maxEventTime === null ? null : maxEventTime - delayMs;
    const result = classifyUsageLine(line, { config, now });
    if (!result.ok) {
      rejected.push({ reason: result.reason, line });
      continue;
    }
    // Every valid line moves the watermark (duplicates too: de-duplication comes after the source).
    const eventTime = Date.parse(result.event.timestamp);
    if (maxEventTime === null || eventTime > maxEventTime) maxEventTime = eventTime;
    const event = result.event;
    const key = `${event.tenantId}\u0000${event.eventId}`;
    if (seen.has(key)) {
      duplicates += 1;
      continue;
    }
    seen.add(key);
    const ts = Date.parse(event.timestamp);
    const units = toUnits(event.quantity);
    if (watermark !== null && ts <= watermark) {
      late.push({
        eventId: event.eventId,
        tenantId: event.tenantId,
        metric: event.metric,
        quantity: canonicalDecimal(units),
        eventTime: isoOf(ts),
        watermarkTime: isoOf(watermark),
      });
      continue;
    }
    counted.push({ tenantId: event.tenantId, metric: event.metric, ts, units });
  }

  const windows = (size: number, granularity: WindowGranularity) => {
    const acc = new Map<
      string,
      { tenantId: string; metric: string; start: number; units: bigint; count: number }
    >();
    for (const e of counted) {
      const start = Math.floor(e.ts / size) * size;
      const k = `${e.tenantId}|${e.metric}|${start}`;
      const w = acc.get(k) ?? { tenantId: e.tenantId, metric: e.metric, start, units: 0n, count: 0 };
      w.units += e.units;
      w.count += 1;
      acc.set(k, w);
    }
    return [...acc.values()].map((w) =>
      totalRow(granularity, w.tenantId, w.metric, w.start, w.start + size, w.units, w.count),
    );
  };

  const cumulative: CounterItem[] = [];
  const byKeyDay = new Map<string, typeof counted>();
  for (const e of counted) {
    const k = `${e.tenantId}|${e.metric}|${Math.floor(e.ts / DAY)}`;
    const list = byKeyDay.get(k) ?? [];
    list.push(e);
    byKeyDay.set(k, list);
  }
  for (const list of byKeyDay.values()) {
    const first = list[0];
    if (!first) continue;
    const dayStart = Math.floor(first.ts / DAY) * DAY;
    const stepEnds = [...new Set(list.map((e) => Math.floor(e.ts / stepMs) * stepMs + stepMs))].sort(
      (a, b) => a - b,
    );
    for (const end of stepEnds) {
      const before = list.filter((e) => e.ts < end);
      const units = before.reduce((sum, e) => sum + e.units, 0n);
      cumulative.push(
        totalRow('CUMULATIVE', first.tenantId, first.metric, dayStart, end, units, before.length),
      );
    }
  }

  return {
    hourly: windows(HOUR, 'HOUR'),
    daily: windows(DAY, 'DAY'),
    cumulative,
    late,
    rejected,
    books: {
      input: lines.length,
      counted: counted.length,
      duplicates,
      late: late.length,
      rejected: rejected.length,
    },
  };
}

function totalRow(
  granularity: WindowGranularity,
  tenantId: string,
  metric: string,
  start: number,
  end: number,
  units: bigint,
  count: number,
): CounterItem {
  return counterItem({
    tenantId,
    metric,
    granularity,
    windowStart: new Date(start),
    windowEnd: new Date(end),
    quantity: canonicalDecimal(units),
    eventCount: count,
  });
}
