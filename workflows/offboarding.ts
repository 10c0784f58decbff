import type { TenantryConfig } from '../domain/config';
import { lifecycleDetailTypes } from '../domain/lifecycle/events';
import { type Catcher, jsonataString, type StateMachineDefinition } from './asl';
import {
  catchFailure,
  chunkLoop,
  EXECUTION_ARN,
  emitEvent,
  failedEnd,
  INPUT_TENANT_ID,
  LAMBDA_RESULT,
  lambdaTask,
  siloTeardownStates,
} from './common';

/**
 * Offboarding (input `{ tenantId, reason? }`): erase everything of the tenant, keep a tombstone.
 *
 *   Validate → SetOffboarding (access denied from here) → FinalBill (`billing-final`: flush and bill
 *   the final usage) → PurgeIdentity (disable + delete every user of the tenant, then its group)
 *   → [silo: SiloTeardown in the tenant's region (KMS key deletion scheduled with the configured
 *   window, stack deleted)]
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
  const toFailure = (state: string): Catcher => catchFailure(state, 'EmitOffboardingFailed');
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
          assign: { plan: LAMBDA_RESULT, keyDeletionDate: null },
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
        { flow: { Next: 'FinalBill' }, catch: [toFailure('SetOffboarding')] },
      ),
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
          flow: { Next: 'IsSilo?' },
          assign: { identity: LAMBDA_RESULT },
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
        region: '$plan.region',
        pollSeconds: stackPollSeconds,
        maxPolls: stackMaxPolls,
        next: 'PreparePurgeItems',
        onFailure: 'EmitOffboardingFailed',
        log: 'failure',
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
        assign: { purgedItems: '{% $purge.purged %}' },
        start: { store: jsonataString('s3'), tenantId: '$plan.tenantId' },
        next: 'SetOffboarded',
        catch: toFailure,
      }),
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
