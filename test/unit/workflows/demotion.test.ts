import jsonataEngine from 'jsonata';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import { copyCursorSchema } from '../../../lambdas/tenant-data-copy/contract';
import { purgeCursorSchema } from '../../../lambdas/tenant-data-purge/contract';
import { verifyCursorSchema } from '../../../lambdas/tenant-data-verify/contract';
import type { State } from '../../../workflows/asl';
import { buildDefinition } from '../../../workflows/index';
import { accountConfig } from '../support/account-config';

// The demotion silo → pool as states of the promotion state machine (workflows/demotion.ts), in the
// default configuration and with account tenants configured.

type States = Record<string, State & Record<string, unknown>>;

/** Evaluates an embedded `{% … %}` expression with `bindings` as variables. */
function evaluate(embedded: unknown, bindings: Record<string, unknown>): Promise<unknown> {
  const match = /^\{%(.*)%\}$/s.exec(String(embedded));
  if (match?.[1] === undefined) throw new Error(`not an embedded expression: ${String(embedded)}`);
  return jsonataEngine(match[1]).evaluate({}, bindings);
}

/** The states a state may go to: Next, Choice rules and Default, Catch. */
function successors(state: State & Record<string, unknown>): string[] {
  const next: string[] = [];
  if (typeof state.Next === 'string') next.push(state.Next);
  if (state.Type === 'Choice') {
    next.push(...state.Choices.map((rule) => rule.Next));
    if (state.Default !== undefined) next.push(state.Default);
  }
  for (const c of (state.Catch ?? []) as { Next: string }[]) next.push(c.Next);
  return next;
}

type Choice = { Choices: { Condition: string; Next: string }[] };

/** What the Pass `name` assigns to `variable`. */
function assigned(states: States, name: string, variable: string): unknown {
  return (states[name]?.Assign as Record<string, unknown> | undefined)?.[variable];
}

/** Every state reachable from `from` (included). */
function reachable(states: States, from: string): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const state = states[name];
    if (state !== undefined) for (const n of successors(state)) visit(n);
  };
  visit(from);
  return seen;
}

const plan = {
  tenantId: 'acme',
  fromTier: 'enterprise',
  toTier: 'business',
  move: { direction: 'silo-to-pool', collections: ['documents'] },
  fromSilo: { tableName: 'tenantry-dev-silo-data-acme', kmsKeyArn: 'arn:aws:kms:us-east-1:1:key/k' },
};

describe.each([
  ['default', defaultConfig],
  ['with accounts', accountConfig],
] as const)('the demotion states (%s configuration)', (_label, config) => {
  const states = buildDefinition('promotion', config).States as States;
  const beforeSwitch = ['CreateDemotionTables', 'DemotionCopyChunk', 'DemotionVerifyChunk', 'SwitchToPool'];

  it('enter after the write freeze for a silo-to-pool plan, and only for it', async () => {
    // Prepare
    const choice = states['ToSilo?'] as unknown as Choice;
    const demotion = choice.Choices.find((rule) => rule.Next === 'CreateDemotionTables');

    // Act
    const matches = await Promise.all(
      ['silo-to-pool', 'pool-to-silo', 'pool-to-collections', 'collections-to-pool'].map((direction) =>
        evaluate(demotion?.Condition, { plan: { ...plan, move: { direction, collections: [] } } }),
      ),
    );

    // Assess
    expect(matches).toEqual([true, false, false, false]);
    expect(reachable(states, 'WriteFreeze').has('CreateDemotionTables')).toBe(true);
  });

  it("copies and verifies silo-to-pool from the old silo's table with the target tier's collections", async () => {
    // Act
    const copy = await evaluate(assigned(states, 'PrepareDemotionCopy', 'copy'), {
      plan,
      states: {},
    });
    const verify = await evaluate(assigned(states, 'PrepareDemotionVerify', 'verify'), {
      plan,
    });

    // Assess: the cursors the copy and verify contracts accept
    const expected = {
      tenantId: 'acme',
      direction: 'silo-to-pool',
      siloTable: 'tenantry-dev-silo-data-acme',
      collections: ['documents'],
    };
    expect(copyCursorSchema.parse(copy)).toMatchObject({ ...expected, done: false });
    expect(verifyCursorSchema.parse(verify)).toMatchObject({ ...expected, done: false });
    expect(states['MoreToVerifyDemotion?']).toMatchObject({ Choices: [{ Next: 'PrepareDemotionRowsCopy' }] });
    // then the rows, silo database → pooled database, verified before the switch
    expect(states.PrepareDemotionRowsCopy).toMatchObject({
      Assign: {
        rows: expect.stringContaining("'action': 'copy'"),
      },
    });
    expect(states['MoreRowsToDemote?']).toMatchObject({ Choices: [{ Next: 'VerifyDemotionRows' }] });
    expect(states.VerifyDemotionRows?.Next).toBe('SwitchToPool');
  });

  it('sends every failure before the switch to the rollback, which sends a demotion to its own before the purge check', async () => {
    // Prepare
    const needsRestore = states['NeedsRestore?'] as unknown as Choice;
    const rule = needsRestore.Choices.findIndex((r) => r.Next === 'DemotionRollback');
    const purging = needsRestore.Choices.findIndex((r) => r.Next === 'RecreateCollectionTables');

    // Act
    const taken = await evaluate(needsRestore.Choices[rule]?.Condition, { plan, stage: 'purging' });

    // Assess
    for (const name of beforeSwitch) {
      expect(states[name]?.Catch, name).toEqual([
        expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'Rollback' }),
      ]);
    }
    expect(taken).toBe(true);
    expect(rule).toBeLessThan(purging);
  });

  it('switches the catalog to the pool tier without a silo, with the collection tables it created', () => {
    expect(states.SwitchToPool?.Arguments).toMatchObject({
      Payload: {
        action: 'set-placement',
        tier: '{% $plan.toTier %}',
        isolation: 'pool',
        silo: null,
        collections: '{% $collectionTables %}',
      },
    });
    expect(states.CreateDemotionTables?.Arguments).toMatchObject({
      Payload: { action: 'create', tier: '{% $plan.toTier %}', record: false },
    });
  });

  it('never rolls back after the switch: every path ends Demoted, PromotionIncomplete or PromotedEventNotSent', () => {
    // Act
    const after = reachable(states, String(states.SwitchToPool?.Next));

    // Assess
    expect([...after].filter((name) => !(name in states))).toEqual([]);
    expect(
      [...after].filter((name) => ['Rollback', 'RevertToSiloPlacement', 'RestoreActive'].includes(name)),
    ).toEqual([]);
    const ends = [...after].filter((name) => ['Succeed', 'Fail'].includes(states[name]?.Type as string));
    expect(ends.sort()).toEqual(['Demoted', 'DemotionIncomplete', 'PromotedEventNotSent']);
    expect(states.DemotionIncomplete).toMatchObject({ Type: 'Fail', Error: 'PromotionIncomplete' });
    expect(states.EmitDemotionIncomplete?.Arguments).toMatchObject({
      Entries: [{ Detail: { stage: 'switched' } }],
    });
  });

  it('retires the old silo in the platform account: teardown, verification with its key, ERASED with the run', () => {
    expect(states.DemotionOldSiloDeleteSilo?.Arguments).toMatchObject({
      Payload: { stackName: '{% $plan.stackName %}', region: '{% $plan.region %}' },
    });
    expect(JSON.stringify(states.DemotionOldSiloDeleteSilo?.Arguments)).not.toContain('accountId');
    expect(states.DemotionVerifyOldSiloErased?.Arguments).toMatchObject({
      Payload: { action: 'verify', kmsKeyArn: '{% $plan.fromSilo.kmsKeyArn %}' },
    });
    expect(states.DemotionRecordOldSiloErased?.Arguments).toMatchObject({
      Payload: {
        action: 'record-retired-silo',
        retired: {
          silo: '{% $plan.fromSilo %}',
          status: 'ERASED',
          executionArn: '{% $states.context.Execution.Id %}',
        },
      },
    });
    expect(states['DemotionSwitchComplete?']).toMatchObject({ Choices: [{ Next: 'EmitTenantDemoted' }] });
  });

  it('rolls back by removing only verified copies from the pool, then the tables the silo tier does not name', async () => {
    // Act
    const purge = await evaluate(assigned(states, 'PrepareRemoveDemotionCopies', 'purge'), { plan });
    const rollback = reachable(states, 'DemotionRollback');

    // Assess
    expect(purgeCursorSchema.parse(purge)).toMatchObject({
      store: 'pool',
      verifiedAgainst: 'tenantry-dev-silo-data-acme',
      direction: 'pool-to-silo',
      collections: ['documents'],
    });
    expect(states.RollbackDemotionTables?.Arguments).toMatchObject({
      Payload: { action: 'delete', keepTier: '{% $plan.fromTier %}' },
    });
    expect(rollback.has('RestoreActive')).toBe(true);
    expect(rollback.has('SwitchToPool')).toBe(false);
    expect(rollback.has('DemotionRetireOldSilo')).toBe(false);
  });
});

describe('the old silo retirement shared by the account path', () => {
  it('keeps the account path its own states next to the demotion ones', () => {
    const states = buildDefinition('promotion', accountConfig).States as States;
    // each erases the rows of the silo it retires, then retires it
    expect(states.ActivateOnAccount?.Next).toBe('PrepareEraseRetiredSiloRows');
    expect(states['MoreRetiredSiloRowsToErase?']).toMatchObject({ Choices: [{ Next: 'RetireOldSilo' }] });
    expect(states['SwitchComplete?']).toMatchObject({ Choices: [{ Next: 'EmitTenantPromotedToAccount' }] });
    expect(states.FlagOldSilo?.Next).toBe('EmitPromotionIncomplete');
    expect(states.ActivateOnPool?.Next).toBe('PrepareEraseOldSiloRows');
    expect(states['MoreOldSiloRowsToErase?']).toMatchObject({ Choices: [{ Next: 'DemotionRetireOldSilo' }] });
    expect(states.DemotionFlagOldSilo?.Next).toBe('EmitDemotionIncomplete');
  });
});
