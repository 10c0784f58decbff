import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import { SILO_TEMPLATE_URL_OUTPUT } from '../../../domain/lifecycle/silo';
import { LifecycleStack } from '../../../infra/lifecycle-stack';
import { siloTemplate } from '../../../infra/silo-stack';
import { accountConfig } from '../support/account-config';
import { POOLED_CLUSTER_ID, POOLED_SECRET_ARN, pooledDatabaseProps } from '../support/pooled-database';

type Resource = { Type: string; Properties: Record<string, unknown> };

function actionsOf(template: Record<string, unknown>): string[] {
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const v of value) walk(v);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    // A Deny grants nothing (e.g. the dead-letter queue's TLS-only `sqs:*` deny).
    if ((value as { Effect?: unknown }).Effect === 'Deny') return;
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Action')
        found.push(...(Array.isArray(v) ? v : [v]).filter((a): a is string => typeof a === 'string'));
      else walk(v);
    }
  };
  walk(template);
  return found;
}

describe('silo tenant stack template', () => {
  const template = siloTemplate(defaultConfig) as {
    Resources: Record<string, Resource>;
    Parameters: Record<string, unknown>;
    Outputs: Record<string, unknown>;
    Rules?: unknown;
  };
  const byType = (type: string) => Object.values(template.Resources).filter((r) => r.Type === type);

  it('has no bootstrap-version rule and no CDK asset: every function (documents, database migration, its provider) takes its code from the silo artifacts bucket (SiloServiceCodeStack publishes it)', () => {
    expect(template.Rules).toBeUndefined();
    expect(Object.keys(template.Parameters).sort()).toEqual([
      'DataMoverRoleArns',
      'PlatformAccountId',
      'ReservedConcurrency',
      'RouterRoleArn',
      'TenantAccessRoleArn',
      'TenantId',
      'Tier',
    ]);
    expect(template.Parameters.Tier).toMatchObject({ AllowedValues: ['enterprise'] });
    expect(Object.keys(template.Outputs).sort()).toEqual([
      'DatabaseClusterArn',
      'DatabaseEndpoint',
      'DatabaseSecretArn',
      'KmsKeyArn',
      'ServiceFunctionArn',
      'TableArn',
      'TableName',
    ]);
    // A tenant account cannot read the platform's CDK asset buckets (their policy is the bootstrap's).
    expect(JSON.stringify(template)).not.toContain('cdk-hnb659fds-assets-');
    expect(JSON.stringify(template).match(/tenantry-dev-silo-artifacts-/g)).toHaveLength(3);
    expect(byType('AWS::Lambda::Function')).toHaveLength(3);
  });

  it("creates the tenant's function, its role and log group in every account; the router's invoke permission only in a tenant's own account", () => {
    // Prepare
    const conditioned = Object.entries(template.Resources)
      .filter(([, r]) => (r as { Condition?: string }).Condition !== undefined)
      .map(([, r]) => [r.Type, (r as { Condition?: string }).Condition]);

    // Assess
    expect(template.Parameters.PlatformAccountId).toMatchObject({ Default: '' });
    expect(template.Parameters.RouterRoleArn).toMatchObject({ Default: '' });
    expect(conditioned).toEqual([['AWS::Lambda::Permission', 'InTenantAccount']]);
    expect(template.Outputs.ServiceFunctionArn).not.toHaveProperty('Condition');
  });

  it('has one Table (not a GlobalTable) keyed like the pooled table, encrypted with the tenant key', () => {
    expect(byType('AWS::DynamoDB::GlobalTable')).toHaveLength(0);
    const [table] = byType('AWS::DynamoDB::Table');
    expect(table?.Properties.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(table?.Properties.SSESpecification).toMatchObject({ SSEEnabled: true, SSEType: 'KMS' });
  });

  it("limits the key's data use to the tenant's role (tagged with its id) and the data movers via DynamoDB, its database via RDS and Secrets Manager, and the data movers' read of its secret via Secrets Manager", () => {
    const [key] = byType('AWS::KMS::Key');
    const policy = key?.Properties.KeyPolicy as { Statement: Record<string, unknown>[] };
    expect(key?.Properties.PendingWindowInDays).toBe(defaultConfig.lifecycle.kmsPendingWindowDays);
    expect(actionsOf(template)).not.toContain('kms:*');
    const useStatements = policy.Statement.filter((s) => [s.Action].flat().includes('kms:Decrypt'));
    expect(useStatements.map((s) => s.Sid)).toEqual([
      'OnlyThisTenantUsesTheKeyThroughDynamoDB',
      'LifecycleMovesTheTenantItemsThroughDynamoDB',
      'TheTenantDatabaseUsesTheKeyThroughRds',
      'OnlyThisTenantsMigrationReadsTheDatabaseSecret',
      'LifecycleReadsTheDatabaseSecretThroughSecretsManager',
    ]);
    for (const s of useStatements) expect(JSON.stringify(s.Condition)).toContain('kms:ViaService');
    const [, , rds, migration, secretRead] = useStatements;
    for (const s of [useStatements[0], useStatements[1], secretRead])
      expect(JSON.stringify(s?.Principal)).not.toContain(':root');
    // The account-principal ones are narrowed to one role (or one tenant's migration roles) by ARN.
    for (const s of [rds, migration]) expect(JSON.stringify(s?.Condition)).toContain('aws:PrincipalArn');
    expect(secretRead).toMatchObject({
      Principal: { AWS: { Ref: 'DataMoverRoleArns' } },
      Action: 'kms:Decrypt',
      Condition: {
        StringEquals: {
          'kms:ViaService': {
            'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
          },
        },
      },
    });
    expect(JSON.stringify(useStatements[0]?.Condition)).toContain('aws:PrincipalTag/tenantId');
    expect(JSON.stringify(useStatements[3]?.Condition)).toContain('aws:PrincipalTag/tenantry:tenant-id');
  });

  it('lets the account create grants on the key only for AWS services', () => {
    const [key] = byType('AWS::KMS::Key');
    const policy = key?.Properties.KeyPolicy as { Statement: Record<string, unknown>[] };
    const rootGrants = policy.Statement.filter(
      (s) =>
        JSON.stringify(s.Principal).includes(':root') && JSON.stringify(s.Action).includes('kms:CreateGrant'),
    );
    expect(rootGrants.map((s) => Object.keys(s.Condition as object))).toEqual([
      ['Bool'],
      ['StringEquals', 'ArnEquals'],
    ]);
    expect(rootGrants[0]?.Condition).toEqual({ Bool: { 'kms:GrantIsForAWSResource': 'true' } });
    // RDS creates its grants on the deployment role's behalf, through RDS or Secrets Manager only.
    expect(JSON.stringify(rootGrants[1]?.Condition)).toContain('kms:ViaService');
    expect(JSON.stringify(rootGrants[1]?.Condition)).toContain('silo-deployment');
  });
});

describe('LifecycleStack', () => {
  let app: App;
  let stack: LifecycleStack;
  let template: Template;

  beforeAll(() => {
    app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const deps = new Stack(app, 'Deps', { env: { account: '123456789012', region: 'us-east-1' } });
    const table = (id: string) =>
      new dynamodb.Table(deps, id, { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    stack = new LifecycleStack(app, 'Lifecycle', {
      env: { account: '123456789012', region: 'us-east-1' },
      config: defaultConfig,
      catalogTable: table('Catalog'),
      pooledTable: table('Pooled'),
      eventBus: new events.EventBus(deps, 'Bus'),
      tenantDataBucket: new s3.Bucket(deps, 'Data'),
      ...pooledDatabaseProps(deps),
      userPool: new cognito.UserPool(deps, 'Users'),
      tenantAccessRole: new iam.Role(deps, 'TenantRole', { assumedBy: new iam.AccountRootPrincipal() }),
      authorizerRole: new iam.Role(deps, 'AuthorizerRole', { assumedBy: new iam.AccountRootPrincipal() }),
      routerRole: new iam.Role(deps, 'RouterRole', { assumedBy: new iam.AccountRootPrincipal() }),
      billingFinalFunction: lambda.Function.fromFunctionName(deps, 'Final', 'billing-final'),
    });
    template = Template.fromStack(stack);
  });

  it('creates the three state machines from the workflow definitions, every substitution filled', () => {
    const machines = template.findResources('AWS::StepFunctions::StateMachine');
    expect(Object.keys(machines)).toHaveLength(3);
    for (const m of Object.values(machines)) {
      const props = m.Properties as {
        DefinitionString: unknown;
        DefinitionSubstitutions: Record<string, unknown>;
      };
      const text = JSON.stringify(props.DefinitionString);
      const used = [...text.matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((x) => x[1] as string);
      expect(used.length).toBeGreaterThan(3);
      for (const name of used) expect(Object.keys(props.DefinitionSubstitutions)).toContain(name);
    }
    template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs22.x' });
  });

  it('outputs the template `tenantry silos update` applies: the copy tenant accounts can read too', () => {
    const [fn] = Object.values(
      template.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: { ACCOUNT_TEMPLATE_URL: Match.anyValue() } } },
      }),
    );
    const url = (fn as { Properties: { Environment: { Variables: { ACCOUNT_TEMPLATE_URL: unknown } } } })
      .Properties.Environment.Variables.ACCOUNT_TEMPLATE_URL;
    template.hasOutput(SILO_TEMPLATE_URL_OUTPUT, { Value: url });
  });

  it('scopes CreateStack to the silo template and key administration to tenant-tagged keys', () => {
    type Statement = { Action: string | string[]; Condition?: Record<string, Record<string, unknown>> };
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => (p.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
    );
    const withAction = (action: string) =>
      statements.filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).includes(action));
    const createStack = withAction('cloudformation:CreateStack');
    expect(createStack).toHaveLength(1); // the silo-stack task (onboarding and promotion call it)
    for (const s of createStack)
      expect(Object.keys(s.Condition?.StringEquals ?? {})).toEqual(['cloudformation:TemplateUrl']);
    for (const action of ['kms:PutKeyPolicy', 'kms:CreateGrant']) {
      const found = withAction(action);
      expect(found).toHaveLength(1);
      expect(found[0]?.Condition).toEqual({ Null: { 'aws:ResourceTag/tenantry:tenant-id': 'false' } });
    }
    const schedule = withAction('kms:ScheduleKeyDeletion');
    expect(schedule).toHaveLength(2); // silo deployment role (tag), silo-deprovision (silo alias)
    for (const s of schedule) expect(s.Condition).toBeDefined();
  });

  it('covers silo stacks, tables, keys and aliases in exactly the regions of regions.siloAllowed', () => {
    // Prepare
    type Statement = { Action: string | string[]; Resource: unknown };
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => (p.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
    );
    const siloActions = [
      'cloudformation:CreateStack',
      'cloudformation:DescribeStacks',
      'cloudformation:DeleteStack',
      'dynamodb:CreateTable',
      'dynamodb:DeleteTable',
      'kms:ScheduleKeyDeletion',
      'kms:PutKeyPolicy',
      'kms:CreateAlias',
    ];
    // Act: the region of every stack, table, key and alias ARN those statements name
    const regionsByAction = siloActions.map((action) => {
      const granted = statements.filter((s) =>
        (Array.isArray(s.Action) ? s.Action : [s.Action]).includes(action),
      );
      const resources = granted.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
      const regions = resources.flatMap((r) =>
        [
          ...JSON.stringify(r).matchAll(
            /:(?:cloudformation|dynamodb|kms):([^:]*):123456789012:(?:stack|table|key|alias)\//g,
          ),
        ].map((m) => m[1]),
      );
      return [action, [...new Set(regions)].sort()];
    });
    // Assess
    const allowed = [...defaultConfig.regions.siloAllowed].sort();
    expect(allowed).toEqual(['eu-central-1', 'us-east-1']);
    expect(regionsByAction).toEqual(siloActions.map((action) => [action, allowed]));
  });

  it('leaves CloudFormation to the silo tasks: the state machines call no CloudFormation action', () => {
    const roles = template.findResources('AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'states.amazonaws.com' } }] },
      },
    });
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify((p.Properties as { Roles: unknown }).Roles).match(
        new RegExp(
          Object.keys(roles)
            .map((id) => `"${id}"`)
            .join('|'),
        ),
      ),
    );
    expect(policies).toHaveLength(3);
    expect(actionsOf({ policies }).filter((a) => a.startsWith('cloudformation:'))).toEqual([]);
  });

  it("lets tenant-rows use the Data API on the pooled cluster and this platform's silo clusters, and read only their secrets", () => {
    // Prepare
    const [[fnId, fn]] = Object.entries(
      template.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: { POOLED_DATABASE_CLUSTER_ARN: Match.anyValue() } } },
      }),
    ) as [[string, { Properties: { Role: { 'Fn::GetAtt': [string] }; Environment: { Variables: object } } }]];
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const [policy] = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
    ) as [{ Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }];
    const dataApi = [
      'rds-data:BeginTransaction',
      'rds-data:ExecuteStatement',
      'rds-data:CommitTransaction',
      'rds-data:RollbackTransaction',
    ];
    const inSiloRegions = (resource: string) =>
      ['us-east-1', 'eu-central-1'].map((region) => ({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${resource.replace('REGION', region)}`]],
      }));
    const siloClusters = inSiloRegions('rds:REGION:123456789012:cluster:tenantry-dev-silo-*');

    // Act
    const statements = policy.Properties.PolicyDocument.Statement.filter(
      (s) => !JSON.stringify(s.Action).includes('xray:'),
    );

    // Assess
    expect(fn.Properties.Environment.Variables).toMatchObject({
      POOLED_DATABASE_SECRET_ARN: POOLED_SECRET_ARN,
      DATABASE_NAME: 'tenantry',
    });
    expect(fn.Properties.Environment.Variables).not.toHaveProperty('LOCAL_POSTGRES_URL');
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: dataApi,
        Resource: {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, `:rds:us-east-1:123456789012:cluster:${POOLED_CLUSTER_ID}`],
          ],
        },
      },
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: POOLED_SECRET_ARN },
      {
        Effect: 'Allow',
        Action: dataApi,
        Resource: siloClusters,
        Condition: { Null: { 'aws:ResourceTag/tenantry:tenant-id': 'false' } },
      },
      {
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: inSiloRegions('secretsmanager:REGION:123456789012:secret:rds!cluster-*'),
        Condition: {
          StringEquals: { 'secretsmanager:ResourceTag/aws:secretsmanager:owningService': 'rds' },
          ArnLike: { 'secretsmanager:ResourceTag/aws:rds:primaryDBClusterArn': siloClusters },
        },
      },
    ]);
    // The silo keys admit it among the data movers (the master secret is encrypted with the tenant key).
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          DATA_MOVER_ROLE_ARNS: {
            'Fn::Join': [',', Match.arrayWith([{ 'Fn::GetAtt': [roleId, 'Arn'] }])],
          },
        },
      },
    });
    expect(fnId).toMatch(/^RowsFunction/);
  });

  it('grants no wildcard actions anywhere', () => {
    const actions = actionsOf(template.toJSON());
    expect(actions.length).toBeGreaterThan(20);
    expect(actions.filter((a) => a === '*' || a.endsWith(':*') || a.includes('*'))).toEqual([]);
  });

  it('routes signups to the signup starter', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['tenantry.signup'], 'detail-type': ['TenantSignupRequested'] },
    });
  });

  it('passes the AwsSolutions checks (cdk-nag)', () => {
    const violations = new AwsSolutionsChecks().validateScope(stack).violations;
    expect(
      violations.map(
        (v) => `${v.ruleName} ${v.violatingResources.map((r) => JSON.stringify(r.locations)).join(',')}`,
      ),
    ).toEqual([]);
  });
});

describe('lifecycle stack with tenants in their own account', () => {
  it("lets the tenant-account function probe the runtime role in the organization's accounts, as itself", () => {
    // Prepare
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const deps = new Stack(app, 'Deps', { env: { account: '123456789012', region: 'us-east-1' } });
    const table = (id: string) =>
      new dynamodb.Table(deps, id, { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });

    // Act
    const stack = new LifecycleStack(app, 'Lifecycle', {
      env: { account: '123456789012', region: 'us-east-1' },
      config: accountConfig,
      catalogTable: table('Catalog'),
      pooledTable: table('Pooled'),
      eventBus: new events.EventBus(deps, 'Bus'),
      tenantDataBucket: new s3.Bucket(deps, 'Data'),
      ...pooledDatabaseProps(deps),
      userPool: new cognito.UserPool(deps, 'Users'),
      tenantAccessRole: new iam.Role(deps, 'TenantRole', { assumedBy: new iam.AccountRootPrincipal() }),
      authorizerRole: new iam.Role(deps, 'AuthorizerRole', { assumedBy: new iam.AccountRootPrincipal() }),
      routerRole: new iam.Role(deps, 'RouterRole', { assumedBy: new iam.AccountRootPrincipal() }),
      billingFinalFunction: lambda.Function.fromFunctionName(deps, 'Final', 'billing-final'),
    });

    // Assess
    const fn = stack.accountFunction as lambda.Function;
    const resolved = stack.resolve(fn.role?.roleArn);
    const template = Template.fromStack(stack);
    const [account] = Object.values(
      template.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: { PROBE_ROLE_ARN: resolved } } },
      }),
    );
    expect(account).toBeDefined();
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) =>
        (p.Properties as { PolicyDocument: { Statement: Record<string, unknown>[] } }).PolicyDocument
          .Statement,
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'sts:AssumeRole',
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/TenantryTenantRuntime']],
        },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: IAM policy variable
        Condition: { StringEquals: { 'aws:ResourceOrgID': '${aws:PrincipalOrgID}' } },
      }),
    );
  });
});
