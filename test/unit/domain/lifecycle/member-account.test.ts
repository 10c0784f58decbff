import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { tenantRuntimeRolePolicy } from '../../../../domain/identity/session-policy';
import { MemberAccountError } from '../../../../domain/lifecycle/errors';
import {
  proveRuntimeRoleAssumable,
  type RuntimeRoleGrant,
  runtimeRoleTrustPolicy,
} from '../../../../domain/lifecycle/member-account';

const PLATFORM = '123456789012';
const MEMBER = '210987654321';
const OTHER_ORG_ACCOUNT = '999988887777';
const ROLE = `arn:aws:iam::${MEMBER}:role/TenantryTenantRuntime`;
const grant: RuntimeRoleGrant = {
  authorizerRoleArn: `arn:aws:iam::${PLATFORM}:role/tenantry-dev-authorizer`,
  bucketArn: 'arn:aws:s3:::tenantry-dev-tenant-data',
  probeRoleArn: `arn:aws:iam::${PLATFORM}:role/tenantry-dev-tenant-account`,
};
const sts = mockClient(STSClient);
const accessDenied = () =>
  new STSServiceException({
    name: 'AccessDenied',
    message: 'is not authorized to perform: sts:AssumeRole',
    $fault: 'client',
    $metadata: {},
  });

beforeEach(() => sts.reset());

describe('proveRuntimeRoleAssumable', () => {
  it('retries AccessDenied while IAM propagates the new role, then reports the attempts', async () => {
    // Prepare
    sts.on(AssumeRoleCommand).rejectsOnce(accessDenied()).rejectsOnce(accessDenied()).resolves({});
    const waits: number[] = [];

    // Act
    const attempts = await proveRuntimeRoleAssumable(sts as unknown as STSClient, 'rhein', ROLE, {
      delayMs: 2_000,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });

    // Assess
    expect(attempts).toBe(3);
    expect(waits).toEqual([2_000, 2_000]);
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 3);
    const input = sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input;
    // Untagged (the trust's probe statement), and a session that may do nothing.
    expect(input?.Tags).toBeUndefined();
    expect(input?.RoleArn).toBe(ROLE);
    expect(JSON.parse(input?.Policy as string).Statement).toEqual([
      { Sid: 'ProbeOnly', Effect: 'Deny', Action: '*', Resource: '*' },
    ]);
  });

  it('gives up after the bound with an error naming the tenant and the role', async () => {
    // Prepare
    sts.on(AssumeRoleCommand).rejects(accessDenied());

    // Act
    const probing = proveRuntimeRoleAssumable(sts as unknown as STSClient, 'rhein', ROLE, {
      attempts: 4,
      sleep: async () => {},
    });

    // Assess
    await expect(probing).rejects.toThrow(MemberAccountError);
    await expect(probing).rejects.toThrow(/rhein.*TenantryTenantRuntime.*not assumable after 4 attempts/);
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 4);
  });

  it('does not retry any other error', async () => {
    // Prepare
    sts
      .on(AssumeRoleCommand)
      .rejects(new STSServiceException({ name: 'RegionDisabledException', $fault: 'client', $metadata: {} }));

    // Act
    const probing = proveRuntimeRoleAssumable(sts as unknown as STSClient, 'rhein', ROLE, {
      sleep: async () => {},
    });

    // Assess
    await expect(probing).rejects.toThrow(expect.objectContaining({ name: 'RegionDisabledException' }));
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
  });
});

/** A principal's role ARN (`aws:PrincipalArn`) from its assumed-role session ARN. */
function roleOf(session: string): string {
  const [, account, role] = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\//.exec(session) ?? [];
  return `arn:aws:iam::${account}:role/${role}`;
}

/**
 * IAM's verdict on sts:AssumeRole of the runtime role in the member account, with the trust policy as
 * the resource policy and a caller whose own policy allows assuming any role (cross-account: both must
 * allow).
 */
async function assumeVerdict(
  session: string,
  context: Record<string, string | string[]>,
  action = 'sts:AssumeRole',
  trustFor = 'rhein',
): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal: session,
        action,
        resource: { resource: ROLE, accountId: MEMBER },
        contextVariables: { 'aws:PrincipalArn': roleOf(session), ...context },
      },
      identityPolicies: [
        {
          name: 'assume-any',
          policy: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession'], Resource: '*' }],
          },
        },
      ],
      resourcePolicy: runtimeRoleTrustPolicy(trustFor, grant),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`simulation error: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

const authorizerSession = `arn:aws:sts::${PLATFORM}:assumed-role/tenantry-dev-authorizer/authorizer-1`;
const probeSession = `arn:aws:sts::${PLATFORM}:assumed-role/tenantry-dev-tenant-account/probe-1`;
const tags = (tenantId: string) => ({
  'aws:RequestTag/tenantId': tenantId,
  'aws:RequestTag/tier': 'sovereign',
  'aws:TagKeys': ['tenantId', 'tier'],
});

describe("the runtime role's trust policy (policy evaluator, resource policy)", () => {
  it("lets the platform's authorizer role assume it, and tag the session, for this tenant", async () => {
    expect(await assumeVerdict(authorizerSession, tags('rhein'))).toBe('Allowed');
    expect(await assumeVerdict(authorizerSession, tags('rhein'), 'sts:TagSession')).toBe('Allowed');
  });

  it('refuses the authorizer a session tagged with another tenant, untagged, or with other tag keys', async () => {
    expect(await assumeVerdict(authorizerSession, tags('donau'))).not.toBe('Allowed');
    expect(await assumeVerdict(authorizerSession, tags('donau'), 'sts:TagSession')).not.toBe('Allowed');
    expect(await assumeVerdict(authorizerSession, {})).not.toBe('Allowed');
    expect(
      await assumeVerdict(authorizerSession, {
        ...tags('rhein'),
        'aws:RequestTag/admin': 'true',
        'aws:TagKeys': ['tenantId', 'tier', 'admin'],
      }),
    ).not.toBe('Allowed');
  });

  it("another tenant's runtime role refuses this tenant's authorizer session", async () => {
    expect(await assumeVerdict(authorizerSession, tags('rhein'), 'sts:AssumeRole', 'donau')).not.toBe(
      'Allowed',
    );
  });

  it('refuses another principal of the platform, and a same-named role in another account or organization', async () => {
    const otherRole = `arn:aws:sts::${PLATFORM}:assumed-role/tenantry-dev-billing-hourly/x`;
    const sameNameElsewhere = `arn:aws:sts::${OTHER_ORG_ACCOUNT}:assumed-role/tenantry-dev-authorizer/x`;
    const memberItself = `arn:aws:sts::${MEMBER}:assumed-role/tenantry-dev-authorizer/x`;
    for (const session of [otherRole, sameNameElsewhere, memberItself]) {
      expect(await assumeVerdict(session, tags('rhein'))).not.toBe('Allowed');
    }
  });

  it('lets the lifecycle probe assume it untagged only, and such a session reaches no tenant data', async () => {
    expect(await assumeVerdict(probeSession, {})).toBe('Allowed');
    expect(await assumeVerdict(probeSession, tags('rhein'))).not.toBe('Allowed');
    expect(await assumeVerdict(probeSession, tags('rhein'), 'sts:TagSession')).not.toBe('Allowed');

    // The untagged probe session, with the runtime role's own policy (no session tag → denied).
    const runtimePolicy = tenantRuntimeRolePolicy({
      tableArns: [`arn:aws:dynamodb:eu-central-1:${MEMBER}:table/tenantry-dev-silo-data-*`],
      bucketArn: grant.bucketArn,
    });
    const probeRuntimeSession = `arn:aws:sts::${MEMBER}:assumed-role/TenantryTenantRuntime/tenantry-probe-rhein`;
    const verdict = async (
      action: string,
      resource: string,
      context: Record<string, string | string[]>,
    ): Promise<string> => {
      const result = await runSimulation(
        {
          request: {
            principal: probeRuntimeSession,
            action,
            resource: { resource, accountId: MEMBER },
            contextVariables: context,
          },
          identityPolicies: [{ name: 'runtime', policy: runtimePolicy }],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        {},
      );
      return result.resultType === 'error' ? 'error' : result.overallResult;
    };
    const table = `arn:aws:dynamodb:eu-central-1:${MEMBER}:table/tenantry-dev-silo-data-rhein`;
    const ownKey = { 'dynamodb:LeadingKeys': ['TENANT#rhein#documents'] };
    expect(await verdict('dynamodb:GetItem', table, ownKey)).toBe('ExplicitlyDenied');
    expect(await verdict('s3:GetObject', `${grant.bucketArn}/rhein/a.json`, {})).toBe('ExplicitlyDenied');
    // The same request in the authorizer's tagged session is allowed: the deny is the missing tag.
    expect(
      await verdict('dynamodb:GetItem', table, { ...ownKey, 'aws:PrincipalTag/tenantId': 'rhein' }),
    ).toBe('Allowed');
  });
});
