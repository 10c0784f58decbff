import { describe, expect, it } from 'vitest';
import { planHour } from '../../../../domain/billing/plan';
import type { BilledPair } from '../../../../domain/billing/tenants';
import { defaultConfig } from '../../../../domain/config';

const tenant = {
  tenantId: 'tn00001',
  marketplace: {
    customerAwsAccountId: '200000000001',
    licenseArn: 'arn:aws:license-manager::123456789012:license:l-1x',
    productCode: 'tenantry-pooled',
  },
} as BilledPair['tenant'];
const metric = (name: string) => defaultConfig.metrics.find((m) => m.name === name) as BilledPair['metric'];
const HOUR = '2026-03-10T06:00:00.000Z';
const cursor = (carry: bigint) => ({ next: new Date(HOUR), carry, closed: false });

describe('planning an hour', () => {
  it('bills floor((carry + usage + adjustments) / perUnit) and carries the rest; zero usage still plans a record', () => {
    // Prepare: api.call (1 unit = 1000 calls): 400 carried, 100 this hour, 650 scheduled late usage;
    // doc.processed: no counter row at all
    const entries = planHour({
      hour: HOUR,
      due: [
        {
          pair: { tenant, metric: metric('api.call') },
          cursor: cursor(400_000_000n),
          usageMicro: 100_000_000n,
          slot: { adjustmentIds: ['a1'], usageMicro: 650_000_000n },
        },
        {
          pair: { tenant, metric: metric('doc.processed') },
          cursor: cursor(0n),
          usageMicro: 0n,
          slot: undefined,
        },
      ],
      final: false,
    });
    // Assess: 400 + 100 + 650 = 1,150 → 1 unit, 150 carried; the hour's own usage stays 100
    expect(entries).toEqual([
      {
        pk: 'tn00001#ApiCalls',
        sk: HOUR,
        tenantId: 'tn00001',
        dimension: 'ApiCalls',
        metric: 'api.call',
        hour: HOUR,
        units: 1,
        usageMicro: '100000000',
        adjustmentMicro: '650000000',
        adjustmentIds: ['a1'],
        carryInMicro: '400000000',
        carryOutMicro: '150000000',
        closingAdjustmentMicro: '0',
        perUnitMicro: '1000000000',
        customerAwsAccountId: '200000000001',
        licenseArn: 'arn:aws:license-manager::123456789012:license:l-1x',
        productCode: 'tenantry-pooled',
        final: false,
      },
      expect.objectContaining({
        dimension: 'DocumentsProcessed',
        units: 0,
        usageMicro: '0',
        carryOutMicro: '0',
      }),
    ]);
    expect(entries[1]).not.toHaveProperty('adjustmentIds');
  });

  it('closes a final bill by rounding the remainder half-up once and marking the entry final', () => {
    const [entry] = planHour({
      hour: HOUR,
      due: [
        {
          pair: { tenant, metric: metric('api.call') },
          cursor: cursor(400_000_000n),
          usageMicro: 300_000_000n,
          slot: undefined,
        },
      ],
      final: true,
    });
    // 400 + 300 = 700 calls → 1 unit (+300 recorded), nothing carried
    expect(entry).toMatchObject({
      units: 1,
      carryOutMicro: '0',
      closingAdjustmentMicro: '300000000',
      final: true,
    });
  });
});
