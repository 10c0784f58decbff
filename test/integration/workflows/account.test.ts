// Tenants in their own AWS account (issue 15), on the local environment: moto serves Organizations
// (CreateAccount, MoveAccount, CloseAccount → SUSPENDED) and maps credentials assumed into a member
// account's role to that account, so a table created with them exists in that account only. The
// lifecycle runs in the management account (moto's default 123456789012).

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import {
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  DescribeAccountCommand,
  DescribeCreateAccountStatusCommand,
  ListParentsCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { ListRequestedServiceQuotaChangeHistoryByQuotaCommand } from '@aws-sdk/client-service-quotas';
import { STSClient } from '@aws-sdk/client-sts';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TenantryConfig } from '../../../domain/config';
import { tenantDataResources } from '../../../domain/identity/tenant-resources';
import { TokenVendingMachine } from '../../../domain/identity/token-vending';
import { siloStackName } from '../../../domain/keys';
import { siloServiceFunctionName, siloTableName } from '../../../domain/lifecycle/silo';
import { pooledItem } from '../../../domain/pooled-items';
import { LOCAL_ACCOUNT } from '../../../local/lifecycle';
import { accountConfigIn, accountsSettings } from '../../unit/support/account-config';
import { clearFaults, setFunctionEnv } from '../support';
import {
  clientsInAccount,
  eventsOf,
  failure,
  type Harness,
  machineWithFault,
  run,
  setLambdaConcurrency,
  setOrganizationsSwitches,
  setupHarness,
  stackStatusIn,
} from './support';

const US = 'us-east-1';
const EU = 'eu-central-1';
// The role names the configuration gives (one definition: test/unit/support/account-config.ts).
const { deploymentRoleName: DEPLOYMENT_ROLE, runtimeRoleName: RUNTIME_ROLE } = accountsSettings;

/** The default configuration plus a `sovereign` tier of isolation `account`; `ou` from moto's organization. */
let h: Harness;
let config: TenantryConfig;
let org: OrganizationsClient;
let tenantsUnit: string;

const signup = (tenantId: string, region = EU, accountId?: string) => ({
  tenantId,
  name: `Bank ${tenantId}`,
  tier: 'sovereign',
  adminEmail: `admin@${tenantId}.example`,
  region,
  ...(accountId === undefined ? {} : { accountId }),
});

/** Clients acting in `accountId` (the deployment role assumed there), in `region`. */
const inAccount = (accountId: string, region: string) =>
  clientsInAccount(h.endpoint, accountId, region, DEPLOYMENT_ROLE);

async function tableIn(dynamo: DynamoDBClient, tenantId: string): Promise<string> {
  const out = dynamo.send(new DescribeTableCommand({ TableName: siloTableName(config, tenantId) }));
  const name = await failure(out);
  return name === 'none' ? ((await out).Table?.TableArn as string) : name;
}

async function organizationStatus(accountId: string): Promise<string | undefined> {
  return (await org.send(new DescribeAccountCommand({ AccountId: accountId }))).Account?.Status;
}

beforeAll(async () => {
  // The definitions do not depend on the OU id; the handlers read the real one from TENANTRY_CONFIG.
  h = await setupHarness({ config: accountConfigIn('ou-0000-00000000', 'o-0000000000') });
  org = new OrganizationsClient({ region: US, endpoint: h.endpoint });
  const { Organization } = await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  const { Roots } = await org.send(new ListRootsCommand({}));
  const unit = await org.send(
    new CreateOrganizationalUnitCommand({ ParentId: Roots?.[0]?.Id as string, Name: 'tenants' }),
  );
  tenantsUnit = unit.OrganizationalUnit?.Id as string;
  config = accountConfigIn(tenantsUnit, Organization?.Id);
  const file = join(mkdtempSync(join(tmpdir(), 'tenantry-account-it-')), 'tenantry.json');
  writeFileSync(file, JSON.stringify(config));
  await setFunctionEnv('*', { TENANTRY_CONFIG: file });
});

describe('onboarding an account tenant', () => {
  it("creates its account in the tenants' OU and deploys its silo there, in its region, recording the real ARNs", async () => {
    // Act
    const result = await run(h, 'onboarding', signup('rhein'), 120_000);

    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const tenant = await h.catalog.get('rhein');
    const accountId = tenant.accountId as string;
    expect(accountId).toMatch(/^\d{12}$/);
    expect(accountId).not.toBe(LOCAL_ACCOUNT);
    expect(tenant).toMatchObject({
      status: 'ACTIVE',
      isolation: 'account',
      region: EU,
      accountStatus: 'ACTIVE',
    });
    expect(result.path).toEqual(
      expect.arrayContaining(['RequestAccount', 'RecordAccount', 'PlaceAccount', 'EnsureRuntimeRole']),
    );
    const { Parents } = await org.send(new ListParentsCommand({ ChildId: accountId }));
    expect(Parents?.[0]?.Id).toBe(tenantsUnit);
    const account = await inAccount(accountId, EU);
    const tableArn = await tableIn(account.dynamo, 'rhein');
    expect(tableArn).toBe(`arn:aws:dynamodb:${EU}:${accountId}:table/${siloTableName(config, 'rhein')}`);
    const { KeyMetadata } = await account.kms.send(new DescribeKeyCommand({ KeyId: tenant.silo?.kmsKeyArn }));
    expect(KeyMetadata?.KeyState).toBe('Enabled');
    expect(tenant.silo?.kmsKeyArn).toMatch(new RegExp(`^arn:aws:kms:${EU}:${accountId}:key/`));
    const { Stacks } = await account.cfn.send(
      new DescribeStacksCommand({ StackName: siloStackName(config, 'rhein') }),
    );
    // the reference service's function too, in that account (test/integration/domain/documents/account-service.test.ts)
    const functionName = siloServiceFunctionName(config, 'rhein');
    expect(tenant.silo).toEqual({
      stackId: Stacks?.[0]?.StackId,
      tableName: siloTableName(config, 'rhein'),
      tableArn,
      kmsKeyArn: KeyMetadata?.Arn,
      serviceFunctionArn: `arn:aws:lambda:${EU}:${accountId}:function:${functionName}`,
    });
    const fn = await account.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    expect(fn.FunctionArn).toBe(tenant.silo?.serviceFunctionArn);
    // neither in the management account (any region) nor in another region of its account
    expect(await tableIn(new DynamoDBClient({ region: EU, endpoint: h.endpoint }), 'rhein')).toBe(
      'ResourceNotFoundException',
    );
    expect(await tableIn(h.dynamo, 'rhein')).toBe('ResourceNotFoundException');
    const keyId = KeyMetadata?.KeyId as string;
    expect(
      await failure(
        new KMSClient({ region: EU, endpoint: h.endpoint }).send(new DescribeKeyCommand({ KeyId: keyId })),
      ),
    ).toBe('NotFoundException');
    // the runtime role trusts the authorizer's role only, for this tenant's sessions only
    const { Role } = await account.iam.send(new GetRoleCommand({ RoleName: RUNTIME_ROLE }));
    const trust = JSON.parse(decodeURIComponent(Role?.AssumeRolePolicyDocument as string));
    expect(trust.Statement).toEqual([
      expect.objectContaining({
        Principal: { AWS: `arn:aws:iam::${LOCAL_ACCOUNT}:role/tenantry-dev-authorizer` },
        Condition: expect.objectContaining({ StringEquals: { 'aws:RequestTag/tenantId': 'rhein' } }),
      }),
      // the lifecycle's assumability probe, untagged (test/unit/domain/lifecycle/member-account.test.ts)
      expect.objectContaining({
        Principal: { AWS: `arn:aws:iam::${LOCAL_ACCOUNT}:role/tenantry-dev-tenant-account` },
        Condition: { Null: { 'aws:TagKeys': 'true' } },
      }),
    ]);
    // every account step is audited with the execution ARN
    expect(tenant.history).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          reason: `account: ${accountId} ACTIVE`,
          executionArn: result.executionArn,
        }),
      ]),
    );
  });

  it("keeps each account tenant's table and key out of another account tenant's account", async () => {
    // Act
    const result = await run(h, 'onboarding', signup('hansa', US), 120_000);

    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const hansa = await h.catalog.get('hansa');
    const rhein = await h.catalog.get('rhein');
    expect(hansa.accountId).not.toBe(rhein.accountId);
    const hansaEu = await inAccount(hansa.accountId as string, EU);
    const hansaUs = await inAccount(hansa.accountId as string, US);
    expect(await tableIn(hansaEu.dynamo, 'rhein')).toBe('ResourceNotFoundException');
    expect(await tableIn(hansaUs.dynamo, 'hansa')).toBe(hansa.silo?.tableArn);
    const rheinUs = await inAccount(rhein.accountId as string, US);
    expect(await tableIn(rheinUs.dynamo, 'hansa')).toBe('ResourceNotFoundException');
  });

  it("the authorizer's vended credentials act in the tenant's account: a PutItem/GetItem lands in its table there", async () => {
    // Prepare: what the authorizer does for an allowed request of the tenant
    const tenant = await h.catalog.get('rhein');
    const pooled = await h.dynamo.send(new DescribeTableCommand({ TableName: h.life.pooledTable }));
    const location = { pooledTableArn: pooled.Table?.TableArn as string, bucketName: h.life.dataBucket };
    const resources = tenantDataResources(config, location, tenant);
    const vending = new TokenVendingMachine({
      sts: new STSClient({ region: US, endpoint: h.endpoint }),
      roleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/tenantry-dev-tenant-runtime`,
    });
    const credentials = await vending.credentialsFor({
      tenantId: 'rhein',
      tier: tenant.tier,
      access: 'read-write',
      ...resources,
    });
    const tenantDynamo = new DynamoDBClient({
      region: EU,
      endpoint: h.endpoint,
      credentials: credentials.toIdentity(),
    });
    const item = pooledItem('rhein', 'docs', 'vended-1', { body: { S: 'written with vended credentials' } });
    const key = { pk: item.pk, sk: item.sk } as Record<string, NonNullable<(typeof item)['pk']>>;

    // Act
    await tenantDynamo.send(new PutItemCommand({ TableName: tenant.silo?.tableName, Item: item }));
    const read = await tenantDynamo.send(
      new GetItemCommand({ TableName: tenant.silo?.tableName, Key: key, ConsistentRead: true }),
    );

    // Assess
    expect(resources.roleArn).toBe(`arn:aws:iam::${tenant.accountId}:role/${RUNTIME_ROLE}`);
    expect(read.Item?.body).toEqual({ S: 'written with vended credentials' });
    const account = await inAccount(tenant.accountId as string, EU);
    const there = await account.dynamo.send(
      new GetItemCommand({ TableName: tenant.silo?.tableName, Key: key, ConsistentRead: true }),
    );
    expect(there.Item?.body).toEqual({ S: 'written with vended credentials' });
  });

  it('adopts an account given at signup: an ACTIVE member, moved into the OU, never closed by a compensation', async () => {
    // Prepare: an account the customer already has in the organization
    const created = await org.send(
      new CreateAccountCommand({
        Email: 'cloud@nordbank.example',
        AccountName: 'nordbank',
        RoleName: DEPLOYMENT_ROLE,
      }),
    );
    const accountId = created.CreateAccountStatus?.AccountId as string;

    // Act
    const result = await run(h, 'onboarding', signup('nordbank', EU, accountId), 120_000);

    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(result.path).toContain('AdoptAccount');
    expect(result.path).not.toContain('RequestAccount');
    expect(await h.catalog.get('nordbank')).toMatchObject({
      status: 'ACTIVE',
      accountId,
      accountStatus: 'ACTIVE',
    });
    const { Parents } = await org.send(new ListParentsCommand({ ChildId: accountId }));
    expect(Parents?.[0]?.Id).toBe(tenantsUnit);
    expect(await tableIn((await inAccount(accountId, EU)).dynamo, 'nordbank')).toMatch(
      `:${accountId}:table/`,
    );
  });
});

describe('a fault at each new onboarding step ends consistent', () => {
  const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

  it('RequestAccount fails before any account exists → FAILED, no account, nothing left', async () => {
    // Prepare
    const tenantId = 'flt-request';
    const machine = await machineWithFault(h, 'onboarding', ['RequestAccount'], 'InjectedFault', config);

    // Act
    const result = await run(h, machine, signup(tenantId), 120_000);
    await clearFaults();

    // Assess
    expect(result.error).toBe('OnboardingFailed');
    expect(result.path).toEqual(expect.arrayContaining(['FindAccount', 'AccountFound?', 'MarkFailed']));
    const tenant = await h.catalog.get(tenantId);
    expect(tenant.status).toBe('FAILED');
    expect(tenant.accountId).toBeUndefined();
  });

  it.each(['RecordAccount', 'PlaceAccount', 'EnsureRuntimeRole', 'CreateSiloStack', 'RecordSiloResources'])(
    '%s fails → FAILED; the stack and runtime role are gone and the account is closed (SUSPENDED) and recorded',
    async (state) => {
      // Prepare
      const tenantId = `flt-${slug(state)}`;
      const machine = await machineWithFault(h, 'onboarding', [state], 'InjectedFault', config);
      await h.events();

      // Act
      const result = await run(h, machine, signup(tenantId), 120_000);
      await clearFaults();

      // Assess
      expect(result.error).toBe('OnboardingFailed');
      expect(result.cause).toContain(`${state}: InjectedFault`);
      const tenant = await h.catalog.get(tenantId);
      const accountId = tenant.accountId as string;
      expect(tenant).toMatchObject({ status: 'FAILED', accountStatus: 'SUSPENDED' });
      expect(await organizationStatus(accountId)).toBe('SUSPENDED');
      const account = await inAccount(accountId, EU);
      expect(await stackStatusIn(account.cfn, tenantId)).toBe('ABSENT');
      expect(await tableIn(account.dynamo, tenantId)).toBe('ResourceNotFoundException');
      expect(await failure(account.iam.send(new GetRoleCommand({ RoleName: RUNTIME_ROLE })))).toBe(
        'NoSuchEntityException',
      );
      expect(tenant.silo).toBeUndefined();
      expect(tenant.history).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            reason: `account: ${accountId} SUSPENDED`,
            executionArn: result.executionArn,
          }),
        ]),
      );
      const [event] = eventsOf(await h.events(), 'TenantOnboardingFailed', tenantId);
      expect(event?.detail).toMatchObject({ compensated: true, failedState: state });
    },
  );

  it('CloseAccount fails in the compensation → the account is left ACTIVE and FLAGGED in the catalog (CLOSE_FAILED)', async () => {
    // Prepare
    const tenantId = 'flt-close';
    const machine = await machineWithFault(
      h,
      'onboarding',
      ['RecordSiloResources', 'CloseAccount'],
      'InjectedFault',
      config,
    );
    await h.events();

    // Act
    const result = await run(h, machine, signup(tenantId), 120_000);
    await clearFaults();

    // Assess
    expect(result.error).toBe('OnboardingFailed');
    const tenant = await h.catalog.get(tenantId);
    expect(tenant).toMatchObject({ status: 'FAILED', accountStatus: 'CLOSE_FAILED' });
    expect(await organizationStatus(tenant.accountId as string)).toBe('ACTIVE');
    expect(await stackStatusIn((await inAccount(tenant.accountId as string, EU)).cfn, tenantId)).toBe(
      'ABSENT',
    );
    const [event] = eventsOf(await h.events(), 'TenantOnboardingFailed', tenantId);
    expect(event?.detail).toMatchObject({ compensated: false });
    expect(event?.detail.compensationErrors).toEqual([
      expect.objectContaining({ state: 'CloseAccount', error: 'InjectedFault' }),
    ]);
  });

  it('an adopted account is not closed by the compensation (it belongs to its owner): its stack and runtime role are removed, and it goes back to the parent it came from', async () => {
    // Prepare
    const created = await org.send(
      new CreateAccountCommand({
        Email: 'cloud@flt-adopted.example',
        AccountName: 'flt-adopted',
        RoleName: DEPLOYMENT_ROLE,
      }),
    );
    const accountId = created.CreateAccountStatus?.AccountId as string;
    const machine = await machineWithFault(h, 'onboarding', ['RecordSiloResources'], 'InjectedFault', config);

    // Act
    const result = await run(h, machine, signup('flt-adopted', EU, accountId), 120_000);
    await clearFaults();

    // Assess
    expect(result.error).toBe('OnboardingFailed');
    expect(await h.catalog.get('flt-adopted')).toMatchObject({
      status: 'FAILED',
      accountId,
      accountStatus: 'ACTIVE',
    });
    expect(await organizationStatus(accountId)).toBe('ACTIVE');
    expect(result.path).toContain('ReturnAccount');
    const { Roots } = await org.send(new ListRootsCommand({}));
    const { Parents } = await org.send(new ListParentsCommand({ ChildId: accountId }));
    expect(Parents?.[0]?.Id).toBe(Roots?.[0]?.Id);
    const { Tags } = await org.send(new ListTagsForResourceCommand({ ResourceId: accountId }));
    expect(Tags ?? []).toEqual([]);
    const account = await inAccount(accountId, EU);
    expect(await stackStatusIn(account.cfn, 'flt-adopted')).toBe('ABSENT');
    expect(await failure(account.iam.send(new GetRoleCommand({ RoleName: RUNTIME_ROLE })))).toBe(
      'NoSuchEntityException',
    );
  });
});

describe('an account request still IN_PROGRESS when onboarding gives up on it', () => {
  const maxPolls = () => config.accounts?.createMaxPolls as number;
  afterEach(async () => setOrganizationsSwitches(h, {}));

  // The switch answers the request's next N reads IN_PROGRESS (a member once the Nth is answered) and
  // SUCCEEDED after. DescribeAccount reads it createMaxPolls times (then AccountNotCreated); FindAccount
  // lists the accounts, then reads it once more; then each DescribePendingAccount reads it.
  it.each([
    ['FindAccount finds its account', 'pend-find', 0, ['FindAccount', 'AccountFound?', 'CloseAccount']],
    [
      "the compensation's bounded wait sees it SUCCEEDED",
      'pend-wait',
      1,
      ['WaitForPendingAccount', 'DescribePendingAccount', 'CloseAccount'],
    ],
  ])('%s → its account is closed (SUSPENDED) and recorded', async (_, tenantId, extraReads, steps) => {
    // Prepare
    await setOrganizationsSwitches(h, { create_account_pending_reads: maxPolls() + extraReads });

    // Act
    const result = await run(h, 'onboarding', signup(tenantId), 120_000);

    // Assess
    expect(result.error).toBe('OnboardingFailed');
    expect(result.cause).toContain('AccountNotCreated');
    expect(result.path).toEqual(expect.arrayContaining(['AccountNotCreated', ...steps]));
    expect(result.path.filter((s) => s === 'WaitForPendingAccount')).toHaveLength(extraReads);
    const tenant = await h.catalog.get(tenantId);
    const accountId = tenant.accountId as string;
    expect(accountId).toMatch(/^\d{12}$/);
    expect(tenant).toMatchObject({ status: 'FAILED', accountStatus: 'SUSPENDED' });
    expect(tenant.pendingAccountRequestId).toBeUndefined();
    expect(await organizationStatus(accountId)).toBe('SUSPENDED');
    expect(tenant.history).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          reason: `account: ${accountId} SUSPENDED`,
          executionArn: result.executionArn,
        }),
      ]),
    );
  });

  it("still IN_PROGRESS after the compensation's bound too → the request is flagged in the catalog (pendingAccountRequestId), audited with the execution ARN", async () => {
    // Prepare
    const tenantId = 'pend-flag';
    await setOrganizationsSwitches(h, { create_account_pending_reads: 1000 });

    // Act
    const result = await run(h, 'onboarding', signup(tenantId), 120_000);

    // Assess
    expect(result.error).toBe('OnboardingFailed');
    expect(result.path).toEqual(
      expect.arrayContaining(['AccountNotCreated', 'DescribePendingAccount', 'FlagAccountRequestPending']),
    );
    expect(result.path.filter((s) => s === 'DescribePendingAccount')).toHaveLength(maxPolls());
    const tenant = await h.catalog.get(tenantId);
    const requestId = tenant.pendingAccountRequestId as string;
    expect(requestId).toMatch(/^car-/);
    expect(tenant).toMatchObject({ status: 'FAILED' });
    expect(tenant.accountId).toBeUndefined();
    const { CreateAccountStatus } = await org.send(
      new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: requestId }),
    );
    expect(CreateAccountStatus?.AccountName).toBe(`tenantry-dev-tenant-${tenantId}`);
    expect(tenant.history).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          reason: expect.stringContaining(`account request: ${requestId} IN_PROGRESS`),
          executionArn: result.executionArn,
        }),
      ]),
    );
  });
});

describe("CloseAccount's quota spent (Organizations refuses: CLOSE_ACCOUNT_QUOTA_EXCEEDED)", () => {
  afterEach(async () => setOrganizationsSwitches(h, {}));

  it("onboarding's compensation leaves the account ACTIVE and FLAGGED in the catalog (CLOSE_FAILED)", async () => {
    // Prepare
    const tenantId = 'quota-onb';
    const machine = await machineWithFault(h, 'onboarding', ['RecordSiloResources'], 'InjectedFault', config);
    await setOrganizationsSwitches(h, { close_account_quota_exceeded: true });
    await h.events();

    // Act
    const result = await run(h, machine, signup(tenantId), 120_000);
    await clearFaults();

    // Assess
    expect(result.error).toBe('OnboardingFailed');
    const tenant = await h.catalog.get(tenantId);
    expect(tenant).toMatchObject({ status: 'FAILED', accountStatus: 'CLOSE_FAILED' });
    expect(await organizationStatus(tenant.accountId as string)).toBe('ACTIVE');
    expect(tenant.history).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          reason: `account: ${tenant.accountId} CLOSE_FAILED`,
          executionArn: result.executionArn,
        }),
      ]),
    );
    const [event] = eventsOf(await h.events(), 'TenantOnboardingFailed', tenantId);
    expect(event?.detail.compensationErrors).toEqual([
      expect.objectContaining({
        state: 'CloseAccount',
        error: 'ConstraintViolationException',
        cause: expect.stringContaining('CLOSE_ACCOUNT_QUOTA_EXCEEDED'),
      }),
    ]);
  });
});

describe('onboarding a FAILED account tenant again', () => {
  it('creates a fresh account (the closed one is never reused) and keeps the closed one recorded', async () => {
    // Prepare: a fault test above left this tenant FAILED with its account closed (SUSPENDED)
    const tenantId = 'flt-placeaccount';
    const before = await h.catalog.get(tenantId);
    const closed = before.accountId as string;
    expect([before.status, await organizationStatus(closed)]).toEqual(['FAILED', 'SUSPENDED']);

    // Act
    const result = await run(h, 'onboarding', signup(tenantId), 120_000);

    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const after = await h.catalog.get(tenantId);
    expect(after).toMatchObject({ status: 'ACTIVE', accountStatus: 'ACTIVE' });
    expect(after.accountId).not.toBe(closed);
    expect(await organizationStatus(after.accountId as string)).toBe('ACTIVE');
    expect(await organizationStatus(closed)).toBe('SUSPENDED');
    const { Account } = await org.send(new DescribeAccountCommand({ AccountId: after.accountId }));
    expect(Account?.Email).toBe(`aws+${tenantId}.2@tenantry.example`);
    expect(after.history).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ reason: `account: ${closed} SUSPENDED` }),
        expect.objectContaining({
          reason: `account: ${after.accountId} ACTIVE`,
          executionArn: result.executionArn,
        }),
      ]),
    );
  });
});

describe("the account's Lambda concurrency quota (a new account's can be 10)", () => {
  afterEach(async () => setLambdaConcurrency(h, {}));

  const concurrencyOf = async (accountId: string, tenantId: string) => {
    const { lambda } = await inAccount(accountId, EU);
    const { ReservedConcurrentExecutions } = await lambda.send(
      new GetFunctionConcurrencyCommand({ FunctionName: siloServiceFunctionName(config, tenantId) }),
    );
    const { AccountLimit } = await lambda.send(new GetAccountSettingsCommand({}));
    return { reserved: ReservedConcurrentExecutions, account: AccountLimit };
  };

  it('quota 10: the tenant is ACTIVE, its function has no reservation, and the increase is requested and flagged in the catalog', async () => {
    // Prepare: every account without a limit of its own gets 10 (moto refuses a reservation that leaves < 100)
    await setLambdaConcurrency(h, { default: 10 });

    // Act
    const result = await run(h, 'onboarding', signup('quota-low'), 120_000);

    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(result.path).toEqual(expect.arrayContaining(['CheckConcurrency', 'FlagConcurrencyQuota']));
    const tenant = await h.catalog.get('quota-low');
    expect(tenant.status).toBe('ACTIVE');
    const accountId = tenant.accountId as string;
    expect(await concurrencyOf(accountId, 'quota-low')).toMatchObject({
      reserved: undefined,
      account: { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 },
    });
    const { Stacks } = await (await inAccount(accountId, EU)).cfn.send(
      new DescribeStacksCommand({ StackName: siloStackName(config, 'quota-low') }),
    );
    expect(Stacks?.[0]?.Parameters).toEqual(
      expect.arrayContaining([{ ParameterKey: 'ReservedConcurrency', ParameterValue: 'none' }]),
    );
    // one request in the account's region: the tier's 50 plus the 100 Lambda keeps unreserved
    const { RequestedQuotas } = await (await inAccount(accountId, EU)).quotas.send(
      new ListRequestedServiceQuotaChangeHistoryByQuotaCommand({
        ServiceCode: 'lambda',
        QuotaCode: 'L-B99A9384',
      }),
    );
    expect(RequestedQuotas).toHaveLength(1);
    expect(RequestedQuotas?.[0]).toMatchObject({ DesiredValue: 150, Status: 'PENDING' });
    expect(tenant.concurrencyQuota).toEqual({
      requestId: RequestedQuotas?.[0]?.Id,
      desired: 150,
      status: 'PENDING',
    });
    expect(tenant.history).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          reason: expect.stringContaining(
            `concurrency quota: request ${RequestedQuotas?.[0]?.Id} for 150 PENDING`,
          ),
          executionArn: result.executionArn,
        }),
      ]),
    );
  });

  it("the default quota (1000): the tier's reservation (50) is set and nothing is requested or flagged", async () => {
    // Act
    const result = await run(h, 'onboarding', signup('quota-ok'), 120_000);

    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(result.path).toContain('CheckConcurrency');
    expect(result.path).not.toContain('FlagConcurrencyQuota');
    const tenant = await h.catalog.get('quota-ok');
    const accountId = tenant.accountId as string;
    expect(tenant.concurrencyQuota).toBeUndefined();
    expect(await concurrencyOf(accountId, 'quota-ok')).toMatchObject({
      reserved: 50,
      account: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 950 },
    });
    const { RequestedQuotas } = await (await inAccount(accountId, EU)).quotas.send(
      new ListRequestedServiceQuotaChangeHistoryByQuotaCommand({
        ServiceCode: 'lambda',
        QuotaCode: 'L-B99A9384',
      }),
    );
    expect(RequestedQuotas).toEqual([]);
  });
});

describe('offboarding an account tenant', () => {
  it('erases inside the account, schedules the key, deletes the stack, closes the account and writes the erasure record', async () => {
    // Prepare
    const before = await h.catalog.get('rhein');
    const accountId = before.accountId as string;
    const account = await inAccount(accountId, EU);
    expect(await stackStatusIn(account.cfn, 'rhein')).toBe('CREATE_COMPLETE');

    // Act
    const result = await run(h, 'offboarding', { tenantId: 'rhein', reason: 'contract ended' }, 120_000);

    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(result.path).toEqual(
      expect.arrayContaining([
        'DeleteSilo',
        'VerifyErasure',
        'RemoveRuntimeRole',
        'CloseAccount',
        'SetOffboarded',
      ]),
    );
    const tenant = await h.catalog.get('rhein');
    expect(tenant).toMatchObject({ status: 'OFFBOARDED', accountId, accountStatus: 'SUSPENDED' });
    expect(tenant.erasure?.remaining).toMatchObject({ siloStack: false, kmsKey: false });
    expect(tenant.erasure?.executionArn).toBe(result.executionArn);
    expect(await organizationStatus(accountId)).toBe('SUSPENDED');
    expect(await stackStatusIn(account.cfn, 'rhein')).toBe('ABSENT');
    expect(await tableIn(account.dynamo, 'rhein')).toBe('ResourceNotFoundException');
    const { KeyMetadata } = await account.kms.send(new DescribeKeyCommand({ KeyId: before.silo?.kmsKeyArn }));
    expect(KeyMetadata?.KeyState).toBe('PendingDeletion');
    expect(await failure(account.iam.send(new GetRoleCommand({ RoleName: RUNTIME_ROLE })))).toBe(
      'NoSuchEntityException',
    );
  });

  it('with CloseAccount refused (quota spent): the account is flagged CLOSE_FAILED and the run fails; run again once allowed, it closes the account', async () => {
    // Prepare
    const before = await h.catalog.get('hansa');
    const accountId = before.accountId as string;
    await setOrganizationsSwitches(h, { close_account_quota_exceeded: true });

    // Act
    const refused = await run(h, 'offboarding', { tenantId: 'hansa', reason: 'contract ended' }, 120_000);
    const flagged = await h.catalog.get('hansa');
    await setOrganizationsSwitches(h, {});
    const again = await run(h, 'offboarding', { tenantId: 'hansa', reason: 'contract ended' }, 120_000);

    // Assess
    expect(refused.error).toBe('OffboardingFailed');
    expect(refused.cause).toContain('CLOSE_ACCOUNT_QUOTA_EXCEEDED');
    expect(refused.path).toContain('FlagAccountNotClosed');
    expect(flagged).toMatchObject({ status: 'OFFBOARDING', accountId, accountStatus: 'CLOSE_FAILED' });
    expect(flagged.history).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          reason: `account: ${accountId} CLOSE_FAILED`,
          executionArn: refused.executionArn,
        }),
      ]),
    );
    expect(again.status, again.cause).toBe('SUCCEEDED');
    expect(await h.catalog.get('hansa')).toMatchObject({
      status: 'OFFBOARDED',
      accountId,
      accountStatus: 'SUSPENDED',
    });
    expect(await organizationStatus(accountId)).toBe('SUSPENDED');
  });
});
