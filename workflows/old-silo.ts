import type { TenantryConfig } from '../domain/config';
import { lifecycleDetailTypes } from '../domain/lifecycle/events';
import { type Catcher, jsonata, type State } from './asl';
import {
  catchFailure,
  EXECUTION_ARN,
  type FailureLog,
  failedEnd,
  failureRecord,
  lambdaTask,
  recordFailure,
  siloTeardownStates,
} from './common';

/**
 * The retirement of the platform silo a tenant leaves after a switch that moved it elsewhere (promotion
 * silo → account, workflows/account-promotion.ts; demotion silo → pool, workflows/demotion.ts). Both
 * enter at `<prefix>RetireOldSilo` once the catalog no longer routes to the old silo ($plan.fromSilo,
 * $plan.stackName, $plan.region; `$switchErrors` lists what failed after the switch):
 *
 *   <prefix>RetireOldSilo (catalog `retiredSilos`: TEARDOWN_PENDING) → <prefix>OldSiloSiloTeardown /
 *   <prefix>OldSiloDeleteSilo ⟲ (key deletion scheduled, stack deleted, platform account)
 *   → <prefix>VerifyOldSiloErased (`silo-deprovision` verify: stack, table, usable key gone)
 *   → <prefix>RecordOldSiloErased (ERASED, refused by the schema without a clean verification)
 *   → <prefix>SwitchComplete? → `erased` | `incomplete` (with the first switch error as `$failure`).
 *
 * A failed teardown or verification → <prefix>FlagOldSilo (TEARDOWN_FAILED with the error) → `incomplete`:
 * the switch stands. Running the promotion again to the tier the tenant is now on resumes it
 * (`oldSiloResumeStates`).
 */

interface OldSiloOptions {
  /** Prefix of the state names (two paths in one state machine). */
  readonly prefix: string;
  /** Where a verified erasure goes when nothing failed after the switch. */
  readonly erased: string;
  /** The failure end of a switched run (`$failure` set). */
  readonly incomplete: string;
}

/** The entry state of the retirement with `prefix`. */
export const retireOldSilo = (prefix: string): string => `${prefix}RetireOldSilo`;

export function oldSiloRetirementStates(config: TenantryConfig, o: OldSiloOptions): Record<string, State> {
  const { stackPollSeconds, stackMaxPolls } = config.lifecycle;
  const p = o.prefix;
  const retire = retireOldSilo(p);
  const verify = `${p}VerifyOldSiloErased`;
  const erased = `${p}OldSiloErased?`;
  const left = `${p}OldSiloLeft`;
  const record = `${p}RecordOldSiloErased`;
  const complete = `${p}SwitchComplete?`;
  const incomplete = `${p}SwitchIncomplete`;
  const flag = `${p}FlagOldSilo`;
  const switchErrors: FailureLog = { appendTo: 'switchErrors' };
  const retired = (status: string, more: Record<string, string> = {}) => ({
    action: 'record-retired-silo',
    tenantId: '{% $plan.tenantId %}',
    retired: {
      silo: '{% $plan.fromSilo %}',
      region: '{% $plan.region %}',
      status,
      executionArn: EXECUTION_ARN,
      ...more,
    },
  });
  const toFlag = (state: string): Catcher => catchFailure(state, flag);

  return {
    [retire]: lambdaTask('catalog', retired('TEARDOWN_PENDING'), {
      flow: { Next: `${p}OldSiloSiloTeardown` },
      catch: [toFlag(retire)],
      comment: 'The old silo is in the catalog until its erasure is verified: never forgotten.',
    }),
    ...siloTeardownStates({
      prefix: `${p}OldSilo`,
      stackName: '$plan.stackName',
      region: '$plan.region',
      pollSeconds: stackPollSeconds,
      maxPolls: stackMaxPolls,
      next: verify,
      onFailure: flag,
      log: 'failure',
    }),
    [verify]: lambdaTask(
      'siloDeprovision',
      {
        action: 'verify',
        stackName: '{% $plan.stackName %}',
        region: '{% $plan.region %}',
        kmsKeyArn: '{% $plan.fromSilo.kmsKeyArn %}',
      },
      {
        flow: { Next: erased },
        assign: { oldSilo: '{% $states.result.Payload %}' },
        catch: [toFlag(verify)],
      },
    ),
    [erased]: {
      Type: 'Choice',
      Choices: [{ Condition: '{% $oldSilo.clean %}', Next: record }],
      Default: left,
    },
    [left]: {
      Type: 'Pass',
      Assign: recordFailure(
        'failure',
        failureRecord(
          verify,
          "'OldSiloNotErased'",
          "'left in ' & $plan.region & ': ' & $join($keys($oldSilo.remaining)[$lookup($oldSilo.remaining, $)], ', ')",
        ),
      ),
      Next: flag,
    },
    [record]: lambdaTask(
      'catalog',
      retired('ERASED', {
        verifiedAt: '{% $oldSilo.verifiedAt %}',
        keyDeletionDate: '{% $keyDeletionDate %}',
        remaining: '{% $oldSilo.remaining %}',
      }),
      { flow: { Next: complete }, catch: [toFlag(record)] },
    ),
    [complete]: {
      Type: 'Choice',
      Choices: [{ Condition: jsonata('$count($switchErrors) = 0'), Next: o.erased }],
      Default: incomplete,
    },
    [incomplete]: {
      Type: 'Pass',
      Comment: 'The old silo is erased, but the users or the activation failed after the switch.',
      Assign: { failure: '{% $switchErrors[0] %}' },
      Next: o.incomplete,
    },
    [flag]: lambdaTask(
      'catalog',
      retired('TEARDOWN_FAILED', {
        error: "{% $substring($failure.state & ': ' & $failure.error & ': ' & $failure.cause, 0, 1000) %}",
      }),
      {
        flow: { Next: o.incomplete },
        catch: [catchFailure(flag, o.incomplete, { log: switchErrors })],
        comment: 'Flagged for an operator, with the error: the switch stands.',
      },
    ),
  };
}

/** The state Validate goes to: a run that only resumes an old silo's retirement, else the run's own path. */
export const RETIREMENT_ONLY = 'RetirementOnly?';
const RESUME = 'Resume';

/**
 * A promotion run again to the tier the tenant is already on, while `retiredSilos` flags an old silo
 * TEARDOWN_FAILED (domain/lifecycle/plan.ts, `$plan.resumeRetirement`): the same retirement states run
 * again on that silo (`$plan.fromSilo`, in the platform account), without a freeze and without touching
 * the tenant's placement — it keeps being served from where the switch put it:
 *
 *   RetirementOnly? → ResumeRetirement → ResumeRetireOldSilo … (as above) → OldSiloRetired (ERASED,
 *   with this run's execution ARN) | EmitRetirementIncomplete → RetirementIncomplete (TEARDOWN_FAILED
 *   again, with the new error; the event's `switchErrors` lists a flag that could not be written).
 *
 * Anything else goes on to `next`.
 */
export function oldSiloResumeStates(
  config: TenantryConfig,
  o: { readonly next: string },
): Record<string, State> {
  const tenantId = '{% $plan.tenantId %}';
  return {
    [RETIREMENT_ONLY]: {
      Type: 'Choice',
      Choices: [{ Condition: jsonata('$exists($plan.resumeRetirement)'), Next: `${RESUME}Retirement` }],
      Default: o.next,
    },
    [`${RESUME}Retirement`]: {
      Type: 'Pass',
      Comment: 'The switch happened in an earlier run: nothing failed after it in this one.',
      Assign: { switchErrors: [] },
      Next: retireOldSilo(RESUME),
    },
    ...oldSiloRetirementStates(config, {
      prefix: RESUME,
      erased: 'OldSiloRetired',
      incomplete: 'EmitRetirementIncomplete',
    }),
    OldSiloRetired: {
      Type: 'Succeed',
      Output: {
        tenantId,
        status: 'ACTIVE',
        tier: '{% $plan.toTier %}',
        isolation: '{% $plan.isolation %}',
        retiredSilo: {
          stackId: '{% $plan.fromSilo.stackId %}',
          status: 'ERASED',
          keyDeletionDate: '{% $keyDeletionDate %}',
        },
      },
    },
    ...failedEnd('EmitRetirementIncomplete', 'RetirementIncomplete', {
      detailType: lifecycleDetailTypes.promotionFailed,
      tenantId,
      stage: 'switched',
      // A flag that could not be written is only here (as in the switched paths' events).
      detail: { retiredSilo: '{% $plan.fromSilo.stackId %}', switchErrors: '{% $switchErrors %}' },
      error: 'PromotionIncomplete',
    }),
  };
}
