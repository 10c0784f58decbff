import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { baseClientConfig } from '../../domain/aws/clients';
import { envVar, readEnv } from '../../domain/env';
import { onboardingExecutionName } from '../../domain/lifecycle/execution-name';
import { parseInput } from '../../domain/lifecycle/plan';
import { lifecycleLogger } from '../../domain/lifecycle/runtime';

/**
 * EventBridge target of the signup rule: starts onboarding with the signup's detail as input and an
 * execution name derived from the signup (domain/lifecycle/execution-name.ts). A redelivered or
 * duplicated signup maps to the same name: Step Functions returns the running execution or refuses a
 * second one (ExecutionAlreadyExists), so one signup never starts two onboarding runs.
 * The detail is validated by the workflow's first state, not here, so a bad signup is rejected with
 * its reason on record (TenantOnboardingFailed) instead of vanishing in a Lambda retry loop.
 */
const env = readEnv({ ONBOARDING_STATE_MACHINE_ARN: envVar.arn() });
const sfn = new SFNClient(baseClientConfig());
const logger = lifecycleLogger('signup-starter');

/** Only what the starter needs from the EventBridge envelope; the detail is the workflow's to validate. */
const signupEventSchema = z.object({
  id: z.string().min(1),
  'detail-type': z.string(),
  detail: z.record(z.string(), z.unknown()),
});

export const handler = async (event: unknown) => {
  const signup = parseInput(signupEventSchema, event, 'signup event');
  const name = onboardingExecutionName(signup.detail);
  try {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: env.ONBOARDING_STATE_MACHINE_ARN,
        name,
        input: JSON.stringify(signup.detail),
      }),
    );
    logger.info('onboarding started', { executionName: name, eventId: signup.id });
    return { executionName: name, executionArn, started: true };
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
    logger.info('signup already handled: onboarding execution exists', {
      executionName: name,
      eventId: signup.id,
    });
    return { executionName: name, executionArn: null, started: false };
  }
};
