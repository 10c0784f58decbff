import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import { ConfigurationError } from '../../../domain/errors';
import { tenantUserAttributes } from '../../../domain/identity/claims';
import { tableDefinitions } from '../../../domain/tables';
import { ControlPlaneStack } from '../../../infra/control-plane-stack';
import { IdentityStack } from '../../../infra/identity-stack';
import { PooledPlaneStack } from '../../../infra/pooled-plane-stack';
import { definedTable } from '../../../infra/private/table';

let app: App;
let identity: IdentityStack;
let template: Template;

beforeAll(() => {
  app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const env = { account: '111122223333', region: 'us-east-1' };
  const controlPlane = new ControlPlaneStack(app, 'cp', { config: defaultConfig, env });
  const pooledPlane = new PooledPlaneStack(app, 'pooled', { config: defaultConfig, env });
  const meteringStack = new Stack(app, 'metering', { env });
  const countersTable = definedTable(meteringStack, 'Counters', {
    definition: tableDefinitions.counters,
    tableName: 'tenantry-dev-usage-counters',
  });
  Validations.of(countersTable).acknowledge({ id: 'AwsSolutions-DDB4', reason: 'test stack' });
  identity = new IdentityStack(app, 'identity', {
    config: defaultConfig,
    env,
    catalogTable: controlPlane.catalogTable,
    pooledTable: pooledPlane.pooledTable,
    tenantDataBucket: pooledPlane.tenantDataBucket,
    countersTable,
  });
  template = Template.fromStack(identity);
}, 120_000);

describe('IdentityStack', () => {
  it('passes cdk-nag AwsSolutions', { timeout: 120_000 }, () => {
    const violations = new AwsSolutionsChecks()
      .validateScope(app)
      .violations.filter((v) => JSON.stringify(v).includes('identity/'));
    expect(
      violations.map(
        (v) => `${v.ruleName}: ${JSON.stringify(v.violatingResources?.map((r) => r.resourceLogicalId))}`,
      ),
    ).toEqual([]);
  });

  it('has read-only tenant attributes, the Essentials plan and a V2 pre-token trigger', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolTier: 'ESSENTIALS',
      Schema: Match.arrayWith([
        Match.objectLike({ Name: 'tenantId', Mutable: false }),
        Match.objectLike({ Name: 'tier', Mutable: true }),
      ]),
      LambdaConfig: { PreTokenGenerationConfig: { LambdaVersion: 'V2_0', LambdaArn: Match.anyValue() } },
    });
    const clients = template.findResources('AWS::Cognito::UserPoolClient');
    const client = Object.values(clients)[0]?.Properties as {
      ReadAttributes: string[];
      WriteAttributes: string[];
      GenerateSecret: boolean;
    };
    expect(client.ReadAttributes).toEqual(
      expect.arrayContaining([tenantUserAttributes.tenantId, tenantUserAttributes.tier]),
    );
    expect(client.WriteAttributes.filter((a) => a.startsWith('custom:'))).toEqual([]);
    expect(client.GenerateSecret).toBe(false);
  });

  it('guards the API with a REQUEST authorizer cached per Authorization header and method', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization,context.httpMethod',
      AuthorizerResultTtlInSeconds: 30, // with the 30 s plan-limit cache: one 60 s metering step
    });
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'AUTHORIZER' });
  });

  it('answers authorizer errors with 503 (not 429) and throttling with 429', () => {
    for (const type of ['AUTHORIZER_FAILURE', 'AUTHORIZER_CONFIGURATION_ERROR']) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        StatusCode: '503',
        ResponseTemplates: { 'application/json': Match.stringLikeRegexp('Service Unavailable') },
      });
    }
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'THROTTLED',
      StatusCode: '429',
    });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'QUOTA_EXCEEDED',
      StatusCode: '429',
    });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      StatusCode: '401',
    });
    const statuses = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse')).map(
      (r) => `${r.Properties.ResponseType}:${r.Properties.StatusCode}`,
    );
    expect(statuses.filter((s) => s.endsWith(':429')).sort()).toEqual([
      'QUOTA_EXCEEDED:429',
      'THROTTLED:429',
    ]);
  });

  it('has a quota-exhausted usage plan (rate 0, burst 0) on the stage, keyed like the tier plans', () => {
    const plans = template.findResources('AWS::ApiGateway::UsagePlan', {
      Properties: { UsagePlanName: 'tenantry-dev-usage-plan-quota-exhausted' },
    });
    const [logicalId, plan] = Object.entries(plans)[0] ?? ['', { Properties: {} }];
    expect(Object.keys(plans)).toHaveLength(1);
    expect(plan.Properties.Throttle).toEqual({ RateLimit: 0, BurstLimit: 0 });
    expect(plan.Properties.ApiStages).toMatchObject([
      {
        ApiId: { Ref: expect.stringMatching(/^Api/) },
        Stage: { Ref: expect.stringMatching(/^ApiDeploymentStage/) },
      },
    ]);
    const keys = template.findResources('AWS::ApiGateway::ApiKey', {
      Properties: { Value: 'tenantry-dev-usage-plan-quota-exhausted-apikey' },
    });
    const [keyId] = Object.keys(keys);
    expect(keyId).toBeDefined();
    template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
      KeyId: { Ref: keyId },
      KeyType: 'API_KEY',
      UsagePlanId: { Ref: logicalId },
    });
  });

  it('checks the plan-limit flag in the GET /me mock integration', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      Integration: Match.objectLike({
        Type: 'MOCK',
        RequestTemplates: {
          'application/json':
            '#if("$context.authorizer.planLimit" == "exceeded"){"statusCode": 429}#else{"statusCode": 200}#end',
        },
        IntegrationResponses: Match.arrayWith([
          Match.objectLike({ StatusCode: '429', SelectionPattern: '429' }),
        ]),
      }),
    });
  });

  it('refuses an authorizer cache that, with the plan-limit cache, outlasts one metering step', {
    timeout: 60_000,
  }, () => {
    const app2 = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const env = { account: '111122223333', region: 'us-east-1' };
    const cp = new ControlPlaneStack(app2, 'cp', { config: defaultConfig, env });
    const pooled = new PooledPlaneStack(app2, 'pooled', { config: defaultConfig, env });
    const attempt = () =>
      new IdentityStack(app2, 'identity', {
        config: defaultConfig,
        env,
        catalogTable: cp.catalogTable,
        pooledTable: pooled.pooledTable,
        tenantDataBucket: pooled.tenantDataBucket,
        countersTable: cp.catalogTable,
        authorizerCacheTtl: Duration.seconds(31),
      });

    let caught: unknown;
    try {
      attempt();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigurationError);
    expect((caught as Error).message).toMatch(
      /authorizerCacheTtl: 31 s plus the plan-limit cache \(30 s\) is longer than one cumulative metering step \(60 s\)/,
    );
  });

  it('has one usage plan per tier with the tier limits from the config', () => {
    for (const tier of defaultConfig.tiers) {
      template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
        UsagePlanName: `tenantry-dev-usage-plan-${tier.name}`,
        Throttle: { RateLimit: tier.api.rateLimit, BurstLimit: tier.api.burstLimit },
        Quota: { Limit: tier.api.quotaPerDay, Period: 'DAY' },
      });
      template.hasResourceProperties('AWS::ApiGateway::ApiKey', {
        Value: `tenantry-dev-usage-plan-${tier.name}-apikey`,
      });
    }
    // the tiers' plans and the quota-exhausted plan
    expect(Object.keys(template.findResources('AWS::ApiGateway::UsagePlan'))).toHaveLength(
      defaultConfig.tiers.length + 1,
    );
  });

  it('lets only the authorizer role assume the tenant-runtime role, with tenant session tags', () => {
    const roles = template.findResources('AWS::IAM::Role', {
      Properties: { RoleName: 'tenantry-dev-tenant-runtime' },
    });
    const role = Object.values(roles)[0] ?? { Properties: { AssumeRolePolicyDocument: { Statement: [] } } };
    const trust = (role.Properties as { AssumeRolePolicyDocument: { Statement: unknown[] } })
      .AssumeRolePolicyDocument;
    expect(trust.Statement).toHaveLength(1);
    expect(trust.Statement[0]).toMatchObject({
      Action: ['sts:AssumeRole', 'sts:TagSession'],
      Effect: 'Allow',
      Condition: {
        StringLike: { 'aws:RequestTag/tenantId': '?*' },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['tenantId', 'tier'] },
      },
      Principal: { AWS: { 'Fn::GetAtt': [expect.stringMatching(/^AuthorizerFunctionServiceRole/), 'Arn'] } },
    });
    expect(JSON.stringify(trust)).toMatch(/AuthorizerFunctionServiceRole/);
  });

  it('runs both functions on nodejs22.x with validated environment', () => {
    template.allResourcesProperties('AWS::Lambda::Function', { Runtime: 'nodejs22.x' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TOKEN_USE: 'access',
          CREDENTIALS_MIN_REMAINING_SECONDS: '150', // the 30 s result cache plus two minutes
          // half a cumulative metering step of the default config (1 minute)
          USAGE_CACHE_SECONDS: '30',
        }),
      },
    });
    expect(JSON.stringify(template.toJSON())).not.toContain('LOCAL_JWKS_URI');
  });

  it('grants each function exactly what its contract names, on the stack’s resources', () => {
    const statementsOf = (rolePrefix: string) =>
      Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((p) => JSON.stringify(p.Properties.Roles).includes(rolePrefix))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[])
        .filter((s) => JSON.stringify(s.Action).includes('xray:') === false)
        .map((s) => [s.Action, JSON.stringify(s.Resource)]);

    expect(statementsOf('PreTokenGenerationFunctionServiceRole')).toEqual([
      ['dynamodb:GetItem', expect.stringMatching(/ExportsOutputFnGetAttCatalog.*Arn/)],
    ]);
    expect(statementsOf('AuthorizerFunctionServiceRole')).toEqual([
      ['dynamodb:GetItem', expect.stringMatching(/ExportsOutputFnGetAttCatalog.*Arn/)],
      ['dynamodb:BatchGetItem', expect.stringMatching(/ExportsOutputFnGetAttCounters.*Arn/)],
      [['sts:AssumeRole', 'sts:TagSession'], expect.stringMatching(/"TenantRuntimeRole[0-9A-F]+","Arn"/)],
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TENANT_RUNTIME_ROLE_ARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TenantRuntimeRole'), 'Arn'] },
        }),
      },
    });
  });

  it('derives the plan-limit cache from the metering step', { timeout: 60_000 }, () => {
    const app2 = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const config = { ...defaultConfig, metering: { ...defaultConfig.metering, cumulativeStepMinutes: 5 } };
    const env = { account: '111122223333', region: 'us-east-1' };
    const cp = new ControlPlaneStack(app2, 'cp', { config, env });
    const pooled = new PooledPlaneStack(app2, 'pooled', { config, env });
    const stack = new IdentityStack(app2, 'identity', {
      config,
      env,
      catalogTable: cp.catalogTable,
      pooledTable: pooled.pooledTable,
      tenantDataBucket: pooled.tenantDataBucket,
      countersTable: cp.catalogTable,
    });

    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ USAGE_CACHE_SECONDS: '150' }) },
    });
  });
});
