import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import { BillingStack } from '../../../infra/billing-stack';
import { contract as adjustmentsContract } from '../../../lambdas/billing-adjustments/contract';
import { contract as finalBillContract } from '../../../lambdas/billing-final/contract';
import { contract as hourlyContract } from '../../../lambdas/billing-hourly/contract';
import { contract as reconciliationContract } from '../../../lambdas/reconciliation/contract';

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

  it('builds each function from its contract: size, description, and exactly the environment it declares', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).map((f) => f.Properties);
    const byDescription = new Map(functions.map((f) => [f.Description, f]));
    for (const contract of [hourlyContract, finalBillContract, adjustmentsContract, reconciliationContract]) {
      const fn = byDescription.get(contract.description);
      expect(fn, contract.name).toBeDefined();
      expect([fn.Timeout, fn.MemorySize]).toEqual([contract.timeoutSeconds, contract.memoryMb]);
      const required = Object.keys(contract.env).filter((name) => name !== 'BILLING_LOOKBACK_HOURS');
      expect(Object.keys(fn.Environment.Variables).sort()).toEqual(['NODE_OPTIONS', ...required].sort());
    }
    expect(JSON.stringify(functions)).not.toMatch(/"(CATALOG|COUNTERS|LEDGER)_TABLE"|"(LAKE|REPORT)_BUCKET"/);
  });

  it('gives each function only the calls it makes: the hourly job reads counters by BatchGetItem and the progress by Query, the adjustments no counters', () => {
    const policies = Object.entries(template.findResources('AWS::IAM::Policy'));
    const statementsOf = (prefix: string) =>
      (policies.find(([id]) => id.startsWith(prefix))?.[1].Properties.PolicyDocument.Statement ?? []) as {
        Action: string | string[];
        Resource: unknown;
      }[];
    const onCounters = (prefix: string) =>
      statementsOf(prefix)
        .filter((s) => JSON.stringify(s.Resource).includes('tenantry-dev-usage-counters'))
        .map((s) => s.Action);
    expect(onCounters('Hourly')).toEqual(['dynamodb:BatchGetItem', 'dynamodb:Query']);
    expect(onCounters('FinalBill')).toEqual([['dynamodb:BatchGetItem', 'dynamodb:Query']]);
    expect(onCounters('Reconciliation')).toEqual(['dynamodb:Query']);
    expect(onCounters('Adjustments')).toEqual([]);
    // The catalog: the hourly job lists by status (index only), the final bill reads one tenant (table only).
    const onCatalog = (prefix: string) =>
      statementsOf(prefix)
        .filter((s) => JSON.stringify(s.Resource).includes('tenantry-dev-catalog'))
        .map((s) => [s.Action, JSON.stringify(s.Resource).includes('/index/byStatus')]);
    expect(onCatalog('Hourly')).toEqual([['dynamodb:Query', true]]);
    expect(onCatalog('FinalBill')).toEqual([['dynamodb:GetItem', false]]);
  });
});
