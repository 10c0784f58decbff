import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../../../domain/config';
import { ValidationError } from '../../../../domain/errors';
import { classifyUsageLine, parseUsageEvent, type RejectionReason } from '../../../../domain/usage/event';

const config = parseConfig(defaultConfig);
const now = new Date('2026-11-28T12:00:00.000Z');
const context = { config, now };
const valid = {
  eventId: '01JD3Z6Y2K7Q8R9S0T1V2W3X4Y',
  tenantId: 'acme-corp',
  metric: 'api.call',
  quantity: 3,
  timestamp: '2026-11-28T11:59:00.000Z',
};

describe('usage event', () => {
  it('accepts a well-formed event unchanged', () => {
    expect(parseUsageEvent(valid, context)).toEqual(valid);
  });

  it.each<[string, Record<string, unknown>, string, RegExp, RejectionReason]>([
    ['negative quantity', { quantity: -1 }, 'quantity', /zero or more/, 'INVALID_QUANTITY'],
    ['NaN quantity', { quantity: Number.NaN }, 'quantity', /number|finite/, 'INVALID_QUANTITY'],
    [
      'infinite quantity',
      { quantity: Number.POSITIVE_INFINITY },
      'quantity',
      /number|finite/,
      'INVALID_QUANTITY',
    ],
    ['quantity as string', { quantity: '3' }, 'quantity', /must be a number/, 'INVALID_QUANTITY'],
    ['too many decimals', { quantity: 0.1234567 }, 'quantity', /6 decimal places/, 'INVALID_QUANTITY'],
    [
      'quantity over the per-event cap',
      { quantity: 1001 },
      'quantity',
      /limit of 1000/,
      'QUANTITY_OUT_OF_RANGE',
    ],
    ['unknown metric', { metric: 'gpu.seconds' }, 'metric', /unknown metric "gpu.seconds"/, 'UNKNOWN_METRIC'],
    ['missing tenantId', { tenantId: undefined }, 'tenantId', /tenantId is required/, 'INVALID_TENANT_ID'],
    [
      'tenantId with a key separator',
      { tenantId: 'acme#corp' },
      'tenantId',
      /lower-case letter/,
      'INVALID_TENANT_ID',
    ],
    ['tenantId with a wildcard', { tenantId: 'acme*' }, 'tenantId', /lower-case letter/, 'INVALID_TENANT_ID'],
    ['upper-case tenantId', { tenantId: 'ACME' }, 'tenantId', /lower-case letter/, 'INVALID_TENANT_ID'],
    ['missing eventId', { eventId: undefined }, 'eventId', /eventId is required/, 'INVALID_EVENT_ID'],
    ['eventId with spaces', { eventId: 'a b' }, 'eventId', /only letters/, 'INVALID_EVENT_ID'],
    [
      'far-future timestamp',
      { timestamp: '2026-11-28T12:10:00.000Z' },
      'timestamp',
      / 30s in the future/,
      'TIMESTAMP_IN_FUTURE',
    ],
    [
      'too-old timestamp',
      { timestamp: '2026-09-01T00:00:00.000Z' },
      'timestamp',
      /30 days old/,
      'TIMESTAMP_TOO_OLD',
    ],
    [
      'timestamp without zone',
      { timestamp: '2026-11-28T11:00:00' },
      'timestamp',
      /ISO-8601 UTC/,
      'INVALID_TIMESTAMP',
    ],
    [
      'impossible date',
      { timestamp: '2026-02-31T11:00:00Z' },
      'timestamp',
      /real date|ISO/,
      'INVALID_TIMESTAMP',
    ],
  ])('rejects %s, naming %s', (_case, patch, field, message, reason) => {
    // Prepare
    const event = { ...valid, ...patch };

    // Act
    const attempt = () => parseUsageEvent(event, context);

    // Assess
    expect(attempt).toThrow(ValidationError);
    try {
      attempt();
    } catch (error) {
      const issue = (error as ValidationError).issues.find((i) => i.field === field);
      expect(issue?.message, (error as Error).message).toMatch(message);
    }
    const line = JSON.stringify(event, (_k, v) =>
      typeof v === 'number' && !Number.isFinite(v) ? `${v}` : v,
    );
    if (!['NaN quantity', 'infinite quantity'].includes(_case)) {
      expect(classifyUsageLine(line, context)).toMatchObject({ ok: false, reason });
    }
  });

  it('rejects an oversized payload by size before looking at fields', () => {
    const event = { ...valid, note: 'x'.repeat(2000) };
    expect(() => parseUsageEvent(event, context)).toThrow(/\(event\): is \d+ bytes; the limit is 1024/);
    expect(classifyUsageLine(JSON.stringify(event), context)).toMatchObject({
      ok: false,
      reason: 'OVERSIZED',
    });
  });

  it.each([
    ['not JSON', '{"eventId": '],
    ['a JSON array', '[1,2,3]'],
    ['JSON null', 'null'],
  ])('classifies %s as malformed', (_case, line) => {
    expect(classifyUsageLine(line, context)).toMatchObject({ ok: false, reason: 'MALFORMED_JSON' });
  });
});
