import type { TenantryConfig } from '../domain/config';
import { lifecycleDetailTypes } from '../domain/lifecycle/events';
import type { AccountsSettings } from '../domain/lifecycle/member-account';
import { accountCompensationStates, accountProvisioningStates } from './account';
import { type Catcher, jsonata, jsonataString, type State } from './asl';
import {
  catchFailure,
  chunkLoop,
  EXECUTION_ARN,
  emitEvent,
  type FailureLog,
  failedEnd,
  lambdaTask,
  SILO_FROM_STACK,
  siloTeardownStates,
} from './common';
import { oldSiloRetirementStates, retireOldSilo } from './old-silo';

/**
 * The promotion silo → account (plan `isolation: 'account'`), as states of the promotion state
 * machine, which runs Validate → SetMigrating → WriteFreeze first and then enters `PromotionTarget?`:
 *
 *   [the account, as onboarding provisions it: AccountGiven? → AdoptAccount | RequestAccount →
 *   DescribeAccount ⟲ → RecordAccount → PlaceAccount → EnsureRuntimeRole] → CreateSiloStack →
 *   DescribeSiloStack ⟲ (the promotion's silo states, in the account) → SiloReadyFor?
 *   → PrepareAccountCopy → AccountCopyChunk ⟲ (the platform silo read with the copy task's role, the
 *     account's table written through the deployment role under a one-table session policy)
 *   → PrepareAccountVerify → AccountVerifyChunk ⟲ (count + checksum of both, chunked)
 *   → SwitchToAccount (catalog: tier, isolation account, the account's ARNs; the account id is recorded)
 *   ── switched: from here nothing is undone ──
 *   → UpdateAccountUserTiers ⟲ → ActivateOnAccount (MIGRATING → ACTIVE)
 *   → RetireOldSilo (catalog: TEARDOWN_PENDING) → OldSiloTeardown (key deletion scheduled, stack
 *     deleted, in the platform account) → VerifyOldSiloErased (stack, table, usable key gone)
 *   → RecordOldSiloErased (catalog: ERASED with the verification) → EmitTenantPromotedToAccount
 *     (the old silo's retirement: workflows/old-silo.ts, shared with the demotion silo → pool).
 *
 * Before the switch any failure enters the promotion's Rollback, which sends an account promotion to
 * AccountRollback: RevertToSilo (catalog on the old silo, idempotent) → [FindAccount when the request's
 * answer was lost] → the silo teardown in the account → RemoveRuntimeRole → CloseAccount (a created
 * account; an adopted one is left to its owner) → RecordAccountClosed | FlagAccountNotClosed →
 * RestoreActive: the tenant is served from its old silo, which was only read.
 * After the switch a failure never rolls back: user tiers or the activation failing are listed and the
 * run goes on to retire the old silo; a teardown or verification that fails is flagged in the catalog
 * (retired silo TEARDOWN_FAILED, with the error) and the run ends PromotionIncomplete (`stage:
 * switched`) for an operator.
 */

interface AccountPromotionOptions {
  /** Catcher of a failure before the switch (to Rollback). */
  readonly toRollback: (state: string) => Catcher;
  /** Catcher of a rollback step (goes on to `next`, appending to rollbackErrors). */
  readonly rollbackCatch: (state: string, next: string) => Catcher;
  readonly rollbackErrors: { readonly appendTo: string };
}

/** The state the promotion enters after its write freeze. */
export const PROMOTION_TARGET = 'PromotionTarget?';
/** The state the promotion's silo states go to once the silo stack is ready. */
export const SILO_READY_FOR = 'SiloReadyFor?';
/** The promotion's rollback entry for an account promotion. */
export const ACCOUNT_ROLLBACK = 'AccountRollback';
const RETIRE_OLD_SILO = retireOldSilo('');

const IS_ACCOUNT = "$plan.isolation = 'account'";
const TENANT_ID = '{% $plan.tenantId %}';

export function accountPromotionStates(
  config: TenantryConfig,
  accounts: AccountsSettings,
  o: AccountPromotionOptions,
): Record<string, State> {
  const { stackPollSeconds, stackMaxPolls } = config.lifecycle;
  const switchErrors: FailureLog = { appendTo: 'switchErrors' };
  const account = "{ 'accountId': $accountId, 'region': $plan.region }";

  return {
    [PROMOTION_TARGET]: {
      Type: 'Choice',
      Choices: [{ Condition: jsonata(IS_ACCOUNT), Next: 'AccountGiven?' }],
      Default: 'ToSilo?',
    },
    ...accountProvisioningStates(accounts, {
      onFailure: o.toRollback,
      notCreated: 'Rollback',
      next: 'CreateSiloStack',
      tier: '$plan.toTier',
    }),
    [SILO_READY_FOR]: {
      Type: 'Choice',
      Choices: [{ Condition: jsonata(IS_ACCOUNT), Next: 'PrepareAccountCopy' }],
      Default: 'SiloReady',
    },
    ...chunkLoop('copy', {
      states: ['PrepareAccountCopy', 'AccountCopyChunk', 'MoreToCopyToAccount?'],
      cursor: 'copy',
      assign: { silo: jsonata(SILO_FROM_STACK) },
      start: {
        tenantId: '$plan.tenantId',
        direction: jsonataString('silo-to-account'),
        siloTable: '$plan.fromSilo.tableName',
        account,
      },
      next: 'PrepareAccountVerify',
      catch: o.toRollback,
      chunkComment:
        "Reads the platform silo with the task's role, writes the account's table through the deployment role capped to it.",
    }),
    ...chunkLoop('verify', {
      states: ['PrepareAccountVerify', 'AccountVerifyChunk', 'MoreToVerifyInAccount?'],
      cursor: 'verify',
      start: {
        tenantId: '$plan.tenantId',
        direction: jsonataString('silo-to-account'),
        siloTable: '$silo.tableName',
        account,
      },
      next: 'SwitchToAccount',
      catch: o.toRollback,
      chunkComment:
        'Counts and checksums up to one chunk of each side (checkpoint); the last chunk compares the totals.',
    }),
    SwitchToAccount: lambdaTask(
      'catalog',
      {
        action: 'set-placement',
        tenantId: TENANT_ID,
        executionArn: EXECUTION_ARN,
        tier: '{% $plan.toTier %}',
        isolation: 'account',
        silo: '{% $silo %}',
      },
      {
        flow: { Next: 'PrepareAccountUserTiers' },
        assign: { switchErrors: [] },
        catch: [o.toRollback('SwitchToAccount')],
        comment: 'The switch: from here the tenant is served from its account, and nothing is undone.',
      },
    ),
    ...chunkLoop('userTiers', {
      states: ['PrepareAccountUserTiers', 'UpdateAccountUserTiers', 'MoreAccountUserTiers?'],
      cursor: 'userTiers',
      start: {
        tenantId: '$plan.tenantId',
        tier: '$plan.toTier',
        executionArn: '$states.context.Execution.Id',
      },
      next: 'ActivateOnAccount',
      catch: (state) => catchFailure(state, 'ActivateOnAccount', { log: switchErrors }),
      chunkComment: 'Users left on the old tier still sign in (the catalog is the source of truth).',
    }),
    ActivateOnAccount: lambdaTask(
      'transition',
      {
        tenantId: TENANT_ID,
        to: 'ACTIVE',
        onlyFrom: ['MIGRATING'],
        reason: "{% 'promoted to account ' & $accountId %}",
        executionArn: EXECUTION_ARN,
      },
      {
        flow: { Next: RETIRE_OLD_SILO },
        catch: [catchFailure('ActivateOnAccount', RETIRE_OLD_SILO, { log: switchErrors })],
        comment: 'A failure here is reported, never rolled back: the old silo is retired all the same.',
      },
    ),
    ...oldSiloRetirementStates(config, {
      prefix: '',
      erased: 'EmitTenantPromotedToAccount',
      incomplete: 'EmitPromotionIncomplete',
    }),
    EmitTenantPromotedToAccount: emitEvent(
      lifecycleDetailTypes.promoted,
      {
        tenantId: TENANT_ID,
        fromTier: '{% $plan.fromTier %}',
        toTier: '{% $plan.toTier %}',
        accountId: '{% $accountId %}',
        items: '{% $verify.source.count %}',
        checksum: '{% $verify.source.checksum %}',
        stackId: '{% $silo.stackId %}',
        retiredSilo: '{% $plan.fromSilo.stackId %}',
        executionArn: EXECUTION_ARN,
      },
      {
        flow: { Next: 'PromotedToAccount' },
        catch: [catchFailure('EmitTenantPromotedToAccount', 'PromotedEventNotSent')],
      },
    ),
    PromotedToAccount: {
      Type: 'Succeed',
      Output: {
        tenantId: TENANT_ID,
        status: 'ACTIVE',
        tier: '{% $plan.toTier %}',
        isolation: 'account',
        accountId: '{% $accountId %}',
        silo: '{% $silo %}',
        items: '{% $verify.source.count %}',
        checksum: '{% $verify.source.checksum %}',
        retiredSilo: { stackId: '{% $plan.fromSilo.stackId %}', keyDeletionDate: '{% $keyDeletionDate %}' },
      },
    },
    ...failedEnd('EmitPromotionIncomplete', 'PromotionIncomplete', {
      detailType: lifecycleDetailTypes.promotionFailed,
      tenantId: TENANT_ID,
      stage: 'switched',
      detail: { accountId: '{% $accountId %}', switchErrors: '{% $switchErrors %}' },
    }),

    // --- rollback before the switch: the tenant stays on its old silo, which was only read ----------
    [ACCOUNT_ROLLBACK]: {
      Type: 'Pass',
      Comment: 'The old silo was only read: put the catalog back on it, then remove what the account got.',
      Next: 'RevertToSilo',
    },
    RevertToSilo: lambdaTask(
      'catalog',
      {
        action: 'set-placement',
        tenantId: TENANT_ID,
        executionArn: EXECUTION_ARN,
        tier: '{% $plan.fromTier %}',
        isolation: 'silo',
        silo: '{% $plan.fromSilo %}',
      },
      {
        flow: { Next: 'AccountKnown?' },
        catch: [o.rollbackCatch('RevertToSilo', 'RestoreActive')],
        comment:
          'A no-op unless SwitchToAccount wrote; if it cannot be reverted the catalog may route to the account: keep it.',
      },
    ),
    'AccountKnown?': {
      Type: 'Choice',
      Choices: [{ Condition: '{% $accountId != null %}', Next: 'AccountRollbackSiloTeardown' }],
      Default: 'FindAccount',
    },
    ...siloTeardownStates({
      prefix: 'AccountRollback',
      stackName: '$plan.stackName',
      region: '$plan.region',
      pollSeconds: stackPollSeconds,
      maxPolls: stackMaxPolls,
      next: 'CompensateAccount?',
      onFailure: 'CompensateAccount?',
      log: o.rollbackErrors,
      accountId: '$accountId',
    }),
    ...accountCompensationStates({
      accounts,
      compensationCatch: o.rollbackCatch,
      teardown: 'AccountRollbackSiloTeardown',
      done: 'RestoreActive',
    }),
  };
}
