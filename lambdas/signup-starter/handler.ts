import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { baseClientConfig } from '../../domain/aws/clients';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { onboardingExecutionName } from '../../domain/lifecycle/execution-name';
import { lifecycleLogger } from '../../domain/lifecycle/runtime';
import { contract } from './contract';

const env = readFunctionEnv(contract);
const sfn = new SFNClient(baseClientConfig());
const logger = lifecycleLogger(contract.name);

export const handler = contractHandler(contract, async (signup) => {
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
    return { executionName: name, executionArn: executionArn ?? null, started: true };
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
    logger.info('signup already handled: onboarding execution exists', {
      executionName: name,
      eventId: signup.id,
    });
    return { executionName: name, executionArn: null, started: false };
  }
});
