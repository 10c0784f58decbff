// Business tenants' dedicated collection tables through the real workflows on the local environment:
// onboarding creates the tier's table and records the ARN DynamoDB reports, a failure after it was
// created compensates (table gone, catalog without it), offboarding deletes it and the erasure record
// shows none left. Promotion moves it: collections-promotion.test.ts.
import {
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  ListTagsOfResourceCommand,
} from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectionTableName } from '../../../domain/tables';
import { clearFaults } from '../support';
import {
  config,
  eventsOf,
  type Harness,
  machineWithFault,
  run,
  seedItems,
  setupHarness,
  tableExists,
  tally,
} from './support';

let h: Harness;
beforeAll(async () => {
  h = await setupHarness();
});

const signup = (tenantId: string, tier = 'business') => ({
  tenantId,
  name: `${tenantId} AG`,
  tier,
  adminEmail: `admin@${tenantId}.example`,
});
const documentsTable = (tenantId: string) => collectionTableName(config, tenantId, 'documents');

describe('onboarding a business tenant', () => {
  it('creates its documents table (PITR, deletion protection, tenant tag) and records the real ARN', async () => {
    // Act
    const result = await run(h, 'onboarding', signup('biz-one'));

    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(result.path).toEqual(expect.arrayContaining(['CreateCollectionTables', 'ActivateTenant']));
    const { Table } = await h.dynamo.send(new DescribeTableCommand({ TableName: documentsTable('biz-one') }));
    expect(Table).toMatchObject({
      TableName: 'tenantry-dev-collection-biz-one.documents',
      TableStatus: 'ACTIVE',
      DeletionProtectionEnabled: true,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
    const tenant = await h.catalog.get('biz-one');
    expect(tenant).toMatchObject({ status: 'ACTIVE', tier: 'business', isolation: 'pool' });
    expect(tenant.collections).toEqual([
      { collection: 'documents', tableName: documentsTable('biz-one'), tableArn: Table?.TableArn },
    ]);
    const backups = await h.dynamo.send(
      new DescribeContinuousBackupsCommand({ TableName: documentsTable('biz-one') }),
    );
    expect(
      backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus,
    ).toBe('ENABLED');
    const { Tags } = await h.dynamo.send(new ListTagsOfResourceCommand({ ResourceArn: Table?.TableArn }));
    expect(Tags).toEqual([{ Key: 'tenantry:tenant-id', Value: 'biz-one' }]);
  });

  it('creates no collection table for a tier that names none', async () => {
    // Act
    const result = await run(h, 'onboarding', signup('pro-one', 'pro'));

    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect((await h.catalog.get('pro-one')).collections).toBeUndefined();
    expect(await tableExists(h, documentsTable('pro-one'))).toBe(false);
  });

  it.each(['ActivateTenant', 'CreateCollectionTables'])(
    '%s fails → compensated: no collection table, catalog FAILED without one, compensated event',
    async (state) => {
      // Prepare
      const tenantId = `biz-fault-${state === 'ActivateTenant' ? 'activate' : 'create'}`;
      const machine = await machineWithFault(h, 'onboarding', state);
      await h.events();

      // Act
      const result = await run(h, machine, signup(tenantId));
      await clearFaults();

      // Assess
      expect(result.error).toBe('OnboardingFailed');
      expect(result.path).toEqual(
        expect.arrayContaining([state, 'CompensateCollectionTables', 'MarkFailed']),
      );
      if (state === 'ActivateTenant') {
        // The table existed when the fault struck: created and recorded by the state before.
        expect(result.path).toEqual(expect.arrayContaining(['CreateCollectionTables']));
      }
      expect(await tableExists(h, documentsTable(tenantId))).toBe(false);
      const tenant = await h.catalog.get(tenantId);
      expect(tenant.status).toBe('FAILED');
      expect(tenant.collections).toBeUndefined();
      const [failed] = eventsOf(await h.events(), 'TenantOnboardingFailed', tenantId);
      expect(failed?.detail).toMatchObject({ failedState: state, compensated: true });
    },
  );

  it('a failing CompensateCollectionTables is reported (compensated: false) and the tenant still ends FAILED', async () => {
    // Prepare
    const machine = await machineWithFault(h, 'onboarding', ['ActivateTenant', 'CompensateCollectionTables']);
    await h.events();

    // Act
    const result = await run(h, machine, signup('biz-cmp-fault'));
    await clearFaults();

    // Assess
    expect(result.error).toBe('OnboardingFailed');
    expect((await h.catalog.get('biz-cmp-fault')).status).toBe('FAILED');
    const [failed] = eventsOf(await h.events(), 'TenantOnboardingFailed', 'biz-cmp-fault');
    expect(failed?.detail).toMatchObject({ compensated: false, failedState: 'ActivateTenant' });
    expect(failed?.detail.compensationErrors).toEqual([
      expect.objectContaining({ state: 'CompensateCollectionTables', error: 'InjectedFault' }),
    ]);
  });
});

describe('offboarding a business tenant', () => {
  it('deletes its documents table with its items; the erasure record shows no collection table left', async () => {
    // Prepare
    const onboarded = await run(h, 'onboarding', signup('biz-leaver'));
    expect(onboarded.status, onboarded.cause).toBe('SUCCEEDED');
    await seedItems(h, documentsTable('biz-leaver'), 'biz-leaver', 12);
    await seedItems(h, h.life.pooledTable, 'biz-leaver', 5);

    // Act
    const result = await run(h, 'offboarding', { tenantId: 'biz-leaver', reason: 'contract ended' });

    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(result.path).toEqual(expect.arrayContaining(['DeleteCollectionTables', 'VerifyErasure']));
    expect(await tableExists(h, documentsTable('biz-leaver'))).toBe(false);
    expect((await tally(h, h.life.pooledTable, 'biz-leaver')).count).toBe(0);
    const tombstone = await h.catalog.get('biz-leaver');
    expect(tombstone.status).toBe('OFFBOARDED');
    expect(tombstone.collections).toBeUndefined();
    expect(tombstone.erasure?.remaining).toEqual({
      items: 0,
      objects: 0,
      users: 0,
      collectionTables: 0,
      siloStack: false,
      kmsKey: false,
    });
    expect(tombstone.history.map((e) => e.reason)).toContain(
      `collection tables: ${documentsTable('biz-leaver')} → none`,
    );
  });
});
