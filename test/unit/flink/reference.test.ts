import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import { referenceAggregate } from '../../../flink/reference';

// Hand-computed expectations for the reference semantics (watermark delay 120 s, 1-minute steps).
const line = (eventId: string, quantity: number, timestamp: string, tenantId = 'tacme') =>
  JSON.stringify({ eventId, tenantId, metric: 'api.call', quantity, timestamp });

describe('referenceAggregate', () => {
  const lines = [
    line('e1', 1.5, '2026-11-20T10:00:00.000Z'), // counted (no watermark yet)
    line('e2', 2, '2026-11-20T10:05:00Z'), // counted; watermark becomes 10:03
    line('e1', 1.5, '2026-11-20T10:00:00.000Z'), // duplicate
    line('e3', 4, '2026-11-20T10:02:00Z'), // late: 10:02 <= 10:03
    line('e4', 0.25, '2026-11-20T10:03:30Z'), // counted: after the watermark
    line('e9', 7, '2026-11-20T12:00:00Z', 'Bad Tenant'), // rejected: does not move the watermark
    line('e5', 1, '2026-11-20T11:00:00Z'), // counted (would be late if the rejected line had moved it)
  ];
  const result = referenceAggregate(lines, { config: defaultConfig, now: new Date('2026-11-21T00:00:00Z') });

  it('balances the books', () => {
    expect(result.books).toEqual({ input: 7, counted: 4, duplicates: 1, late: 1, rejected: 1 });
  });

  it('sums hourly and daily windows exactly', () => {
    expect(result.hourly.map((r) => [r.sk, r.quantity, r.eventCount])).toEqual([
      ['HOUR#2026-11-20T10:00:00.000Z', '3.75', 3],
      ['HOUR#2026-11-20T11:00:00.000Z', '1', 1],
    ]);
    expect(result.daily.map((r) => [r.pk, r.sk, r.quantity, r.eventCount])).toEqual([
      ['tacme#api.call', 'DAY#2026-11-20T00:00:00.000Z', '4.75', 4],
    ]);
  });

  it('emits a running total for each minute step that received events', () => {
    expect(result.cumulative.map((r) => [r.windowEnd, r.quantity, r.eventCount])).toEqual([
      ['2026-11-20T10:01:00.000Z', '1.5', 1],
      ['2026-11-20T10:04:00.000Z', '1.75', 2],
      ['2026-11-20T10:06:00.000Z', '3.75', 3],
      ['2026-11-20T11:01:00.000Z', '4.75', 4],
    ]);
  });

  it('records the late event with the watermark that made it late, and the rejection reason', () => {
    expect(result.late).toEqual([
      {
        eventId: 'e3',
        tenantId: 'tacme',
        metric: 'api.call',
        quantity: '4',
        eventTime: '2026-11-20T10:02:00.000Z',
        watermarkTime: '2026-11-20T10:03:00.000Z',
      },
    ]);
    expect(result.rejected.map((r) => r.reason)).toEqual(['INVALID_TENANT_ID']);
  });
});
