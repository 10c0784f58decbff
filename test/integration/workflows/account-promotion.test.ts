// Promotion silo → account (issue 15) on the local environment: a silo tenant (its table and key in the
// platform account, in its region) moves into its own account under Organizations. moto maps
// credentials assumed into a member account's role to that account, so the copy really crosses accounts.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  type AttributeValue,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  paginateScan,
} from '@aws-sdk/client-dynamodb';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  DescribeAccountCommand,
  ListParentsCommand,
  ListRootsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { STSClient } from '@aws-sdk/client-sts';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchWriteAll } from '../../../domain/aws/batch';
import type { TenantryConfig } from '../../../domain/config';
import { tenantDataResources } from '../../../domain/identity/tenant-resources';
import { TokenVendingMachine } from '../../../domain/identity/token-vending';
import { ChecksumAccumulator, type ItemTally } from '../../../domain/lifecycle/checksum';
import { siloTableName } from '../../../domain/lifecycle/silo';
import { pooledItem } from '../../../domain/pooled-items';
import { LOCAL_ACCOUNT } from '../../../local/lifecycle';
import { accountConfigIn } from '../../unit/support/account-config';
import { clearFaults, setFunctionEnv } from '../support';
import {
  clientsInAccount,
  eventsOf,
  failure,
  type Harness,
  machineWithFault,
  rowsOf,
  run,
  seedRows,
  setupHarness,
  stackStatusIn,
} from './support';

const US = 'us-east-1';
const EU = 'eu-central-1';
const ITEMS = 120;
/** The tenant's PostgreSQL rows (tenantry.documents) in its silo's database. */
const ROWS = 18;

let h: Harness;
let config: TenantryConfig;
let org: OrganizationsClient;
let tenantsUnit: string;
const platformEu = () => ({
  dynamo: new DynamoDBClient({ region: EU, endpoint: h.endpoint }),
  kms: new KMSClient({ region: EU, endpoint: h.endpoint }),
  cfn: new CloudFormationClient({ region: EU, endpoint: h.endpoint }),
});

/** Clients acting in `accountId` with its deployment role (the test's view, not the code's). */
const inAccount = (accountId: string, region = EU) =>
  clientsInAccount(h.endpoint, accountId, region, config.accounts?.deploymentRoleName as string);

/** Ground truth by a consistent Scan of the whole table (every item of a silo table is the tenant's). */
async function tallyOf(dynamo: DynamoDBClient, table: string): Promise<ItemTally> {
  const acc = new ChecksumAccumulator();
  for await (const page of paginateScan({ client: dynamo }, { TableName: table, ConsistentRead: true })) {
    for (const item of page.Items ?? []) acc.add(item);
  }
  return acc.tally();
}

/** A silo tenant onboarded for real (its stack in the platform account, in EU) with ITEMS items. */
async function siloTenant(tenantId: string): Promise<Record<string, AttributeValue>[]> {
  const onboarded = await run(
    h,
    'onboarding',
    {
      tenantId,
      name: `Bank ${tenantId}`,
      tier: 'enterprise',
      adminEmail: `admin@${tenantId}.example`,
      region: EU,
    },
    120_000,
  );
  expect(onboarded.status, onboarded.cause).toBe('SUCCEEDED');
  const items = Array.from({ length: ITEMS }, (_, i) =>
    pooledItem(tenantId, ['docs', 'users'][i % 2] as string, `item-${String(i).padStart(4, '0')}`, {
      n: { N: String(i) },
      body: { S: `payload ${i} of ${tenantId}` },
    }),
  );
  await batchWriteAll(
    platformEu().dynamo,
    siloTableName(config, tenantId),
    items.map((Item) => ({ PutRequest: { Item } })),
  );
  // and ROWS rows in the platform silo's database (its stack's cluster on AWS)
  await seedRows(h, { place: 'silo', tenantId }, tenantId, ROWS);
  return items;
}

const organizationStatus = async (accountId: string) =>
  (await org.send(new DescribeAccountCommand({ AccountId: accountId }))).Account?.Status;

beforeAll(async () => {
  h = await setupHarness({ config: accountConfigIn('ou-0000-00000000') });
  org = new OrganizationsClient({ region: US, endpoint: h.endpoint });
  await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  const { Roots } = await org.send(new ListRootsCommand({}));
  const unit = await org.send(
    new CreateOrganizationalUnitCommand({ ParentId: Roots?.[0]?.Id as string, Name: 'tenants' }),
  );
  tenantsUnit = unit.OrganizationalUnit?.Id as string;
  config = accountConfigIn(tenantsUnit);
  const file = join(mkdtempSync(join(tmpdir(), 'tenantry-account-promotion-it-')), 'tenantry.json');
  writeFileSync(file, JSON.stringify(config));
  await setFunctionEnv('*', { TENANTRY_CONFIG: file });
});

describe('promotion silo → account', () => {
  it('moves a silo tenant into its own account: items equal, catalog switched to real ARNs, old silo erased and recorded', async () => {
    // Prepare
    const items = await siloTenant('weser');
    const before = await h.catalog.get('weser');
    const expected = await tallyOf(platformEu().dynamo, siloTableName(config, 'weser'));
    expect(expected.count).toBe(ITEMS);
    const rows = await rowsOf(h, { place: 'silo', tenantId: 'weser' }, 'weser');
    expect(rows).toHaveLength(ROWS);

    // Act
    const result = await run(h, 'promotion', { tenantId: 'weser', targetTier: 'sovereign' }, 180_000);

    // Assess: the account, in the OU
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const tenant = await h.catalog.get('weser');
    const accountId = tenant.accountId as string;
    expect(accountId).toMatch(/^\d{12}$/);
    expect(accountId).not.toBe(LOCAL_ACCOUNT);
    const { Parents } = await org.send(new ListParentsCommand({ ChildId: accountId }));
    expect(Parents?.[0]?.Id).toBe(tenantsUnit);
    // the items, in the account's table, equal in count and checksum
    const account = await inAccount(accountId);
    const table = siloTableName(config, 'weser');
    expect(await tallyOf(account.dynamo, table)).toEqual(expected);
    expect(result.output).toMatchObject({ items: ITEMS, checksum: expected.checksum, accountId });
    // the rows, in the database of the account's silo; none left in the platform silo's
    expect(await rowsOf(h, { place: 'silo', tenantId: 'weser', accountId }, 'weser')).toEqual(rows);
    expect(await rowsOf(h, { place: 'silo', tenantId: 'weser' }, 'weser')).toEqual([]);
    // the catalog, switched to the ARNs the account's stack reported
    const { Table } = await account.dynamo.send(new DescribeTableCommand({ TableName: table }));
    const { KeyMetadata } = await account.kms.send(new DescribeKeyCommand({ KeyId: tenant.silo?.kmsKeyArn }));
    expect(tenant).toMatchObject({
      status: 'ACTIVE',
      tier: 'sovereign',
      isolation: 'account',
      region: EU,
      accountStatus: 'ACTIVE',
    });
    expect(tenant.silo?.tableArn).toBe(Table?.TableArn);
    expect(tenant.silo?.tableArn).toBe(`arn:aws:dynamodb:${EU}:${accountId}:table/${table}`);
    expect(KeyMetadata?.Arn).toBe(tenant.silo?.kmsKeyArn);
    expect(tenant.silo?.kmsKeyArn).toMatch(new RegExp(`^arn:aws:kms:${EU}:${accountId}:key/`));
    expect(await stackStatusIn(account.cfn, 'weser')).toBe('CREATE_COMPLETE');
    // the old silo: stack gone, table gone, key pending deletion; its erasure recorded
    const platform = platformEu();
    expect(await stackStatusIn(platform.cfn, 'weser')).toBe('ABSENT');
    expect(await failure(platform.dynamo.send(new DescribeTableCommand({ TableName: table })))).toBe(
      'ResourceNotFoundException',
    );
    const old = await platform.kms.send(new DescribeKeyCommand({ KeyId: before.silo?.kmsKeyArn }));
    expect(old.KeyMetadata?.KeyState).toBe('PendingDeletion');
    expect(tenant.retiredSilos).toEqual([
      expect.objectContaining({
        silo: before.silo,
        region: EU,
        status: 'ERASED',
        executionArn: result.executionArn,
        remaining: { siloStack: false, table: false, kmsKey: false },
        keyDeletionDate: old.KeyMetadata?.DeletionDate?.toISOString(),
      }),
    ]);
    // audited with the execution ARN: the account, the switch, the retired silo
    const reasons = tenant.history.filter((e) => e.executionArn === result.executionArn).map((e) => e.reason);
    expect(reasons).toEqual(
      expect.arrayContaining([
        `account: ${accountId} ACTIVE`,
        expect.stringMatching(/^placement: enterprise\/silo .* → sovereign\/account/),
        expect.stringMatching(/^retired silo: .* TEARDOWN_PENDING$/),
        expect.stringMatching(/^retired silo: .* ERASED$/),
      ]),
    );

    // Assess: the authorizer's vended credentials read the moved items in the account
    const pooled = await h.dynamo.send(new DescribeTableCommand({ TableName: h.life.pooledTable }));
    const resources = tenantDataResources(
      config,
      { pooledTableArn: pooled.Table?.TableArn as string, bucketName: h.life.dataBucket },
      tenant,
    );
    const vending = new TokenVendingMachine({
      sts: new STSClient({ region: US, endpoint: h.endpoint }),
      roleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/tenantry-dev-tenant-runtime`,
    });
    const credentials = await vending.credentialsFor({
      tenantId: 'weser',
      tier: tenant.tier,
      access: 'read-only',
      ...resources,
    });
    const tenantDynamo = new DynamoDBClient({
      region: EU,
      endpoint: h.endpoint,
      credentials: credentials.toIdentity(),
    });
    const item = items[7] as Record<string, AttributeValue>;
    const read = await tenantDynamo.send(
      new GetItemCommand({
        TableName: tenant.silo?.tableName,
        Key: { pk: item.pk as AttributeValue, sk: item.sk as AttributeValue },
        ConsistentRead: true,
      }),
    );
    expect(resources.roleArn).toBe(`arn:aws:iam::${accountId}:role/${config.accounts?.runtimeRoleName}`);
    expect(read.Item).toEqual(item);
  });

  it('refuses to promote an account tenant again, naming why, changing nothing', async () => {
    // Act
    const pooled = await run(h, 'promotion', { tenantId: 'weser', targetTier: 'sovereign' }, 60_000);

    // Assess: weser is an account tenant now
    expect(pooled.error).toBe('PromotionRejected');
    expect(pooled.cause).toContain('it already has its own account');
  });
});

describe('a fault at each new promotion step ends consistent', () => {
  const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

  it.each([
    'RequestAccount',
    'AccountCopyChunk',
    'AccountVerifyChunk',
    'AccountRowsCopyChunk',
    'VerifyAccountRows',
    'SwitchToAccount',
  ])(
    '%s fails → rolled back: served from the old silo with every item, the account (if any) emptied and closed',
    async (state) => {
      // Prepare
      const tenantId = `pf-${slug(state)}`.slice(0, 30);
      await siloTenant(tenantId);
      const before = await h.catalog.get(tenantId);
      const expected = await tallyOf(platformEu().dynamo, siloTableName(config, tenantId));
      const rows = await rowsOf(h, { place: 'silo', tenantId }, tenantId);
      const machine = await machineWithFault(h, 'promotion', [state], 'InjectedFault', config);
      await h.events();

      // Act
      const result = await run(h, machine, { tenantId, targetTier: 'sovereign' }, 180_000);
      await clearFaults();

      // Assess
      expect(result.error).toBe('PromotionFailed');
      expect(result.cause).toContain(`${state}: InjectedFault`);
      const tenant = await h.catalog.get(tenantId);
      expect(tenant).toMatchObject({
        status: 'ACTIVE',
        tier: 'enterprise',
        isolation: 'silo',
        silo: before.silo,
      });
      expect(await tallyOf(platformEu().dynamo, siloTableName(config, tenantId))).toEqual(expected);
      expect(await rowsOf(h, { place: 'silo', tenantId }, tenantId)).toEqual(rows);
      expect(await stackStatusIn(platformEu().cfn, tenantId)).toBe('CREATE_COMPLETE');
      const [event] = eventsOf(await h.events(), 'TenantPromotionFailed', tenantId);
      expect(event?.detail).toMatchObject({ stage: 'rolled-back', rolledBack: true, failedState: state });
      if (state === 'RequestAccount') {
        expect(tenant.accountId).toBeUndefined();
        return;
      }
      const accountId = tenant.accountId as string;
      expect(tenant.accountStatus).toBe('SUSPENDED');
      expect(await organizationStatus(accountId)).toBe('SUSPENDED');
      const account = await inAccount(accountId);
      // the copies in the account silo's database were erased before its stack was deleted
      expect(await rowsOf(h, { place: 'silo', tenantId, accountId }, tenantId)).toEqual([]);
      expect(await stackStatusIn(account.cfn, tenantId)).toBe('ABSENT');
      expect(
        await failure(
          account.dynamo.send(new DescribeTableCommand({ TableName: siloTableName(config, tenantId) })),
        ),
      ).toBe('ResourceNotFoundException');
      expect(tenant.history).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            reason: `account: ${accountId} SUSPENDED`,
            executionArn: result.executionArn,
          }),
        ]),
      );
    },
  );

  it('the old silo teardown fails after the switch → the switch stands, the old silo is flagged TEARDOWN_FAILED', async () => {
    // Prepare
    const tenantId = 'pf-oldsilo';
    await siloTenant(tenantId);
    const before = await h.catalog.get(tenantId);
    const machine = await machineWithFault(h, 'promotion', ['OldSiloDeleteSilo'], 'InjectedFault', config);
    await h.events();

    // Act
    const result = await run(h, machine, { tenantId, targetTier: 'sovereign' }, 180_000);
    await clearFaults();

    // Assess
    expect(result.error).toBe('PromotionIncomplete');
    const tenant = await h.catalog.get(tenantId);
    expect(tenant).toMatchObject({
      status: 'ACTIVE',
      tier: 'sovereign',
      isolation: 'account',
      accountStatus: 'ACTIVE',
    });
    expect(await organizationStatus(tenant.accountId as string)).toBe('ACTIVE');
    expect(tenant.retiredSilos).toEqual([
      expect.objectContaining({
        silo: before.silo,
        status: 'TEARDOWN_FAILED',
        executionArn: result.executionArn,
        error: expect.stringContaining('OldSiloDeleteSilo: InjectedFault'),
      }),
    ]);
    // the old silo is still there (flagged), the account holds every item
    expect(await stackStatusIn(platformEu().cfn, tenantId)).toBe('CREATE_COMPLETE');
    const account = await inAccount(tenant.accountId as string);
    expect((await tallyOf(account.dynamo, siloTableName(config, tenantId))).count).toBe(ITEMS);
    expect(await rowsOf(h, { place: 'silo', tenantId, accountId: tenant.accountId }, tenantId)).toHaveLength(
      ROWS,
    );
    const [event] = eventsOf(await h.events(), 'TenantPromotionFailed', tenantId);
    expect(event?.detail).toMatchObject({ stage: 'switched', failedState: 'OldSiloDeleteSilo' });
  });

  it('running the promotion again resumes the flagged retirement: the old silo ERASED with this run, the account untouched', async () => {
    // Prepare: the test above left pf-oldsilo switched to its account with its old silo TEARDOWN_FAILED
    const tenantId = 'pf-oldsilo';
    const before = await h.catalog.get(tenantId);
    const old = before.retiredSilos?.[0];
    expect(old?.status).toBe('TEARDOWN_FAILED');
    await h.events();

    // Act
    const result = await run(h, 'promotion', { tenantId, targetTier: 'sovereign' }, 180_000);

    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(result.path).toEqual(
      expect.arrayContaining(['RetirementOnly?', 'ResumeRetireOldSilo', 'ResumeRecordOldSiloErased']),
    );
    expect(result.path).not.toContain('SetMigrating');
    expect(result.output).toMatchObject({
      tenantId,
      status: 'ACTIVE',
      tier: 'sovereign',
      isolation: 'account',
      retiredSilo: { stackId: old?.silo.stackId, status: 'ERASED' },
    });
    const tenant = await h.catalog.get(tenantId);
    expect(tenant).toMatchObject({
      status: 'ACTIVE',
      tier: 'sovereign',
      isolation: 'account',
      accountId: before.accountId,
      silo: before.silo,
    });
    expect(tenant.retiredSilos).toEqual([
      expect.objectContaining({
        silo: old?.silo,
        status: 'ERASED',
        executionArn: result.executionArn,
        remaining: { siloStack: false, table: false, kmsKey: false },
        error: null,
      }),
    ]);
    expect(await stackStatusIn(platformEu().cfn, tenantId)).toBe('ABSENT');
    expect(
      await failure(
        platformEu().dynamo.send(new DescribeTableCommand({ TableName: siloTableName(config, tenantId) })),
      ),
    ).toBe('ResourceNotFoundException');
    const { KeyMetadata } = await platformEu().kms.send(
      new DescribeKeyCommand({ KeyId: old?.silo.kmsKeyArn }),
    );
    expect(KeyMetadata?.KeyState).toBe('PendingDeletion');
    const account = await inAccount(tenant.accountId as string);
    expect(await stackStatusIn(account.cfn, tenantId)).toBe('CREATE_COMPLETE');
    expect((await tallyOf(account.dynamo, siloTableName(config, tenantId))).count).toBe(ITEMS);
    expect(eventsOf(await h.events(), 'TenantPromotionFailed', tenantId)).toEqual([]);
  });

  it('a promotion run again with nothing flagged is still refused as before', async () => {
    // Act
    const again = await run(h, 'promotion', { tenantId: 'pf-oldsilo', targetTier: 'sovereign' }, 60_000);

    // Assess
    expect(again.error).toBe('PromotionRejected');
    expect(again.cause).toContain('it already has its own account');
  });
});
