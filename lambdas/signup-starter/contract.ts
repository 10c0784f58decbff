import { z } from 'zod';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';

/**
 * EventBridge target of the signup rule: starts onboarding with the signup's detail as input and an
 * execution name derived from the signup (domain/lifecycle/execution-name.ts). A redelivered or
 * duplicated signup maps to the same name: Step Functions returns the running execution or refuses a
 * second one (ExecutionAlreadyExists), so one signup never starts two onboarding runs.
 * The detail is validated by the workflow's first state, not here, so a bad signup is rejected with
 * its reason on record (TenantOnboardingFailed) instead of vanishing in a Lambda retry loop.
 */
export const contract = defineFunction({
  name: 'signup-starter',
  description: 'Starts the onboarding workflow for a signup event, once per signup',
  env: { ONBOARDING_STATE_MACHINE_ARN: envVar.arn() },
  /** Only what the starter needs from the EventBridge envelope; the detail is the workflow's to validate. */
  input: z.object({
    id: z.string().min(1),
    'detail-type': z.string(),
    detail: z.record(z.string(), z.unknown()),
  }),
  output: z.object({
    executionName: z.string().min(1),
    executionArn: z.string().nullable(),
    started: z.boolean(),
  }),
  grants: { onboardingStateMachine: { actions: ['states:StartExecution'] } },
});
