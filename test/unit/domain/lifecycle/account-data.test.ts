import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { accountDataSessionPolicy } from '../../../../domain/lifecycle/account-data';
import { siloTableName } from '../../../../domain/lifecycle/silo';
import { accountDeployment } from '../../../../domain/lifecycle/silo-stack';
import { accountConfig, accountsSettings } from '../../support/account-config';
import { deployedSiloKeyPolicy } from '../../support/silo-key-policy';

// The deployment role in a tenant's account may do anything there (CreateAccount's role carries
// AdministratorAccess); the promotion's data sessions must be capped to the tenant's table by the
// session policy alone. moto enforces no IAM: this evaluates the exact documents the code produces.
const ACCOUNT = '210987654321';
const REGION = 'eu-central-1';
const TABLE = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${siloTableName(accountConfig, 'acme')}`;
const OTHER_TABLE = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${siloTableName(accountConfig, 'other')}`;
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0a1b2c3d-0000-4000-8000-000000000001`;
/** The account silo's key policy as the silo-stack task deploys it in the tenant's account. */
const deployment = accountDeployment(
  {
    templateUrl: 'https://s3.us-east-1.amazonaws.com/assets/silo.json',
    deploymentRoleArn: 'arn:aws:iam::123456789012:role/tenantry-dev-silo-deployment',
    tenantAccessRoleArn: 'arn:aws:iam::123456789012:role/tenantry-dev-tenant-runtime',
    dataMoverRoleArns: ['arn:aws:iam::123456789012:role/copy', 'arn:aws:iam::123456789012:role/verify'],
  },
  {
    accountId: '123456789012',
    routerRoleArn: 'arn:aws:iam::123456789012:role/tenantry-dev-documents-router',
    templateUrl: 'https://s3.us-east-1.amazonaws.com/artifacts/silo.json',
  },
  accountsSettings,
  ACCOUNT,
);
const KEY_POLICY = deployedSiloKeyPolicy({
  tenantId: 'acme',
  region: REGION,
  account: ACCOUNT,
  tenantAccessRoleArn: deployment.tenantAccessRoleArn,
  dataMoverRoleArns: deployment.dataMoverRoleArns,
});
const ADMINISTRATOR = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

async function verdict(
  access: 'write' | 'read',
  action: string,
  resource: string,
  context: Record<string, string> = {},
): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/${accountConfig.accounts?.deploymentRoleName}/tenantry-${access}-acme`,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: context,
      },
      identityPolicies: [{ name: 'AdministratorAccess', policy: ADMINISTRATOR }],
      sessionPolicy: accountDataSessionPolicy(
        accountConfig,
        'acme',
        { accountId: ACCOUNT, region: REGION },
        access,
      ),
      ...(resource.startsWith('arn:aws:kms:') ? { resourcePolicy: KEY_POLICY } : {}),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`simulation error: ${JSON.stringify(result.errors)}`);
  return result.overallResult as string;
}

const viaDynamoDb = { 'kms:ViaService': `dynamodb.${REGION}.amazonaws.com` };

describe("a promotion's data session in the tenant's account (deployment role + session policy)", () => {
  it.each([
    ['write', 'dynamodb:BatchWriteItem', TABLE, {}],
    ['read', 'dynamodb:Scan', TABLE, {}],
    ['write', 'kms:GenerateDataKey', KEY, viaDynamoDb],
    ['read', 'kms:Decrypt', KEY, viaDynamoDb],
  ] as const)(
    '%s session: allows %s on the tenant table / its key through DynamoDB',
    async (access, action, resource, context) => {
      expect(await verdict(access, action, resource, context)).toBe('Allowed');
    },
  );

  it.each([
    ['write', 'dynamodb:Scan', TABLE, {}],
    ['read', 'dynamodb:BatchWriteItem', TABLE, {}],
    ['write', 'dynamodb:BatchWriteItem', OTHER_TABLE, {}],
    ['write', 'dynamodb:DeleteTable', TABLE, {}],
    ['write', 'dynamodb:PutItem', TABLE, {}],
    ['read', 'kms:Decrypt', KEY, {}],
    ['write', 'kms:ScheduleKeyDeletion', KEY, viaDynamoDb],
    ['write', 'iam:CreateRole', `arn:aws:iam::${ACCOUNT}:role/x`, {}],
    ['read', 's3:GetObject', 'arn:aws:s3:::any-bucket/acme/x', {}],
    [
      'write',
      'dynamodb:BatchWriteItem',
      `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/${siloTableName(accountConfig, 'acme')}`,
      {},
    ],
  ] as const)('%s session: denies %s on %s', async (access, action, resource, context) => {
    expect(await verdict(access, action, resource, context)).toBe('ImplicitlyDenied');
  });
});
