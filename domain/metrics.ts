/**
 * The custom CloudWatch metrics Tenantry emits (EMF, through Powertools Metrics), defined once: the
 * emitting code and the alarms and dashboards of infra/observability-stack.ts import them, and a unit
 * test checks that every alarm's metric is one of these (or an AWS service metric).
 * Powertools adds the `service` dimension (the emitter's `serviceName`) to every metric.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';

export const METRICS_NAMESPACE = 'Tenantry';

/** The `service` dimension of each emitter. */
export const metricServices = {
  authorizer: 'authorizer',
  billingHourly: 'billing-hourly',
  reconciliation: 'reconciliation',
} as const;

export const authorizerDecisionKinds = ['allow', 'forbidden', 'quota-exceeded', 'unauthorized'] as const;
export type AuthorizerDecisionKind = (typeof authorizerDecisionKinds)[number];

/** What a billing run's records came to (billing-run.ts summary fields). */
export const billingRecordOutcomes = ['accepted', 'duplicate', 'rejected', 'undecided', 'expired'] as const;
type BillingRecordOutcome = (typeof billingRecordOutcomes)[number];

export const metricNames = {
  /** The authorizer failed (our side: event, catalog, STS) and refused the request. Dimension: service. */
  authorizerError: 'Authorizer.error',
  /** One authorizer decision. Dimensions: service, tier; tenantId as metadata. */
  authorizerDecision: (kind: AuthorizerDecisionKind) => `Authorizer.${kind}`,
  /** One sts:AssumeRole the authorizer made to vend a tenant's credentials (cache hits make none). Dimension: service. */
  authorizerStsAssumeRole: 'Authorizer.stsAssumeRole',
  /** Records of a billing run by outcome. Dimension: service. */
  billingRecords: (outcome: BillingRecordOutcome) => `Billing.records.${outcome}`,
  /** Unaccepted records `billing.alertAgeHours` old or more: Marketplace's deadline is near. */
  billingRecordsNearExpiry: 'Billing.recordsNearExpiry',
  /** Discrepancies a reconciliation found. */
  reconciliationDiscrepancies: 'Reconciliation.discrepancies',
} as const;

/**
 * The metering job's own metrics: flink/sql.ts counts them through the runner's COUNTED_VALUE function
 * (flink/runner CountedValue.java); Managed Flink forwards them to the AWS/KinesisAnalytics namespace,
 * with the dimension below (and the application's).
 */
export const flinkMetrics = {
  /** Usage lines the job rejected, by rejection reason (domain/usage/event.ts). */
  rejectedEvents: { name: 'rejectedEvents', dimension: 'reason' },
} as const;

/** Every custom metric name (for the cross-check of the alarms). */
export function allMetricNames(): string[] {
  return [
    metricNames.authorizerError,
    ...authorizerDecisionKinds.map(metricNames.authorizerDecision),
    metricNames.authorizerStsAssumeRole,
    ...billingRecordOutcomes.map(metricNames.billingRecords),
    metricNames.billingRecordsNearExpiry,
    metricNames.reconciliationDiscrepancies,
  ];
}

/** Records a billing run's outcome counts (the billing functions' summary). */
export function addBillingRunMetrics(
  metrics: Metrics,
  summary: Readonly<Record<BillingRecordOutcome | 'nearExpiry', number>>,
): void {
  for (const outcome of billingRecordOutcomes)
    metrics.addMetric(metricNames.billingRecords(outcome), MetricUnit.Count, summary[outcome]);
  metrics.addMetric(metricNames.billingRecordsNearExpiry, MetricUnit.Count, summary.nearExpiry);
}
