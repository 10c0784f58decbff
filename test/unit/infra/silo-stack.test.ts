import { runSimulation } from '@cloud-copilot/iam-simulate';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import type { PolicyDocument } from '../../../domain/identity/session-policy';
import { siloDeploymentRoleName } from '../../../domain/lifecycle/silo';
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
