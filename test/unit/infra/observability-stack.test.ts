// The observability stack, built in the whole app (it reads the other stacks' resources): the alarms the
// issue lists, each on a metric the code emits (domain/metrics.ts) or an AWS service's own metric.
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../domain/config';
import { allMetricNames, METRICS_NAMESPACE, metricNames, metricServices } from '../../../domain/metrics';
import { TENANT_VARIABLE_PATTERN } from '../../../infra/observability-stack';
import { buildTenantryApp } from '../../../infra/tenantry-app';

const config = loadConfig('');
const stacks = buildTenantryApp(config, { context: { 'aws:cdk:bundling-stacks': [] } });
let template: Template;

beforeAll(() => {
  stacks.app.synth({ validateOnSynthesis: false });
  template = Template.fromStack(stacks.observability);
}, 120_000);

type Alarm = {
  AlarmName: string;
  Namespace: string;
  MetricName: string;
  Dimensions?: { Name: string; Value: unknown }[];
  Threshold: number;
  AlarmActions: unknown[];
};
const alarms = () =>
  Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((r) => r.Properties as Alarm);

describe('ObservabilityStack alarms', () => {
  it('are the ones the issue lists, each notifying the one SNS topic', () => {
    const topics = Object.keys(template.findResources('AWS::SNS::Topic'));
    expect(topics).toHaveLength(1);
    expect(alarms().map((a) => [a.AlarmName, a.AlarmActions])).toEqual(
      [
        'tenantry-dev-authorizer-errors',
        'tenantry-dev-onboarding-failures',
        'tenantry-dev-promotion-failures',
        'tenantry-dev-offboarding-failures',
        'tenantry-dev-flink-behind',
        'tenantry-dev-billing-near-deadline',
        'tenantry-dev-reconciliation-discrepancies',
        'tenantry-dev-metering-heartbeat-dead-letters',
        'tenantry-dev-billing-hourly-dead-letters',
        'tenantry-dev-billing-adjustments-dead-letters',
        'tenantry-dev-billing-reconciliation-dead-letters',
        'tenantry-dev-signup-to-onboarding-dead-letters',
      ].map((name) => [name, [{ Ref: topics[0] }]]),
    );
  });

  it('watch only metrics the code emits (domain/metrics.ts, with its service dimension) or AWS emits', () => {
    const emitted = new Set(allMetricNames());
    const services = new Set<string>(Object.values(metricServices));
    for (const a of alarms()) {
      if (a.Namespace === METRICS_NAMESPACE) {
        expect(emitted, a.AlarmName).toContain(a.MetricName);
        const service = a.Dimensions?.find((d) => d.Name === 'service')?.Value;
        expect(services, a.AlarmName).toContain(service);
      } else {
        expect(['AWS/States', 'AWS/KinesisAnalytics', 'AWS/SQS'], a.AlarmName).toContain(a.Namespace);
      }
    }
    expect(
      alarms()
        .filter((a) => a.Namespace === METRICS_NAMESPACE)
        .map((a) => a.MetricName),
    ).toEqual(['Authorizer.error', 'Billing.recordsNearExpiry', 'Reconciliation.discrepancies']);
  });

  it('watch the depth of every SQS queue in the app (all dead-letter queues): one message alarms', () => {
    // Prepare
    const queueNames = [
      stacks.metering,
      stacks.billing,
      stacks.lifecycle,
      stacks.controlPlane,
      stacks.identity,
    ]
      .flatMap((stack) => Object.values(Template.fromStack(stack).findResources('AWS::SQS::Queue')))
      .map((r) => r.Properties.QueueName as string);

    // Act
    const watched = alarms()
      .filter((a) => a.Namespace === 'AWS/SQS')
      .map((a) => ({
        queue: a.Dimensions?.find((d) => d.Name === 'QueueName')?.Value,
        metric: a.MetricName,
        threshold: a.Threshold,
        operator: (a as unknown as { ComparisonOperator: string }).ComparisonOperator,
      }));

    // Assess
    expect(queueNames).toHaveLength(5);
    expect(watched).toEqual(
      queueNames.map((queue) => ({
        queue,
        metric: 'ApproximateNumberOfMessagesVisible',
        threshold: 1,
        operator: 'GreaterThanOrEqualToThreshold',
      })),
    );
  });

  it('take their thresholds from config.observability', () => {
    const byName = new Map(alarms().map((a) => [a.AlarmName, a.Threshold]));
    expect(byName.get('tenantry-dev-authorizer-errors')).toBe(config.observability.authorizerErrors);
    expect(byName.get('tenantry-dev-promotion-failures')).toBe(config.observability.workflowFailures);
    expect(byName.get('tenantry-dev-flink-behind')).toBe(config.observability.flinkBehindSeconds * 1000);
  });

  it('the authorizer publishes into the namespace the alarms watch', () => {
    const identity = Template.fromStack(stacks.identity).findResources('AWS::Lambda::Function');
    const namespaces = Object.values(identity)
      .map((r) => r.Properties?.Environment?.Variables?.POWERTOOLS_METRICS_NAMESPACE)
      .filter((v) => v !== undefined);
    expect(namespaces).toEqual([METRICS_NAMESPACE]);
  });
});

describe('ObservabilityStack dashboards', () => {
  const bodies = () =>
    Object.values(template.findResources('AWS::CloudWatch::Dashboard')).map((r) =>
      JSON.stringify(r.Properties?.DashboardBody),
    );

  it('the platform dashboard graphs only emitted custom metrics', () => {
    const platform = bodies().find((b) => b.includes('Authorizer decisions by kind and tier')) as string;
    const custom = [...platform.matchAll(/\\"Tenantry\\",\\"([^\\]+)\\"/g)].map((m) => m[1]);
    expect(custom.length).toBeGreaterThan(0);
    for (const name of custom) expect(allMetricNames()).toContain(name);
  });

  it('the platform dashboard shows the STS calls and every dead-letter queue', () => {
    const platform = bodies().find((b) => b.includes('Authorizer decisions by kind and tier')) as string;
    expect(platform).toContain('STS calls (AssumeRole by the authorizer)');
    expect(platform).toContain(
      `\\"Tenantry\\",\\"${metricNames.authorizerStsAssumeRole}\\",\\"service\\",\\"authorizer\\"`,
    );
    const depths = [
      ...platform.matchAll(/\\"ApproximateNumberOfMessagesVisible\\",\\"QueueName\\",\\"([^\\]+)\\"/g),
    ].map((m) => m[1]);
    expect(depths).toEqual([
      'tenantry-dev-metering-heartbeat-dlq',
      'tenantry-dev-billing-hourly-dlq',
      'tenantry-dev-billing-adjustments-dlq',
      'tenantry-dev-billing-reconciliation-dlq',
      'tenantry-dev-signup-to-onboarding-dlq',
    ]);
  });

  it("the platform dashboard shows the metering job's rejected usage by reason", () => {
    const platform = bodies().find((b) => b.includes('Authorizer decisions by kind and tier')) as string;
    expect(platform).toContain('Rejected usage by reason');
    const search = platform.slice(platform.indexOf("SEARCH('{AWS/KinesisAnalytics}"));
    expect(search).toMatch(
      /^SEARCH\('\{AWS\/KinesisAnalytics\} MetricName=[\\"]+rejectedEvents[\\"]+ Application=/,
    );
    // The application's name, imported from the metering stack, scopes the search.
    expect(search.slice(0, 200)).toContain('tenantry-dev-metering:ExportsOutputRefMetering');
  });

  it('the per-tenant view filters its queries by the tenantId variable', () => {
    const tenant = bodies().find((b) => b.includes('Latest log lines of the tenant')) as string;
    expect(tenant).toContain(`filter tenantId = \\\\\\"${TENANT_VARIABLE_PATTERN}\\\\\\"`);
    expect(tenant).toContain(
      `\\"variables\\":[{\\"pattern\\":\\"${TENANT_VARIABLE_PATTERN}\\",\\"type\\":\\"pattern\\"`,
    );
  });
});
