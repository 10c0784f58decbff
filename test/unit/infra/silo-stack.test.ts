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
          CATALOG_TABLE_NAME: 'tenantry-dev-catalog',
          USAGE_STREAM_NAME: 'tenantry-dev-usage',
        }),
      },
      Tags: Match.arrayWith([{ Key: 'tenantry:tenant-id', Value: { Ref: 'TenantId' } }]),
    });
    expect(template.findMappings('SiloCompute')).toEqual({
      SiloCompute: { enterprise: { reservedConcurrency: 50 } },
    });
  });

  it("takes its code from the asset bucket of the stack's own region", () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Code: {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders
        S3Bucket: { 'Fn::Sub': 'cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}' },
        S3Key: build.serviceCode.objectKey,
      },
    });
    expect(build.serviceCode.objectKey).toMatch(/^[0-9a-f]{64}\.zip$/);
  });

  it('publishes that code under the same key in every allowed silo region', () => {
    const app = new App();
    const keys = defaultConfig.regions.siloAllowed.map((region) => {
      const stack = new SiloServiceCodeStack(app, `code-${region}`, {
        env: { account: ACCOUNT, region },
        serviceCode: build.serviceCode,
      });
      return [stack.resolve(stack.code.s3BucketName), stack.resolve(stack.code.s3ObjectKey)];
    });

    expect(keys).toEqual([
      [`cdk-hnb659fds-assets-${ACCOUNT}-us-east-1`, build.serviceCode.objectKey],
      [`cdk-hnb659fds-assets-${ACCOUNT}-eu-central-1`, build.serviceCode.objectKey],
    ]);
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
});
