import { describe, expect, it } from 'vitest';
import { computeMargins } from '../../../../domain/billing/margin';
import { defaultConfig } from '../../../../domain/config';
import { MARGIN_PERIOD, referenceMarginUsage } from '../../support/margin';

describe('margin report', () => {
  // The reference scenario over 30 days: five ordinary pro tenants (90,000 calls, 40 GB, 300 documents a day)
  // and one at 11× their API volume with 2.1 TB stored and 2,700 documents a day.
  const { tenants, byTenant } = referenceMarginUsage();
  const report = computeMargins(defaultConfig, tenants, byTenant, MARGIN_PERIOD, MARGIN_PERIOD.to);

  it('costs the heavy pro tenant ~$1,900 against its $290 plan and flags it', () => {
    const heavy = report.tenants.find((t) => t.tenantId === 'harbor-vance');
    // cost = $5 base + 1,512,000 GB-h × $0.00065 ($982.80) + 29,700,000 calls × $0.00002 ($594)
    //        + 81,000 documents × $0.004 ($324) = $1,905.80
    expect(heavy).toMatchObject({ revenueUsd: 290, costUsd: 1905.8, marginUsd: -1615.8 });
    expect(heavy?.flags).toEqual([
      'NEGATIVE_MARGIN',
      'HEAVY_API_CALL',
      'HEAVY_STORAGE_GB',
      'HEAVY_DOC_PROCESSED',
    ]);
    expect(heavy?.usage['api.call']?.vsTierAverage).toBe(11);
    expect(report.flagged).toEqual(['harbor-vance']);
  });

  it('leaves ordinary tenants unflagged with a positive margin', () => {
    const ordinary = report.tenants.find((t) => t.tenantId === 'pro-1');
    // $5 + 28,800 GB-h × 0.00065 ($18.72) + 2,700,000 × 0.00002 ($54) + 9,000 × 0.004 ($36) = $113.72
    expect(ordinary).toMatchObject({ costUsd: 113.72, marginUsd: 176.28, flags: [] });
  });

  it('sorts the worst margin first', () => {
    expect(report.tenants.map((t) => t.tenantId)).toEqual([
      'harbor-vance',
      'pro-1',
      'pro-2',
      'pro-3',
      'pro-4',
      'pro-5',
    ]);
  });

  it('refuses an empty period', () => {
    expect(() =>
      computeMargins(defaultConfig, [], new Map(), { from: MARGIN_PERIOD.to, to: MARGIN_PERIOD.to }),
    ).toThrow(/must end after/);
  });
});
