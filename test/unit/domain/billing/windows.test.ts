import { describe, expect, it } from 'vitest';
import { isTerminal, mustSend, nextLedgerStatus } from '../../../../domain/billing/ledger-state';
import { batchByProduct, type MeteringRecord } from '../../../../domain/billing/model';
import { acceptanceDeadline, isNearExpiry, latestClosedHour } from '../../../../domain/billing/windows';
import { defaultConfig } from '../../../../domain/config';

describe('closed-window selection', () => {
  // defaultConfig: watermark 120 s, grace 10 min → an hour [H, H+1h) is billable from H+1h+12min.
  it('selects the hour before the current one once its end + watermark + grace has passed', () => {
    expect(latestClosedHour(defaultConfig, new Date('2026-03-10T14:12:00.000Z')).toISOString()).toBe(
      '2026-03-10T13:00:00.000Z',
    );
  });

  it('does not select an hour whose settle time has not passed', () => {
    expect(latestClosedHour(defaultConfig, new Date('2026-03-10T14:11:59.999Z')).toISOString()).toBe(
      '2026-03-10T12:00:00.000Z',
    );
  });
});

describe("Marketplace's acceptance window", () => {
  it('is 24 hours after the record timestamp inside a month', () => {
    expect(acceptanceDeadline(new Date('2026-03-10T05:00:00Z')).toISOString()).toBe(
      '2026-03-11T05:00:00.000Z',
    );
  });

  it('ends at 06:00 UTC on the 1st for the last hours of a month', () => {
    expect(acceptanceDeadline(new Date('2026-03-31T22:00:00Z')).toISOString()).toBe(
      '2026-04-01T06:00:00.000Z',
    );
  });

  it('alerts when 6 hours or fewer remain (expiryAlertHours 18)', () => {
    const hour = new Date('2026-03-10T05:00:00Z');
    expect(isNearExpiry(defaultConfig, hour, new Date('2026-03-10T22:59:00Z'))).toBe(false);
    expect(isNearExpiry(defaultConfig, hour, new Date('2026-03-10T23:00:00Z'))).toBe(true);
  });
});

describe('batching', () => {
  const record = (i: number, productCode: string): MeteringRecord => ({
    tenantId: `tenant-${i}`,
    dimension: 'ApiCalls',
    hour: new Date('2026-03-10T05:00:00Z'),
    quantity: i,
    customer: { customerAwsAccountId: '123456789012', licenseArn: `l-${i}`, productCode },
  });

  it('cuts each product into batches of at most 25, never mixing products', () => {
    const records = [
      ...Array.from({ length: 60 }, (_, i) => record(i, 'prod-a')),
      ...Array.from({ length: 26 }, (_, i) => record(100 + i, 'prod-b')),
    ];
    const batches = batchByProduct(records);
    expect(batches.map((b) => [b.productCode, b.records.length])).toEqual([
      ['prod-a', 25],
      ['prod-a', 25],
      ['prod-a', 10],
      ['prod-b', 25],
      ['prod-b', 1],
    ]);
  });

  it('refuses a batch size above 25', () => {
    expect(() => batchByProduct([], 26)).toThrow(/\[1, 25\]/);
  });
});

describe('ledger state machine', () => {
  it('moves PENDING to each outcome and keeps it PENDING on retryable', () => {
    expect(nextLedgerStatus('PENDING', 'accepted')).toBe('ACCEPTED');
    expect(nextLedgerStatus('PENDING', 'duplicate')).toBe('DUPLICATE');
    expect(nextLedgerStatus('PENDING', 'rejected')).toBe('REJECTED');
    expect(nextLedgerStatus('PENDING', 'expired')).toBe('EXPIRED');
    expect(nextLedgerStatus('PENDING', 'retryable')).toBe('PENDING');
  });

  it('never leaves a terminal state, and only PENDING is ever sent', () => {
    for (const status of ['ACCEPTED', 'DUPLICATE', 'REJECTED', 'EXPIRED'] as const) {
      expect(isTerminal(status)).toBe(true);
      expect(mustSend(status)).toBe(false);
      expect(nextLedgerStatus(status, 'accepted')).toBeUndefined();
    }
    expect(mustSend('PENDING')).toBe(true);
  });
});
