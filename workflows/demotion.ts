import type { TenantryConfig } from '../domain/config';
import { lifecycleDetailTypes } from '../domain/lifecycle/events';
import { type Catcher, jsonata, jsonataString, type State } from './asl';
import {
  catchFailure,
  chunkLoop,
  EXECUTION_ARN,
  emitEvent,
  type FailureLog,
  failedEnd,
  LAMBDA_RESULT,
  lambdaTask,
  POOL_ROWS,
  siloRows,
} from './common';
import { oldSiloRetirementStates, retireOldSilo } from './old-silo';

/**
 * The demotion silo → pool (`tenantry promote ID --to <pool tier>` on an ACTIVE silo tenant; plan move
 * `silo-to-pool`, planDemotion in domain/lifecycle/plan.ts), as states of the promotion state machine,
 * which runs Validate → SetMigrating → WriteFreeze first and then enters `ToSilo?`:
 *
 *   CreateDemotionTables (the collection tables the TARGET tier dedicates, not recorded yet)
 *   → PrepareDemotionCopy → DemotionCopyChunk ⟲ (silo table → the pooled table, or the table of an
 *     item's collection when the target tier dedicates it; never over an item already there)
 *   → PrepareDemotionVerify → DemotionVerifyChunk ⟲ (count + checksum of the silo against the pooled
 *     table and those collection tables, chunked; DataVerificationError → rollback)
 *   → PrepareDemotionRowsCopy → DemotionRowsCopyChunk ⟲ (the PostgreSQL rows, silo database → pooled
 *     database) → VerifyDemotionRows (count + checksum per table; RowsVerificationError → rollback)
 *   → SwitchToPool (catalog: tier, isolation pool, silo removed, the collection tables)
 *   ── switched: from here nothing is undone ──
 *   → UpdateDemotionUserTiers ⟲ → ActivateOnPool (MIGRATING → ACTIVE) → EraseOldSiloRowsChunk ⟲ (the
 *     silo database's rows erased and counted: the erasure does not rest on the stack deletion alone)
 *   → DemotionRetireOldSilo … (workflows/old-silo.ts: key deletion scheduled, stack deleted, erasure
 *     verified, `retiredSilos` ERASED) → EmitTenantDemoted → Demoted.
 *
 * Before the switch any failure enters the promotion's Rollback, whose `NeedsRestore?` sends a demotion
 * to DemotionRollback: RevertToSiloPlacement (a no-op unless SwitchToPool wrote) → RemoveDemotionCopiesChunk ⟲
 * (deletes from the pooled and collection tables only the copies identical to their silo item:
 * PurgeRefusedError otherwise) → RemoveDemotionRowsChunk ⟲ (the rows copied to the pooled database)
 * → RollbackDemotionTables (the tables the silo tier does not name) →
 * RestoreActive: the tenant is served from its silo, which was only read.
 * After the switch a failure never rolls back: users or the activation failing are listed and the old
 * silo is retired all the same; a failed teardown or verification is flagged TEARDOWN_FAILED and the
 * run ends PromotionIncomplete (`stage: switched`).
 */

interface DemotionOptions {
  /** Catcher of a failure before the switch (to Rollback). */
  readonly toRollback: (state: string) => Catcher;
  /** Catcher of a rollback step (goes on to `next`, appending to rollbackErrors). */
  readonly rollbackCatch: (state: string, next: string) => Catcher;
  /** The promotion's last rollback step (MIGRATING → ACTIVE, then the failure event). */
  readonly restoreActive: string;
  /** The end of a run whose tenant moved but whose success event could not be sent. */
  readonly eventNotSent: string;
}

/** JSONata condition: is this run a demotion silo → pool? */
export const IS_DEMOTION = "$plan.move.direction = 'silo-to-pool'";
/** The state a demotion enters after the write freeze. */
export const DEMOTION_ENTRY = 'CreateDemotionTables';
/** The promotion's rollback entry for a demotion. */
export const DEMOTION_ROLLBACK = 'DemotionRollback';

const PREFIX = 'Demotion';
const TENANT_ID = '{% $plan.tenantId %}';
const SILO_TABLE = '$plan.fromSilo.tableName';
/** JSONata: the tenant's silo database (the catalog's silo references) as a tenant-rows place. */
const SILO_ROWS = siloRows('$plan.fromSilo');

export function demotionStates(config: TenantryConfig, o: DemotionOptions): Record<string, State> {
  const switchErrors: FailureLog = { appendTo: 'switchErrors' };
  const retire = retireOldSilo(PREFIX);
  const move = {
    tenantId: '$plan.tenantId',
    direction: jsonataString('silo-to-pool'),
    siloTable: SILO_TABLE,
    collections: '$plan.move.collections',
  };

  return {
    [DEMOTION_ENTRY]: lambdaTask(
      'collections',
      {
        action: 'create',
        tenantId: TENANT_ID,
        tier: '{% $plan.toTier %}',
        executionArn: EXECUTION_ARN,
        record: false,
      },
      {
        flow: { Next: 'PrepareDemotionCopy' },
        assign: { collectionTables: '{% $states.result.Payload.tables %}' },
        catch: [o.toRollback(DEMOTION_ENTRY)],
        comment: "The target tier's tables (existing ones are found), recorded by the switch with the tier.",
      },
    ),
    ...chunkLoop('copy', {
      states: ['PrepareDemotionCopy', 'DemotionCopyChunk', 'MoreToDemote?'],
      cursor: 'copy',
      start: move,
      next: 'PrepareDemotionVerify',
      catch: o.toRollback,
      chunkComment:
        "Each silo item to the pooled table or its collection's table; an item already there is kept.",
    }),
    ...chunkLoop('verify', {
      states: ['PrepareDemotionVerify', 'DemotionVerifyChunk', 'MoreToVerifyDemotion?'],
      cursor: 'verify',
      start: move,
      next: 'PrepareDemotionRowsCopy',
      catch: o.toRollback,
      chunkComment:
        'Counts and checksums up to one chunk of each side (checkpoint); the last chunk compares the totals.',
    }),
    ...chunkLoop('rows', {
      states: ['PrepareDemotionRowsCopy', 'DemotionRowsCopyChunk', 'MoreRowsToDemote?'],
      cursor: 'rows',
      start: { tenantId: '$plan.tenantId', action: jsonataString('copy'), from: SILO_ROWS, to: POOL_ROWS },
      next: 'VerifyDemotionRows',
      catch: o.toRollback,
      chunkComment:
        "The tenant's PostgreSQL rows, silo database → pooled database; a row already there is kept.",
    }),
    VerifyDemotionRows: lambdaTask(
      'rows',
      { tenantId: TENANT_ID, action: 'verify', from: jsonata(SILO_ROWS), to: jsonata(POOL_ROWS) },
      {
        flow: { Next: 'SwitchToPool' },
        assign: { rows: LAMBDA_RESULT },
        catch: [o.toRollback('VerifyDemotionRows')],
        comment: 'Count and checksum per table on both sides: RowsVerificationError → rollback.',
      },
    ),
    SwitchToPool: lambdaTask(
      'catalog',
      {
        action: 'set-placement',
        tenantId: TENANT_ID,
        executionArn: EXECUTION_ARN,
        tier: '{% $plan.toTier %}',
        isolation: 'pool',
        silo: null,
        collections: '{% $collectionTables %}',
      },
      {
        flow: { Next: 'PrepareDemotionUserTiers' },
        assign: { switchErrors: [] },
        catch: [o.toRollback('SwitchToPool')],
        comment: 'The switch: from here the tenant is served from the pool, and nothing is undone.',
      },
    ),
    ...chunkLoop('userTiers', {
      states: ['PrepareDemotionUserTiers', 'UpdateDemotionUserTiers', 'MoreDemotionUserTiers?'],
      cursor: 'userTiers',
      start: {
        tenantId: '$plan.tenantId',
        tier: '$plan.toTier',
        executionArn: '$states.context.Execution.Id',
      },
      next: 'ActivateOnPool',
      catch: (state) => catchFailure(state, 'ActivateOnPool', { log: switchErrors }),
      chunkComment: 'Users left on the old tier still sign in (the catalog is the source of truth).',
    }),
    ActivateOnPool: lambdaTask(
      'transition',
      {
        tenantId: TENANT_ID,
        to: 'ACTIVE',
        onlyFrom: ['MIGRATING'],
        reason: "{% 'demoted to ' & $plan.toTier & ' (pool)' %}",
        executionArn: EXECUTION_ARN,
      },
      {
        flow: { Next: 'PrepareEraseOldSiloRows' },
        catch: [catchFailure('ActivateOnPool', 'PrepareEraseOldSiloRows', { log: switchErrors })],
        comment: 'A failure here is reported, never rolled back: the old silo is retired all the same.',
      },
    ),
    ...chunkLoop('rows', {
      states: ['PrepareEraseOldSiloRows', 'EraseOldSiloRowsChunk', 'MoreOldSiloRowsToErase?'],
      cursor: 'rows',
      start: { tenantId: '$plan.tenantId', action: jsonataString('erase'), from: SILO_ROWS },
      next: retire,
      catch: (state) => catchFailure(state, retire, { log: switchErrors }),
      chunkComment: "The old silo database's rows, erased and counted before its stack is deleted.",
    }),
    ...oldSiloRetirementStates(config, {
      prefix: PREFIX,
      erased: 'EmitTenantDemoted',
      incomplete: 'EmitDemotionIncomplete',
    }),
    EmitTenantDemoted: emitEvent(
      lifecycleDetailTypes.promoted,
      {
        tenantId: TENANT_ID,
        fromTier: '{% $plan.fromTier %}',
        toTier: '{% $plan.toTier %}',
        isolation: 'pool',
        items: '{% $verify.source.count %}',
        checksum: '{% $verify.source.checksum %}',
        retiredSilo: '{% $plan.fromSilo.stackId %}',
        executionArn: EXECUTION_ARN,
      },
      { flow: { Next: 'Demoted' }, catch: [catchFailure('EmitTenantDemoted', o.eventNotSent)] },
    ),
    Demoted: {
      Type: 'Succeed',
      Output: {
        tenantId: TENANT_ID,
        status: 'ACTIVE',
        tier: '{% $plan.toTier %}',
        isolation: 'pool',
        silo: null,
        collections: '{% $collectionTables %}',
        items: '{% $verify.source.count %}',
        checksum: '{% $verify.source.checksum %}',
        retiredSilo: { stackId: '{% $plan.fromSilo.stackId %}', keyDeletionDate: '{% $keyDeletionDate %}' },
      },
    },
    ...failedEnd('EmitDemotionIncomplete', 'DemotionIncomplete', {
      detailType: lifecycleDetailTypes.promotionFailed,
      tenantId: TENANT_ID,
      stage: 'switched',
      detail: { switchErrors: '{% $switchErrors %}' },
      error: 'PromotionIncomplete',
    }),

    // --- rollback before the switch: the tenant stays on its silo, which was only read -----------
    [DEMOTION_ROLLBACK]: {
      Type: 'Pass',
      Comment: 'The silo was only read: put the catalog back on it, then remove what the pool got.',
      Next: 'RevertToSiloPlacement',
    },
    RevertToSiloPlacement: lambdaTask(
      'catalog',
      {
        action: 'set-placement',
        tenantId: TENANT_ID,
        executionArn: EXECUTION_ARN,
        tier: '{% $plan.fromTier %}',
        isolation: 'silo',
        silo: '{% $plan.fromSilo %}',
        collections: '{% $plan.collections %}',
      },
      {
        flow: { Next: 'PrepareRemoveDemotionCopies' },
        catch: [o.rollbackCatch('RevertToSiloPlacement', o.restoreActive)],
        comment:
          'A no-op unless SwitchToPool wrote; if it cannot be reverted the catalog may route to the pool: keep the copies.',
      },
    ),
    ...chunkLoop('purge', {
      states: ['PrepareRemoveDemotionCopies', 'RemoveDemotionCopiesChunk', 'MoreDemotionCopiesToRemove?'],
      cursor: 'purge',
      start: {
        store: jsonataString('pool'),
        tenantId: '$plan.tenantId',
        verifiedAgainst: SILO_TABLE,
        direction: jsonataString('pool-to-silo'),
        collections: '$plan.move.collections',
      },
      next: 'PrepareRemoveDemotionRows',
      catch: (state) => o.rollbackCatch(state, 'PrepareRemoveDemotionRows'),
      chunkComment:
        'Deletes from the pooled and collection tables only the copies identical to their silo item (the silo stays whole).',
    }),
    ...chunkLoop('rows', {
      states: ['PrepareRemoveDemotionRows', 'RemoveDemotionRowsChunk', 'MoreDemotionRowsToRemove?'],
      cursor: 'rows',
      start: { tenantId: '$plan.tenantId', action: jsonataString('erase'), from: POOL_ROWS },
      next: 'RollbackDemotionTables',
      catch: (state) => o.rollbackCatch(state, 'RollbackDemotionTables'),
      chunkComment: "The rows copied to the pooled database (the silo's rows are the tenant's, whole).",
    }),
    RollbackDemotionTables: lambdaTask(
      'collections',
      {
        action: 'delete',
        tenantId: TENANT_ID,
        executionArn: EXECUTION_ARN,
        keepTier: '{% $plan.fromTier %}',
      },
      {
        flow: { Next: o.restoreActive },
        catch: [o.rollbackCatch('RollbackDemotionTables', o.restoreActive)],
        comment: 'The collection tables the run created (the silo tier names none).',
      },
    ),
  };
}

/** The Choice rule a state uses to send a demotion to `next`. */
export const toDemotion = (next: string) => ({ Condition: jsonata(IS_DEMOTION), Next: next });
