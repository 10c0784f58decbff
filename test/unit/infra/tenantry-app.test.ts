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
