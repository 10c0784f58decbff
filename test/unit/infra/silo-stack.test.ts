import { runSimulation } from '@cloud-copilot/iam-simulate';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import type { PolicyDocument } from '../../../domain/identity/session-policy';
import { siloDeploymentRoleName, siloStackOutputs } from '../../../domain/lifecycle/silo';
import { migrationsDigest } from '../../../infra/pooled-plane-stack';
import { SiloServiceCodeStack, type SiloTemplateBuild, siloTemplateBuild } from '../../../infra/silo-stack';
import { accountConfig, accountsSettings } from '../support/account-config';
import { deployedSiloFunctionPolicy, deployedSiloKeyPolicy, siloLogicalId } from '../support/silo-key-policy';

// The silo key policy as deployed for one tenant, evaluated by the IAM policy evaluator (moto does not
// enforce key policies). Principals here hold broad IAM policies (`kms:*` on `*`), so whatever they
// are refused, the key policy refuses.

const ACCOUNT = '111122223333';
/** The platform account as the silo template computes it. */
const PLATFORM = { 'Fn::If': ['InTenantAccount', { Ref: 'PlatformAccountId' }, { Ref: 'AWS::AccountId' }] };
const REGION = 'eu-central-1';
const TENANT = 'tenant-a';
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/11111111-2222-4333-8444-555555555555`;
const RUNTIME_ROLE = `arn:aws:iam::${ACCOUNT}:role/tenantry-dev-tenant-runtime`;
const DATA_MOVER = `arn:aws:iam::${ACCOUNT}:role/tenantry-dev-lifecycle-copy`;
const VIA_DYNAMODB = { 'kms:ViaService': `dynamodb.${REGION}.amazonaws.com` };
const ALL_KMS: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'Admin', Effect: 'Allow', Action: 'kms:*', Resource: '*' }],
};

let keyPolicy: PolicyDocument;
beforeAll(() => {
  keyPolicy = deployedSiloKeyPolicy({
    tenantId: TENANT,
    region: REGION,
    account: ACCOUNT,
    tenantAccessRoleArn: RUNTIME_ROLE,
    dataMoverRoleArns: [DATA_MOVER],
  });
}, 60_000);

/** `aws:PrincipalArn` as IAM sets it: the role ARN for an assumed-role session. */
function principalArnOf(principal: string): string {
  const session = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(principal);
  return session === null ? principal : `arn:aws:iam::${session[1]}:role/${session[2]}`;
}

async function evaluate(
  principal: string,
  action: string,
  context: Record<string, string | string[]> = {},
): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal,
        action,
        resource: { resource: KEY, accountId: ACCOUNT },
        contextVariables: { 'aws:PrincipalArn': principalArnOf(principal), ...context },
      },
      identityPolicies: [{ name: 'broad', policy: ALL_KMS }],
      resourcePolicy: keyPolicy,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`simulation error: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

const runtimeSession = `arn:aws:sts::${ACCOUNT}:assumed-role/tenantry-dev-tenant-runtime/tenant-${TENANT}-1`;
const tagged = (tenantId: string) => ({ 'aws:PrincipalTag/tenantId': tenantId });

describe('silo key policy', () => {
  it("lets the runtime role, tagged with the key's tenant, use the key through DynamoDB in the region", async () => {
    for (const action of ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey']) {
      expect(await evaluate(runtimeSession, action, { ...tagged(TENANT), ...VIA_DYNAMODB })).toBe('Allowed');
    }
  });

  it('refuses the runtime role any other use: directly, in another region, for another tenant, other actions', async () => {
    expect(await evaluate(runtimeSession, 'kms:Decrypt', tagged(TENANT))).not.toBe('Allowed');
    expect(
      await evaluate(runtimeSession, 'kms:Decrypt', {
        ...tagged(TENANT),
        'kms:ViaService': 'dynamodb.us-east-1.amazonaws.com',
      }),
    ).not.toBe('Allowed');
    expect(
      await evaluate(runtimeSession, 'kms:Decrypt', { ...tagged('tenant-b'), ...VIA_DYNAMODB }),
    ).not.toBe('Allowed');
    for (const action of ['kms:ReEncryptFrom', 'kms:CreateGrant', 'kms:PutKeyPolicy']) {
      expect(await evaluate(runtimeSession, action, { ...tagged(TENANT), ...VIA_DYNAMODB })).not.toBe(
        'Allowed',
      );
    }
  });

  it('refuses an account administrator with kms:* the data and the key policy', async () => {
    const admin = `arn:aws:iam::${ACCOUNT}:role/Administrator`;
    expect(await evaluate(admin, 'kms:Decrypt', VIA_DYNAMODB)).not.toBe('Allowed');
    expect(await evaluate(admin, 'kms:Decrypt')).not.toBe('Allowed');
    expect(await evaluate(admin, 'kms:PutKeyPolicy')).not.toBe('Allowed');
    // Administration without data use stays delegated to IAM.
    expect(await evaluate(admin, 'kms:ScheduleKeyDeletion')).toBe('Allowed');
  });

  it('lets only the silo deployment role change the key policy', async () => {
    const deployment = `arn:aws:sts::${ACCOUNT}:assumed-role/${siloDeploymentRoleName(defaultConfig)}/AWSCloudFormation`;
    expect(siloDeploymentRoleName(defaultConfig)).toBe('tenantry-dev-silo-deployment');
    expect(await evaluate(deployment, 'kms:PutKeyPolicy')).toBe('Allowed');
    expect(await evaluate(deployment, 'kms:Decrypt', VIA_DYNAMODB)).not.toBe('Allowed');
  });

  it("in a tenant's own account, lets the deployment role the lifecycle assumes there change the key policy (else KMS refuses to create the key)", async () => {
    // Prepare
    const tenantAccount = '210987654321';
    const inAccount = deployedSiloKeyPolicy(
      {
        tenantId: TENANT,
        region: REGION,
        account: tenantAccount,
        tenantAccessRoleArn: `arn:aws:iam::${tenantAccount}:role/${accountsSettings.runtimeRoleName}`,
        dataMoverRoleArns: [DATA_MOVER],
        platformAccountId: ACCOUNT,
      },
      accountConfig,
    );
    const session = (role: string) => `arn:aws:sts::${tenantAccount}:assumed-role/${role}/tenantry-lifecycle`;
    const putKeyPolicy = async (role: string, policy: PolicyDocument) => {
      const result = await runSimulation(
        {
          request: {
            principal: session(role),
            action: 'kms:PutKeyPolicy',
            resource: { resource: KEY.replace(ACCOUNT, tenantAccount), accountId: tenantAccount },
            contextVariables: { 'aws:PrincipalArn': principalArnOf(session(role)) },
          },
          identityPolicies: [{ name: 'broad', policy: ALL_KMS }],
          resourcePolicy: policy,
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        {},
      );
      if (result.resultType === 'error')
        throw new Error(`simulation error: ${JSON.stringify(result.errors)}`);
      return result.overallResult;
    };

    // Act & Assess
    expect(await putKeyPolicy(accountsSettings.deploymentRoleName, inAccount)).toBe('Allowed');
    expect(await putKeyPolicy(siloDeploymentRoleName(accountConfig), inAccount)).not.toBe('Allowed');
    // The same template in the platform account still names the platform's silo deployment role.
    const inPlatform = deployedSiloKeyPolicy(
      {
        tenantId: TENANT,
        region: REGION,
        account: tenantAccount,
        tenantAccessRoleArn: RUNTIME_ROLE,
        dataMoverRoleArns: [DATA_MOVER],
      },
      accountConfig,
    );
    expect(await putKeyPolicy(siloDeploymentRoleName(accountConfig), inPlatform)).toBe('Allowed');
    expect(await putKeyPolicy(accountsSettings.deploymentRoleName, inPlatform)).not.toBe('Allowed');
  }, 120_000);

  it('lets the data movers use the key only through DynamoDB, and decrypt the database secret through Secrets Manager', async () => {
    const mover = `arn:aws:sts::${ACCOUNT}:assumed-role/tenantry-dev-lifecycle-copy/copy`;
    const viaSecrets = { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` };
    expect(await evaluate(mover, 'kms:Decrypt', VIA_DYNAMODB)).toBe('Allowed');
    expect(await evaluate(mover, 'kms:Decrypt', viaSecrets)).toBe('Allowed');
    expect(await evaluate(mover, 'kms:GenerateDataKey', viaSecrets)).not.toBe('Allowed');
    expect(
      await evaluate(mover, 'kms:Decrypt', { 'kms:ViaService': `rds.${REGION}.amazonaws.com` }),
    ).not.toBe('Allowed');
    expect(await evaluate(mover, 'kms:Decrypt')).not.toBe('Allowed');
  });
});

describe("the silo tenant's own documents function", () => {
  let template: Template;
  let build: SiloTemplateBuild;
  beforeAll(() => {
    build = siloTemplateBuild(defaultConfig);
    template = Template.fromJSON(build.template);
  }, 120_000);

  it('runs the documents handler for this tenant only, named after it, with the tier reserved concurrency', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: { 'Fn::Join': ['', ['tenantry-dev-', { Ref: 'TenantId' }, '-documents']] },
      ReservedConcurrentExecutions: {
        'Fn::If': [
          'ReservesConcurrency',
          { 'Fn::FindInMap': ['SiloCompute', { Ref: 'Tier' }, 'reservedConcurrency'] },
          { Ref: 'AWS::NoValue' },
        ],
      },
      Environment: {
        Variables: Match.objectLike({
          SILO_TENANT_ID: { Ref: 'TenantId' },
          CONTROL_PLANE_REGION: 'us-east-1',
          // By ARN, in the platform account (the stack's own, or the one a tenant account's stack is given)
          CATALOG_TABLE_NAME: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':dynamodb:us-east-1:',
                PLATFORM,
                ':table/tenantry-dev-catalog',
              ],
            ],
          },
          USAGE_STREAM_NAME: 'tenantry-dev-usage',
          USAGE_STREAM_ARN: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':kinesis:us-east-1:',
                PLATFORM,
                ':stream/tenantry-dev-usage',
              ],
            ],
          },
        }),
      },
      Tags: Match.arrayWith([{ Key: 'tenantry:tenant-id', Value: { Ref: 'TenantId' } }]),
    });
    expect(template.findMappings('SiloCompute')).toEqual({
      SiloCompute: { enterprise: { reservedConcurrency: 50 } },
    });
  });

  it.each([
    // [PlatformAccountId, ReservedConcurrency, reserves]
    ['', 'tier', true],
    ['', 'none', true], // a silo in the platform account always keeps its tier's reservation
    [ACCOUNT, 'tier', true],
    [ACCOUNT, 'none', false], // a tenant account whose quota cannot keep it (the increase is requested)
  ])(
    'PlatformAccountId %j, ReservedConcurrency %s: reserves the tier concurrency: %s',
    (platformAccountId, choice, reserves) => {
      // Prepare
      const parameters: Record<string, string> = {
        PlatformAccountId: platformAccountId,
        ReservedConcurrency: choice,
      };
      const conditions = build.template.Conditions as Record<string, unknown>;

      // Act
      const holds = evaluateCondition(conditions, parameters, { Condition: 'ReservesConcurrency' });

      // Assess
      expect(holds).toBe(reserves);
      expect((build.template.Parameters as Record<string, unknown>).ReservedConcurrency).toEqual({
        Type: 'String',
        Default: 'tier',
        AllowedValues: ['tier', 'none'],
        Description: expect.any(String),
      });
    },
  );

  it("takes its code from the platform's silo artifacts bucket in the stack's own region", () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Code: {
        S3Bucket: {
          'Fn::Join': ['', ['tenantry-dev-silo-artifacts-', PLATFORM, '-', { Ref: 'AWS::Region' }]],
        },
        S3Key: build.serviceCode.objectKey,
      },
    });
    expect(build.serviceCode.objectKey).toMatch(/^[0-9a-f]{64}\.zip$/);
    expect(build.serviceCode.bucketIn(ACCOUNT, 'eu-central-1')).toBe(
      `tenantry-dev-silo-artifacts-${ACCOUNT}-eu-central-1`,
    );
  });

  it('publishes that code (unchanged, same key) and the template in the artifacts bucket of every allowed silo region', () => {
    for (const region of defaultConfig.regions.siloAllowed) {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new SiloServiceCodeStack(app, `code-${region}`, {
        env: { account: ACCOUNT, region },
        config: defaultConfig,
        build,
      });
      const published = Template.fromStack(stack);
      published.hasResourceProperties('AWS::S3::Bucket', {
        BucketName: `tenantry-dev-silo-artifacts-${ACCOUNT}-${region}`,
      });
      published.hasResourceProperties('Custom::CDKBucketDeployment', {
        SourceObjectKeys: [build.serviceCode.objectKey],
        Extract: false,
        Prune: false,
      });
      published.hasResourceProperties('Custom::CDKBucketDeployment', {
        SourceMarkersConfig: [{ jsonEscape: true }],
        Prune: false,
      });
    }
  });

  it('has its own log group, named after it, one-month retention, deleted with the stack', () => {
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: {
        LogGroupName: { 'Fn::Join': ['', ['/aws/lambda/tenantry-dev-', { Ref: 'TenantId' }, '-documents']] },
        RetentionInDays: 30,
      },
      DeletionPolicy: 'Delete',
    });
  });

  it('has its own role: catalog read, usage write in the control plane region, its database user; no tenant data', () => {
    const policy = deployedSiloFunctionPolicy(deployment, 'DocumentsServiceFunction', clusterAttributes);

    expect(policy.Statement.map((s) => s.Action)).toEqual([
      ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
      'dynamodb:GetItem',
      'kinesis:PutRecords',
      'rds-db:connect',
    ]);
    template.hasOutput('ServiceFunctionArn', {});
  });

  it("in a tenant's own account, lets the platform's documents router invoke it, and only there", () => {
    template.hasResource('AWS::Lambda::Permission', {
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
        Principal: { Ref: 'RouterRoleArn' },
      },
      Condition: 'InTenantAccount',
    });
    expect(template.findConditions('InTenantAccount')).toEqual({
      InTenantAccount: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'PlatformAccountId' }, ''] }] },
    });
    // Every other resource is created in both kinds of account.
    const conditioned = Object.values(build.template.Resources as Record<string, { Condition?: string }>)
      .map((r) => r.Condition)
      .filter((c) => c !== undefined);
    expect(conditioned).toEqual(['InTenantAccount']);
  });

  it("its role carries the tenant tag the platform's catalog and stream policies key on", () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      Tags: Match.arrayWith([{ Key: 'tenantry:tenant-id', Value: { Ref: 'TenantId' } }]),
    });
  });
});

const deployment = {
  tenantId: TENANT,
  region: REGION,
  account: ACCOUNT,
  tenantAccessRoleArn: RUNTIME_ROLE,
  dataMoverRoleArns: [DATA_MOVER],
};
const CLUSTER_RESOURCE_ID = 'cluster-TENANTAAAAAAAAAAAAAAAAAAAAAA';
let clusterAttributes: Record<string, string>;
beforeAll(() => {
  clusterAttributes = {
    [`${siloLogicalId('AWS::RDS::DBCluster', 'DatabaseCluster')}.DBClusterResourceId`]: CLUSTER_RESOURCE_ID,
  };
}, 120_000);

async function evaluateIdentity(
  policy: PolicyDocument,
  principal: string,
  action: string,
  resource: string,
): Promise<string> {
  const result = await runSimulation(
    {
      request: { principal, action, resource: { resource, accountId: ACCOUNT }, contextVariables: {} },
      identityPolicies: [{ name: 'function', policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`simulation error: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

describe("the silo tenant's own database (moto cannot create Aurora: proven on the synthesized template)", () => {
  let template: Template;
  let build: SiloTemplateBuild;
  const ids: Record<string, string> = {};
  beforeAll(() => {
    build = siloTemplateBuild(defaultConfig);
    template = Template.fromJSON(build.template);
    ids.cluster = siloLogicalId('AWS::RDS::DBCluster', 'DatabaseCluster');
    ids.key = siloLogicalId('AWS::KMS::Key', 'TenantKey');
    ids.migrations = siloLogicalId('AWS::CloudFormation::CustomResource', 'DatabaseRlsMigrations');
    ids.service = siloLogicalId('AWS::Lambda::Function', 'DocumentsServiceFunction');
    ids.serviceSg = siloLogicalId('AWS::EC2::SecurityGroup', 'DatabaseServiceSecurityGroup');
    ids.clusterSg = siloLogicalId('AWS::EC2::SecurityGroup', 'DatabaseClusterSecurityGroup');
  }, 120_000);

  it("is Aurora PostgreSQL Serverless v2 encrypted with the tenant's key, IAM auth, RDS-managed rotated secret under the same key", () => {
    template.hasResource('AWS::RDS::DBCluster', {
      Properties: Match.objectLike({
        Engine: 'aurora-postgresql',
        StorageEncrypted: true,
        KmsKeyId: { 'Fn::GetAtt': [ids.key, 'Arn'] },
        ManageMasterUserPassword: true,
        MasterUserSecret: { KmsKeyId: { 'Fn::GetAtt': [ids.key, 'Arn'] } },
        EnableIAMDatabaseAuthentication: true,
        EnableHttpEndpoint: true,
        DatabaseName: 'tenantry',
        ServerlessV2ScalingConfiguration: {
          MinCapacity: { 'Fn::FindInMap': ['SiloDatabase', { Ref: 'Tier' }, 'minCapacity'] },
          MaxCapacity: { 'Fn::FindInMap': ['SiloDatabase', { Ref: 'Tier' }, 'maxCapacity'] },
        },
      }),
    });
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      DBInstanceClass: 'db.serverless',
      DBClusterIdentifier: { Ref: ids.cluster },
      PubliclyAccessible: false,
    });
    // The tier's capacity, from the configuration.
    expect(template.findMappings('SiloDatabase')).toEqual({
      SiloDatabase: { enterprise: { minCapacity: 0.5, maxCapacity: 8 } },
    });
  });

  it('is deleted with the stack, with no final snapshot and no deletion protection (offboarding is erasure)', () => {
    template.hasResource('AWS::RDS::DBCluster', {
      Properties: Match.objectLike({ DeletionProtection: false, BackupRetentionPeriod: 7 }),
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
    template.hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Delete' });
  });

  it('sits in isolated subnets, reachable on its port only from the functions of the tenant', () => {
    const subnets = template.findResources('AWS::EC2::Subnet');
    const isolated = Object.entries(subnets)
      .filter(([, r]) =>
        (r.Properties.Tags as { Key: string; Value: string }[]).some(
          (t) => t.Key === 'aws-cdk:subnet-type' && t.Value === 'Isolated',
        ),
      )
      .map(([id]) => ({ Ref: id }));
    expect(isolated).toHaveLength(2);
    template.hasResourceProperties('AWS::RDS::DBSubnetGroup', { SubnetIds: isolated });
    // No route to the internet from the isolated subnets: only the egress subnets route to the gateway.
    const routes = Object.values(template.findResources('AWS::EC2::Route'));
    const isolatedTables = Object.values(template.findResources('AWS::EC2::SubnetRouteTableAssociation'))
      .filter((a) => isolated.some((s) => s.Ref === (a.Properties.SubnetId as { Ref: string }).Ref))
      .map((a) => (a.Properties.RouteTableId as { Ref: string }).Ref);
    expect(
      routes.filter((r) => isolatedTables.includes((r.Properties.RouteTableId as { Ref: string }).Ref)),
    ).toEqual([]);
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'));
    expect(ingress.map((i) => i.Properties)).toEqual([
      {
        IpProtocol: 'tcp',
        Description: expect.any(String),
        FromPort: { 'Fn::GetAtt': [ids.cluster, 'Endpoint.Port'] },
        ToPort: { 'Fn::GetAtt': [ids.cluster, 'Endpoint.Port'] },
        GroupId: { 'Fn::GetAtt': [ids.clusterSg, 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [ids.serviceSg, 'GroupId'] },
      },
    ]);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('Functions of the tenant'),
      SecurityGroupIngress: Match.absent(),
    });
  });

  it('is what the function connects to: its endpoint, in the VPC, created after the migrations', () => {
    template.hasResource('AWS::Lambda::Function', {
      Properties: Match.objectLike({
        FunctionName: { 'Fn::Join': ['', ['tenantry-dev-', { Ref: 'TenantId' }, '-documents']] },
        Environment: {
          Variables: Match.objectLike({
            DATABASE_HOST: { 'Fn::GetAtt': [ids.cluster, 'Endpoint.Address'] },
            DATABASE_USER: 'tenantry_app',
            DATABASE_NAME: 'tenantry',
          }),
        },
        VpcConfig: Match.objectLike({ SecurityGroupIds: [{ 'Fn::GetAtt': [ids.serviceSg, 'GroupId'] }] }),
      }),
      DependsOn: Match.arrayWith([ids.migrations]),
    });
    // No empty-host path any more: the template has no DatabaseHost parameter.
    expect(Object.keys(build.template.Parameters as object)).not.toContain('DatabaseHost');
  });

  it('gets the RLS migrations from the rls-migrate code, after the cluster and its writer exist', () => {
    template.hasResource('AWS::CloudFormation::CustomResource', {
      Properties: Match.objectLike({ migrations: migrationsDigest(), appRole: 'tenantry_app' }),
      DependsOn: Match.arrayWith([
        ids.cluster,
        siloLogicalId('AWS::RDS::DBInstance', 'DatabaseClusterWriter'),
      ]),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Environment: {
        Variables: Match.objectLike({
          DATABASE_SECRET_ARN: { 'Fn::GetAtt': [ids.cluster, 'MasterUserSecret.SecretArn'] },
          DATABASE_HOST: { 'Fn::GetAtt': [ids.cluster, 'Endpoint.Address'] },
        }),
      },
    });
    template.hasResourceProperties('AWS::IAM::Role', { Path: '/tenantry-dev-silo-db-migrate/' });
  });

  it("reports the cluster's ARN, endpoint and master secret as outputs; the database exists in every account, as the function does", () => {
    template.hasOutput(siloStackOutputs.databaseClusterArn, {
      Value: { 'Fn::Join': Match.arrayWith([Match.arrayWith([{ Ref: ids.cluster }])]) },
    });
    template.hasOutput(siloStackOutputs.databaseEndpoint, {
      Value: { 'Fn::GetAtt': [ids.cluster, 'Endpoint.Address'] },
    });
    template.hasOutput(siloStackOutputs.databaseSecretArn, {
      Value: { 'Fn::GetAtt': [ids.cluster, 'MasterUserSecret.SecretArn'] },
    });
    const conditioned = Object.entries(build.template.Resources as Record<string, { Condition?: string }>)
      .filter(([id]) => id.startsWith('Database'))
      .filter(([, r]) => r.Condition !== undefined);
    expect(conditioned).toEqual([]);
  });

  it('lets the function connect as the application user of its own cluster only (policy evaluator)', async () => {
    const policy = deployedSiloFunctionPolicy(deployment, 'DocumentsServiceFunction', clusterAttributes);
    const role = `arn:aws:iam::${ACCOUNT}:role/tenantry-dev-tenant-a-documents`;
    const dbUser = (cluster: string, user: string) =>
      `arn:aws:rds-db:${REGION}:${ACCOUNT}:dbuser:${cluster}/${user}`;

    expect(
      await evaluateIdentity(policy, role, 'rds-db:connect', dbUser(CLUSTER_RESOURCE_ID, 'tenantry_app')),
    ).toBe('Allowed');
    expect(
      await evaluateIdentity(
        policy,
        role,
        'rds-db:connect',
        dbUser('cluster-TENANTBBBBBBBBBBBBBBBBBBBBBB', 'tenantry_app'),
      ),
    ).not.toBe('Allowed');
    expect(
      await evaluateIdentity(policy, role, 'rds-db:connect', dbUser(CLUSTER_RESOURCE_ID, 'tenantry_admin')),
    ).not.toBe('Allowed');
  });

  it("lets this tenant's migration (and the data movers, above) decrypt the master secret, through Secrets Manager (key policy)", async () => {
    const migrationRole = (tenant: string) => ({
      principal: `arn:aws:sts::${ACCOUNT}:assumed-role/SiloTenant-DatabaseRlsMigrate${tenant}/fn`,
      arn: `arn:aws:iam::${ACCOUNT}:role/tenantry-dev-silo-db-migrate/SiloTenant-DatabaseRlsMigrate${tenant}`,
    });
    const viaSecrets = { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` };
    const decrypt = (
      role: { principal: string; arn: string },
      tenantTag: string,
      context: Record<string, string>,
    ) =>
      evaluate(role.principal, 'kms:Decrypt', {
        'aws:PrincipalArn': role.arn,
        'aws:PrincipalTag/tenantry:tenant-id': tenantTag,
        ...context,
      });

    expect(await decrypt(migrationRole('A'), TENANT, viaSecrets)).toBe('Allowed');
    expect(await decrypt(migrationRole('B'), 'tenant-b', viaSecrets)).not.toBe('Allowed');
    expect(await decrypt(migrationRole('A'), TENANT, VIA_DYNAMODB)).not.toBe('Allowed');
    expect(await decrypt(migrationRole('A'), TENANT, {})).not.toBe('Allowed');
    const elsewhere = {
      principal: `arn:aws:sts::${ACCOUNT}:assumed-role/admin/x`,
      arn: `arn:aws:iam::${ACCOUNT}:role/admin`,
    };
    expect(await decrypt(elsewhere, TENANT, viaSecrets)).not.toBe('Allowed');
  });

  it('lets RDS and Secrets Manager use the key for the silo deployment role only (key policy)', async () => {
    const deploymentRole = `arn:aws:iam::${ACCOUNT}:role/${siloDeploymentRoleName(defaultConfig)}`;
    const session = `arn:aws:sts::${ACCOUNT}:assumed-role/${siloDeploymentRoleName(defaultConfig)}/cfn`;
    const viaRds = { 'kms:ViaService': `rds.${REGION}.amazonaws.com` };
    for (const action of ['kms:CreateGrant', 'kms:GenerateDataKey', 'kms:Decrypt', 'kms:DescribeKey']) {
      expect(await evaluate(session, action, { 'aws:PrincipalArn': deploymentRole, ...viaRds })).toBe(
        'Allowed',
      );
    }
    expect(await evaluate(session, 'kms:Decrypt', { 'aws:PrincipalArn': deploymentRole })).not.toBe(
      'Allowed',
    );
    expect(await evaluate(runtimeSession, 'kms:Decrypt', { ...tagged(TENANT), ...viaRds })).not.toBe(
      'Allowed',
    );
  });

  it('publishes the migration and provider code under the same keys in every allowed silo region', () => {
    expect(build.databaseCode).toHaveLength(2);
    for (const region of defaultConfig.regions.siloAllowed) {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new SiloServiceCodeStack(app, `database-code-${region}`, {
        env: { account: ACCOUNT, region },
        config: defaultConfig,
        build,
      });
      const published = Template.fromStack(stack);
      for (const code of build.databaseCode) {
        published.hasResourceProperties('Custom::CDKBucketDeployment', {
          SourceObjectKeys: [code.objectKey],
          Extract: false,
          Prune: false,
        });
      }
    }
  });

  it('is absent from the local template (moto cannot create it; the local function uses PGlite in process)', () => {
    const local = siloTemplateBuild(defaultConfig, 'in-process');
    const types = Object.values(local.template.Resources as Record<string, { Type: string }>).map(
      (r) => r.Type,
    );

    expect(types.filter((t) => /^AWS::(RDS|EC2)::|CustomResource/.test(t))).toEqual([]);
    expect(local.databaseCode).toEqual([]);
    expect(Object.keys(local.template.Outputs as object)).not.toContain(siloStackOutputs.databaseEndpoint);
    expect(Object.keys(local.template.Outputs as object)).not.toContain(siloStackOutputs.databaseSecretArn);
    Template.fromJSON(local.template).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DATABASE_HOST: 'in-process' }) },
    });
  });
});

/** Evaluates a CloudFormation condition expression (the intrinsics conditions use) over parameter values. */
function evaluateCondition(
  conditions: Record<string, unknown>,
  parameters: Record<string, string>,
  expression: unknown,
): unknown {
  if (typeof expression === 'string') return expression;
  const e = expression as Record<string, unknown[] | string>;
  const all = (key: string) => (e[key] as unknown[]).map((x) => evaluateCondition(conditions, parameters, x));
  if ('Condition' in e) return evaluateCondition(conditions, parameters, conditions[e.Condition as string]);
  if ('Fn::Not' in e) return !all('Fn::Not')[0];
  if ('Fn::Or' in e) return all('Fn::Or').some(Boolean);
  if ('Fn::And' in e) return all('Fn::And').every(Boolean);
  if ('Fn::Equals' in e) {
    const [a, b] = all('Fn::Equals');
    return a === b;
  }
  if ('Ref' in e) {
    const value = parameters[e.Ref as string];
    if (value === undefined) throw new Error(`no value for parameter ${String(e.Ref)}`);
    return value;
  }
  throw new Error(`unsupported condition ${JSON.stringify(expression)}`);
}
