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
  LAMBDA_RESULT,
  lambdaTask,
  SILO_FROM_STACK,
  siloRows,
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
 *   → PrepareAccountRowsCopy → AccountRowsCopyChunk ⟲ (the PostgreSQL rows, the platform silo's database
 *     → the account silo's) → VerifyAccountRows (count + checksum per table)
 *   → SwitchToAccount (catalog: tier, isolation account, the account's ARNs; the account id is recorded)
 *   ── switched: from here nothing is undone ──
 *   → UpdateAccountUserTiers ⟲ → ActivateOnAccount (MIGRATING → ACTIVE) → EraseRetiredSiloRowsChunk ⟲
 *     (the platform silo database's rows erased and counted)
 *   → RetireOldSilo (catalog: TEARDOWN_PENDING) → OldSiloTeardown (key deletion scheduled, stack
 *     deleted, in the platform account) → VerifyOldSiloErased (stack, table, usable key gone)
 *   → RecordOldSiloErased (catalog: ERASED with the verification) → EmitTenantPromotedToAccount
 *     (the old silo's retirement: workflows/old-silo.ts, shared with the demotion silo → pool).
 *
 * Before the switch any failure enters the promotion's Rollback, which sends an account promotion to
 * AccountRollback: RevertToSilo (catalog on the old silo, idempotent) → [FindAccount when the request's
 * answer was lost] → [RemoveAccountRowsChunk ⟲: the rows copied into the account] → the silo teardown in the account → RemoveRuntimeRole → CloseAccount (a created
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
  // The rows: the platform silo's database (catalog references) → the database of the silo in the account.
  const platformSiloRows = siloRows('$plan.fromSilo');
  const accountSiloRows = siloRows('$silo', account);

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
      next: 'PrepareAccountRowsCopy',
      catch: o.toRollback,
      chunkComment:
        'Counts and checksums up to one chunk of each side (checkpoint); the last chunk compares the totals.',
    }),
    ...chunkLoop('rows', {
      states: ['PrepareAccountRowsCopy', 'AccountRowsCopyChunk', 'MoreRowsToCopyToAccount?'],
      cursor: 'rows',
      start: {
        tenantId: '$plan.tenantId',
        action: jsonataString('copy'),
        from: platformSiloRows,
        to: accountSiloRows,
      },
      next: 'VerifyAccountRows',
      catch: o.toRollback,
      chunkComment:
        "The tenant's PostgreSQL rows, the platform silo's database → the account silo's database.",
    }),
    VerifyAccountRows: lambdaTask(
      'rows',
      {
        tenantId: TENANT_ID,
        action: 'verify',
        from: jsonata(platformSiloRows),
        to: jsonata(accountSiloRows),
      },
      {
        flow: { Next: 'SwitchToAccount' },
        assign: { rows: LAMBDA_RESULT },
        catch: [o.toRollback('VerifyAccountRows')],
        comment: 'Count and checksum per table on both sides: RowsVerificationError → rollback.',
      },
    ),
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
        flow: { Next: 'PrepareEraseRetiredSiloRows' },
        catch: [catchFailure('ActivateOnAccount', 'PrepareEraseRetiredSiloRows', { log: switchErrors })],
        comment: 'A failure here is reported, never rolled back: the old silo is retired all the same.',
      },
    ),
    ...chunkLoop('rows', {
      states: ['PrepareEraseRetiredSiloRows', 'EraseRetiredSiloRowsChunk', 'MoreRetiredSiloRowsToErase?'],
      cursor: 'rows',
      start: { tenantId: '$plan.tenantId', action: jsonataString('erase'), from: platformSiloRows },
      next: RETIRE_OLD_SILO,
      catch: (state) => catchFailure(state, RETIRE_OLD_SILO, { log: switchErrors }),
      chunkComment: "The platform silo database's rows, erased and counted before its stack is deleted.",
    }),
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
      Choices: [
        {
          Condition: '{% $accountId != null and $exists($silo.stackId) %}',
          Next: 'PrepareRemoveAccountRows',
        },
        { Condition: '{% $accountId != null %}', Next: 'AccountRollbackSiloTeardown' },
      ],
      Default: 'FindAccount',
    },
    ...chunkLoop('rows', {
      states: ['PrepareRemoveAccountRows', 'RemoveAccountRowsChunk', 'MoreAccountRowsToRemove?'],
      cursor: 'rows',
      start: { tenantId: '$plan.tenantId', action: jsonataString('erase'), from: accountSiloRows },
      next: 'AccountRollbackSiloTeardown',
      catch: (state) => o.rollbackCatch(state, 'AccountRollbackSiloTeardown'),
      chunkComment:
        "The copies in the account silo's database, erased and counted before its stack is deleted.",
    }),
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
