import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { KMSClient } from '@aws-sdk/client-kms';
import { z } from 'zod';
import { baseClientConfig } from '../../domain/aws/clients';
import { loadConfig, resourceName } from '../../domain/config';
import { ValidationError } from '../../domain/errors';
import { parseInput } from '../../domain/lifecycle/plan';
import { lifecycleLogger } from '../../domain/lifecycle/runtime';
import { teardownSiloStep } from '../../domain/lifecycle/silo-teardown';

/**
 * Deletes a tenant's silo: schedules its KMS key for deletion (pending window from config) and deletes
 * its stack; the workflow calls it again after a Wait until it reports ABSENT. Only silo stacks
 * (`<product>-<stage>-silo-<tenantId>`) are accepted.
 */
const config = loadConfig();
const cfn = new CloudFormationClient(baseClientConfig());
const kms = new KMSClient(baseClientConfig());
const logger = lifecycleLogger('silo-deprovision');
const stackPrefix = resourceName(config, 'silo-');

const requestSchema = z.object({ stackName: z.string().min(1).max(128) });

export const handler = async (event: unknown) => {
  const request = parseInput(requestSchema, event, 'silo-deprovision request');
  if (!request.stackName.startsWith(stackPrefix)) {
    throw new ValidationError('silo-deprovision request', [
      {
        field: 'stackName',
        message: `"${request.stackName}" is not a silo stack (expected ${stackPrefix}<tenantId>)`,
      },
    ]);
  }
  const result = await teardownSiloStep(cfn, kms, request.stackName, config.lifecycle.kmsPendingWindowDays);
  logger.info('silo teardown step', { stackName: request.stackName, status: result.status });
  return result;
};
