// Faults on the failure paths themselves: a first fault sends the run into compensation / rollback,
// a second one hits a compensation, rollback or failure-event task. Documented end states: the
// remaining steps still run, the failure event reports what could not be undone (compensated /
// rolledBack false, with the failed steps), the tenant is never left locked by a workflow decision —
// only a catalog that stays unavailable through every retry can leave it PENDING or MIGRATING.
import { beforeAll, describe, expect, it } from 'vitest';
import { clearFaults } from '../support';
import {
  activeTenant,
  eventsOf,
  groupExists,
  type Harness,
  machineWithFault,
  rowsOf,
  run,
  seedItems,
  seedRows,
  setupHarness,
  siloTable,
  stackStatus,
  tally,
} from './support';

let h: Harness;
beforeAll(async () => {
  h = await setupHarness();
});

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
const silo = (tenantId: string) => ({
  tenantId,
  name: tenantId,
  tier: 'enterprise',
  adminEmail: `admin@${tenantId}.example`,
});

describe('onboarding compensation faults (first fault: RecordSiloResources, the stack exists)', () => {
  it.each([
    ['CompensateDeleteSilo', 'FAILED', 'CREATE_COMPLETE'],
    ['ForgetSiloResources', 'FAILED', 'ABSENT'],
    ['MarkFailed', 'PENDING', 'ABSENT'],
  ])(
    '%s fails → the other steps still run; the event reports it (compensated: false)',
    async (second, status, stack) => {
      const tenantId = `cmp-${slug(second)}`;
      const machine = await machineWithFault(h, 'onboarding', ['RecordSiloResources', second]);
      await h.events();
      const result = await run(h, machine, silo(tenantId));
      await clearFaults();
      expect(result.error).toBe('OnboardingFailed');
      expect(result.cause).toContain('RecordSiloResources: InjectedFault');
      expect((await h.catalog.get(tenantId)).status).toBe(status);
      expect(await groupExists(h, tenantId)).toBe(false);
      expect(await stackStatus(h, tenantId)).toBe(stack);
      const [event] = eventsOf(await h.events(), 'TenantOnboardingFailed', tenantId);
      expect(event?.detail).toMatchObject({ compensated: false, failedState: 'RecordSiloResources' });
      expect(event?.detail.compensationErrors).toEqual([
        expect.objectContaining({ state: second, error: 'InjectedFault' }),
      ]);
    },
  );

  it('EmitOnboardingFailed fails → compensated and FAILED; the run still fails with the first cause', async () => {
    const machine = await machineWithFault(h, 'onboarding', ['RecordSiloResources', 'EmitOnboardingFailed']);
    const result = await run(h, machine, silo('cmp-emit'));
    await clearFaults();
    expect(result.error).toBe('OnboardingFailed');
    expect(result.cause).toContain('RecordSiloResources: InjectedFault');
    expect((await h.catalog.get('cmp-emit')).status).toBe('FAILED');
    expect(await stackStatus(h, 'cmp-emit')).toBe('ABSENT');
  });

  it('EmitOnboardingRejected fails → still rejected, nothing created', async () => {
    const machine = await machineWithFault(h, 'onboarding', ['Validate', 'EmitOnboardingRejected']);
    const result = await run(h, machine, silo('cmp-rejected'));
    await clearFaults();
    expect(result.error).toBe('OnboardingRejected');
    expect(await h.catalog.find('cmp-rejected')).toBeUndefined();
  });
});

describe('promotion rollback faults', () => {
  async function pooled(tenantId: string) {
    await activeTenant(h, tenantId, 'pro');
    await seedItems(h, h.life.pooledTable, tenantId, 30);
    return tally(h, h.life.pooledTable, tenantId);
  }

  it('RestoreChunk fails after the purge started → rolled forward: ACTIVE on the complete, verified silo', async () => {
    const before = await pooled('rb-restore');
    const machine = await machineWithFault(h, 'promotion', ['PurgePoolChunk', 'RestoreChunk']);
    await h.events();
    const result = await run(h, machine, { tenantId: 'rb-restore', targetTier: 'enterprise' });
    await clearFaults();
    expect(result.error).toBe('PromotionFailed');
    expect(await h.catalog.get('rb-restore')).toMatchObject({
      status: 'ACTIVE',
      isolation: 'silo',
      tier: 'enterprise',
    });
    expect(await tally(h, siloTable('rb-restore'), 'rb-restore')).toEqual(before);
    expect(await stackStatus(h, 'rb-restore')).toBe('CREATE_COMPLETE');
    expect(eventsOf(await h.events(), 'TenantPromotionFailed', 'rb-restore')[0]?.detail).toMatchObject({
      stage: 'rolled-forward',
      rolledBack: false,
    });
  });

  it("RestoreRowsChunk fails after the pool's rows were erased → rolled forward: ACTIVE on the silo with every row", async () => {
    // Prepare: items and rows in the pool; the run fails after the pool's rows were erased
    const tenantId = 'rb-restore-rows';
    const before = await pooled(tenantId);
    await seedRows(h, { place: 'pool' }, tenantId, 12);
    const rows = await rowsOf(h, { place: 'pool' }, tenantId);
    const machine = await machineWithFault(h, 'promotion', ['DeleteCollectionTables', 'RestoreRowsChunk']);
    await h.events();
    // Act
    const result = await run(h, machine, { tenantId, targetTier: 'enterprise' });
    await clearFaults();
    // Assess: the verified silo keeps every item and row, and the catalog stays on it
    expect(result.error).toBe('PromotionFailed');
    expect(result.path).toEqual(
      expect.arrayContaining(['ErasePoolRowsChunk', 'RestoreChunk', 'RestoreRowsChunk']),
    );
    expect(await h.catalog.get(tenantId)).toMatchObject({
      status: 'ACTIVE',
      isolation: 'silo',
      tier: 'enterprise',
    });
    expect(await tally(h, siloTable(tenantId), tenantId)).toEqual(before);
    expect(await rowsOf(h, { place: 'silo', tenantId }, tenantId)).toEqual(rows);
    expect(await stackStatus(h, tenantId)).toBe('CREATE_COMPLETE');
    const [event] = eventsOf(await h.events(), 'TenantPromotionFailed', tenantId);
    expect(event?.detail).toMatchObject({ stage: 'rolled-forward', rolledBack: false });
    expect(event?.detail.rollbackErrors).toEqual([expect.objectContaining({ state: 'RestoreRowsChunk' })]);
  });

  it('RemoveSiloRowsChunk fails → ACTIVE on the pool with every item and row; the silo is deleted all the same and the step reported', async () => {
    // Prepare: the rows were copied and verified, the switch failed
    const tenantId = 'rb-silo-rows';
    const before = await pooled(tenantId);
    await seedRows(h, { place: 'pool' }, tenantId, 9);
    const rows = await rowsOf(h, { place: 'pool' }, tenantId);
    const machine = await machineWithFault(h, 'promotion', ['SwitchCatalog', 'RemoveSiloRowsChunk']);
    await h.events();
    // Act
    const result = await run(h, machine, { tenantId, targetTier: 'enterprise' });
    await clearFaults();
    // Assess
    expect(result.error).toBe('PromotionFailed');
    expect(await h.catalog.get(tenantId)).toMatchObject({ status: 'ACTIVE', isolation: 'pool', tier: 'pro' });
    expect(await tally(h, h.life.pooledTable, tenantId)).toEqual(before);
    expect(await rowsOf(h, { place: 'pool' }, tenantId)).toEqual(rows);
    // on AWS the copies go with the stack's cluster; the local server keeps them (no cluster to delete)
    expect(await rowsOf(h, { place: 'silo', tenantId }, tenantId)).toEqual(rows);
    expect(await stackStatus(h, tenantId)).toBe('ABSENT');
    const [event] = eventsOf(await h.events(), 'TenantPromotionFailed', tenantId);
    expect(event?.detail).toMatchObject({ rolledBack: false, failedState: 'SwitchCatalog' });
    expect(event?.detail.rollbackErrors).toEqual([expect.objectContaining({ state: 'RemoveSiloRowsChunk' })]);
  });

  it.each([
    ['RevertCatalog', 'SwitchCatalog', 'CREATE_COMPLETE'],
    ['RollbackDeleteSilo', 'CopyChunk', 'CREATE_COMPLETE'],
  ])(
    '%s fails → ACTIVE on the pool with every item; the kept silo stack is reported',
    async (second, first, stack) => {
      const tenantId = `rb-${slug(second)}`;
      const before = await pooled(tenantId);
      const machine = await machineWithFault(h, 'promotion', [first, second]);
      await h.events();
      const result = await run(h, machine, { tenantId, targetTier: 'enterprise' });
      await clearFaults();
      expect(result.error).toBe('PromotionFailed');
      expect(await h.catalog.get(tenantId)).toMatchObject({
        status: 'ACTIVE',
        isolation: 'pool',
        tier: 'pro',
      });
      expect(await tally(h, h.life.pooledTable, tenantId)).toEqual(before);
      expect(await stackStatus(h, tenantId)).toBe(stack);
      const [event] = eventsOf(await h.events(), 'TenantPromotionFailed', tenantId);
      expect(event?.detail).toMatchObject({ rolledBack: false, failedState: first });
      expect(event?.detail.rollbackErrors).toEqual([expect.objectContaining({ state: second })]);
    },
  );

  it('RestoreActive fails (non-retryable) → the tenant stays MIGRATING (read-only) and the event says so', async () => {
    const before = await pooled('rb-active');
    const machine = await machineWithFault(h, 'promotion', ['CopyChunk', 'RestoreActive']);
    await h.events();
    const result = await run(h, machine, { tenantId: 'rb-active', targetTier: 'enterprise' });
    await clearFaults();
    expect(result.error).toBe('PromotionFailed');
    expect(await h.catalog.get('rb-active')).toMatchObject({ status: 'MIGRATING', isolation: 'pool' });
    expect(await tally(h, h.life.pooledTable, 'rb-active')).toEqual(before);
    expect(await stackStatus(h, 'rb-active')).toBe('ABSENT');
    expect(
      eventsOf(await h.events(), 'TenantPromotionFailed', 'rb-active')[0]?.detail.rollbackErrors,
    ).toEqual([expect.objectContaining({ state: 'RestoreActive' })]);
  });

  it.each([
    ['EmitPromotionFailed', 'CopyChunk', 'PromotionFailed'],
    ['EmitPromotionRejected', 'Validate', 'PromotionRejected'],
  ])('%s fails → the run still ends rolled back / rejected', async (second, first, error) => {
    const tenantId = `rb-${slug(second)}`;
    const before = await pooled(tenantId);
    const machine = await machineWithFault(h, 'promotion', [first, second]);
    const result = await run(h, machine, { tenantId, targetTier: 'enterprise' });
    await clearFaults();
    expect(result.error).toBe(error);
    expect(await h.catalog.get(tenantId)).toMatchObject({ status: 'ACTIVE', isolation: 'pool' });
    expect(await tally(h, h.life.pooledTable, tenantId)).toEqual(before);
  });
});

describe('offboarding failure-event faults', () => {
  it.each([
    ['EmitOffboardingFailed', 'FinalBill', 'OffboardingFailed', 'OFFBOARDING'],
    ['EmitOffboardingRejected', 'Validate', 'OffboardingRejected', 'ACTIVE'],
  ])(
    '%s fails → the run still fails with its error and the tenant state is as documented',
    async (second, first, error, status) => {
      const tenantId = `ob-${slug(second)}`;
      await activeTenant(h, tenantId, 'pro');
      const machine = await machineWithFault(h, 'offboarding', [first, second]);
      const result = await run(h, machine, { tenantId });
      await clearFaults();
      expect(result.error).toBe(error);
      expect((await h.catalog.get(tenantId)).status).toBe(status);
    },
  );
});
