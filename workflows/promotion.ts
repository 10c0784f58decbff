import type { TenantryConfig } from '../domain/config';
import { lifecycleDetailTypes } from '../domain/lifecycle/events';
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
  SILO_FROM_STACK,
  siloProvisioningStates,
  siloTeardownStates,
  sub,
} from './common';

/**
 * Promotion pool → silo (input `{ tenantId, targetTier }`, the target tier's isolation must be silo),
 * and silo → account (a tier of isolation `account`, input `accountId` to adopt one: the states of
 * workflows/account-promotion.ts, entered after the write freeze; only when `accounts` is configured).
 *
 *   Validate → SetMigrating (ACTIVE → MIGRATING: the authorizer makes the tenant read-only)
 *   → WriteFreeze (Wait `${WriteFreezeSeconds}` = writeFreezeSeconds(config): until no cached
 *     read-write authorization is honoured any more) → CreateSiloStack → DescribeSiloStack ⟲ Wait → PrepareCopy → CopyChunk ⟲ (checkpointed chunks)
 *   → PrepareVerify → VerifyChunk ⟲ (count + checksum of pool and silo in checkpointed chunks, totals
 *     compared by the last chunk: DataVerificationError → rollback) → SwitchCatalog (tier, isolation, silo references)
 *   → PrepareUserTiers → UpdateUserTiers ⟲ (custom:tier of every user of the tenant, checkpointed pages,
 *     audited in the catalog history) → PreparePurge → PurgePoolChunk ⟲ (deletes only items whose silo copy is identical, else
 *     PurgeRefusedError → rollback) → ActivateTenant (MIGRATING → ACTIVE) → EmitTenantPromoted
 *
 * Rollback (any failure): [if the pool purge had started: RestoreChunk ⟲ copies the silo's items back
 * to the pool] → RevertCatalog (back to the pool tier, no silo) → RevertUserTiers ⟲ (the users back on
 * the pool tier) → RollbackSiloTeardown (key deletion
 * scheduled, stack deleted) → RestoreActive (MIGRATING → ACTIVE) → EmitPromotionFailed → PromotionFailed.
 * If the items cannot be restored to the pool, the promotion rolls forward instead (the catalog stays
 * on the verified silo, which holds every item) — data is never deleted from its last complete copy.
 * Either way the tenant ends ACTIVE: never left locked. The restore never overwrites an item the pool
 * still holds (it may be newer than its silo copy).
 *
 * Rejection (nothing changed): Validate fails, or SetMigrating finds the transition illegal or the
 * record changed since Validate (`expectedVersion`: StaleLifecyclePlanError) — e.g. a concurrent
 * promotion of the same tenant set MIGRATING, or even completed, in between; that run's work must not
 * be undone, so this run emits `stage: rejected` and ends PromotionRejected touching neither catalog
 * nor silo.
 * Starters name promotion executions `promotionExecutionName(tenantId, catalogVersion)`
 * (domain/lifecycle/execution-name.ts), so two concurrent starts for the same tenant collide on the name.
 *
 * Output: `{ tenantId, status: 'ACTIVE', tier, isolation: 'silo', silo, items, checksum }`.
 */
export const PROMOTION = 'promotion';

export function promotionDefinition(config: TenantryConfig): StateMachineDefinition {
  const { stackPollSeconds, stackMaxPolls } = config.lifecycle;
  const toRollback = (state: string): Catcher => catchFailure(state, 'Rollback');
  const rollbackErrors: FailureLog = { appendTo: 'rollbackErrors' };
  const rollbackCatch = (state: string, next: string): Catcher =>
    catchFailure(state, next, { log: rollbackErrors });
  // Promotion silo → account (workflows/account-promotion.ts): only when account tenants are configured.
  const { accounts } = config;

  return {
    Comment: 'Tenantry tenant promotion pool -> silo with rollback',
    QueryLanguage: 'JSONata',
    StartAt: 'Validate',
    States: {
      Validate: lambdaTask(
        'validate',
        { kind: 'promotion', input: '{% $states.input %}' },
        {
          flow: { Next: 'SetMigrating' },
          assign: {
            plan: LAMBDA_RESULT,
            stage: 'locking',
            rollbackErrors: [],
            silo: null,
            // silo → account: an account given in the input is adopted; a created one is known once it exists.
            ...(accounts === undefined
              ? {}
              : {
                  accountId:
                    '{% $exists($states.result.Payload.accountId) ? $states.result.Payload.accountId : null %}',
                }),
          },
          catch: [catchFailure('Validate', 'EmitPromotionRejected')],
        },
      ),
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
        Next: accounts === undefined ? 'CreateSiloStack' : PROMOTION_TARGET,
      },
      ...siloProvisioningStates({
        tenantId: '$plan.tenantId',
        tier: '$plan.toTier',
        region: '$plan.region',
        pollSeconds: stackPollSeconds,
        maxPolls: stackMaxPolls,
        onReady: accounts === undefined ? 'PrepareCopy' : SILO_READY_FOR,
        onFailure: 'Rollback',
        ...(accounts === undefined ? {} : { accountId: '$accountId' }),
      }),
      ...(accounts === undefined
        ? {}
        : accountPromotionStates(config, accounts, { toRollback, rollbackCatch, rollbackErrors })),
      ...chunkLoop('copy', {
        states: ['PrepareCopy', 'CopyChunk', 'MoreToCopy?'],
        cursor: 'copy',
        assign: { silo: jsonata(SILO_FROM_STACK) },
        start: {
          tenantId: '$plan.tenantId',
          direction: jsonataString('pool-to-silo'),
          siloTable: `${SILO_FROM_STACK}.tableName`,
        },
        next: 'PrepareVerify',
        catch: toRollback,
        chunkComment: 'Copies up to one chunk of items and returns the cursor of the next one (checkpoint).',
      }),
      ...chunkLoop('verify', {
        states: ['PrepareVerify', 'VerifyChunk', 'MoreToVerify?'],
        cursor: 'verify',
        start: { tenantId: '$plan.tenantId', siloTable: '$silo.tableName' },
        next: 'SwitchCatalog',
        catch: toRollback,
        chunkComment:
          'Counts and checksums up to one chunk of items on each side (checkpoint); the last chunk compares the totals.',
      }),
      SwitchCatalog: lambdaTask(
        'catalog',
        {
          action: 'set-placement',
          tenantId: '{% $plan.tenantId %}',
          executionArn: EXECUTION_ARN,
          tier: '{% $plan.toTier %}',
          isolation: 'silo',
          silo: '{% $silo %}',
        },
        { flow: { Next: 'PrepareUserTiers' }, catch: [toRollback('SwitchCatalog')] },
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
        },
        next: 'ActivateTenant',
        catch: toRollback,
        startComment: 'From here on the pool may lose items: a rollback first restores them from the silo.',
      }),
      ActivateTenant: lambdaTask(
        'transition',
        {
          tenantId: '{% $plan.tenantId %}',
          to: 'ACTIVE',
          reason: 'promoted to silo',
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
          stackId: '{% $silo.stackId %}',
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
          isolation: 'silo',
          silo: '{% $silo %}',
          items: '{% $verify.source.count %}',
          checksum: '{% $verify.source.checksum %}',
        },
      },
      PromotedEventNotSent: {
        Type: 'Fail',
        Error: 'PromotedEventNotSent',
        Cause:
          'the tenant was promoted (ACTIVE on its silo) but the TenantPromoted event could not be emitted',
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
            : [{ Condition: jsonata("$plan.toIsolation = 'account'"), Next: ACCOUNT_ROLLBACK }]),
          { Condition: "{% $stage = 'purging' %}", Next: 'PrepareRestore' },
        ],
        Default: 'RevertCatalog',
      },
      ...chunkLoop('copy', {
        states: ['PrepareRestore', 'RestoreChunk', 'MoreToRestore?'],
        cursor: 'copy',
        start: {
          tenantId: '$plan.tenantId',
          direction: jsonataString('silo-to-pool'),
          siloTable: '$silo.tableName',
        },
        next: 'RevertCatalog',
        catch: (state) =>
          catchFailure(state, 'RestoreActive', { log: rollbackErrors, assign: { stage: 'rolled-forward' } }),
        chunkComment:
          'If the pool cannot be restored, keep the complete silo and the switched catalog (roll forward).',
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
        next: 'RollbackSiloTeardown',
        catch: (state) => rollbackCatch(state, 'RollbackSiloTeardown'),
        chunkComment: 'Users left on the new tier still sign in (the catalog is the source of truth).',
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
