import type { TenantryConfig } from '../domain/config';

/**
 * Deterministic synthetic usage: many tenants and metrics across hour and day boundaries, with
 * ~10% duplicate deliveries, out-of-order events inside the watermark bound, late events beyond it,
 * and malformed lines of every kind the schema rejects. Used by tests, the demo and the bench.
 */
export interface GeneratedEvents {
  readonly lines: string[];
  /** The clock to run the job and the reference with (the events are recent relative to it). */
  readonly now: string;
  /** How many lines of each intent were written (the reference, not this, decides the outcome). */
  readonly intent: { valid: number; duplicates: number; late: number; malformed: Record<string, number> };
}

export interface GenerateEventsOptions {
  readonly config: TenantryConfig;
  readonly tenants: readonly string[];
  readonly events: number;
  readonly seed?: number;
  /** First event time; the span crosses midnight UTC when it is long enough. Default 2026-11-19T21:30Z. */
  readonly start?: string;
  readonly spanHours?: number;
  readonly duplicateRatio?: number;
  readonly lateRatio?: number;
  /** Include one or more malformed lines of every rejection kind. */
  readonly malformed?: boolean;
  /**
   * `sequential` (default): `ev-<seed>-<base36 counter>`. `random`: UUID-like (v4 layout, from the seeded
   * PRNG), as real producers send — sorted, prefix-compressed state stores them far less cheaply.
   */
  readonly eventIds?: 'sequential' | 'random';
}

/** Small, fast, seeded PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function generateEvents(options: GenerateEventsOptions): GeneratedEvents {
  const { config, tenants } = options;
  const random = prng(options.seed ?? 42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const start = Date.parse(options.start ?? '2026-11-19T21:30:00.000Z');
  const spanMs = (options.spanHours ?? 30) * 3_600_000;
  const delayMs = config.metering.watermarkDelaySeconds * 1000;
  const now = new Date(start + spanMs + 3_600_000).toISOString();
  const duplicateRatio = options.duplicateRatio ?? 0.1;
  const lateRatio = options.lateRatio ?? 0.01;

  const lines: string[] = [];
  const recent: string[] = [];
  const intent = { valid: 0, duplicates: 0, late: 0, malformed: {} as Record<string, number> };
  const iso = (ms: number, precision: 'ms' | 's' | 'ds') => {
    const text = new Date(ms).toISOString();
    if (precision === 's') return text.replace(/\.\d{3}Z$/, 'Z');
    if (precision === 'ds') return text.replace(/(\.\d)\d{2}Z$/, '$1Z');
    return text;
  };
  const quantityFor = (metric: TenantryConfig['metrics'][number]) => {
    const r = random();
    if (r < 0.5) return 1 + Math.floor(random() * 5);
    if (r < 0.8) return Math.round(random() * Math.min(metric.maxQuantityPerEvent, 1000) * 1e6) / 1e6;
    return Math.round(random() * 1000) / 100;
  };

  const hex = (digits: number) =>
    Array.from({ length: digits }, () => Math.floor(random() * 16).toString(16)).join('');
  const eventId = (i: number) =>
    options.eventIds === 'random'
      ? `${hex(8)}-${hex(4)}-4${hex(3)}-${(8 + Math.floor(random() * 4)).toString(16)}${hex(3)}-${hex(12)}`
      : `ev-${options.seed ?? 42}-${i.toString(36)}`;

  for (let i = 0; i < options.events; i++) {
    const base = start + Math.floor((i / options.events) * spanMs);
    const metric = pick(config.metrics);
    const isLate = i > options.events / 10 && random() < lateRatio;
    const ts = isLate
      ? base - 2 * delayMs - Math.floor(random() * 3 * 3_600_000)
      : base - Math.floor(random() * 0.9 * delayMs);
    const line = JSON.stringify({
      eventId: eventId(i),
      tenantId: pick(tenants),
      metric: metric.name,
      quantity: quantityFor(metric),
      timestamp: iso(ts, pick(['ms', 'ms', 's', 'ds'] as const)),
    });
    lines.push(line);
    intent.valid += 1;
    if (isLate) intent.late += 1;
    recent.push(line);
    if (recent.length > 20) recent.shift();
    if (random() < duplicateRatio) {
      lines.push(pick(recent));
      intent.duplicates += 1;
    }
  }

  if (options.malformed ?? true) {
    const tenant = tenants[0] ?? 'tacme';
    const metric = config.metrics[0];
    if (!metric) throw new Error('the configuration has no metric');
    const t = iso(start + spanMs / 2, 'ms');
    const ok = { eventId: 'bad-0', tenantId: tenant, metric: metric.name, quantity: 1, timestamp: t };
    const bad: [string, string][] = [
      ['MALFORMED_JSON', 'not json at all'],
      ['MALFORMED_JSON', '[1,2,3]'],
      ['MALFORMED_JSON', JSON.stringify(ok).slice(0, -5)],
      ['OVERSIZED', JSON.stringify({ ...ok, eventId: 'bad-1', pad: 'x'.repeat(1100) })],
      ['OVERSIZED', JSON.stringify({ ...ok, eventId: 'bad-2', pad: '€'.repeat(400) })],
      ['INVALID_EVENT_ID', JSON.stringify({ ...ok, eventId: undefined })],
      ['INVALID_EVENT_ID', JSON.stringify({ ...ok, eventId: 12345 })],
      ['INVALID_EVENT_ID', JSON.stringify({ ...ok, eventId: '-starts-with-dash' })],
      ['INVALID_EVENT_ID', JSON.stringify({ ...ok, eventId: `e${'1'.repeat(128)}` })],
      ['INVALID_TENANT_ID', JSON.stringify({ ...ok, eventId: 'bad-3', tenantId: 'Acme' })],
      ['INVALID_TENANT_ID', JSON.stringify({ ...ok, eventId: 'bad-4', tenantId: 'ab--cd' })],
      ['INVALID_TENANT_ID', JSON.stringify({ ...ok, eventId: 'bad-5', tenantId: undefined })],
      ['UNKNOWN_METRIC', JSON.stringify({ ...ok, eventId: 'bad-6', metric: 'gpu.seconds' })],
      ['UNKNOWN_METRIC', JSON.stringify({ ...ok, eventId: 'bad-7', metric: 7 })],
      ['INVALID_QUANTITY', JSON.stringify({ ...ok, eventId: 'bad-8', quantity: '5' })],
      ['INVALID_QUANTITY', JSON.stringify({ ...ok, eventId: 'bad-9', quantity: -1 })],
      ['INVALID_QUANTITY', JSON.stringify({ ...ok, eventId: 'bad-10', quantity: 0.1234567 })],
      ['INVALID_QUANTITY', JSON.stringify({ ...ok, eventId: 'bad-11', quantity: null })],
      [
        'QUANTITY_OUT_OF_RANGE',
        JSON.stringify({ ...ok, eventId: 'bad-12', quantity: metric.maxQuantityPerEvent + 1 }),
      ],
      ['INVALID_TIMESTAMP', JSON.stringify({ ...ok, eventId: 'bad-13', timestamp: t.replace('T', ' ') })],
      ['INVALID_TIMESTAMP', JSON.stringify({ ...ok, eventId: 'bad-14', timestamp: '2026-13-01T00:00:00Z' })],
      ['INVALID_TIMESTAMP', JSON.stringify({ ...ok, eventId: 'bad-15', timestamp: Date.parse(t) })],
      ['INVALID_TIMESTAMP', JSON.stringify({ ...ok, eventId: 'bad-16', timestamp: undefined })],
      [
        'TIMESTAMP_IN_FUTURE',
        JSON.stringify({ ...ok, eventId: 'bad-17', timestamp: iso(Date.parse(now) + 3_600_000, 'ms') }),
      ],
      [
        'TIMESTAMP_TOO_OLD',
        JSON.stringify({
          ...ok,
          eventId: 'bad-18',
          timestamp: iso(Date.parse(now) - (config.metering.maxEventAgeDays + 1) * 86_400_000, 'ms'),
        }),
      ],
    ];
    // Spread them through the stream (a bad line must not disturb its neighbours).
    bad.forEach(([reason, line], k) => {
      const at = Math.floor(((k + 1) / (bad.length + 1)) * lines.length);
      lines.splice(at, 0, line);
      intent.malformed[reason] = (intent.malformed[reason] ?? 0) + 1;
    });
  }
  return { lines, now, intent };
}
