import type { TenantryConfig } from '../domain/config';
import { lifecycleDetailTypes } from '../domain/lifecycle/events';
import type { Catcher, StateMachineDefinition } from './asl';
import { catchAll, catchKeep, EXECUTION_ARN, emitEvent, lambdaTask, siloTeardownStates } from './common';

/**
 * Offboarding (input `{ tenantId, reason? }`): erase everything of the tenant, keep a tombstone.
 *
 *   Validate → SetOffboarding (access denied from here) → FinalBill (`billing-final`: flush and bill
 *   the final usage) → PurgeIdentity (disable + delete every user of the tenant, then its group)
 *   → [silo: SiloTeardown (KMS key deletion scheduled with the configured window, stack deleted)]
 *   → PurgePooledItems ⟲ (pooled items under `TENANT#<id>#`) → PurgeObjects ⟲ (S3 objects under
 *   `<id>/`) → SetOffboarded (tombstone; history keeps the audit trail) → EmitTenantOffboarded.
 *
 * Erasure cannot be compensated. On failure the tenant stays OFFBOARDING (no access), the failure is
 * emitted (TenantOffboardingFailed) and the execution fails; every step is idempotent, so running
 * offboarding again for the tenant finishes the job.
 *
 * Output: `{ tenantId, status: 'OFFBOARDED', purgedItems, purgedObjects, keyDeletionDate }` (the silo key's
 * scheduled deletion date, null for a pooled tenant).
 */
export const OFFBOARDING = 'offboarding';

export function offboardingDefinition(config: TenantryConfig): StateMachineDefinition {
  const { stackPollSeconds, stackMaxPolls } = config.lifecycle;
  const toFailure = (state: string): Catcher => catchAll(state, 'EmitOffboardingFailed');
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
          assign: { plan: '{% $states.result.Payload %}', keyDeletionDate: null },
          catch: [catchAll('Validate', 'EmitOffboardingRejected')],
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
        { flow: { Next: 'FinalBill' }, catch: [toFailure('SetOffboarding')] },
      ),
      FinalBill: lambdaTask(
        'billingFinal',
        { tenantId: '{% $plan.tenantId %}' },
        {
          flow: { Next: 'PurgeIdentity' },
          assign: { finalBill: '{% $states.result.Payload %}' },
          catch: [toFailure('FinalBill')],
          comment: 'Contract with the billing part: Lambda `billing-final`, input { tenantId }.',
        },
      ),
      PurgeIdentity: lambdaTask(
        'identityPurge',
        { tenantId: '{% $plan.tenantId %}' },
        {
          flow: { Next: 'IsSilo?' },
          assign: { identity: '{% $states.result.Payload %}' },
          catch: [toFailure('PurgeIdentity')],
        },
      ),
      'IsSilo?': {
        Type: 'Choice',
        Choices: [{ Condition: "{% $plan.isolation = 'silo' %}", Next: 'SiloTeardown' }],
        Default: 'PreparePurgeItems',
      },
      ...siloTeardownStates({
        prefix: '',
        stackName: '$plan.stackName',
        pollSeconds: stackPollSeconds,
        maxPolls: stackMaxPolls,
        next: 'PreparePurgeItems',
        onFailure: 'EmitOffboardingFailed',
        record: 'failure',
      }),
      PreparePurgeItems: {
        Type: 'Pass',
        Assign: {
          purge:
            "{% {'store': 'pool', 'tenantId': $plan.tenantId, 'startKey': null, 'purged': 0, 'done': false} %}",
        },
        Next: 'PurgePooledItems',
      },
      PurgePooledItems: lambdaTask('purge', '{% $purge %}', {
        flow: { Next: 'MoreItems?' },
        assign: { purge: '{% $states.result.Payload %}' },
        catch: [toFailure('PurgePooledItems')],
      }),
      'MoreItems?': {
        Type: 'Choice',
        Choices: [{ Condition: '{% $purge.done %}', Next: 'PreparePurgeObjects' }],
        Default: 'PurgePooledItems',
      },
      PreparePurgeObjects: {
        Type: 'Pass',
        Assign: {
          purgedItems: '{% $purge.purged %}',
          purge:
            "{% {'store': 's3', 'tenantId': $plan.tenantId, 'startKey': null, 'purged': 0, 'done': false} %}",
        },
        Next: 'PurgeObjects',
      },
      PurgeObjects: lambdaTask('purge', '{% $purge %}', {
        flow: { Next: 'MoreObjects?' },
        assign: { purge: '{% $states.result.Payload %}' },
        catch: [toFailure('PurgeObjects')],
      }),
      'MoreObjects?': {
        Type: 'Choice',
        Choices: [{ Condition: '{% $purge.done %}', Next: 'SetOffboarded' }],
        Default: 'PurgeObjects',
      },
      SetOffboarded: lambdaTask(
        'transition',
        {
          tenantId: '{% $plan.tenantId %}',
          to: 'OFFBOARDED',
          reason:
            "{% 'erased: ' & $string($purgedItems) & ' items, ' & $string($purge.purged) & ' objects' %}",
          executionArn: EXECUTION_ARN,
        },
        { flow: { Next: 'EmitTenantOffboarded' }, catch: [toFailure('SetOffboarded')] },
      ),
      EmitTenantOffboarded: emitEvent(
        lifecycleDetailTypes.offboarded,
        {
          tenantId: '{% $plan.tenantId %}',
          isolation: '{% $plan.isolation %}',
          purgedItems: '{% $purgedItems %}',
          purgedObjects: '{% $purge.purged %}',
          keyDeletionDate: '{% $keyDeletionDate %}',
          executionArn: EXECUTION_ARN,
        },
        { flow: { Next: 'Offboarded' }, catch: [catchAll('EmitTenantOffboarded', 'OffboardedEventNotSent')] },
      ),
      Offboarded: {
        Type: 'Succeed',
        Output: {
          tenantId: '{% $plan.tenantId %}',
          status: 'OFFBOARDED',
          purgedItems: '{% $purgedItems %}',
          purgedObjects: '{% $purge.purged %}',
          keyDeletionDate: '{% $keyDeletionDate %}',
        },
      },
      OffboardedEventNotSent: {
        Type: 'Fail',
        Error: 'OffboardedEventNotSent',
        Cause: 'the tenant was offboarded (OFFBOARDED) but the TenantOffboarded event could not be emitted',
      },
      EmitOffboardingRejected: emitEvent(
        lifecycleDetailTypes.offboardingFailed,
        {
          tenantId: '{% $states.context.Execution.Input.tenantId %}',
          stage: 'rejected',
          failedState: '{% $failure.state %}',
          error: '{% $failure.error %}',
          cause: '{% $failure.cause %}',
          executionArn: EXECUTION_ARN,
        },
        { flow: { Next: 'OffboardingRejected' }, catch: [catchKeep('OffboardingRejected')] },
      ),
      OffboardingRejected: {
        Type: 'Fail',
        Error: 'OffboardingRejected',
        Cause: "{% $failure.state & ': ' & $failure.error & ': ' & $failure.cause %}",
      },
      EmitOffboardingFailed: emitEvent(
        lifecycleDetailTypes.offboardingFailed,
        {
          tenantId: '{% $plan.tenantId %}',
          stage: 'interrupted',
          failedState: '{% $failure.state %}',
          error: '{% $failure.error %}',
          cause: '{% $failure.cause %}',
          executionArn: EXECUTION_ARN,
        },
        { flow: { Next: 'OffboardingFailed' }, catch: [catchKeep('OffboardingFailed')] },
      ),
      OffboardingFailed: {
        Type: 'Fail',
        Error: 'OffboardingFailed',
        Cause: "{% $failure.state & ': ' & $failure.error & ': ' & $failure.cause %}",
      },
    },
  };
}
