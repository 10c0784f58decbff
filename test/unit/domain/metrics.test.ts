import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { addBillingRunMetrics, allMetricNames, METRICS_NAMESPACE } from '../../../domain/metrics';

describe('addBillingRunMetrics', () => {
  it('records each outcome count and the near-expiry count under the defined names', () => {
    // Prepare
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'billing-hourly' });

    // Act
    addBillingRunMetrics(metrics, {
      accepted: 7,
      duplicate: 1,
      rejected: 2,
      undecided: 3,
      expired: 0,
      nearExpiry: 4,
    });
    const emf = metrics.serializeMetrics() as unknown as Record<string, unknown> & {
      _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] };
    };

    // Assess
    const [directive] = emf._aws.CloudWatchMetrics;
    expect(directive?.Namespace).toBe('Tenantry');
    expect(directive?.Metrics.map((m) => m.Name)).toEqual([
      'Billing.records.accepted',
      'Billing.records.duplicate',
      'Billing.records.rejected',
      'Billing.records.undecided',
      'Billing.records.expired',
      'Billing.recordsNearExpiry',
    ]);
    expect([
      emf['Billing.records.accepted'],
      emf['Billing.records.rejected'],
      emf['Billing.recordsNearExpiry'],
    ]).toEqual([7, 2, 4]);
    for (const m of directive?.Metrics ?? []) expect(allMetricNames()).toContain(m.Name);
  });
});
