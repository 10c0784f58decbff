import { runSimulation } from '@cloud-copilot/iam-simulate';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import type { PolicyDocument } from '../../../domain/identity/session-policy';
import { siloDeploymentRoleName } from '../../../domain/lifecycle/silo';
import { SiloServiceCodeStack, type SiloTemplateBuild, siloTemplateBuild } from '../../../infra/silo-stack';
import { deployedSiloKeyPolicy } from '../support/silo-key-policy';

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

  it('lets the data movers use the key only through DynamoDB', async () => {
    const mover = `arn:aws:sts::${ACCOUNT}:assumed-role/tenantry-dev-lifecycle-copy/copy`;
    expect(await evaluate(mover, 'kms:Decrypt', VIA_DYNAMODB)).toBe('Allowed');
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
        'Fn::FindInMap': ['SiloCompute', { Ref: 'Tier' }, 'reservedConcurrency'],
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

  it('has its own role: catalog read and usage write in the control plane region, no tenant data', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: { Action: unknown }[] } } }).Properties
          .PolicyDocument.Statement,
    );

    expect(statements.map((s) => s.Action)).toEqual([
      ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
      'dynamodb:GetItem',
      'kinesis:PutRecords',
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
