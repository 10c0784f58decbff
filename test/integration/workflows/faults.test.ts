// Fault injection on the real interpreter: for every Task state of every workflow, that state fails
// with a non-retryable error and the documented end state is asserted (compensated / rolled back /
// left re-runnable, nothing orphaned, catalog consistent, failure event emitted). Lambda tasks fail
// through the handler host's fault book; service-integration tasks are swapped for a call that fails
// the same way (support.ts: machineWithFault). A transient error is retried and the run succeeds.

import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { promotionExecutionName } from '../../../domain/lifecycle/execution-name';
import { clearFaults, injectFault, listInvocations } from '../support';
import {
  activeTenant,
  eventsOf,
  forwardTaskStates,
  groupExists,
  type Harness,
  machineWithFault,
  machineWithPause,
  objectKeys,
  putObjects,
  rowsOf,
  run,
  seedItems,
  seedRows,
  setupHarness,
  siloTable,
  sqlIn,
  stackStatus,
  start,
  tableExists,
  tally,
  taskStates,
  tenantUser,
  userTenant,
  userTier,
  waitForState,
} from './support';

let h: Harness;

beforeAll(async () => {
  h = await setupHarness();
});

const signup = (tenantId: string) => ({
  tenantId,
  name: `${tenantId} GmbH`,
  tier: 'enterprise',
  adminEmail: `admin@${tenantId}.example`,
});
const slug = (state: string) => state.toLowerCase().replace(/[^a-z0-9]/g, '');
const except = (states: readonly string[], special: readonly string[]) =>
  states.filter((s) => !special.includes(s));

// The fault lists are walked from the definitions (every Task state on the forward path); the states
// with an end state of their own are tested separately, and the failure-path tasks are faulted in
// compensation-faults.test.ts. A new Task state fails the coverage test until it is placed.
const demotionForwardTasks = [
  'CreateDemotionTables',
  'DemotionCopyChunk',
  'DemotionVerifyChunk',
  'DemotionRowsCopyChunk',
  'VerifyDemotionRows',
  'SwitchToPool',
  'UpdateDemotionUserTiers',
  'ActivateOnPool',
  'EraseOldSiloRowsChunk',
  'DemotionRetireOldSilo',
  'DemotionOldSiloDeleteSilo',
  'DemotionVerifyOldSiloErased',
  'DemotionRecordOldSiloErased',
  'EmitTenantDemoted',
];
const demotionFailurePathTasks = [
  'DemotionFlagOldSilo',
  'EmitDemotionIncomplete',
  'RevertToSiloPlacement',
  'RemoveDemotionCopiesChunk',
  'RemoveDemotionRowsChunk',
  'RollbackDemotionTables',
];
// The resumed retirement of a TEARDOWN_FAILED old silo (a re-run to the tenant's own tier,
// workflows/old-silo.ts): faulted in old-silo.test.ts.
const resumeForwardTasks = [
  'ResumeRetireOldSilo',
  'ResumeOldSiloDeleteSilo',
  'ResumeVerifyOldSiloErased',
  'ResumeRecordOldSiloErased',
];
const resumeFailurePathTasks = ['ResumeFlagOldSilo', 'EmitRetirementIncomplete'];
const special = {
  // CreateCollectionTables is on the pool path only: faulted with a business signup in collections.test.ts.
  onboarding: ['Validate', 'CreateTenantRecord', 'CreateCollectionTables', 'EmitTenantOnboarded'],
  // CreateCollectionTables is on the pool-tier path only: faulted in collections-promotion.test.ts.
  promotion: [
    'Validate',
    'CreateCollectionTables',
    'EmitTenantPromoted',
    ...demotionForwardTasks, // demotion.test.ts (a silo tenant to a pool tier)
    ...resumeForwardTasks, // old-silo.test.ts
  ],
  offboarding: ['Validate', 'EmitTenantOffboarded'],
} as const;
const failurePathTasks = {
  onboarding: [
    'CheckExistingAdmin',
    'EmitOnboardingRejected',
    'CompensateIdentity',
    'CompensateCollectionTables', // collections.test.ts
    'CompensateDeleteSilo',
    'ForgetSiloResources',
    'MarkFailed',
    'EmitOnboardingFailed',
  ],
  promotion: [
    'EmitPromotionRejected',
    'RecreateCollectionTables', // collections-promotion.test.ts
    'RestoreChunk',
    'RestoreRowsChunk', // compensation-faults.test.ts
    'RevertCatalog',
    'RevertUserTiers',
    'RemoveCopiesChunk', // collections-promotion.test.ts
    'RollbackCollectionTables', // collections-promotion.test.ts
    'RemoveSiloRowsChunk', // compensation-faults.test.ts
    'RollbackDeleteSilo',
    'RestoreActive',
    'EmitPromotionFailed',
    ...demotionFailurePathTasks, // demotion.test.ts
    ...resumeFailurePathTasks, // old-silo.test.ts
  ],
  offboarding: ['EmitOffboardingRejected', 'EmitOffboardingFailed'],
} as const;

describe('fault coverage', () => {
  it.each(['onboarding', 'promotion', 'offboarding'] as const)(
    'every Task state of %s is faulted by a test',
    (workflow) => {
      const covered = [...forwardTaskStates(workflow), ...failurePathTasks[workflow]].sort();
      expect(covered).toEqual([...taskStates(workflow)].sort());
    },
  );
});

describe('onboarding (silo tier, so every task state is on the path)', () => {
  const compensated = except(forwardTaskStates('onboarding'), special.onboarding);

  it.each(compensated)(
    '%s fails → compensated: nothing left, tenant FAILED with the reason, failure event',
    async (state) => {
      // Prepare
      const tenantId = `onb-${slug(state)}`.slice(0, 40);
      const machine = await machineWithFault(h, 'onboarding', state);
      await h.events();
      // Act
      const result = await run(h, machine, signup(tenantId));
      await clearFaults();
      // Assess
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('OnboardingFailed');
      expect(result.cause).toContain(`${state}: InjectedFault`);
      expect(result.path).toEqual(
        expect.arrayContaining([state, 'Compensate', 'CompensateIdentity', 'MarkFailed']),
      );
      const tenant = await h.catalog.get(tenantId);
      expect(tenant.status).toBe('FAILED');
      expect(tenant.silo).toBeUndefined();
      expect(tenant.history.at(-1)).toMatchObject({
        from: 'PENDING',
        to: 'FAILED',
        reason: `${state}: InjectedFault`,
        executionArn: result.executionArn,
      });
      expect(await groupExists(h, tenantId)).toBe(false);
      expect(await userTenant(h, `admin@${tenantId}.example`)).toBeNull();
      expect(await stackStatus(h, tenantId)).toBe('ABSENT');
      expect(await tableExists(h, siloTable(tenantId))).toBe(false);
      const failed = eventsOf(await h.events(), 'TenantOnboardingFailed', tenantId);
      expect(failed.map((e) => e.detail)).toEqual([
        expect.objectContaining({
          stage: 'compensated',
          failedState: state,
          error: 'InjectedFault',
          compensated: true,
        }),
      ]);
    },
  );

  it('Validate fails → rejected: no record, nothing created, failure event', async () => {
    const machine = await machineWithFault(h, 'onboarding', 'Validate');
    const result = await run(h, machine, signup('onb-validate'));
    await clearFaults();
    expect(result.error).toBe('OnboardingRejected');
    expect(result.path).toEqual(['Validate', 'EmitOnboardingRejected', 'OnboardingRejected']);
    expect(await h.catalog.find('onb-validate')).toBeUndefined();
    expect(await groupExists(h, 'onb-validate')).toBe(false);
    expect(eventsOf(await h.events(), 'TenantOnboardingFailed', 'onb-validate')[0]?.detail).toMatchObject({
      stage: 'rejected',
    });
  });

  it('CreateTenantRecord fails → compensated: no record, no group, no user, no stack, failure event', async () => {
    const machine = await machineWithFault(h, 'onboarding', 'CreateTenantRecord');
    const result = await run(h, machine, signup('onb-record'));
    await clearFaults();
    expect(result.error).toBe('OnboardingFailed');
    expect(await h.catalog.find('onb-record')).toBeUndefined();
    expect(await groupExists(h, 'onb-record')).toBe(false);
    expect(await stackStatus(h, 'onb-record')).toBe('ABSENT');
    expect(eventsOf(await h.events(), 'TenantOnboardingFailed', 'onb-record')[0]?.detail).toMatchObject({
      failedState: 'CreateTenantRecord',
      compensated: true,
    });
  });

  it('CheckExistingAdmin: an admin email owned by another tenant fails the run and that user is never touched', async () => {
    const first = await run(h, 'onboarding', {
      ...signup('owner-co'),
      tier: 'pro',
      adminEmail: 'shared@corp.example',
    });
    expect(first.status, first.cause).toBe('SUCCEEDED');
    const result = await run(h, 'onboarding', { ...signup('taker-co'), adminEmail: 'shared@corp.example' });
    expect(result.error).toBe('OnboardingFailed');
    expect(result.path).toEqual(
      expect.arrayContaining(['CheckExistingAdmin', 'AdminIsOurs?', 'AdminOwnedElsewhere']),
    );
    expect(result.cause).toContain('AdminUserBelongsToAnotherTenant');
    expect(await userTenant(h, 'shared@corp.example')).toBe('owner-co');
    expect(await groupExists(h, 'owner-co')).toBe(true);
    expect(await groupExists(h, 'taker-co')).toBe(false);
    expect((await h.catalog.get('taker-co')).status).toBe('FAILED');
  });

  it('CheckExistingAdmin fails → compensated', async () => {
    await run(h, 'onboarding', { ...signup('owner-two'), tier: 'pro', adminEmail: 'shared2@corp.example' });
    const machine = await machineWithFault(h, 'onboarding', 'CheckExistingAdmin');
    const result = await run(h, machine, { ...signup('taker-two'), adminEmail: 'shared2@corp.example' });
    await clearFaults();
    expect(result.cause).toContain('CheckExistingAdmin: InjectedFault');
    expect(await userTenant(h, 'shared2@corp.example')).toBe('owner-two');
    expect((await h.catalog.get('taker-two')).status).toBe('FAILED');
    expect(await groupExists(h, 'taker-two')).toBe(false);
  });

  it('a failing compensation step is reported and the next steps still run (never left PENDING)', async () => {
    const machine = await machineWithFault(h, 'onboarding', 'RecordSiloResources');
    await injectFault({ function: 'tenant-identity-purge', errorName: 'InjectedFault', times: 1 });
    await h.events();
    const result = await run(h, machine, signup('onb-double'));
    await clearFaults();
    expect(result.error).toBe('OnboardingFailed');
    expect((await h.catalog.get('onb-double')).status).toBe('FAILED');
    expect(await stackStatus(h, 'onb-double')).toBe('ABSENT');
    const [event] = eventsOf(await h.events(), 'TenantOnboardingFailed', 'onb-double');
    expect(event?.detail).toMatchObject({ compensated: false, failedState: 'RecordSiloResources' });
    expect(event?.detail.compensationErrors).toEqual([
      expect.objectContaining({ state: 'CompensateIdentity' }),
    ]);
  });

  it('EmitTenantOnboarded fails → the tenant stays ACTIVE and complete; the run reports the missing event', async () => {
    const machine = await machineWithFault(h, 'onboarding', 'EmitTenantOnboarded');
    const result = await run(h, machine, signup('onb-emit'));
    await clearFaults();
    expect(result.error).toBe('OnboardedEventNotSent');
    expect(await h.catalog.get('onb-emit')).toMatchObject({ status: 'ACTIVE', isolation: 'silo' });
    expect(await stackStatus(h, 'onb-emit')).toBe('CREATE_COMPLETE');
  });

  it('a transient error is retried and the run succeeds', async () => {
    await injectFault({ function: 'tenant-catalog', errorName: 'Lambda.TooManyRequestsException', times: 1 });
    const result = await run(h, 'onboarding', { ...signup('onb-transient'), tier: 'starter' });
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const catalogCalls = (await listInvocations()).filter((c) => c.folder === 'tenant-catalog');
    expect(catalogCalls.map((c) => c.error ?? 'ok').slice(-2)).toEqual([
      'Lambda.TooManyRequestsException',
      'ok',
    ]);
    expect((await h.catalog.get('onb-transient')).status).toBe('ACTIVE');
  });
});

describe('promotion (pool → silo)', () => {
  const ITEMS = 40;
  const ROWS = 25;
  /** The tenant's PostgreSQL rows as seeded in the pooled database, by tenant. */
  const seededRows = new Map<string, Awaited<ReturnType<typeof rowsOf>>>();

  async function pooledTenantWithItems(tenantId: string) {
    await activeTenant(h, tenantId, 'pro');
    await seedItems(h, h.life.pooledTable, tenantId, ITEMS);
    await seedRows(h, { place: 'pool' }, tenantId, ROWS);
    const rows = await rowsOf(h, { place: 'pool' }, tenantId);
    expect(rows).toHaveLength(ROWS);
    seededRows.set(tenantId, rows);
    await tenantUser(h, tenantId, `user@${tenantId}.example`, 'pro');
    return tally(h, h.life.pooledTable, tenantId);
  }

  async function expectRolledBack(
    tenantId: string,
    before: { count: number; checksum: string },
    executionArn: string,
    failedState: string,
  ) {
    const tenant = await h.catalog.get(tenantId);
    expect(tenant).toMatchObject({ status: 'ACTIVE', tier: 'pro', isolation: 'pool' });
    expect(tenant.silo).toBeUndefined();
    expect(await userTier(h, `user@${tenantId}.example`)).toBe('pro');
    expect(await tally(h, h.life.pooledTable, tenantId)).toEqual(before);
    // every row back in the pooled database, none left in the silo's
    expect(await rowsOf(h, { place: 'pool' }, tenantId)).toEqual(seededRows.get(tenantId));
    expect(await rowsOf(h, { place: 'silo', tenantId }, tenantId)).toEqual([]);
    expect(await stackStatus(h, tenantId)).toBe('ABSENT');
    expect(await tableExists(h, siloTable(tenantId))).toBe(false);
    const mine = tenant.history.filter((e) => e.executionArn === executionArn);
    if (failedState === 'SetMigrating') {
      // never locked: the run changed nothing in the catalog
      expect(mine).toEqual([]);
    } else {
      expect(tenant.history.at(-1)).toMatchObject({ from: 'MIGRATING', to: 'ACTIVE', executionArn });
    }
  }

  const purgeStarted = [
    'PurgePoolChunk',
    'ReverifyRows',
    'ErasePoolRowsChunk',
    'DeleteCollectionTables',
    'ActivateTenant',
  ];

  it('UpdateUserTiers is on the forward path, after the catalog switch and before the purge', () => {
    const forward = forwardTaskStates('promotion');
    expect(forward.indexOf('UpdateUserTiers')).toBe(forward.indexOf('SwitchCatalog') + 1);
    expect(forward.indexOf('PurgePoolChunk')).toBe(forward.indexOf('UpdateUserTiers') + 1);
  });

  it('ActivateTenant fails after the users moved to the new tier → rollback restores the old tier everywhere', async () => {
    // Prepare
    const tenantId = 'pro-users-back';
    const before = await pooledTenantWithItems(tenantId);
    await tenantUser(h, tenantId, `second@${tenantId}.example`, 'pro');
    const machine = await machineWithFault(h, 'promotion', 'ActivateTenant');
    // Act
    const result = await run(h, machine, { tenantId, targetTier: 'enterprise' });
    await clearFaults();
    // Assess: the users had moved (audited), then were moved back (audited), catalog back on the pool
    expect(result.error).toBe('PromotionFailed');
    expect(result.path).toEqual(
      expect.arrayContaining(['UpdateUserTiers', 'ActivateTenant', 'RevertUserTiers']),
    );
    await expectRolledBack(tenantId, before, result.executionArn, 'ActivateTenant');
    expect(await userTier(h, `second@${tenantId}.example`)).toBe('pro');
    const reasons = (await h.catalog.get(tenantId)).history
      .filter((e) => e.executionArn === result.executionArn && e.reason?.startsWith('user tier'))
      .map((e) => e.reason);
    expect(reasons).toEqual(['user tier → enterprise: 2 of 2 users', 'user tier → pro: 2 of 2 users']);
  });

  it.each(except(forwardTaskStates('promotion'), special.promotion))(
    '%s fails → rolled back to the pool: items intact, silo deleted, ACTIVE, failure event',
    async (state) => {
      const tenantId = `pro-${slug(state)}`.slice(0, 40);
      const before = await pooledTenantWithItems(tenantId);
      const machine = await machineWithFault(h, 'promotion', state);
      await h.events();
      const result = await run(h, machine, { tenantId, targetTier: 'enterprise' });
      await clearFaults();
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('PromotionFailed');
      expect(result.cause).toContain(`${state}: InjectedFault`);
      expect(result.path).toEqual(
        expect.arrayContaining([state, 'Rollback', 'RevertCatalog', 'RevertUserTiers', 'RestoreActive']),
      );
      expect(result.path.includes('RestoreChunk')).toBe(purgeStarted.includes(state));
      await expectRolledBack(tenantId, before, result.executionArn, state);
      expect(eventsOf(await h.events(), 'TenantPromotionFailed', tenantId).map((e) => e.detail)).toEqual([
        expect.objectContaining({ stage: 'rolled-back', failedState: state, rolledBack: true }),
      ]);
    },
  );

  it('Validate fails → rejected, nothing changed', async () => {
    const before = await pooledTenantWithItems('pro-validate');
    const version = (await h.catalog.get('pro-validate')).version;
    const machine = await machineWithFault(h, 'promotion', 'Validate');
    const result = await run(h, machine, { tenantId: 'pro-validate', targetTier: 'enterprise' });
    await clearFaults();
    expect(result.error).toBe('PromotionRejected');
    expect((await h.catalog.get('pro-validate')).version).toBe(version);
    expect(await tally(h, h.life.pooledTable, 'pro-validate')).toEqual(before);
  });

  it('re-running a promotion after its fault is removed completes', async () => {
    const before = await pooledTenantWithItems('pro-rerun');
    const faulty = await machineWithFault(h, 'promotion', 'VerifyChunk');
    const failed = await run(h, faulty, { tenantId: 'pro-rerun', targetTier: 'enterprise' });
    await clearFaults();
    expect(failed.error).toBe('PromotionFailed');
    const rerun = await run(h, 'promotion', { tenantId: 'pro-rerun', targetTier: 'enterprise' });
    expect(rerun.status, rerun.cause).toBe('SUCCEEDED');
    expect(await tally(h, siloTable('pro-rerun'), 'pro-rerun')).toEqual(before);
    expect((await tally(h, h.life.pooledTable, 'pro-rerun')).count).toBe(0);
    expect(await h.catalog.get('pro-rerun')).toMatchObject({ status: 'ACTIVE', isolation: 'silo' });
    // the rows moved with the items: all in the silo's database, none left in the pool's
    expect(await rowsOf(h, { place: 'silo', tenantId: 'pro-rerun' }, 'pro-rerun')).toEqual(
      seededRows.get('pro-rerun'),
    );
    expect(await rowsOf(h, { place: 'pool' }, 'pro-rerun')).toEqual([]);
    expect(rerun.output).toMatchObject({ items: ITEMS });
  });

  it('a transient copy error is retried and the promotion succeeds', async () => {
    const before = await pooledTenantWithItems('pro-transient');
    await injectFault({ function: 'tenant-data-copy', errorName: 'Lambda.ServiceException', times: 1 });
    const result = await run(h, 'promotion', { tenantId: 'pro-transient', targetTier: 'enterprise' });
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(await tally(h, siloTable('pro-transient'), 'pro-transient')).toEqual(before);
  });

  it('EmitTenantPromoted fails → the tenant stays ACTIVE on its complete silo', async () => {
    const before = await pooledTenantWithItems('pro-emit');
    const machine = await machineWithFault(h, 'promotion', 'EmitTenantPromoted');
    const result = await run(h, machine, { tenantId: 'pro-emit', targetTier: 'enterprise' });
    await clearFaults();
    expect(result.error).toBe('PromotedEventNotSent');
    expect(await h.catalog.get('pro-emit')).toMatchObject({ status: 'ACTIVE', isolation: 'silo' });
    expect(await tally(h, siloTable('pro-emit'), 'pro-emit')).toEqual(before);
  });
});

describe('offboarding', () => {
  async function onboardedWithData(tenantId: string, tier: string) {
    const result = await run(h, 'onboarding', {
      tenantId,
      name: tenantId,
      tier,
      adminEmail: `admin@${tenantId}.example`,
    });
    expect(result.status, result.cause).toBe('SUCCEEDED');
    await seedItems(h, h.life.pooledTable, tenantId, 20);
    await putObjects(h, [`${tenantId}/a.txt`, `${tenantId}/b/c.txt`]);
    // rows in the pooled database, and for a silo tenant in its silo's
    await seedRows(h, { place: 'pool' }, tenantId, 7);
    if (tier === 'enterprise') await seedRows(h, { place: 'silo', tenantId }, tenantId, 11);
  }

  async function expectErased(tenantId: string) {
    expect((await h.catalog.get(tenantId)).status).toBe('OFFBOARDED');
    expect((await tally(h, h.life.pooledTable, tenantId)).count).toBe(0);
    expect(await rowsOf(h, { place: 'pool' }, tenantId)).toEqual([]);
    expect(await rowsOf(h, { place: 'silo', tenantId }, tenantId)).toEqual([]);
    expect(await objectKeys(h, `${tenantId}/`)).toEqual([]);
    expect(await groupExists(h, tenantId)).toBe(false);
    expect(await userTenant(h, `admin@${tenantId}.example`)).toBeNull();
    expect(await stackStatus(h, tenantId)).toBe('ABSENT');
  }

  it.each(
    except(forwardTaskStates('offboarding'), special.offboarding).map((state) => [
      state,
      state.includes('Silo') ? 'enterprise' : 'pro',
    ]),
  )(
    '%s fails → failure event, no access (never ACTIVE again), and a re-run erases everything',
    async (state, tier) => {
      const tenantId = `off-${slug(state)}`.slice(0, 40);
      await onboardedWithData(tenantId, tier);
      const machine = await machineWithFault(h, 'offboarding', state);
      await h.events();
      const result = await run(h, machine, { tenantId });
      await clearFaults();
      expect(result.error).toBe('OffboardingFailed');
      expect(result.cause).toContain(`${state}: InjectedFault`);
      const status = (await h.catalog.get(tenantId)).status;
      // the status change itself failed: still ACTIVE; otherwise OFFBOARDING (access denied) until re-run
      expect(status).toBe(state === 'SetOffboarding' ? 'ACTIVE' : 'OFFBOARDING');
      expect(eventsOf(await h.events(), 'TenantOffboardingFailed', tenantId)[0]?.detail).toMatchObject({
        stage: 'interrupted',
        failedState: state,
      });
      const rerun = await run(h, 'offboarding', { tenantId });
      expect(rerun.status, rerun.cause).toBe('SUCCEEDED');
      await expectErased(tenantId);
    },
  );

  it('Validate fails → rejected, tenant untouched', async () => {
    await activeTenant(h, 'off-validate', 'pro');
    const machine = await machineWithFault(h, 'offboarding', 'Validate');
    const result = await run(h, machine, { tenantId: 'off-validate' });
    await clearFaults();
    expect(result.error).toBe('OffboardingRejected');
    expect((await h.catalog.get('off-validate')).status).toBe('ACTIVE');
  });

  it('EmitTenantOffboarded fails → erased and OFFBOARDED; the run reports the missing event', async () => {
    await onboardedWithData('off-emit', 'pro');
    const machine = await machineWithFault(h, 'offboarding', 'EmitTenantOffboarded');
    const result = await run(h, machine, { tenantId: 'off-emit' });
    await clearFaults();
    expect(result.error).toBe('OffboardedEventNotSent');
    await expectErased('off-emit');
  });
});

describe('promotion: writes during the freeze and concurrent runs', () => {
  it('an item written to the pool after the copy is never purged: the purge refuses and the promotion rolls back', async () => {
    // Prepare: a pooled tenant; the run pauses after VerifyChunk (one chunk: copy verified, purge not started)
    const tenantId = 'pro-late-write';
    await activeTenant(h, tenantId, 'pro');
    await seedItems(h, h.life.pooledTable, tenantId, 30);
    const machine = await machineWithPause(h, 'promotion', 'VerifyChunk', 6);
    await h.events();
    // Act: during the pause, a session with cached read-write access adds one item and changes another
    const execution = await start(h, machine, { tenantId, targetTier: 'enterprise' });
    await waitForState(h, execution.executionArn, 'TestPause');
    await h.dynamo.send(
      new PutItemCommand({
        TableName: h.life.pooledTable,
        Item: {
          pk: { S: `TENANT#${tenantId}#docs` },
          sk: { S: 'written-late' },
          tenantId: { S: tenantId },
          body: { S: 'after the copy' },
        },
      }),
    );
    await h.dynamo.send(
      new UpdateItemCommand({
        TableName: h.life.pooledTable,
        Key: { pk: { S: `TENANT#${tenantId}#docs` }, sk: { S: 'item-000000' } },
        UpdateExpression: 'SET body = :b',
        ExpressionAttributeValues: { ':b': { S: 'changed after the copy' } },
      }),
    );
    const afterWrites = await tally(h, h.life.pooledTable, tenantId);
    const result = await execution.wait();
    // Assess: rolled back; the pool holds every item including the late write and the change
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PromotionFailed');
    expect(result.cause).toContain('PurgePoolChunk: PurgeRefusedError');
    expect(result.path).toEqual(
      expect.arrayContaining([
        'PurgePoolChunk',
        'Rollback',
        'RestoreChunk',
        'RevertCatalog',
        'RestoreActive',
      ]),
    );
    expect(afterWrites.count).toBe(31);
    expect(await tally(h, h.life.pooledTable, tenantId)).toEqual(afterWrites);
    const tenant = await h.catalog.get(tenantId);
    expect(tenant).toMatchObject({ status: 'ACTIVE', tier: 'pro', isolation: 'pool' });
    expect(tenant.silo).toBeUndefined();
    expect(await stackStatus(h, tenantId)).toBe('ABSENT');
    expect(eventsOf(await h.events(), 'TenantPromotionFailed', tenantId).map((e) => e.detail)).toEqual([
      expect.objectContaining({
        stage: 'rolled-back',
        failedState: 'PurgePoolChunk',
        error: 'PurgeRefusedError',
        rolledBack: true,
      }),
    ]);
  });

  it('a row changed in the pool after the rows were verified is never erased: the re-verification refuses and the promotion rolls back', async () => {
    // Prepare: a pooled tenant with rows; the run pauses after VerifyRows (rows copied and verified)
    const tenantId = 'pro-late-row';
    await activeTenant(h, tenantId, 'pro');
    await seedItems(h, h.life.pooledTable, tenantId, 10);
    await seedRows(h, { place: 'pool' }, tenantId, 8);
    const machine = await machineWithPause(h, 'promotion', 'VerifyRows', 6);
    await h.events();
    // Act: during the pause a write that outlived the freeze changes one pooled row
    const execution = await start(h, machine, { tenantId, targetTier: 'enterprise' });
    await waitForState(h, execution.executionArn, 'TestPause');
    await sqlIn(
      h,
      { place: 'pool' },
      "UPDATE tenantry.documents SET title = 'changed late' WHERE tenant_id = $1 AND id = 'row-00003'",
      [tenantId],
    );
    const afterWrite = await rowsOf(h, { place: 'pool' }, tenantId);
    const result = await execution.wait();
    // Assess: rolled back before any row was erased; the pool keeps every row, the change included
    expect(result.error).toBe('PromotionFailed');
    expect(result.cause).toContain('ReverifyRows: RowsVerificationError');
    expect(result.path).toEqual(
      expect.arrayContaining(['ReverifyRows', 'RestoreRowsChunk', 'RemoveSiloRowsChunk']),
    );
    expect(result.path).not.toContain('ErasePoolRowsChunk');
    expect(afterWrite.find((r) => r.id === 'row-00003')?.title).toBe('changed late');
    expect(await rowsOf(h, { place: 'pool' }, tenantId)).toEqual(afterWrite);
    expect(await rowsOf(h, { place: 'silo', tenantId }, tenantId)).toEqual([]);
    expect(await h.catalog.get(tenantId)).toMatchObject({ status: 'ACTIVE', tier: 'pro', isolation: 'pool' });
  });

  it('a second promotion of a tenant already MIGRATING is rejected and undoes nothing of the first', async () => {
    // Prepare: run B passes Validate (tenant ACTIVE) and pauses; run A then sets MIGRATING
    const tenantId = 'pro-concurrent';
    await activeTenant(h, tenantId, 'pro');
    await seedItems(h, h.life.pooledTable, tenantId, 30);
    const before = await tally(h, h.life.pooledTable, tenantId);
    const paused = await machineWithPause(h, 'promotion', 'Validate', 12);
    await h.events();
    const second = await start(h, paused, { tenantId, targetTier: 'enterprise' });
    await waitForState(h, second.executionArn, 'TestPause');
    const first = await start(h, 'promotion', { tenantId, targetTier: 'enterprise' });
    await waitForState(h, first.executionArn, 'WriteFreeze');
    // Act
    const [rejected, promoted] = await Promise.all([second.wait(), first.wait(180_000)]);
    // Assess: B rejected without rollback; A completed
    expect(rejected.error, `${rejected.cause} ${rejected.path.join(',')}`).toBe('PromotionRejected');
    // A is MIGRATING (IllegalTransitionError) or already done (StaleLifecyclePlanError) when B resumes
    expect(rejected.cause).toMatch(/^SetMigrating: (IllegalTransitionError|StaleLifecyclePlanError)/);
    expect(rejected.path).toEqual([
      'Validate',
      'TestPause',
      'RetirementOnly?',
      'SetMigrating',
      'EmitPromotionRejected',
      'PromotionRejected',
    ]);
    expect(promoted.status, promoted.cause).toBe('SUCCEEDED');
    expect(await tally(h, siloTable(tenantId), tenantId)).toEqual(before);
    expect((await tally(h, h.life.pooledTable, tenantId)).count).toBe(0);
    const tenant = await h.catalog.get(tenantId);
    expect(tenant).toMatchObject({ status: 'ACTIVE', tier: 'enterprise', isolation: 'silo' });
    expect(tenant.history.filter((e) => e.executionArn === rejected.executionArn)).toEqual([]);
    expect(eventsOf(await h.events(), 'TenantPromotionFailed', tenantId).map((e) => e.detail)).toEqual([
      expect.objectContaining({ stage: 'rejected', failedState: 'SetMigrating' }),
    ]);
  });

  it('promotion execution names are per tenant and catalog version: a second concurrent start is refused', async () => {
    const tenantId = 'pro-named';
    const tenant = await activeTenant(h, tenantId, 'pro');
    const name = promotionExecutionName(tenantId, tenant.version);
    const paused = await machineWithPause(h, 'promotion', 'Validate', 3);
    const first = await start(h, paused, { tenantId, targetTier: 'enterprise' }, name);
    await expect(
      start(h, paused, { tenantId, targetTier: 'enterprise', note: 'again' }, name),
    ).rejects.toThrow(/already exists/i);
    expect((await first.wait(180_000)).status).toBe('SUCCEEDED');
  });
});

describe('re-onboarding a FAILED tenant', () => {
  it('a tenant whose onboarding was compensated (FAILED) is onboarded by a new signup', async () => {
    // Prepare: a failed onboarding leaves the tenant FAILED
    const tenantId = 'onb-again';
    const machine = await machineWithFault(h, 'onboarding', 'ActivateTenant');
    const failed = await run(h, machine, { ...signup(tenantId), tier: 'pro' });
    await clearFaults();
    expect((await h.catalog.get(tenantId)).status).toBe('FAILED');
    // Act
    const again = await run(h, 'onboarding', { ...signup(tenantId), tier: 'pro', name: 'Again GmbH' });
    // Assess
    expect(failed.error).toBe('OnboardingFailed');
    expect(again.status, again.cause).toBe('SUCCEEDED');
    const tenant = await h.catalog.get(tenantId);
    expect(tenant).toMatchObject({ status: 'ACTIVE', name: 'Again GmbH', tier: 'pro' });
    expect(tenant.history.map((e) => [e.from, e.to])).toEqual([
      [null, 'PENDING'],
      ['PENDING', 'FAILED'],
      ['FAILED', 'PENDING'],
      ['PENDING', 'ACTIVE'],
    ]);
    expect(tenant.history.at(-2)?.executionArn).toBe(again.executionArn);
    expect(await groupExists(h, tenantId)).toBe(true);
    expect(await userTenant(h, `admin@${tenantId}.example`)).toBe(tenantId);
  });
});
