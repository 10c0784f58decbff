// Faults at the resumed retirement of an old silo (workflows/old-silo.ts, `oldSiloResumeStates`): a
// silo tenant demoted to the pool whose old silo's teardown failed (TEARDOWN_FAILED) runs the promotion
// again to its own tier, with a fault at a `Resume` state. Documented end: the run fails
// `PromotionIncomplete`, nothing of the switch is undone (ACTIVE in the pool, every item and row where
// the demotion put them), the old silo is flagged TEARDOWN_FAILED again with the new error and this
// run's execution ARN, and a further run without the fault erases it. Faults on the failure path
// (the flag, the failure event) come second to a fault on the forward path.
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SiloResources } from '../../../domain/tenant/tenant';
import { clearFaults } from '../support';
import {
  config,
  eventsOf,
  type Harness,
  machineWithFault,
  rowsOf,
  run,
  seedItems,
  seedRows,
  setupHarness,
  siloTable,
  stackStatus,
  tableExists,
  tally,
} from './support';

const ITEMS = 30;
const ROWS = 5;
/** Onboarding, a demotion and two or three promotion runs on a loaded machine. */
const TEST_TIMEOUT = 600_000;

let h: Harness;

beforeAll(async () => {
  h = await setupHarness();
});

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

async function keyState(kmsKeyArn: string | undefined): Promise<string | undefined> {
  const kms = new KMSClient({ region: config.regions.primary, endpoint: h.endpoint });
  return (await kms.send(new DescribeKeyCommand({ KeyId: kmsKeyArn }))).KeyMetadata?.KeyState;
}

/**
 * A silo tenant (enterprise) with ITEMS items and ROWS rows, demoted to pro by a run whose old-silo
 * teardown failed: ACTIVE in the pool, its old silo (stack still there) flagged TEARDOWN_FAILED.
 */
async function flaggedOldSilo(tenantId: string) {
  const onboarded = await run(
    h,
    'onboarding',
    { tenantId, name: `${tenantId} AG`, tier: 'enterprise', adminEmail: `admin@${tenantId}.example` },
    120_000,
  );
  expect(onboarded.status, onboarded.cause).toBe('SUCCEEDED');
  await seedItems(h, siloTable(tenantId), tenantId, ITEMS);
  await seedRows(h, { place: 'silo', tenantId }, tenantId, ROWS);
  const items = await tally(h, siloTable(tenantId), tenantId);
  const rows = await rowsOf(h, { place: 'silo', tenantId }, tenantId);
  expect(items.count).toBe(ITEMS);
  expect(rows).toHaveLength(ROWS);
  const silo = (await h.catalog.get(tenantId)).silo as SiloResources;

  const machine = await machineWithFault(h, 'promotion', 'DemotionOldSiloDeleteSilo');
  const demoted = await run(h, machine, { tenantId, targetTier: 'pro' }, 180_000);
  await clearFaults();
  expect(demoted.error, demoted.cause).toBe('PromotionIncomplete');
  const tenant = await h.catalog.get(tenantId);
  expect(tenant).toMatchObject({ status: 'ACTIVE', tier: 'pro', isolation: 'pool' });
  expect(tenant.retiredSilos).toEqual([
    expect.objectContaining({ silo, status: 'TEARDOWN_FAILED', executionArn: demoted.executionArn }),
  ]);
  expect(await stackStatus(h, tenantId)).toBe('CREATE_COMPLETE');
  return { silo, items, rows, flagged: tenant.retiredSilos?.[0] };
}

/** The tenant is where the demotion put it, with every item and row: nothing of the switch undone. */
async function expectSwitchStands(tenantId: string, prepared: Awaited<ReturnType<typeof flaggedOldSilo>>) {
  const tenant = await h.catalog.get(tenantId);
  expect(tenant).toMatchObject({ status: 'ACTIVE', tier: 'pro', isolation: 'pool' });
  expect(tenant.silo).toBeUndefined();
  expect(await tally(h, h.life.pooledTable, tenantId)).toEqual(prepared.items);
  expect(await rowsOf(h, { place: 'pool' }, tenantId)).toEqual(prepared.rows);
  return tenant;
}

/** A run without a fault resumes the retirement: the old silo ERASED with that run, stack and table gone. */
async function expectResumedToErased(tenantId: string, prepared: Awaited<ReturnType<typeof flaggedOldSilo>>) {
  const resumed = await run(h, 'promotion', { tenantId, targetTier: 'pro' }, 180_000);
  expect(resumed.status, resumed.cause).toBe('SUCCEEDED');
  expect(resumed.path).toContain('ResumeRetireOldSilo');
  expect(resumed.output).toMatchObject({
    tenantId,
    status: 'ACTIVE',
    tier: 'pro',
    isolation: 'pool',
    retiredSilo: { stackId: prepared.silo.stackId, status: 'ERASED' },
  });
  const tenant = await expectSwitchStands(tenantId, prepared);
  expect(tenant.retiredSilos).toEqual([
    expect.objectContaining({
      silo: prepared.silo,
      status: 'ERASED',
      executionArn: resumed.executionArn,
      remaining: { siloStack: false, table: false, kmsKey: false },
      error: null,
    }),
  ]);
  expect(await stackStatus(h, tenantId)).toBe('ABSENT');
  expect(await tableExists(h, siloTable(tenantId))).toBe(false);
  expect(await keyState(prepared.silo.kmsKeyArn)).toBe('PendingDeletion');
}

describe('a fault in the resumed retirement of a TEARDOWN_FAILED old silo', () => {
  // What each state leaves of the old silo's stack: deleted from the verification on.
  const stackLeft: Record<string, string> = {
    ResumeRetireOldSilo: 'CREATE_COMPLETE',
    ResumeOldSiloDeleteSilo: 'CREATE_COMPLETE',
    ResumeVerifyOldSiloErased: 'ABSENT',
    ResumeRecordOldSiloErased: 'ABSENT',
  };

  it.each(Object.keys(stackLeft))(
    '%s fails → PromotionIncomplete, the switch stands, the old silo TEARDOWN_FAILED again with the new error; a further run erases it',
    async (state) => {
      // Prepare
      const tenantId = `rs-${slug(state)}`.slice(0, 30);
      const prepared = await flaggedOldSilo(tenantId);
      const machine = await machineWithFault(h, 'promotion', state);
      await h.events();

      // Act
      const result = await run(h, machine, { tenantId, targetTier: 'pro' }, 180_000);
      await clearFaults();

      // Assess: only the retirement ran, and failed to its documented end
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('PromotionIncomplete');
      expect(result.cause).toContain(`${state}: InjectedFault`);
      expect(result.path).toEqual(
        expect.arrayContaining([
          'RetirementOnly?',
          'ResumeRetirement',
          state,
          'ResumeFlagOldSilo',
          'EmitRetirementIncomplete',
          'RetirementIncomplete',
        ]),
      );
      expect(result.path).not.toContain('SetMigrating');
      const tenant = await expectSwitchStands(tenantId, prepared);
      expect(tenant.retiredSilos).toEqual([
        expect.objectContaining({
          silo: prepared.silo,
          status: 'TEARDOWN_FAILED',
          executionArn: result.executionArn,
          error: expect.stringContaining(`${state}: InjectedFault`),
        }),
      ]);
      // this run changed the old silo's record only: no status or placement change
      const mine = tenant.history.filter((e) => e.executionArn === result.executionArn);
      expect(mine.length).toBeGreaterThan(0);
      for (const entry of mine) {
        expect(entry).toMatchObject({ from: 'ACTIVE', to: 'ACTIVE' });
        expect(entry.reason).toMatch(/^retired silo: /);
      }
      expect(await stackStatus(h, tenantId)).toBe(stackLeft[state]);
      expect(eventsOf(await h.events(), 'TenantPromotionFailed', tenantId).map((e) => e.detail)).toEqual([
        expect.objectContaining({
          stage: 'switched',
          failedState: state,
          error: 'InjectedFault',
          retiredSilo: prepared.silo.stackId,
          executionArn: result.executionArn,
          switchErrors: [],
        }),
      ]);

      // Act and Assess: run again without the fault
      await expectResumedToErased(tenantId, prepared);
    },
    TEST_TIMEOUT,
  );

  it.each([
    // The record ResumeRetireOldSilo would have replaced is the earlier run's.
    ['ResumeRetireOldSilo', 'earlier'],
    // ResumeRetireOldSilo recorded TEARDOWN_PENDING with this run; the flag replacing it never landed.
    ['ResumeOldSiloDeleteSilo', 'pending'],
  ] as const)(
    '%s and then ResumeFlagOldSilo fail → PromotionIncomplete with the first error, the failure event sent, the flag not written',
    async (first, left) => {
      // Prepare
      const tenantId = `rs-flag-${slug(first)}`.slice(0, 30);
      const prepared = await flaggedOldSilo(tenantId);
      const machine = await machineWithFault(h, 'promotion', [first, 'ResumeFlagOldSilo']);
      await h.events();

      // Act
      const result = await run(h, machine, { tenantId, targetTier: 'pro' }, 180_000);
      await clearFaults();

      // Assess
      expect(result.error).toBe('PromotionIncomplete');
      expect(result.cause).toContain(`${first}: InjectedFault`);
      expect(result.path).toEqual(
        expect.arrayContaining([
          first,
          'ResumeFlagOldSilo',
          'EmitRetirementIncomplete',
          'RetirementIncomplete',
        ]),
      );
      const tenant = await expectSwitchStands(tenantId, prepared);
      expect(tenant.retiredSilos).toEqual([
        left === 'earlier'
          ? prepared.flagged
          : expect.objectContaining({
              silo: prepared.silo,
              status: 'TEARDOWN_PENDING',
              executionArn: result.executionArn,
              error: null,
            }),
      ]);
      expect(await stackStatus(h, tenantId)).toBe('CREATE_COMPLETE');
      expect(eventsOf(await h.events(), 'TenantPromotionFailed', tenantId).map((e) => e.detail)).toEqual([
        expect.objectContaining({
          stage: 'switched',
          failedState: first,
          executionArn: result.executionArn,
          // the flag's own failure, which the catalog does not hold
          switchErrors: [expect.objectContaining({ state: 'ResumeFlagOldSilo', error: 'InjectedFault' })],
        }),
      ]);
    },
    TEST_TIMEOUT,
  );

  it(
    'ResumeOldSiloDeleteSilo and then EmitRetirementIncomplete fail → PromotionIncomplete, the old silo flagged TEARDOWN_FAILED, no event; a further run erases it',
    async () => {
      // Prepare
      const tenantId = 'rs-emit';
      const prepared = await flaggedOldSilo(tenantId);
      const machine = await machineWithFault(h, 'promotion', [
        'ResumeOldSiloDeleteSilo',
        'EmitRetirementIncomplete',
      ]);
      await h.events();

      // Act
      const result = await run(h, machine, { tenantId, targetTier: 'pro' }, 180_000);
      await clearFaults();

      // Assess: the failure reported is the teardown's, not the event's
      expect(result.error).toBe('PromotionIncomplete');
      expect(result.cause).toContain('ResumeOldSiloDeleteSilo: InjectedFault');
      expect(result.path).toEqual(
        expect.arrayContaining(['ResumeFlagOldSilo', 'EmitRetirementIncomplete', 'RetirementIncomplete']),
      );
      const tenant = await expectSwitchStands(tenantId, prepared);
      expect(tenant.retiredSilos).toEqual([
        expect.objectContaining({
          silo: prepared.silo,
          status: 'TEARDOWN_FAILED',
          executionArn: result.executionArn,
          error: expect.stringContaining('ResumeOldSiloDeleteSilo: InjectedFault'),
        }),
      ]);
      expect(await stackStatus(h, tenantId)).toBe('CREATE_COMPLETE');
      expect(eventsOf(await h.events(), 'TenantPromotionFailed', tenantId)).toEqual([]);

      // Act and Assess: run again without the fault
      await expectResumedToErased(tenantId, prepared);
    },
    TEST_TIMEOUT,
  );
});
