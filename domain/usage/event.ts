import { z } from 'zod';
import type { TenantryConfig } from '../config';
import { ValidationError } from '../errors';
import { toFieldIssues } from '../issues';
import { tenantIdSchema } from '../tenant/tenant-id';

/**
 * Bounds of a usage event. The zod schema below and the Flink SQL validation (flink/) are both
 * derived from these constants and from the configuration — one definition of "valid".
 */
export const USAGE_EVENT_LIMITS = {
  /** Producer-chosen idempotency key: UUIDs, ULIDs and similar. */
  eventIdPattern: /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/,
  eventIdMaxLength: 128,
  /** ISO-8601 UTC instant with a `Z`, millisecond precision at most. */
  timestampPattern: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/,
  /** Serialized event size cap (UTF-8 bytes). */
  maxEventBytes: 1024,
  /** Quantities are exact decimals: DECIMAL(precision, scale) in Flink, never floating point. */
  quantityPrecision: 20,
  quantityScale: 6,
} as const;

/** `{eventId, tenantId, metric, quantity, timestamp}` — what every meaningful action emits. */
export interface UsageEvent {
  readonly eventId: string;
  readonly tenantId: string;
  readonly metric: string;
  readonly quantity: number;
  readonly timestamp: string;
}

export interface UsageValidationContext {
  readonly config: TenantryConfig;
  /** The clock the time bounds are measured against. */
  readonly now: Date;
}

/** Why an event was rejected; stable codes shared with the Flink rejected-events sink. */
export const rejectionReasons = [
  'MALFORMED_JSON',
  'OVERSIZED',
  'INVALID_EVENT_ID',
  'INVALID_TENANT_ID',
  'UNKNOWN_METRIC',
  'INVALID_QUANTITY',
  'QUANTITY_OUT_OF_RANGE',
  'INVALID_TIMESTAMP',
  'TIMESTAMP_IN_FUTURE',
  'TIMESTAMP_TOO_OLD',
] as const;
export type RejectionReason = (typeof rejectionReasons)[number];

/** `Date.parse` rolls 2026-02-31 over to March; a real instant formats back to the same fields. */
function isRealInstant(timestamp: string): boolean {
  const ms = Date.parse(timestamp);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 19) === timestamp.slice(0, 19);
}

function decimalPlaces(value: number): number {
  const text = String(value);
  const exponent = /e-(\d+)$/.exec(text);
  if (exponent) return Number(exponent[1]) + (text.split('e')[0]?.split('.')[1]?.length ?? 0);
  return text.split('.')[1]?.length ?? 0;
}

/** The zod schema of a usage event under a configuration and a clock. */
function usageEventSchema({ config, now }: UsageValidationContext) {
  const limits = USAGE_EVENT_LIMITS;
  const metrics = new Map(config.metrics.map((m) => [m.name, m]));
  const maxFuture = now.getTime() + config.metering.maxFutureSkewSeconds * 1000;
  const minPast = now.getTime() - config.metering.maxEventAgeDays * 86_400_000;
  return z
    .object({
      eventId: z
        .string({ error: 'eventId is required' })
        .max(limits.eventIdMaxLength, `must be at most ${limits.eventIdMaxLength} characters`)
        .regex(
          limits.eventIdPattern,
          'must start with a letter or digit and use only letters, digits, ".", "_", ":", "-"',
        ),
      tenantId: tenantIdSchema,
      metric: z.string({ error: 'metric is required' }).refine((m) => metrics.has(m), {
        error: (issue) =>
          `unknown metric "${String(issue.input)}" (known: ${[...metrics.keys()].join(', ')})`,
      }),
      quantity: z
        .number({ error: 'quantity must be a number' })
        .refine(Number.isFinite, 'must be finite')
        .refine((q) => q >= 0, 'must be zero or more')
        .refine(
          (q) => decimalPlaces(q) <= limits.quantityScale,
          `must have at most ${limits.quantityScale} decimal places`,
        ),
      timestamp: z
        .string({ error: 'timestamp is required' })
        .regex(limits.timestampPattern, 'must be an ISO-8601 UTC instant like 2026-01-31T12:00:00.000Z')
        .refine(isRealInstant, 'is not a real date and time')
        .refine(
          (t) => Date.parse(t) <= maxFuture,
          `is more than ${config.metering.maxFutureSkewSeconds}s in the future`,
        )
        .refine((t) => Date.parse(t) >= minPast, `is more than ${config.metering.maxEventAgeDays} days old`),
    })
    .superRefine((event, ctx) => {
      const metric = metrics.get(event.metric);
      if (metric !== undefined && event.quantity > metric.maxQuantityPerEvent) {
        ctx.addIssue({
          code: 'custom',
          path: ['quantity'],
          message: `exceeds the ${event.metric} limit of ${metric.maxQuantityPerEvent} per event`,
        });
      }
    });
}

/** Validates one event object; throws a ValidationError naming each bad field. */
export function parseUsageEvent(value: unknown, context: UsageValidationContext): UsageEvent {
  const size = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  if (size > USAGE_EVENT_LIMITS.maxEventBytes) {
    throw new ValidationError('usage event', [
      { field: '(event)', message: `is ${size} bytes; the limit is ${USAGE_EVENT_LIMITS.maxEventBytes}` },
    ]);
  }
  const result = usageEventSchema(context).safeParse(value);
  if (!result.success) throw new ValidationError('usage event', toFieldIssues(result.error));
  return result.data;
}

/** Validates one raw line (as read from a stream); the result names the rejection reason. */
export function classifyUsageLine(
  line: string,
  context: UsageValidationContext,
): { ok: true; event: UsageEvent } | { ok: false; reason: RejectionReason; message: string } {
  if (Buffer.byteLength(line, 'utf8') > USAGE_EVENT_LIMITS.maxEventBytes) {
    return {
      ok: false,
      reason: 'OVERSIZED',
      message: `line exceeds ${USAGE_EVENT_LIMITS.maxEventBytes} bytes`,
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'MALFORMED_JSON', message: 'not valid JSON' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reason: 'MALFORMED_JSON', message: 'not a JSON object' };
  }
  const result = usageEventSchema(context).safeParse(value);
  if (result.success) return { ok: true, event: result.data };
  const first = result.error.issues[0];
  const field = String(first?.path[0] ?? '');
  return {
    ok: false,
    reason: reasonFor(field, first?.message ?? ''),
    message: `${field}: ${first?.message}`,
  };
}

function reasonFor(field: string, message: string): RejectionReason {
  switch (field) {
    case 'eventId':
      return 'INVALID_EVENT_ID';
    case 'tenantId':
      return 'INVALID_TENANT_ID';
    case 'metric':
      return 'UNKNOWN_METRIC';
    case 'quantity':
      return message.startsWith('exceeds') ? 'QUANTITY_OUT_OF_RANGE' : 'INVALID_QUANTITY';
    case 'timestamp':
      if (message.includes('future')) return 'TIMESTAMP_IN_FUTURE';
      if (message.includes('days old')) return 'TIMESTAMP_TOO_OLD';
      return 'INVALID_TIMESTAMP';
    default:
      return 'MALFORMED_JSON';
  }
}
