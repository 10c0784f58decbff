import { loadConfig, resourceName } from '../../domain/config';
import { ValidationError } from '../../domain/errors';
import { contractHandler } from '../../domain/function-contract';
import { siloStackName } from '../../domain/keys';
import { siloTargetIn } from '../../domain/lifecycle/member-account';
import { lifecycleLogger } from '../../domain/lifecycle/runtime';
import { allowedSiloRegion, siloClientsPerTarget } from '../../domain/lifecycle/silo-stack';
import { teardownSiloStep } from '../../domain/lifecycle/silo-teardown';
import { isTenantId } from '../../domain/tenant/tenant-id';
import { contract } from './contract';

const config = loadConfig();
const clientsIn = siloClientsPerTarget();
const logger = lifecycleLogger(contract.name);
const stackPrefix = resourceName(config, 'silo-');

export const handler = contractHandler(contract, async (request) => {
  const tenantId = request.stackName.slice(stackPrefix.length);
  if (!isTenantId(tenantId) || siloStackName(config, tenantId) !== request.stackName) {
    throw new ValidationError(`${contract.name} input`, [
      {
        field: 'stackName',
        message: `"${request.stackName}" is not a silo stack (expected ${stackPrefix}<tenantId>)`,
      },
    ]);
  }
  const region = allowedSiloRegion(config, request.region, `${contract.name} input`);
  const { cfn, kms } = clientsIn(siloTargetIn(config, region, request.accountId));
  const result = await teardownSiloStep(cfn, kms, request.stackName, config.lifecycle.kmsPendingWindowDays);
  logger.info('silo teardown step', {
    stackName: request.stackName,
    region: request.region,
    accountId: request.accountId ?? null,
    status: result.status,
  });
  return result;
});
