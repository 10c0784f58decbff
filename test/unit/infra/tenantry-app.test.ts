import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../domain/config';
import { tableDefinitions } from '../../../domain/tables';
import { buildTenantryApp } from '../../../infra/tenantry-app';

const config = loadConfig('');
// Bundling is skipped here (fast); `make cdk-check` synthesizes with real esbuild bundling.
const stacks = buildTenantryApp(config, { context: { 'aws:cdk:bundling-stacks': [] } });

// Synthesize first, as `cdk synth` does before its validation plugins run: cross-stack references
// are resolved then, and findings are reported (and acknowledged) against the resolved form.
beforeAll(() => {
  stacks.app.synth({ validateOnSynthesis: false });
}, 120_000);

describe('CDK app', { timeout: 60_000 }, () => {
  it('has no unacknowledged cdk-nag AwsSolutions findings', () => {
    const report = new AwsSolutionsChecks().validateScope(stacks.app);
    expect(
      report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.locations).join(',')}`),
    ).toEqual([]);
  });

  it('builds the catalog table from the shared definition', () => {
    const template = Template.fromStack(stacks.controlPlane);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'tenantry-dev-catalog',
      KeySchema: [{ AttributeName: tableDefinitions.catalog.partitionKey.name, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byStatus',
          KeySchema: [
            { AttributeName: 'status', KeyType: 'HASH' },
            { AttributeName: 'tenantId', KeyType: 'RANGE' },
          ],
        },
      ],
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'tenantry-dev-bus' });
  });
});

describe('asynchronous invocations', () => {
  const all = () =>
    [stacks.metering, stacks.billing, stacks.lifecycle, stacks.controlPlane, stacks.identity].map((stack) =>
      Template.fromStack(stack),
    );
  type Target = { Arn: unknown; DeadLetterConfig?: { Arn: unknown }; RetryPolicy?: unknown };
  const queueOf = (template: Template, arn: unknown) => {
    const id = (arn as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0] as string;
    return template.findResources('AWS::SQS::Queue')[id]?.Properties as Record<string, unknown> | undefined;
  };

  it('every rule target is a Lambda with a dead-letter queue, which also takes its failed invocations', () => {
    // Prepare
    const checked: string[] = [];

    // Act
    for (const template of all()) {
      const invokeConfigs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig')).map(
        (r) =>
          r.Properties as {
            FunctionName: { Ref: string };
            DestinationConfig?: { OnFailure?: { Destination: unknown } };
          },
      );
      for (const rule of Object.values(template.findResources('AWS::Events::Rule'))) {
        for (const target of rule.Properties.Targets as Target[]) {
          const fn = (target.Arn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
          const queue = queueOf(template, target.DeadLetterConfig?.Arn);
          const onFailure = invokeConfigs.find((c) => c.FunctionName.Ref === fn)?.DestinationConfig
            ?.OnFailure;

          // Assess
          expect(queue, `${rule.Properties.Name} target`).toMatchObject({
            SqsManagedSseEnabled: true,
            MessageRetentionPeriod: 1_209_600,
          });
          expect(target.RetryPolicy, `${rule.Properties.Name} target`).toBeDefined();
          expect(onFailure?.Destination, `${rule.Properties.Name} function`).toEqual(
            target.DeadLetterConfig?.Arn,
          );
          checked.push(queue?.QueueName as string);
        }
      }
    }
    expect(checked).toEqual([
      'tenantry-dev-metering-heartbeat-dlq',
      'tenantry-dev-billing-hourly-dlq',
      'tenantry-dev-billing-adjustments-dlq',
      'tenantry-dev-billing-reconciliation-dlq',
      'tenantry-dev-signup-to-onboarding-dlq',
    ]);
  });

  it('every dead-letter queue refuses requests without TLS', () => {
    const queues = all().flatMap((template) =>
      Object.keys(template.findResources('AWS::SQS::Queue')).map((id) => ({ template, id })),
    );
    expect(queues).toHaveLength(5);
    for (const { template, id } of queues)
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
  });
});

describe('edge', () => {
  it('serves the SPA privately through CloudFront behind WAF with a per-IP rate limit', () => {
    const template = Template.fromStack(stacks.edge);
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'CLOUDFRONT',
      Rules: Match.arrayWith([
        Match.objectLike({
          Name: 'RateLimitPerIp',
          Statement: { RateBasedStatement: { Limit: 2000, AggregateKeyType: 'IP' } },
        }),
      ]),
    });
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        WebACLId: Match.anyValue(),
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
      }),
    });
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    expect(stacks.edge.region).toBe('us-east-1');
  });
});
