import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import { BillingStack } from '../../../infra/billing-stack';

let app: App;
let template: Template;

beforeAll(() => {
  app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const env = { account: '111122223333', region: 'us-east-1' };
  // Stand-ins for the control-plane and metering stacks' resources (imported by name).
  const deps = new Stack(app, 'deps', { env });
  const billing = new BillingStack(app, 'billing', {
    config: defaultConfig,
    env,
    catalogTable: dynamodb.Table.fromTableName(deps, 'Catalog', 'tenantry-dev-catalog'),
    countersTable: dynamodb.Table.fromTableName(deps, 'Counters', 'tenantry-dev-usage-counters'),
    eventBus: events.EventBus.fromEventBusName(deps, 'Bus', 'tenantry-dev-bus'),
  });
  template = Template.fromStack(billing);
}, 120_000);

describe('BillingStack', () => {
  it('passes cdk-nag AwsSolutions', { timeout: 120_000 }, () => {
    const violations = new AwsSolutionsChecks()
      .validateScope(app)
      .violations.filter((v) => JSON.stringify(v).includes('billing/'));
    expect(
      violations.map(
        (v) => `${v.ruleName}: ${JSON.stringify(v.violatingResources?.map((r) => r.resourceLogicalId))}`,
      ),
    ).toEqual([]);
  });

  it('creates the ledger table from the shared definition', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'tenantry-dev-billing-ledger',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    });
  });

  it('runs the four functions on nodejs22.x; the final bill has the name the offboarding workflow calls', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions.map((f) => f.Properties.Runtime)).toEqual([
      'nodejs22.x',
      'nodejs22.x',
      'nodejs22.x',
      'nodejs22.x',
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'tenantry-dev-billing-final' });
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 1 });
  });

  it('schedules billing at minute 13 (watermark 2 min + grace 10 min + 1) and reconciliation monthly', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(13 * * * ? *)' });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 7 1 * ? *)' });
  });

  it('schedules late-usage adjustments hourly (minute 43, inside the open hour) with the ledger writes of one transaction only', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'tenantry-dev-billing-adjustments',
      ScheduleExpression: 'cron(43 * * * ? *)',
    });
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const withTransaction = policies.filter((p) => JSON.stringify(p).includes('dynamodb:ConditionCheckItem'));
    // the adjustments function and the reconciliation (which schedules missing adjustments)
    expect(withTransaction).toHaveLength(2);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:ListBucket',
            Condition: { StringLike: { 's3:prefix': ['metering/late/*'] } },
          }),
        ]),
      },
    });
  });

  it('grants aws-marketplace:BatchMeterUsage to the two billing functions only, and no wildcard action', () => {
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toMatch(
      /"(dynamodb|s3):[A-Za-z]*\*"/,
    );
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const withMeter = policies.filter((p) => JSON.stringify(p).includes('aws-marketplace:BatchMeterUsage'));
    expect(withMeter).toHaveLength(2);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:ListBucket',
            Condition: { StringLike: { 's3:prefix': ['raw/*', 'metering/late/*'] } },
          }),
        ]),
      },
    });
  });
});
