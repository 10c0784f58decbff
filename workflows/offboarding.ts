import type { TenantryConfig } from '../domain/config';
import { lifecycleDetailTypes } from '../domain/lifecycle/events';
import { type Catcher, jsonata, jsonataString, type State, type StateMachineDefinition } from './asl';
import {
  accountPayloads,
  catchFailure,
  chunkLoop,
  EXECUTION_ARN,
  emitEvent,
  failedEnd,
  failureRecord,
  INPUT_TENANT_ID,
  LAMBDA_RESULT,
  lambdaTask,
  POOL_ROWS,
  recordFailure,
  siloRows,
  siloTeardownStates,
  sub,
} from './common';

/**
 * Offboarding (input `{ tenantId, reason? }`): erase everything of the tenant, prove it, keep a tombstone.
 *
 *   Validate → SetOffboarding (the authorizer refuses the tenant from here) → WriteFreeze (Wait
 *   `${OffboardingFreezeSeconds}` = offboardingFreezeSeconds(config): until no cached authorization and
 *   no credential vended before OFFBOARDING can still write) → FinalBill (`billing-final`: flush and
 *   bill the final usage) → PurgeIdentity (disable + delete every user of the tenant, then its group)
 *   → DeleteCollectionTables (the tenant's dedicated collection tables, and their catalog record)
 *   → ErasePooledRows ⟲ (the tenant's PostgreSQL rows in the pooled database; done only when a count
 *   finds none) → [silo or account: EraseSiloRows ⟲ (the same in the silo's database)]
 *   → [silo or account: SiloTeardown (KMS key deletion scheduled with the configured window, stack
 *   deleted; in the tenant's account for an account tenant)]
 *   → PurgePooledItems ⟲ (every pooled item whose key starts `TENANT#<id>#`, by key prefix) →
 *   PurgeObjects ⟲ (every object version under `<id>/`) → VerifyErasure (consistent reads: 0 items,
 *   0 object versions, 0 users with the tenant id, silo stack gone and key pending deletion)
 *   → Erased? → [account: RemoveRuntimeRole → CloseAccount (SUSPENDED for Organizations' 90-day
 *   post-closure period, then deleted) → RecordAccountClosed; an account that cannot be closed is
 *   flagged CLOSE_FAILED in the catalog and the run fails (running it again closes it)]
 *   → SetOffboarded (tombstone + erasure record; history keeps the audit trail)
 *   → EmitTenantOffboarded (carries the erasure record).
 *   If the verification finds anything left, the purge runs once more (PurgeAgain → PurgeIdentity …);
 *   if the second verification still finds something, ErasureIncomplete fails the run naming it.
 *
 * Erasure cannot be compensated. On failure the tenant stays OFFBOARDING (no access), the failure is
 * emitted (TenantOffboardingFailed) and the execution fails; every step is idempotent, so running
 * offboarding again for the tenant finishes the job. The catalog refuses OFFBOARDED without an erasure
 * record showing nothing left.
 *
 * Output: `{ tenantId, status: 'OFFBOARDED', purgedItems, purgedObjects, keyDeletionDate, erasure }`
 * (`keyDeletionDate`: the silo key's scheduled deletion date, null for a pooled tenant; `erasure`: the
 * erasure record, domain/tenant/erasure.ts).
 */
export const OFFBOARDING = 'offboarding';

/** Purges run before what the verification still finds fails the offboarding. */
const MAX_ERASURE_ATTEMPTS = 2;

export function offboardingDefinition(config: TenantryConfig): StateMachineDefinition {
  const { stackPollSeconds, stackMaxPolls } = config.lifecycle;
  const toFailure = (state: string): Catcher => catchFailure(state, 'EmitOffboardingFailed');
  const { accounts } = config;
  const hasSilo =
    accounts === undefined ? "$plan.isolation = 'silo'" : "$plan.isolation in ['silo', 'account']";
  // The tenant's own account (isolation `account`), else null; only when account tenants are configured.
  const accountId = accounts === undefined ? undefined : '$plan.accountId';
  return {
    Comment: 'Tenantry tenant offboarding (erasure with tombstone)',
    QueryLanguage: 'JSONata',
    StartAt: 'Validate',
    States: {
      Validate: lambdaTask(
        'validate',
        { kind: 'offboarding', input: '{% $states.input %}' },
        {
          flow: { Next: 'SetOffboarding' },
          assign: {
            plan: LAMBDA_RESULT,
            keyDeletionDate: null,
            erasureAttempts: 1,
            erasedItems: 0,
            erasedObjects: 0,
            erasedUsers: 0,
            erasedRows: 0,
          },
          catch: [catchFailure('Validate', 'EmitOffboardingRejected')],
        },
      ),
      SetOffboarding: lambdaTask(
        'transition',
        {
          tenantId: '{% $plan.tenantId %}',
          to: 'OFFBOARDING',
          resume: true,
          reason: '{% $plan.reason %}',
          executionArn: EXECUTION_ARN,
        },
        { flow: { Next: 'WriteFreeze' }, catch: [toFailure('SetOffboarding')] },
      ),
      WriteFreeze: {
        Type: 'Wait',
        QueryLanguage: 'JSONata', // asl-validator matches a JSONata Seconds only with the state's own QueryLanguage
        Comment:
          'Until no cached authorization and no credential vended before OFFBOARDING can write (domain/lifecycle/write-freeze.ts).',
        // A string literal keeps the placeholder valid JSONata before substitution.
        Seconds: jsonata(`$number(${jsonataString(sub('OffboardingFreezeSeconds'))})`),
        Next: 'FinalBill',
      },
      FinalBill: lambdaTask(
        'billingFinal',
        { tenantId: '{% $plan.tenantId %}' },
        {
          flow: { Next: 'PurgeIdentity' },
          assign: { finalBill: LAMBDA_RESULT },
          catch: [toFailure('FinalBill')],
          comment: 'Contract with the billing part: Lambda `billing-final`, input { tenantId }.',
        },
      ),
      PurgeIdentity: lambdaTask(
        'identityPurge',
        { tenantId: '{% $plan.tenantId %}' },
        {
          flow: { Next: 'DeleteCollectionTables' },
          assign: { erasedUsers: '{% $erasedUsers + $states.result.Payload.deletedUsers %}' },
          catch: [toFailure('PurgeIdentity')],
        },
      ),
      DeleteCollectionTables: lambdaTask(
        'collections',
        { action: 'delete', tenantId: '{% $plan.tenantId %}', executionArn: EXECUTION_ARN },
        {
          flow: { Next: 'PrepareErasePooledRows' },
          catch: [toFailure('DeleteCollectionTables')],
          comment:
            "The tenant's dedicated collection tables (items and all); the verification checks they are gone.",
        },
      ),
      ...chunkLoop('rows', {
        states: ['PrepareErasePooledRows', 'ErasePooledRows', 'MorePooledRows?'],
        cursor: 'rows',
        start: { tenantId: '$plan.tenantId', action: jsonataString('erase'), from: POOL_ROWS },
        next: 'CountPooledRows',
        catch: toFailure,
        chunkComment:
          "The tenant's rows in the pooled database (any tenant may have some): erased, none left.",
      }),
      CountPooledRows: {
        Type: 'Pass',
        Assign: { erasedRows: '{% $erasedRows + $rows.rows %}' },
        Next: 'IsSilo?',
      },
      'IsSilo?': {
        Type: 'Choice',
        Choices: [
          { Condition: jsonata(`${hasSilo} and $plan.siloDatabase != null`), Next: 'PrepareEraseSiloRows' },
          { Condition: jsonata(hasSilo), Next: 'SiloTeardown' },
        ],
        Default: 'PreparePurgeItems',
      },
      ...chunkLoop('rows', {
        states: ['PrepareEraseSiloRows', 'EraseSiloRows', 'MoreSiloRows?'],
        cursor: 'rows',
        start: {
          tenantId: '$plan.tenantId',
          action: jsonataString('erase'),
          from: siloRows(
            '$plan.siloDatabase',
            "($plan.accountId ? { 'accountId': $plan.accountId, 'region': $plan.region })",
          ),
        },
        next: 'CountSiloRows',
        catch: toFailure,
        chunkComment:
          "The silo database's rows, erased and counted before the stack (and its cluster) is deleted.",
      }),
      CountSiloRows: {
        Type: 'Pass',
        Assign: { erasedRows: '{% $erasedRows + $rows.rows %}' },
        Next: 'SiloTeardown',
      },
      ...siloTeardownStates({
        prefix: '',
        stackName: '$plan.stackName',
        region: '$plan.region',
        pollSeconds: stackPollSeconds,
        maxPolls: stackMaxPolls,
        next: 'PreparePurgeItems',
        onFailure: 'EmitOffboardingFailed',
        log: 'failure',
        ...(accountId === undefined ? {} : { accountId }),
      }),
      ...chunkLoop('purge', {
        states: ['PreparePurgeItems', 'PurgePooledItems', 'MoreItems?'],
        cursor: 'purge',
        start: { store: jsonataString('pool'), tenantId: '$plan.tenantId' },
        next: 'PreparePurgeObjects',
        catch: toFailure,
      }),
      ...chunkLoop('purge', {
        states: ['PreparePurgeObjects', 'PurgeObjects', 'MoreObjects?'],
        cursor: 'purge',
        assign: { erasedItems: '{% $erasedItems + $purge.purged %}' },
        start: { store: jsonataString('s3'), tenantId: '$plan.tenantId' },
        next: 'VerifyErasure',
        catch: toFailure,
      }),
      ...chunkLoop('erasureVerify', {
        states: ['VerifyErasure', 'VerifyErasureChunk', 'ErasureChecked?'],
        cursor: 'verification',
        assign: { erasedObjects: '{% $erasedObjects + $purge.purged %}' },
        start: {
          tenantId: '$plan.tenantId',
          silo: `(${hasSilo} ? $merge([{ 'region': $plan.region, 'kmsKeyArn': $plan.kmsKeyArn }, $plan.accountId ? { 'accountId': $plan.accountId } : {}]) : null)`,
          executionArn: '$states.context.Execution.Id',
          startedAt: '$states.context.Execution.StartTime',
          attempts: '$erasureAttempts',
          erased:
            "{ 'items': $erasedItems, 'objects': $erasedObjects + $purge.purged, 'users': $erasedUsers, 'rows': $erasedRows }",
          keyDeletionDate: '$keyDeletionDate',
        },
        next: 'Erased?',
        catch: toFailure,
        startComment: 'Consistent reads of every store, after the last purge; the index is not trusted here.',
        chunkComment:
          'Reads up to one chunk of the pool by key prefix (checkpoint); the last chunk reads the other stores and gives the verdict.',
      }),
      'Erased?': {
        Type: 'Choice',
        Choices: [
          {
            Condition: '{% $verification.verdict.clean %}',
            Next: accounts === undefined ? 'SetOffboarded' : 'HasAccount?',
          },
          { Condition: jsonata(`$erasureAttempts < ${MAX_ERASURE_ATTEMPTS}`), Next: 'PurgeAgain' },
        ],
        Default: 'ErasureIncomplete',
      },
      PurgeAgain: {
        Type: 'Pass',
        Comment: 'Something was left: purge every store once more, then verify again.',
        Assign: { erasureAttempts: '{% $erasureAttempts + 1 %}' },
        Next: 'PurgeIdentity',
      },
      ErasureIncomplete: {
        Type: 'Pass',
        Assign: recordFailure(
          'failure',
          failureRecord(
            'VerifyErasure',
            "'ErasureIncomplete'",
            "'left after ' & $string($erasureAttempts) & ' purges: ' & $join($verification.verdict.leftovers, '; ')",
          ),
        ),
        Next: 'EmitOffboardingFailed',
      },
      ...(accounts === undefined ? {} : accountClosingStates(toFailure)),
      SetOffboarded: lambdaTask(
        'transition',
        {
          tenantId: '{% $plan.tenantId %}',
          to: 'OFFBOARDED',
          reason:
            "{% 'erased and verified: ' & $string($erasedItems) & ' items, ' & $string($erasedObjects) & ' objects, ' & $string($erasedUsers) & ' users, ' & $string($erasedRows) & ' rows' %}",
          executionArn: EXECUTION_ARN,
          erasure: '{% $verification.verdict.record %}',
        },
        { flow: { Next: 'EmitTenantOffboarded' }, catch: [toFailure('SetOffboarded')] },
      ),
      EmitTenantOffboarded: emitEvent(
        lifecycleDetailTypes.offboarded,
        {
          tenantId: '{% $plan.tenantId %}',
          isolation: '{% $plan.isolation %}',
          purgedItems: '{% $erasedItems %}',
          purgedObjects: '{% $erasedObjects %}',
          keyDeletionDate: '{% $keyDeletionDate %}',
          erasure: '{% $verification.verdict.record %}',
          executionArn: EXECUTION_ARN,
        },
        {
          flow: { Next: 'Offboarded' },
          catch: [catchFailure('EmitTenantOffboarded', 'OffboardedEventNotSent')],
        },
      ),
      Offboarded: {
        Type: 'Succeed',
        Output: {
          tenantId: '{% $plan.tenantId %}',
          status: 'OFFBOARDED',
          purgedItems: '{% $erasedItems %}',
          purgedObjects: '{% $erasedObjects %}',
          keyDeletionDate: '{% $keyDeletionDate %}',
          erasure: '{% $verification.verdict.record %}',
        },
      },
      OffboardedEventNotSent: {
        Type: 'Fail',
        Error: 'OffboardedEventNotSent',
        Cause: 'the tenant was offboarded (OFFBOARDED) but the TenantOffboarded event could not be emitted',
      },
      ...failedEnd('EmitOffboardingRejected', 'OffboardingRejected', {
        detailType: lifecycleDetailTypes.offboardingFailed,
        tenantId: INPUT_TENANT_ID,
        stage: 'rejected',
      }),
      ...failedEnd('EmitOffboardingFailed', 'OffboardingFailed', {
        detailType: lifecycleDetailTypes.offboardingFailed,
        tenantId: '{% $plan.tenantId %}',
        stage: 'interrupted',
      }),
    },
  };
}

/**
 * The end of an account tenant's offboarding, after the verified erasure inside the account: its
 * runtime role removed, the account closed (CloseAccount) and its status recorded. An account that
 * cannot be closed is flagged in the catalog (CLOSE_FAILED) and the run fails: the tenant stays
 * OFFBOARDING and running offboarding again closes it.
 */
function accountClosingStates(toFailure: (state: string) => Catcher): Record<string, State> {
  const { inAccount, recordStatus } = accountPayloads('{% $plan.accountId %}');
  return {
    'HasAccount?': {
      Type: 'Choice',
      Choices: [{ Condition: '{% $plan.accountId != null %}', Next: 'RemoveRuntimeRole' }],
      Default: 'SetOffboarded',
    },
    RemoveRuntimeRole: lambdaTask('account', inAccount('remove-runtime-role'), {
      flow: { Next: 'CloseAccount' },
      catch: [toFailure('RemoveRuntimeRole')],
    }),
    CloseAccount: lambdaTask('account', inAccount('close'), {
      flow: { Next: 'RecordAccountClosed' },
      assign: { accountStatus: '{% $states.result.Payload.accountStatus %}' },
      catch: [catchFailure('CloseAccount', 'FlagAccountNotClosed')],
      comment: 'Organizations keeps a closed account SUSPENDED for 90 days, then deletes it.',
    }),
    RecordAccountClosed: lambdaTask('catalog', recordStatus('{% $accountStatus %}'), {
      flow: { Next: 'SetOffboarded' },
      catch: [toFailure('RecordAccountClosed')],
    }),
    FlagAccountNotClosed: lambdaTask('catalog', recordStatus('CLOSE_FAILED'), {
      flow: { Next: 'EmitOffboardingFailed' },
      catch: [catchFailure('FlagAccountNotClosed', 'EmitOffboardingFailed', { log: 'keep' })],
      comment: 'An operator must close it: the catalog says so; the run fails with the CloseAccount error.',
    }),
  };
}
