import type { TenantryConfig } from '../domain/config';
import { lifecycleDetailTypes } from '../domain/lifecycle/events';
import { reverseOf } from '../domain/lifecycle/moves';
import {
  ACCOUNT_ROLLBACK,
  accountPromotionStates,
  PROMOTION_TARGET,
  SILO_READY_FOR,
} from './account-promotion';
import { type Catcher, jsonata, jsonataString, type StateMachineDefinition } from './asl';
import {
  catchFailure,
  chunkLoop,
  EXECUTION_ARN,
  emitEvent,
  type FailureLog,
  failedEnd,
  INPUT_TENANT_ID,
  LAMBDA_RESULT,
  lambdaTask,
  POOL_ROWS,
  SILO_FROM_STACK,
  siloProvisioningStates,
  siloRows,
  siloTeardownStates,
  sub,
} from './common';
import { DEMOTION_ENTRY, DEMOTION_ROLLBACK, demotionStates, toDemotion } from './demotion';
import { oldSiloResumeStates, RETIREMENT_ONLY } from './old-silo';

/**
 * Promotion (input `{ tenantId, targetTier }`): an ACTIVE pooled tenant into a silo tier, or to another
 * pool tier (a tier change: `tenantry promote ID --to business`). One workflow for both, because both
 * are the same move of items under the same freeze, verification, switch, purge and rollback; only the
 * place the items go differs (domain/lifecycle/moves.ts, `$plan.move`):
 *
 *   Validate → SetMigrating (ACTIVE → MIGRATING: the authorizer makes the tenant read-only)
 *   → WriteFreeze (Wait `${WriteFreezeSeconds}` = writeFreezeSeconds(config): until no cached
 *     read-write authorization is honoured any more) → ToSilo?
 *     silo: CreateSiloStack → DescribeSiloStack ⟲ Wait → SiloReady
 *     pool: CreateCollectionTables (the new tier's tables, not yet recorded)
 *   → PrepareCopy → CopyChunk ⟲ (checkpointed chunks: pooled table + the tenant's collection tables → silo,
 *     or a collection between its pooled partition and its own table)
 *   → PrepareVerify → VerifyChunk ⟲ (count + checksum of the sources and the targets in checkpointed
 *     chunks, totals compared by the last chunk: DataVerificationError → rollback)
 *   → [silo: CopyRowsChunk ⟲ (the tenant's PostgreSQL rows, pooled database → the silo stack's database,
 *     in key order) → VerifyRows (count + checksum per table: RowsVerificationError → rollback)]
 *   → SwitchCatalog (tier, isolation, silo references and collection tables in one write: the route moves)
 *   → PrepareUserTiers → UpdateUserTiers ⟲ (custom:tier of every user of the tenant, checkpointed pages,
 *     audited in the catalog history) → PreparePurge → PurgePoolChunk ⟲ (deletes only source items whose
 *     copy is identical, else PurgeRefusedError → rollback) → [silo: ReverifyRows (the silo still holds
 *     every pooled row, identical) → ErasePoolRowsChunk ⟲ (the pooled rows, done only when a count finds
 *     none)] → DeleteCollectionTables (the emptied tables the
 *     new tier does not name) → ActivateTenant (MIGRATING → ACTIVE) → EmitTenantPromoted
 *
 * A silo tenant to a pool tier (the demotion silo → pool) takes the states of workflows/demotion.ts
 * (`ToSilo?` after the write freeze), with its own rollback before the switch (`NeedsRestore?`).
 *
 * A silo tenant to an account tier (input `accountId` to adopt one; only when `accounts` is configured)
 * takes the states of workflows/account-promotion.ts (`PromotionTarget?` after the write freeze,
 * `SiloReadyFor?` once the silo stack is ready in the account), with its own rollback before the switch.
 *
 * Rollback (any failure): [if the purge had started: RecreateCollectionTables (the old tier's) →
 * RestoreChunk ⟲ copies the items back where they came from, never over an item still there →
 * [silo: RestoreRowsChunk ⟲ the rows back to the pooled database, never over a row still there]] →
 * RevertCatalog (the old tier, no silo, the old collection tables) → RevertUserTiers ⟲ → [pool:
 * RemoveCopiesChunk ⟲ deletes the copies the run made where the items went, each only if identical to
 * the item where it is again] → RollbackCollectionTables (the tables only the new tier names) → [silo:
 * RemoveSiloRowsChunk ⟲ (the rows copied to the silo's database, erased and counted) → RollbackSiloTeardown (key
 * deletion scheduled, stack deleted)] → RestoreActive (MIGRATING → ACTIVE) → EmitPromotionFailed →
 * PromotionFailed. If the sources cannot be restored, the promotion rolls forward instead (the catalog
 * stays on the verified target, which holds every item) — data is never deleted from its last complete
 * copy. Either way the tenant ends ACTIVE: never left locked.
 *
 * Run again to the tier the tenant is already on while the catalog flags an old silo TEARDOWN_FAILED
 * (after a silo → account promotion or a demotion), it only resumes that silo's retirement
 * (`RetirementOnly?`, workflows/old-silo.ts): no freeze, the placement untouched.
 *
 * Rejection (nothing changed): Validate fails, or SetMigrating finds the transition illegal or the
 * record changed since Validate (`expectedVersion`: StaleLifecyclePlanError) — e.g. a concurrent
 * promotion of the same tenant set MIGRATING, or even completed, in between; that run's work must not
 * be undone, so this run emits `stage: rejected` and ends PromotionRejected touching neither catalog
 * nor silo.
 * Starters name promotion executions `promotionExecutionName(tenantId, catalogVersion)`
 * (domain/lifecycle/execution-name.ts), so two concurrent starts for the same tenant collide on the name.
 *
 * Output: `{ tenantId, status: 'ACTIVE', tier, isolation, silo (null in the pool), collections, items, checksum }`.
 */
export const PROMOTION = 'promotion';

/** JSONata: the tenant's new silo database (`$silo`, from its stack) as a tenant-rows place. */
const SILO_ROWS = siloRows('$silo');

/** JSONata: the direction undoing the plan's move. */
const REVERSE_DIRECTION = `$lookup(${JSON.stringify(reverseOf)}, $plan.move.direction)`;

/** The start of a copy or verify loop along the plan's move (`direction`: JSONata). */
const moveCursor = (direction: string) => ({
  tenantId: '$plan.tenantId',
  direction,
  siloTable: '$silo.tableName',
  collections: '$plan.move.collections',
});

export function promotionDefinition(config: TenantryConfig): StateMachineDefinition {
  const { stackPollSeconds, stackMaxPolls } = config.lifecycle;
  const toRollback = (state: string): Catcher => catchFailure(state, 'Rollback');
  const rollbackErrors: FailureLog = { appendTo: 'rollbackErrors' };
  const rollbackCatch = (state: string, next: string): Catcher =>
    catchFailure(state, next, { log: rollbackErrors });
  // Promotion silo → account (workflows/account-promotion.ts): only when account tenants are configured.
  const { accounts } = config;

  return {
    Comment: 'Tenantry tenant promotion pool -> silo or another pool tier, silo -> pool tier, with rollback',
    QueryLanguage: 'JSONata',
    StartAt: 'Validate',
    States: {
      Validate: lambdaTask(
        'validate',
        { kind: 'promotion', input: '{% $states.input %}' },
        {
          flow: { Next: RETIREMENT_ONLY },
          assign: {
            plan: LAMBDA_RESULT,
            stage: 'locking',
            rollbackErrors: [],
            silo: null,
            collectionTables: [],
            // silo → account: an account given in the input is adopted; a created one is known once it exists.
            ...(accounts === undefined
              ? {}
              : {
                  accountId:
                    '{% $exists($states.result.Payload.accountId) ? $states.result.Payload.accountId : null %}',
                  accountRequest: null,
                }),
          },
          catch: [catchFailure('Validate', 'EmitPromotionRejected')],
        },
      ),
      ...oldSiloResumeStates(config, { next: 'SetMigrating' }),
      SetMigrating: lambdaTask(
        'transition',
        {
          tenantId: '{% $plan.tenantId %}',
          to: 'MIGRATING',
          reason: "{% 'promotion to ' & $plan.toTier %}",
          executionArn: EXECUTION_ARN,
          expectedVersion: '{% $plan.version %}',
        },
        {
          flow: { Next: 'WriteFreeze' },
          catch: [
            catchFailure('SetMigrating', 'EmitPromotionRejected', {
              errors: ['IllegalTransitionError', 'StaleLifecyclePlanError'],
            }),
            toRollback('SetMigrating'),
          ],
          comment: 'Illegal (e.g. a concurrent promotion holds MIGRATING): rejected, nothing is undone.',
        },
      ),
      WriteFreeze: {
        Type: 'Wait',
        QueryLanguage: 'JSONata', // asl-validator matches a JSONata Seconds only with the state's own QueryLanguage
        Comment:
          'Until the authorizer result cache and its catalog cache can no longer grant read-write (domain/lifecycle/write-freeze.ts).',
        // A string literal keeps the placeholder valid JSONata before substitution.
        Seconds: jsonata(`$number(${jsonataString(sub('WriteFreezeSeconds'))})`),
        Next: accounts === undefined ? 'ToSilo?' : PROMOTION_TARGET,
      },
      'ToSilo?': {
        Type: 'Choice',
        Choices: [
          { Condition: "{% $plan.isolation = 'silo' %}", Next: 'CreateSiloStack' },
          toDemotion(DEMOTION_ENTRY),
        ],
        Default: 'CreateCollectionTables',
      },
      CreateCollectionTables: lambdaTask(
        'collections',
        {
          action: 'create',
          tenantId: '{% $plan.tenantId %}',
          tier: '{% $plan.toTier %}',
          executionArn: EXECUTION_ARN,
          record: false,
        },
        {
          flow: { Next: 'PrepareCopy' },
          assign: { collectionTables: '{% $states.result.Payload.tables %}' },
          catch: [toRollback('CreateCollectionTables')],
          comment:
            "The new tier's tables (existing ones are found), not recorded yet: the switch records them with the tier.",
        },
      ),
      SiloReady: {
        Type: 'Pass',
        Assign: { silo: jsonata(SILO_FROM_STACK) },
        Next: 'PrepareCopy',
      },
      ...siloProvisioningStates({
        tenantId: '$plan.tenantId',
        tier: '$plan.toTier',
        region: '$plan.region',
        pollSeconds: stackPollSeconds,
        maxPolls: stackMaxPolls,
        onReady: accounts === undefined ? 'SiloReady' : SILO_READY_FOR,
        onFailure: 'Rollback',
        ...(accounts === undefined ? {} : { accountId: '$accountId' }),
      }),
      ...(accounts === undefined
        ? {}
        : accountPromotionStates(config, accounts, { toRollback, rollbackCatch, rollbackErrors })),
      ...demotionStates(config, {
        toRollback,
        rollbackCatch,
        restoreActive: 'RestoreActive',
        eventNotSent: 'PromotedEventNotSent',
      }),
      ...chunkLoop('copy', {
        states: ['PrepareCopy', 'CopyChunk', 'MoreToCopy?'],
        cursor: 'copy',
        start: moveCursor('$plan.move.direction'),
        next: 'PrepareVerify',
        catch: toRollback,
        chunkComment: 'Copies up to one chunk of items and returns the cursor of the next one (checkpoint).',
      }),
      ...chunkLoop('verify', {
        states: ['PrepareVerify', 'VerifyChunk', 'MoreToVerify?'],
        cursor: 'verify',
        start: moveCursor('$plan.move.direction'),
        next: 'RowsToSilo?',
        catch: toRollback,
        chunkComment:
          'Counts and checksums up to one chunk of items on each side (checkpoint); the last chunk compares the totals.',
      }),
      'RowsToSilo?': {
        Type: 'Choice',
        Comment: "A move within the pool keeps the tenant's rows in the pooled database.",
        Choices: [{ Condition: "{% $plan.isolation = 'silo' %}", Next: 'PrepareCopyRows' }],
        Default: 'SwitchCatalog',
      },
      ...chunkLoop('rows', {
        states: ['PrepareCopyRows', 'CopyRowsChunk', 'MoreRowsToCopy?'],
        cursor: 'rows',
        start: { tenantId: '$plan.tenantId', action: jsonataString('copy'), from: POOL_ROWS, to: SILO_ROWS },
        next: 'VerifyRows',
        catch: toRollback,
        chunkComment:
          "The tenant's PostgreSQL rows, pooled database → its silo database, in key order (checkpoint).",
      }),
      VerifyRows: lambdaTask(
        'rows',
        {
          tenantId: '{% $plan.tenantId %}',
          action: 'verify',
          from: jsonata(POOL_ROWS),
          to: jsonata(SILO_ROWS),
        },
        {
          flow: { Next: 'SwitchCatalog' },
          assign: { rows: LAMBDA_RESULT },
          catch: [toRollback('VerifyRows')],
          comment: 'Count and checksum per table on both sides: RowsVerificationError → rollback.',
        },
      ),
      SwitchCatalog: lambdaTask(
        'catalog',
        {
          action: 'set-placement',
          tenantId: '{% $plan.tenantId %}',
          executionArn: EXECUTION_ARN,
          tier: '{% $plan.toTier %}',
          isolation: '{% $plan.isolation %}',
          silo: '{% $silo %}',
          collections: '{% $collectionTables %}',
        },
        {
          flow: { Next: 'PrepareUserTiers' },
          catch: [toRollback('SwitchCatalog')],
          comment: 'The route moves: tier, silo and collection tables in one audited catalog write.',
        },
      ),
      ...chunkLoop('userTiers', {
        states: ['PrepareUserTiers', 'UpdateUserTiers', 'MoreUserTiers?'],
        cursor: 'userTiers',
        start: {
          tenantId: '$plan.tenantId',
          tier: '$plan.toTier',
          executionArn: '$states.context.Execution.Id',
        },
        next: 'PreparePurge',
        catch: toRollback,
        startComment:
          "The users' custom:tier follows the catalog (the pre-token trigger issues the catalog's tier meanwhile).",
      }),
      ...chunkLoop('purge', {
        states: ['PreparePurge', 'PurgePoolChunk', 'MoreToPurge?'],
        cursor: 'purge',
        assign: { stage: 'purging' },
        start: {
          store: jsonataString('pool'),
          tenantId: '$plan.tenantId',
          verifiedAgainst: '$silo.tableName',
          direction: '$plan.move.direction',
          collections: '$plan.move.collections',
        },
        next: 'ErasePoolRows?',
        catch: toRollback,
        startComment:
          'From here on the sources may lose items: a rollback first restores them from where they went.',
      }),
      'ErasePoolRows?': {
        Type: 'Choice',
        Choices: [{ Condition: "{% $plan.isolation = 'silo' %}", Next: 'ReverifyRows' }],
        Default: 'DeleteCollectionTables',
      },
      ReverifyRows: lambdaTask(
        'rows',
        {
          tenantId: '{% $plan.tenantId %}',
          action: 'verify',
          from: jsonata(POOL_ROWS),
          to: jsonata(SILO_ROWS),
        },
        {
          flow: { Next: 'PrepareErasePoolRows' },
          catch: [toRollback('ReverifyRows')],
          comment:
            'The pooled rows are erased only while the silo still holds them all, identical (as the purge checks each item).',
        },
      ),
      ...chunkLoop('rows', {
        states: ['PrepareErasePoolRows', 'ErasePoolRowsChunk', 'MorePoolRowsToErase?'],
        cursor: 'rows',
        start: { tenantId: '$plan.tenantId', action: jsonataString('erase'), from: POOL_ROWS },
        next: 'DeleteCollectionTables',
        catch: toRollback,
        chunkComment:
          'The pooled rows, verified in the silo: erased, and none left (the rollback copies them back).',
      }),
      DeleteCollectionTables: lambdaTask(
        'collections',
        {
          action: 'delete',
          tenantId: '{% $plan.tenantId %}',
          executionArn: EXECUTION_ARN,
          keepTier: '{% $plan.toTier %}',
        },
        {
          flow: { Next: 'ActivateTenant' },
          catch: [toRollback('DeleteCollectionTables')],
          comment: 'Emptied by the purge; the tables the new tier does not name are deleted.',
        },
      ),
      ActivateTenant: lambdaTask(
        'transition',
        {
          tenantId: '{% $plan.tenantId %}',
          to: 'ACTIVE',
          reason: "{% 'promoted to ' & $plan.toTier & ' (' & $plan.isolation & ')' %}",
          executionArn: EXECUTION_ARN,
        },
        { flow: { Next: 'EmitTenantPromoted' }, catch: [toRollback('ActivateTenant')] },
      ),
      EmitTenantPromoted: emitEvent(
        lifecycleDetailTypes.promoted,
        {
          tenantId: '{% $plan.tenantId %}',
          fromTier: '{% $plan.fromTier %}',
          toTier: '{% $plan.toTier %}',
          items: '{% $verify.source.count %}',
          checksum: '{% $verify.source.checksum %}',
          isolation: '{% $plan.isolation %}',
          stackId: '{% $silo ? $silo.stackId : null %}',
          executionArn: EXECUTION_ARN,
        },
        { flow: { Next: 'Promoted' }, catch: [catchFailure('EmitTenantPromoted', 'PromotedEventNotSent')] },
      ),
      Promoted: {
        Type: 'Succeed',
        Output: {
          tenantId: '{% $plan.tenantId %}',
          status: 'ACTIVE',
          tier: '{% $plan.toTier %}',
          isolation: '{% $plan.isolation %}',
          silo: '{% $silo %}',
          collections: '{% $collectionTables %}',
          items: '{% $verify.source.count %}',
          checksum: '{% $verify.source.checksum %}',
        },
      },
      PromotedEventNotSent: {
        Type: 'Fail',
        Error: 'PromotedEventNotSent',
        Cause:
          'the tenant was promoted (ACTIVE on its new placement) but the TenantPromoted event could not be emitted',
      },

      // --- rejection: nothing was changed ------------------------------------------------------------
      ...failedEnd('EmitPromotionRejected', 'PromotionRejected', {
        detailType: lifecycleDetailTypes.promotionFailed,
        tenantId: INPUT_TENANT_ID,
        stage: 'rejected',
      }),

      // --- rollback ----------------------------------------------------------------------------------
      Rollback: {
        Type: 'Pass',
        Comment: 'Entry of the rollback path; $failure says what failed, $stage how far the promotion got.',
        Next: 'NeedsRestore?',
      },
      'NeedsRestore?': {
        Type: 'Choice',
        Choices: [
          ...(accounts === undefined
            ? []
            : [{ Condition: jsonata("$plan.isolation = 'account'"), Next: ACCOUNT_ROLLBACK }]),
          toDemotion(DEMOTION_ROLLBACK),
          { Condition: "{% $stage = 'purging' %}", Next: 'RecreateCollectionTables' },
        ],
        Default: 'RevertCatalog',
      },
      RecreateCollectionTables: lambdaTask(
        'collections',
        {
          action: 'create',
          tenantId: '{% $plan.tenantId %}',
          tier: '{% $plan.fromTier %}',
          executionArn: EXECUTION_ARN,
          record: false,
        },
        {
          flow: { Next: 'PrepareRestore' },
          catch: [
            catchFailure('RecreateCollectionTables', 'RestoreActive', {
              log: rollbackErrors,
              assign: { stage: 'rolled-forward' },
            }),
          ],
          comment:
            "The old tier's tables, for the restore (found when the purge did not get to delete them).",
        },
      ),
      ...chunkLoop('copy', {
        states: ['PrepareRestore', 'RestoreChunk', 'MoreToRestore?'],
        cursor: 'copy',
        start: moveCursor(REVERSE_DIRECTION),
        next: 'RestoreRows?',
        catch: (state) =>
          catchFailure(state, 'RestoreActive', { log: rollbackErrors, assign: { stage: 'rolled-forward' } }),
        chunkComment:
          'If the sources cannot be restored, keep the complete, verified target and the switched catalog (roll forward).',
      }),
      'RestoreRows?': {
        Type: 'Choice',
        Choices: [{ Condition: "{% $plan.isolation = 'silo' %}", Next: 'PrepareRestoreRows' }],
        Default: 'RevertCatalog',
      },
      ...chunkLoop('rows', {
        states: ['PrepareRestoreRows', 'RestoreRowsChunk', 'MoreRowsToRestore?'],
        cursor: 'rows',
        start: { tenantId: '$plan.tenantId', action: jsonataString('copy'), from: SILO_ROWS, to: POOL_ROWS },
        next: 'RevertCatalog',
        catch: (state) =>
          catchFailure(state, 'RestoreActive', { log: rollbackErrors, assign: { stage: 'rolled-forward' } }),
        chunkComment:
          'The rows back to the pooled database (a row still there is kept); if they cannot be, roll forward.',
      }),
      RevertCatalog: lambdaTask(
        'catalog',
        {
          action: 'set-placement',
          tenantId: '{% $plan.tenantId %}',
          executionArn: EXECUTION_ARN,
          tier: '{% $plan.fromTier %}',
          isolation: 'pool',
          silo: null,
          collections: '{% $plan.collections %}',
        },
        {
          flow: { Next: 'PrepareRevertUserTiers' },
          catch: [rollbackCatch('RevertCatalog', 'RestoreActive')],
          comment: 'If the catalog cannot be reverted it may still route to the silo: keep the silo.',
        },
      ),
      ...chunkLoop('userTiers', {
        states: ['PrepareRevertUserTiers', 'RevertUserTiers', 'MoreUserTiersToRevert?'],
        cursor: 'userTiers',
        start: {
          tenantId: '$plan.tenantId',
          tier: '$plan.fromTier',
          executionArn: '$states.context.Execution.Id',
        },
        next: 'RemoveCopies?',
        catch: (state) => rollbackCatch(state, 'RemoveCopies?'),
        chunkComment: 'Users left on the new tier still sign in (the catalog is the source of truth).',
      }),
      'RemoveCopies?': {
        Type: 'Choice',
        Comment: 'A silo is deleted whole; within the pool the copies the run made are purged one by one.',
        Choices: [{ Condition: "{% $plan.isolation = 'pool' %}", Next: 'PrepareRemoveCopies' }],
        Default: 'RollbackCollectionTables',
      },
      ...chunkLoop('purge', {
        states: ['PrepareRemoveCopies', 'RemoveCopiesChunk', 'MoreCopiesToRemove?'],
        cursor: 'purge',
        start: {
          store: jsonataString('pool'),
          tenantId: '$plan.tenantId',
          direction: REVERSE_DIRECTION,
          collections: '$plan.move.collections',
        },
        next: 'RollbackCollectionTables',
        catch: (state) => rollbackCatch(state, 'RollbackCollectionTables'),
        chunkComment:
          'Deletes where the items went only the copies identical to the items where they are again (no duplicates).',
      }),
      RollbackCollectionTables: lambdaTask(
        'collections',
        {
          action: 'delete',
          tenantId: '{% $plan.tenantId %}',
          executionArn: EXECUTION_ARN,
          keepTier: '{% $plan.fromTier %}',
        },
        {
          flow: { Next: 'RollbackSilo?' },
          catch: [rollbackCatch('RollbackCollectionTables', 'RollbackSilo?')],
          comment: "Tables the new tier got are deleted; the old tier's stay.",
        },
      ),
      'RollbackSilo?': {
        Type: 'Choice',
        Choices: [
          {
            Condition: "{% $plan.isolation = 'silo' and $exists($silo.stackId) %}",
            Next: 'PrepareRemoveSiloRows',
          },
          { Condition: "{% $plan.isolation = 'silo' %}", Next: 'RollbackSiloTeardown' },
        ],
        Default: 'RestoreActive',
      },
      ...chunkLoop('rows', {
        states: ['PrepareRemoveSiloRows', 'RemoveSiloRowsChunk', 'MoreSiloRowsToRemove?'],
        cursor: 'rows',
        start: { tenantId: '$plan.tenantId', action: jsonataString('erase'), from: SILO_ROWS },
        next: 'RollbackSiloTeardown',
        catch: (state) => rollbackCatch(state, 'RollbackSiloTeardown'),
        chunkComment: 'The copies in the silo database, erased and counted before its stack is deleted.',
      }),
      ...siloTeardownStates({
        prefix: 'Rollback',
        stackName: '$plan.stackName',
        region: '$plan.region',
        pollSeconds: stackPollSeconds,
        maxPolls: stackMaxPolls,
        next: 'RestoreActive',
        onFailure: 'RestoreActive',
        log: rollbackErrors,
      }),
      RestoreActive: lambdaTask(
        'transition',
        {
          tenantId: '{% $plan.tenantId %}',
          to: 'ACTIVE',
          onlyFrom: ['MIGRATING'],
          reason: "{% 'promotion rolled back: ' & $failure.state & ': ' & $failure.error %}",
          executionArn: EXECUTION_ARN,
        },
        {
          flow: { Next: 'EmitPromotionFailed' },
          catch: [rollbackCatch('RestoreActive', 'EmitPromotionFailed')],
        },
      ),
      ...failedEnd('EmitPromotionFailed', 'PromotionFailed', {
        detailType: lifecycleDetailTypes.promotionFailed,
        tenantId: '{% $plan.tenantId %}',
        stage: "{% $stage = 'rolled-forward' ? 'rolled-forward' : 'rolled-back' %}",
        detail: {
          rolledBack: '{% $count($rollbackErrors) = 0 %}',
          rollbackErrors: '{% $rollbackErrors %}',
        },
      }),
    },
  };
}
