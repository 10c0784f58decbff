import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import {
  catalogReadStatement,
  type ResourcePolicyStatement,
  siloArtifactsReadStatement,
  tenantAccountsScope,
  tenantDataBucketStatements,
  usageStreamStatements,
} from '../../../../domain/identity/organization-access';
import {
  type PolicyDocument,
  tenantRuntimeRolePolicy,
  tenantSessionPolicy,
} from '../../../../domain/identity/session-policy';
import { accountConfig } from '../../support/account-config';

// The platform's resource policies that tenant accounts reach, evaluated by the IAM policy evaluator
// (moto enforces none of them). Cross-account, IAM allows a request only if the caller's policies AND
// the resource policy allow it: each case gives the caller a policy that allows the action, so what is
// refused, the resource policy refuses (or, for the data bucket, the tenant's own session policy).

const PLATFORM = '123456789012';
const ACCOUNT_A = '210987654321';
const ACCOUNT_B = '310987654321';
const OUTSIDER = '999988887777';
const ORG = 'o-a1b2c3d4e5';
const OU = 'ou-ab12-tenants1';
const TENANTS_PATH = `${ORG}/r-ab12/${OU}/`;
const OTHER_OU_PATH = `${ORG}/r-ab12/ou-ab12-security/`;
const scope = tenantAccountsScope(accountConfig);
const BUCKET = 'arn:aws:s3:::tenantry-dev-tenant-data-123456789012';
const ARTIFACTS = 'arn:aws:s3:::tenantry-dev-silo-artifacts-123456789012-eu-central-1';
const CATALOG = `arn:aws:dynamodb:us-east-1:${PLATFORM}:table/tenantry-dev-catalog`;
const STREAM = `arn:aws:kinesis:us-east-1:${PLATFORM}:stream/tenantry-dev-usage`;
const ALLOW_ALL: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'All', Effect: 'Allow', Action: '*', Resource: '*' }],
};

interface Caller {
  readonly session: string;
  readonly account: string;
  readonly orgId?: string;
  readonly orgPath?: string;
  readonly tags?: Record<string, string>;
}

async function verdict(
  caller: Caller,
  action: string,
  resource: string,
  resourcePolicy: ResourcePolicyStatement[],
  options: {
    context?: Record<string, string | string[]>;
    identity?: PolicyDocument;
    session?: PolicyDocument;
  } = {},
): Promise<string> {
  const [, account, role] = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\//.exec(caller.session) ?? [];
  const context: Record<string, string | string[]> = {
    'aws:PrincipalArn': `arn:aws:iam::${account}:role/${role}`,
    ...(caller.orgId === undefined ? {} : { 'aws:PrincipalOrgID': caller.orgId }),
    ...(caller.orgPath === undefined ? {} : { 'aws:PrincipalOrgPaths': [caller.orgPath] }),
    ...Object.fromEntries(Object.entries(caller.tags ?? {}).map(([k, v]) => [`aws:PrincipalTag/${k}`, v])),
    ...options.context,
  };
  const result = await runSimulation(
    {
      request: {
        principal: caller.session,
        action,
        resource: { resource, accountId: PLATFORM },
        contextVariables: context,
      },
      identityPolicies: [{ name: 'caller', policy: options.identity ?? ALLOW_ALL }],
      ...(options.session === undefined ? {} : { sessionPolicy: options.session }),
      resourcePolicy: { Version: '2012-10-17', Statement: resourcePolicy },
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`simulation error: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

const deploymentRoleOf = (account: string, orgPath?: string, orgId = ORG): Caller => ({
  session: `arn:aws:sts::${account}:assumed-role/TenantryDeployment/tenantry-silo-stack`,
  account,
  orgId,
  ...(orgPath === undefined ? {} : { orgPath }),
});

describe('silo artifacts bucket (template and function code) for tenant accounts', () => {
  const policy = [siloArtifactsReadStatement(ARTIFACTS, scope)];
  const object = `${ARTIFACTS}/silo-tenant.template.json`;

  it("lets a tenant account's deployment role read the template and the code", async () => {
    expect(await verdict(deploymentRoleOf(ACCOUNT_A, TENANTS_PATH), 's3:GetObject', object, policy)).toBe(
      'Allowed',
    );
  });

  it("refuses another organization, an account of this one outside the tenants' OU, and any write", async () => {
    const otherOrg = deploymentRoleOf(OUTSIDER, `o-zzzzzzzzzz/r-zz99/${OU}/`, 'o-zzzzzzzzzz');
    expect(await verdict(otherOrg, 's3:GetObject', object, policy)).not.toBe('Allowed');
    expect(
      await verdict({ session: otherOrg.session, account: OUTSIDER }, 's3:GetObject', object, policy),
    ).not.toBe('Allowed');
    expect(
      await verdict(deploymentRoleOf(ACCOUNT_B, OTHER_OU_PATH), 's3:GetObject', object, policy),
    ).not.toBe('Allowed');
    expect(await verdict(deploymentRoleOf(ACCOUNT_A, TENANTS_PATH), 's3:PutObject', object, policy)).not.toBe(
      'Allowed',
    );
  });
});

describe("shared data bucket: a tenant account's runtime session reaches its own prefix only", () => {
  const policy = tenantDataBucketStatements(BUCKET, accountConfig);
  const runtimeOf = (account: string, tenantId: string, orgPath = TENANTS_PATH): Caller => ({
    session: `arn:aws:sts::${account}:assumed-role/TenantryTenantRuntime/tenant-${tenantId}-1`,
    account,
    orgId: ORG,
    orgPath,
    tags: { tenantId },
  });
  // What the authorizer's session of tenant A really holds: the account's runtime role policy and A's session policy.
  const identity = tenantRuntimeRolePolicy({
    tableArns: [`arn:aws:dynamodb:eu-central-1:${ACCOUNT_A}:table/tenantry-dev-silo-data-*`],
    bucketArn: BUCKET,
  });
  const sessionOf = (tenantId: string) =>
    tenantSessionPolicy({
      tenantId,
      access: 'read-write',
      tableArns: [`arn:aws:dynamodb:eu-central-1:${ACCOUNT_A}:table/tenantry-dev-silo-data-${tenantId}`],
      bucketArn: BUCKET,
    });
  const asTenantA = { identity, session: sessionOf('rhein') };

  it('without these statements (the bucket as before), a tenant account is refused: cross-account needs the bucket policy', async () => {
    const a = runtimeOf(ACCOUNT_A, 'rhein');
    expect(await verdict(a, 's3:GetObject', `${BUCKET}/rhein/report.json`, [], asTenantA)).not.toBe(
      'Allowed',
    );
  });

  it("allows tenant A's session its own objects and listing", async () => {
    const a = runtimeOf(ACCOUNT_A, 'rhein');
    expect(await verdict(a, 's3:GetObject', `${BUCKET}/rhein/report.json`, policy, asTenantA)).toBe(
      'Allowed',
    );
    expect(await verdict(a, 's3:PutObject', `${BUCKET}/rhein/report.json`, policy, asTenantA)).toBe(
      'Allowed',
    );
    expect(
      await verdict(a, 's3:ListBucket', BUCKET, policy, { ...asTenantA, context: { 's3:prefix': 'rhein/' } }),
    ).toBe('Allowed');
  });

  it("never lets tenant A's session read, write or list B's prefix", async () => {
    const a = runtimeOf(ACCOUNT_A, 'rhein');
    for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) {
      expect(await verdict(a, action, `${BUCKET}/donau/report.json`, policy, asTenantA)).not.toBe('Allowed');
    }
    expect(
      await verdict(a, 's3:ListBucket', BUCKET, policy, { ...asTenantA, context: { 's3:prefix': 'donau/' } }),
    ).not.toBe('Allowed');
  });

  it('the bucket policy alone keeps a tenant-tagged session on its own prefix, and admits only the runtime role of a tenant account', async () => {
    // Even a caller whose own policies allow everything (the bucket policy is the only guard left)
    const a = runtimeOf(ACCOUNT_A, 'rhein');
    expect(await verdict(a, 's3:GetObject', `${BUCKET}/rhein/x`, policy)).toBe('Allowed');
    expect(await verdict(a, 's3:GetObject', `${BUCKET}/donau/x`, policy)).not.toBe('Allowed');
    const deployment = { ...deploymentRoleOf(ACCOUNT_A, TENANTS_PATH), tags: { tenantId: 'rhein' } };
    expect(await verdict(deployment, 's3:GetObject', `${BUCKET}/rhein/x`, policy)).not.toBe('Allowed');
    const outsideOu = runtimeOf(ACCOUNT_B, 'rhein', OTHER_OU_PATH);
    expect(await verdict(outsideOu, 's3:GetObject', `${BUCKET}/rhein/x`, policy)).not.toBe('Allowed');
    const untagged = { ...a, tags: {} };
    expect(await verdict(untagged, 's3:GetObject', `${BUCKET}/rhein/x`, policy)).not.toBe('Allowed');
  });
});

describe("catalog and usage stream for a tenant account's documents function", () => {
  const serviceOf = (account: string, tenantId: string, orgPath = TENANTS_PATH): Caller => ({
    session: `arn:aws:sts::${account}:assumed-role/tenantry-dev-${tenantId}-documents/fn`,
    account,
    orgId: ORG,
    orgPath,
    tags: { 'tenantry:tenant-id': tenantId },
  });
  const catalog = [catalogReadStatement(CATALOG, scope)];
  const stream = usageStreamStatements(STREAM, scope);
  const ownKey = (tenantId: string) => ({ context: { 'dynamodb:LeadingKeys': [tenantId] } });

  it("reads its own tenant's catalog record and nothing else", async () => {
    const service = serviceOf(ACCOUNT_A, 'rhein');
    expect(await verdict(service, 'dynamodb:GetItem', CATALOG, catalog, ownKey('rhein'))).toBe('Allowed');
    expect(await verdict(service, 'dynamodb:GetItem', CATALOG, catalog, ownKey('donau'))).not.toBe('Allowed');
    expect(await verdict(service, 'dynamodb:GetItem', CATALOG, catalog)).not.toBe('Allowed');
    expect(await verdict(service, 'dynamodb:Scan', CATALOG, catalog)).not.toBe('Allowed');
    expect(await verdict(service, 'dynamodb:PutItem', CATALOG, catalog, ownKey('rhein'))).not.toBe('Allowed');
    const outsider = serviceOf(OUTSIDER, 'rhein', `o-zzzzzzzzzz/r-zz99/${OU}/`);
    expect(
      await verdict(
        { ...outsider, orgId: 'o-zzzzzzzzzz' },
        'dynamodb:GetItem',
        CATALOG,
        catalog,
        ownKey('rhein'),
      ),
    ).not.toBe('Allowed');
  });

  it('emits usage from the function, never from a tenant session, never from outside the tenant accounts', async () => {
    expect(await verdict(serviceOf(ACCOUNT_A, 'rhein'), 'kinesis:PutRecords', STREAM, stream)).toBe(
      'Allowed',
    );
    const tenantSession: Caller = {
      session: `arn:aws:sts::${ACCOUNT_A}:assumed-role/TenantryTenantRuntime/tenant-rhein-1`,
      account: ACCOUNT_A,
      orgId: ORG,
      orgPath: TENANTS_PATH,
      tags: { tenantId: 'rhein' },
    };
    expect(await verdict(tenantSession, 'kinesis:PutRecords', STREAM, stream)).not.toBe('Allowed');
    const taggedBoth = { ...tenantSession, tags: { tenantId: 'rhein', 'tenantry:tenant-id': 'rhein' } };
    expect(await verdict(taggedBoth, 'kinesis:PutRecords', STREAM, stream)).toBe('ExplicitlyDenied');
    expect(
      await verdict(serviceOf(ACCOUNT_B, 'rhein', OTHER_OU_PATH), 'kinesis:PutRecords', STREAM, stream),
    ).not.toBe('Allowed');
    expect(await verdict(serviceOf(ACCOUNT_A, 'rhein'), 'kinesis:GetRecords', STREAM, stream)).not.toBe(
      'Allowed',
    );
  });
});
