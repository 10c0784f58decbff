import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../domain/config';
import { buildTenantryApp } from '../../../infra/tenantry-app';

const config = loadConfig('');
// Bundling is skipped here (fast); `make cdk-check` synthesizes with real esbuild bundling.
const stacks = buildTenantryApp(config, { context: { 'aws:cdk:bundling-stacks': [] } });

beforeAll(() => {
  stacks.app.synth({ validateOnSynthesis: false });
}, 120_000);

describe('the documents request path', { timeout: 60_000 }, () => {
  it('runs Aurora PostgreSQL Serverless v2 in isolated subnets with IAM auth and a rotated secret', () => {
    // Act
    const template = Template.fromStack(stacks.pooledPlane);

    // Assess
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      EnableIAMDatabaseAuthentication: true,
      StorageEncrypted: true,
      DeletionProtection: true,
      DatabaseName: 'tenantry',
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 8 },
    });
    template.resourceCountIs('AWS::RDS::DBInstance', 2);
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.hasResourceProperties('AWS::CloudFormation::CustomResource', {
      migrations: Match.stringLikeRegexp('^[0-9a-f]{64}$'),
      appRole: 'tenantry_app',
    });
  });

  it("opens the Data API on the pooled cluster to the lifecycle's tenant-rows, given the cluster and its secret", () => {
    // Prepare
    const pooled = Template.fromStack(stacks.pooledPlane);
    const lifecycle = Template.fromStack(stacks.lifecycle);

    // Act
    const [rows] = Object.values(
      lifecycle.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: { POOLED_DATABASE_CLUSTER_ARN: Match.anyValue() } } },
      }),
    ) as { Properties: { Environment: { Variables: Record<string, unknown> } } }[];

    // Assess
    pooled.hasResourceProperties('AWS::RDS::DBCluster', { EnableHttpEndpoint: true });
    const variables = rows?.Properties.Environment.Variables ?? {};
    expect(JSON.stringify(variables.POOLED_DATABASE_CLUSTER_ARN)).toContain('Fn::ImportValue');
    expect(JSON.stringify(variables.POOLED_DATABASE_SECRET_ARN)).toContain('Fn::ImportValue');
    expect(variables.DATABASE_NAME).toBe('tenantry');
  });

  it('lets the documents function log in only as the application role, from inside the VPC', () => {
    const template = Template.fromStack(stacks.documents);

    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
      Environment: {
        Variables: Match.objectLike({ DATABASE_USER: 'tenantry_app', DATABASE_NAME: 'tenantry' }),
      },
    });
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const statements = policies.flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const connect = statements.filter((s) => s.Action === 'rds-db:connect');
    expect(connect).toHaveLength(1);
    expect(JSON.stringify(connect[0]?.Resource)).toMatch(/:dbuser:.*\/tenantry_app"/);
    expect(statements.some((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:Put')))).toBe(false);
  });

  it('serves /documents through the tenant authorizer', () => {
    const template = Template.fromStack(stacks.identity);

    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).filter(
      (m) => m.Properties.Integration?.Type === 'AWS_PROXY',
    );
    expect(methods.map((m) => m.Properties.HttpMethod).sort()).toEqual(['DELETE', 'GET', 'GET', 'POST']);
    for (const method of methods) {
      expect(method.Properties).toMatchObject({ AuthorizationType: 'CUSTOM', ApiKeyRequired: true });
    }
  });
});
