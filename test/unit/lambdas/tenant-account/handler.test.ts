import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  EntityAlreadyExistsException,
  IAMClient,
  NoSuchEntityException,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  AccountAlreadyClosedException,
  AccountNotFoundException,
  CloseAccountCommand,
  CreateAccountCommand,
  DescribeAccountCommand,
  DescribeCreateAccountStatusCommand,
  ListAccountsCommand,
  ListCreateAccountStatusCommand,
  ListParentsCommand,
  ListTagsForResourceCommand,
  MoveAccountCommand,
  OrganizationsClient,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-organizations';
import {
  ListRequestedServiceQuotaChangeHistoryByQuotaCommand,
  RequestServiceQuotaIncreaseCommand,
  ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { contract } from '../../../../lambdas/tenant-account/contract';
import { writeAccountConfig } from '../../support/account-config';
import { importHandler } from '../../support/lambda';

const ACCOUNT = '210987654321';
const OU = 'ou-ab12-tenants1';
const load = () => import('../../../../lambdas/tenant-account/handler');
const org = mockClient(OrganizationsClient);
const iam = mockClient(IAMClient);
const sts = mockClient(STSClient);
const lambda = mockClient(LambdaClient);
const quotas = mockClient(ServiceQuotasClient);
const configFile = writeAccountConfig();
const ENV = {
  AUTHORIZER_ROLE_ARN: 'arn:aws:iam::123456789012:role/tenantry-dev-authorizer',
  TENANT_DATA_BUCKET_NAME: 'tenantry-dev-tenant-data',
  PROBE_ROLE_ARN: 'arn:aws:iam::123456789012:role/tenantry-dev-tenant-account',
};
const handlerWithAccounts = async () =>
  (await importHandler(load, { ...ENV, TENANTRY_CONFIG: configFile })).handler;

beforeEach(() => {
  org.reset();
  iam.reset();
  sts.reset();
  lambda.reset();
  quotas.reset();
  sts.on(AssumeRoleCommand).resolves({});

  org.on(ListAccountsCommand).resolves({ Accounts: [] });
  org.on(ListCreateAccountStatusCommand).resolves({ CreateAccountStatuses: [] });
});
afterEach(() => vi.unstubAllEnvs());

describe('tenant-account request', () => {
  it("asks Organizations for the tenant's account with its e-mail, name, deployment role and tenantId tag", async () => {
    // Prepare
    org.on(CreateAccountCommand).resolves({ CreateAccountStatus: { Id: 'car-1', State: 'IN_PROGRESS' } });
    const handler = await handlerWithAccounts();

    // Act
    const result = await handler({ action: 'request', tenantId: 'rhein' });

    // Assess
    expect(result).toEqual({
      requestId: 'car-1',
      state: 'IN_PROGRESS',
      accountId: null,
      failureReason: null,
      organizationalUnitId: null,
      runtimeRoleArn: null,
      accountStatus: null,
      concurrency: null,
    });
    expect(contract.output.safeParse(result).success).toBe(true);
    expect(org).toHaveReceivedCommandTimes(CreateAccountCommand, 1);
    expect(org).toHaveReceivedCommandWith(CreateAccountCommand, {
      Email: 'aws+rhein@tenantry.example',
      AccountName: 'tenantry-dev-tenant-rhein',
      RoleName: 'TenantryDeployment',
      IamUserAccessToBilling: 'DENY',
      Tags: [{ Key: 'tenantId', Value: 'rhein' }],
    });
  });

  it('reports the account an earlier attempt created instead of creating a second one', async () => {
    // Prepare
    org
      .on(ListAccountsCommand)
      .resolvesOnce({
        Accounts: [{ Id: '111111111111', Email: 'aws+other@tenantry.example' }],
        NextToken: 't',
      })
      .resolvesOnce({ Accounts: [{ Id: ACCOUNT, Email: 'AWS+rhein@tenantry.example', Status: 'ACTIVE' }] });
    const handler = await handlerWithAccounts();

    // Act
    const result = await handler({ action: 'request', tenantId: 'rhein' });

    // Assess
    expect(result).toMatchObject({ state: 'SUCCEEDED', accountId: ACCOUNT });
    expect(org).toHaveReceivedCommandTimes(ListAccountsCommand, 2);
    expect(org).not.toHaveReceivedCommand(CreateAccountCommand);
  });

  it("never reuses a closed account of an earlier onboarding: asks for a new one with the next generation's e-mail", async () => {
    // Prepare: the compensated first onboarding's account is SUSPENDED (its e-mail stays taken on AWS);
    // another tenant's address that merely starts like this one is not this tenant's.
    org.on(ListAccountsCommand).resolves({
      Accounts: [
        { Id: '111111111111', Email: 'aws+rhein@tenantry.example', Status: 'SUSPENDED' },
        { Id: '222222222222', Email: 'aws+rhein-2@tenantry.example', Status: 'ACTIVE' },
      ],
    });
    org.on(CreateAccountCommand).resolves({ CreateAccountStatus: { Id: 'car-2', State: 'IN_PROGRESS' } });
    const handler = await handlerWithAccounts();

    // Act
    const result = await handler({ action: 'request', tenantId: 'rhein' });

    // Assess
    expect(result).toMatchObject({ requestId: 'car-2', state: 'IN_PROGRESS', accountId: null });
    expect(org).toHaveReceivedCommandWith(CreateAccountCommand, { Email: 'aws+rhein.2@tenantry.example' });
  });

  it('reports the ACTIVE account of a later generation (a retried request of a re-onboarding)', async () => {
    // Prepare
    org.on(ListAccountsCommand).resolves({
      Accounts: [
        { Id: '111111111111', Email: 'aws+rhein@tenantry.example', Status: 'SUSPENDED' },
        { Id: ACCOUNT, Email: 'aws+rhein.2@tenantry.example', Status: 'ACTIVE' },
      ],
    });
    const handler = await handlerWithAccounts();

    // Act
    const result = await handler({ action: 'request', tenantId: 'rhein' });
    const found = await handler({ action: 'find', tenantId: 'rhein' });

    // Assess
    expect(result).toMatchObject({ state: 'SUCCEEDED', accountId: ACCOUNT });
    expect(found).toMatchObject({ state: 'SUCCEEDED', accountId: ACCOUNT });
    expect(org).not.toHaveReceivedCommand(CreateAccountCommand);
  });

  it("reports a request still in progress for the tenant's account name instead of asking again", async () => {
    // Prepare
    org.on(ListCreateAccountStatusCommand).resolves({
      CreateAccountStatuses: [
        { Id: 'car-0', AccountName: 'tenantry-dev-tenant-other', State: 'IN_PROGRESS' },
        { Id: 'car-1', AccountName: 'tenantry-dev-tenant-rhein', State: 'IN_PROGRESS' },
      ],
    });
    const handler = await handlerWithAccounts();

    // Act
    const result = await handler({ action: 'request', tenantId: 'rhein' });

    // Assess
    expect(result).toMatchObject({ requestId: 'car-1', state: 'IN_PROGRESS' });
    expect(org).toHaveReceivedCommandWith(ListCreateAccountStatusCommand, { States: ['IN_PROGRESS'] });
    expect(org).not.toHaveReceivedCommand(CreateAccountCommand);
  });

  it('refuses to run without the accounts settings, naming the field', async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);

    // Act / Assess
    await expect(handler({ action: 'request', tenantId: 'rhein' })).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: expect.stringContaining('accounts'),
    });
    expect(org).not.toHaveReceivedCommand(CreateAccountCommand);
  });
});

describe('tenant-account describe', () => {
  it.each([
    [
      { Id: 'car-1', State: 'IN_PROGRESS' as const },
      { state: 'IN_PROGRESS', accountId: null },
    ],
    [
      { Id: 'car-1', State: 'SUCCEEDED' as const, AccountId: ACCOUNT },
      { state: 'SUCCEEDED', accountId: ACCOUNT },
    ],
    [
      { Id: 'car-1', State: 'FAILED' as const, FailureReason: 'EMAIL_ALREADY_EXISTS' as const },
      { state: 'FAILED', accountId: null, failureReason: 'EMAIL_ALREADY_EXISTS' },
    ],
  ])('reports the request %j as %j', async (status, expected) => {
    // Prepare
    org.on(DescribeCreateAccountStatusCommand).resolves({ CreateAccountStatus: status });
    const handler = await handlerWithAccounts();

    // Act
    const result = await handler({ action: 'describe', tenantId: 'rhein', requestId: 'car-1' });

    // Assess
    expect(result).toMatchObject({ requestId: 'car-1', ...expected });
    expect(org).toHaveReceivedCommandWith(DescribeCreateAccountStatusCommand, {
      CreateAccountRequestId: 'car-1',
    });
  });
});

describe('tenant-account adopt', () => {
  it('adopts an ACTIVE member account', async () => {
    // Prepare
    org.on(DescribeAccountCommand).resolves({ Account: { Id: ACCOUNT, Status: 'ACTIVE' } });
    const handler = await handlerWithAccounts();

    // Act
    const result = await handler({ action: 'adopt', tenantId: 'rhein', accountId: ACCOUNT });

    // Assess
    expect(result).toMatchObject({ state: 'SUCCEEDED', accountId: ACCOUNT });
    expect(org).not.toHaveReceivedCommand(CreateAccountCommand);
  });

  it.each([
    [
      () => org.on(DescribeAccountCommand).resolves({ Account: { Id: ACCOUNT, Status: 'SUSPENDED' } }),
      `tenant rhein: account ${ACCOUNT}: is SUSPENDED, not ACTIVE`,
    ],
    [
      () =>
        org
          .on(DescribeAccountCommand)
          .rejects(new AccountNotFoundException({ message: 'not found', $metadata: {} })),
      `tenant rhein: account ${ACCOUNT}: is not a member of the organization`,
    ],
  ])('refuses an account that cannot be adopted (%#)', async (arrange, message) => {
    // Prepare
    arrange();
    const handler = await handlerWithAccounts();

    // Act / Assess
    await expect(handler({ action: 'adopt', tenantId: 'rhein', accountId: ACCOUNT })).rejects.toMatchObject({
      name: 'MemberAccountError',
      message,
    });
  });
});

describe('tenant-account place', () => {
  it("moves the account from its parent into the tenants' OU", async () => {
    // Prepare
    org.on(ListParentsCommand).resolves({ Parents: [{ Id: 'r-ab12', Type: 'ROOT' }] });
    org.on(MoveAccountCommand).resolves({});
    const handler = await handlerWithAccounts();

    // Act
    const result = await handler({ action: 'place', tenantId: 'rhein', accountId: ACCOUNT });

    // Assess
    expect(result).toMatchObject({ accountId: ACCOUNT, organizationalUnitId: OU });
    expect(org).toHaveReceivedCommandWith(MoveAccountCommand, {
      AccountId: ACCOUNT,
      SourceParentId: 'r-ab12',
      DestinationParentId: OU,
    });
    // The parent it leaves is on the account before it moves (a compensation returns an adopted one there).
    expect(org).toHaveReceivedNthCommandWith(TagResourceCommand, 1, {
      ResourceId: ACCOUNT,
      Tags: [{ Key: 'tenantry:former-parent', Value: 'r-ab12' }],
    });
    const order = org.calls().map((c) => c.args[0].constructor.name);
    expect(order.indexOf('TagResourceCommand')).toBeLessThan(order.indexOf('MoveAccountCommand'));
  });

  it('leaves an account already in the OU where it is (a retried step moves nothing)', async () => {
    // Prepare
    org.on(ListParentsCommand).resolves({ Parents: [{ Id: OU, Type: 'ORGANIZATIONAL_UNIT' }] });
    const handler = await handlerWithAccounts();

    // Act
    const result = await handler({ action: 'place', tenantId: 'rhein', accountId: ACCOUNT });

    // Assess
    expect(result).toMatchObject({ organizationalUnitId: OU });
    expect(org).not.toHaveReceivedCommand(MoveAccountCommand);
  });
});

describe('tenant-account return (compensation of an adopted account)', () => {
  it("moves the account from the tenants' OU back to the parent it was moved from, and removes the tag", async () => {
    // Prepare
    org
      .on(ListTagsForResourceCommand)
      .resolves({ Tags: [{ Key: 'tenantry:former-parent', Value: 'ou-ab12-owners12' }] });
    org.on(ListParentsCommand).resolves({ Parents: [{ Id: OU, Type: 'ORGANIZATIONAL_UNIT' }] });
    const handler = await handlerWithAccounts();

    // Act
    const result = await handler({ action: 'return', tenantId: 'rhein', accountId: ACCOUNT });

    // Assess
    expect(result).toMatchObject({
      state: 'SUCCEEDED',
      accountId: ACCOUNT,
      organizationalUnitId: 'ou-ab12-owners12',
    });
    expect(contract.output.safeParse(result).success).toBe(true);
    expect(org).toHaveReceivedCommandWith(MoveAccountCommand, {
      AccountId: ACCOUNT,
      SourceParentId: OU,
      DestinationParentId: 'ou-ab12-owners12',
    });
    expect(org).toHaveReceivedCommandWith(UntagResourceCommand, {
      ResourceId: ACCOUNT,
      TagKeys: ['tenantry:former-parent'],
    });
  });

  it('leaves an account the lifecycle never moved, or one moved elsewhere since, where it is', async () => {
    // Prepare
    org
      .on(ListTagsForResourceCommand)
      .resolvesOnce({ Tags: [] })
      .resolvesOnce({ Tags: [{ Key: 'tenantry:former-parent', Value: 'r-ab12' }] });
    org
      .on(ListParentsCommand)
      .resolves({ Parents: [{ Id: 'ou-ab12-elsewhere', Type: 'ORGANIZATIONAL_UNIT' }] });
    const handler = await handlerWithAccounts();

    // Act
    const never = await handler({ action: 'return', tenantId: 'rhein', accountId: ACCOUNT });
    const elsewhere = await handler({ action: 'return', tenantId: 'rhein', accountId: ACCOUNT });

    // Assess
    expect([never.organizationalUnitId, elsewhere.organizationalUnitId]).toEqual([
      'ou-ab12-elsewhere',
      'ou-ab12-elsewhere',
    ]);
    expect(org).not.toHaveReceivedCommand(MoveAccountCommand);
  });
});

describe('tenant-account runtime-role', () => {
  it("creates the runtime role in the account, trusting the authorizer's role for this tenant only", async () => {
    // Prepare
    iam.on(CreateRoleCommand).resolves({});
    iam.on(PutRolePolicyCommand).resolves({});
    const handler = await handlerWithAccounts();

    // Act
    const result = await handler({ action: 'runtime-role', tenantId: 'rhein', accountId: ACCOUNT });

    // Assess
    expect(result).toMatchObject({ runtimeRoleArn: `arn:aws:iam::${ACCOUNT}:role/TenantryTenantRuntime` });
    expect(contract.output.safeParse(result).success).toBe(true);
    const create = iam.commandCalls(CreateRoleCommand)[0]?.args[0].input;
    expect(create?.RoleName).toBe('TenantryTenantRuntime');
    expect(JSON.parse(create?.AssumeRolePolicyDocument as string).Statement).toEqual([
      {
        Sid: 'AuthorizerOfThisTenantOnly',
        Effect: 'Allow',
        Principal: { AWS: ENV.AUTHORIZER_ROLE_ARN },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: {
          StringEquals: { 'aws:RequestTag/tenantId': 'rhein' },
          'ForAllValues:StringEquals': { 'aws:TagKeys': ['tenantId', 'tier'] },
        },
      },
      {
        Sid: 'LifecycleProbeUntagged',
        Effect: 'Allow',
        Principal: { AWS: ENV.PROBE_ROLE_ARN },
        Action: 'sts:AssumeRole',
        Condition: { Null: { 'aws:TagKeys': 'true' } },
      },
    ]);
    // Only once STS accepts the new role (IAM is eventually consistent).
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: `arn:aws:iam::${ACCOUNT}:role/TenantryTenantRuntime`,
    });
    const policy = JSON.parse(
      iam.commandCalls(PutRolePolicyCommand)[0]?.args[0].input.PolicyDocument as string,
    );
    const items = policy.Statement.find((s: { Sid: string }) => s.Sid === 'TenantItemsOnly');
    expect(items.Resource).toEqual([
      `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/tenantry-dev-silo-data-*`,
      `arn:aws:dynamodb:eu-central-1:${ACCOUNT}:table/tenantry-dev-silo-data-*`,
    ]);
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toContain('DenyUntaggedSessions');
  });

  it('brings an existing role up to date instead of failing (a retried step)', async () => {
    // Prepare
    iam.on(CreateRoleCommand).rejects(new EntityAlreadyExistsException({ message: 'exists', $metadata: {} }));
    iam.on(UpdateAssumeRolePolicyCommand).resolves({});
    iam.on(PutRolePolicyCommand).resolves({});
    const handler = await handlerWithAccounts();

    // Act
    await handler({ action: 'runtime-role', tenantId: 'rhein', accountId: ACCOUNT });

    // Assess
    expect(iam).toHaveReceivedCommandTimes(UpdateAssumeRolePolicyCommand, 1);
    expect(iam).toHaveReceivedCommandTimes(PutRolePolicyCommand, 1);
  });

  it('removes the role and its policy; a role already gone is fine', async () => {
    // Prepare
    iam.on(DeleteRolePolicyCommand).rejects(new NoSuchEntityException({ message: 'gone', $metadata: {} }));
    iam.on(DeleteRoleCommand).rejects(new NoSuchEntityException({ message: 'gone', $metadata: {} }));
    const handler = await handlerWithAccounts();

    // Act
    const result = await handler({ action: 'remove-runtime-role', tenantId: 'rhein', accountId: ACCOUNT });

    // Assess
    expect(result).toMatchObject({ state: 'SUCCEEDED', accountId: ACCOUNT });
    expect(iam).toHaveReceivedCommandWith(DeleteRoleCommand, { RoleName: 'TenantryTenantRuntime' });
  });
});

describe('tenant-account concurrency', () => {
  it("reads the account's Lambda settings in the tenant's region with the deployment role; too low for the tier's 50: none, and the increase requested", async () => {
    // Prepare
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'AKIADEPLOY',
        SecretAccessKey: 's',
        SessionToken: 't',
        Expiration: new Date(Date.now() + 3_600_000),
      },
    });
    lambda.on(GetAccountSettingsCommand).resolves({
      AccountLimit: { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 },
    });
    quotas.on(ListRequestedServiceQuotaChangeHistoryByQuotaCommand).resolves({ RequestedQuotas: [] });
    quotas
      .on(RequestServiceQuotaIncreaseCommand)
      .resolves({ RequestedQuota: { Id: 'sq-1', Status: 'PENDING' } });
    const handler = await handlerWithAccounts();

    // Act
    const result = await handler({
      action: 'concurrency',
      tenantId: 'rhein',
      accountId: ACCOUNT,
      tier: 'sovereign',
      region: 'eu-central-1',
    });

    // Assess
    expect(result).toMatchObject({
      state: 'SUCCEEDED',
      accountId: ACCOUNT,
      concurrency: {
        reserve: false,
        limit: 10,
        unreserved: 10,
        reservation: 50,
        quotaRequest: { requestId: 'sq-1', desired: 150, status: 'PENDING' },
      },
    });
    expect(contract.output.safeParse(result).success).toBe(true);
    // The mocked send skips signing: resolving the clients' settings shows where and as whom they act.
    const call = lambda.commandCalls(GetAccountSettingsCommand)[0] as unknown as {
      thisValue: {
        config: { region: () => Promise<string>; credentials: () => Promise<{ accessKeyId: string }> };
      };
    };
    expect(await call.thisValue.config.region()).toBe('eu-central-1');
    expect((await call.thisValue.config.credentials()).accessKeyId).toBe('AKIADEPLOY');
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: `arn:aws:iam::${ACCOUNT}:role/TenantryDeployment`,
    });
  });

  it('refuses a region outside regions.siloAllowed before any call', async () => {
    // Prepare
    const handler = await handlerWithAccounts();

    // Act
    const answer = handler({
      action: 'concurrency',
      tenantId: 'rhein',
      accountId: ACCOUNT,
      tier: 'sovereign',
      region: 'ap-south-1',
    });

    // Assess
    await expect(answer).rejects.toThrow(/ap-south-1/);
    expect(lambda).not.toHaveReceivedAnyCommand();
  });
});

describe('tenant-account find', () => {
  it('finds the account carrying the tenant e-mail without creating one', async () => {
    // Prepare
    org
      .on(ListAccountsCommand)
      .resolves({ Accounts: [{ Id: ACCOUNT, Email: 'AWS+rhein@tenantry.example', Status: 'ACTIVE' }] });
    const handler = await handlerWithAccounts();

    // Act
    const result = await handler({ action: 'find', tenantId: 'rhein' });

    // Assess
    expect(result).toMatchObject({ state: 'SUCCEEDED', accountId: ACCOUNT });
    expect(org).not.toHaveReceivedCommand(CreateAccountCommand);
  });

  it('never names an account an earlier onboarding already closed (the compensation would close it again)', async () => {
    // Prepare
    org.on(ListAccountsCommand).resolves({
      Accounts: [{ Id: ACCOUNT, Email: 'aws+rhein@tenantry.example', Status: 'SUSPENDED' }],
    });
    const handler = await handlerWithAccounts();

    // Act
    const result = await handler({ action: 'find', tenantId: 'rhein' });

    // Assess
    expect(result).toMatchObject({ state: 'FAILED', accountId: null });
  });

  it("reads the run's own request (requestId): still IN_PROGRESS, it is reported to be waited for", async () => {
    // Prepare
    org
      .on(DescribeCreateAccountStatusCommand)
      .resolves({ CreateAccountStatus: { Id: 'car-7', State: 'IN_PROGRESS' } });
    const handler = await handlerWithAccounts();

    // Act
    const result = await handler({ action: 'find', tenantId: 'rhein', requestId: 'car-7' });

    // Assess
    expect(result).toMatchObject({ requestId: 'car-7', state: 'IN_PROGRESS', accountId: null });
    expect(org).toHaveReceivedCommandWith(DescribeCreateAccountStatusCommand, {
      CreateAccountRequestId: 'car-7',
    });
    expect(org).not.toHaveReceivedCommand(ListCreateAccountStatusCommand);
    expect(org).not.toHaveReceivedCommand(CreateAccountCommand);
  });

  it('reports the account of its own request that SUCCEEDED after the account list was read (not yet listed)', async () => {
    // Prepare
    org.on(DescribeCreateAccountStatusCommand).resolves({
      CreateAccountStatus: { Id: 'car-7', State: 'SUCCEEDED', AccountId: ACCOUNT },
    });
    const handler = await handlerWithAccounts();

    // Act
    const result = await handler({ action: 'find', tenantId: 'rhein', requestId: 'car-7' });

    // Assess
    expect(result).toMatchObject({ requestId: 'car-7', state: 'SUCCEEDED', accountId: ACCOUNT });
  });

  it('its own request FAILED: reports a request still in progress for the account name, else nothing', async () => {
    // Prepare
    org.on(DescribeCreateAccountStatusCommand).resolves({
      CreateAccountStatus: { Id: 'car-7', State: 'FAILED', FailureReason: 'EMAIL_ALREADY_EXISTS' },
    });
    org
      .on(ListCreateAccountStatusCommand)
      .resolvesOnce({
        CreateAccountStatuses: [
          { Id: 'car-8', AccountName: 'tenantry-dev-tenant-rhein', State: 'IN_PROGRESS' },
        ],
      })
      .resolves({ CreateAccountStatuses: [] });
    const handler = await handlerWithAccounts();

    // Act
    const other = await handler({ action: 'find', tenantId: 'rhein', requestId: 'car-7' });
    const none = await handler({ action: 'find', tenantId: 'rhein', requestId: 'car-7' });

    // Assess
    expect(other).toMatchObject({ requestId: 'car-8', state: 'IN_PROGRESS' });
    expect(none).toMatchObject({ state: 'FAILED', accountId: null });
  });

  it('takes a null requestId (the request never answered) as none', async () => {
    // Prepare
    const handler = await handlerWithAccounts();

    // Act
    const result = await handler({ action: 'find', tenantId: 'rhein', requestId: null });

    // Assess
    expect(result).toMatchObject({ state: 'FAILED', accountId: null });
    expect(org).not.toHaveReceivedCommand(DescribeCreateAccountStatusCommand);
  });

  it('reports no account (accountId null) when there is none', async () => {
    // Prepare
    const handler = await handlerWithAccounts();

    // Act
    const result = await handler({ action: 'find', tenantId: 'rhein' });

    // Assess
    expect(result).toMatchObject({ state: 'FAILED', accountId: null });
    expect(org).not.toHaveReceivedCommand(CreateAccountCommand);
  });
});

describe('tenant-account close', () => {
  it('closes an ACTIVE account and reports where it stands', async () => {
    // Prepare
    org
      .on(DescribeAccountCommand)
      .resolvesOnce({ Account: { Id: ACCOUNT, Status: 'ACTIVE' } })
      .resolves({ Account: { Id: ACCOUNT, Status: 'PENDING_CLOSURE' } });
    org.on(CloseAccountCommand).resolves({});
    const handler = await handlerWithAccounts();

    // Act
    const result = await handler({ action: 'close', tenantId: 'rhein', accountId: ACCOUNT });

    // Assess
    expect(result).toMatchObject({ accountId: ACCOUNT, accountStatus: 'PENDING_CLOSURE' });
    expect(org).toHaveReceivedCommandWith(CloseAccountCommand, { AccountId: ACCOUNT });
  });

  it('reports an account already closed without closing it again (a retried step)', async () => {
    // Prepare
    org.on(DescribeAccountCommand).resolves({ Account: { Id: ACCOUNT, Status: 'SUSPENDED' } });
    const handler = await handlerWithAccounts();

    // Act
    const result = await handler({ action: 'close', tenantId: 'rhein', accountId: ACCOUNT });

    // Assess
    expect(result).toMatchObject({ accountStatus: 'SUSPENDED' });
    expect(org).not.toHaveReceivedCommand(CloseAccountCommand);
  });

  it('treats AccountAlreadyClosed from a concurrent close as closed', async () => {
    // Prepare
    org
      .on(DescribeAccountCommand)
      .resolvesOnce({ Account: { Id: ACCOUNT, Status: 'ACTIVE' } })
      .resolves({ Account: { Id: ACCOUNT, Status: 'SUSPENDED' } });
    org
      .on(CloseAccountCommand)
      .rejects(new AccountAlreadyClosedException({ message: 'closed', $metadata: {} }));
    const handler = await handlerWithAccounts();

    // Act
    const result = await handler({ action: 'close', tenantId: 'rhein', accountId: ACCOUNT });

    // Assess
    expect(result).toMatchObject({ accountStatus: 'SUSPENDED' });
  });

  it('fails naming the account when it is still ACTIVE after CloseAccount (the workflow flags it)', async () => {
    // Prepare
    org.on(DescribeAccountCommand).resolves({ Account: { Id: ACCOUNT, Status: 'ACTIVE' } });
    org.on(CloseAccountCommand).resolves({});
    const handler = await handlerWithAccounts();

    // Act
    const closing = handler({ action: 'close', tenantId: 'rhein', accountId: ACCOUNT });

    // Assess
    await expect(closing).rejects.toMatchObject({
      name: 'MemberAccountError',
      message: `tenant rhein: account ${ACCOUNT}: is ACTIVE after CloseAccount`,
    });
  });
});
