import { loadConfig } from '../../domain/config';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { siloStackName } from '../../domain/keys';
import { lifecycleLogger, withTenant } from '../../domain/lifecycle/runtime';
import {
  allowedSiloRegion,
  createSiloStack,
  describeSiloStack,
  type SiloDeployment,
  siloClientsByRegion,
} from '../../domain/lifecycle/silo-stack';
import { contract } from './contract';

const env = readFunctionEnv(contract);
const config = loadConfig();
const clientsIn = siloClientsByRegion();
const logger = lifecycleLogger(contract.name);
const deployment: SiloDeployment = {
  templateUrl: env.SILO_TEMPLATE_URL,
  deploymentRoleArn: env.SILO_DEPLOYMENT_ROLE_ARN,
  tenantAccessRoleArn: env.TENANT_ACCESS_ROLE_ARN,
  dataMoverRoleArns: env.DATA_MOVER_ROLE_ARNS.split(','),
};

export const handler = contractHandler(contract, async (request) =>
  withTenant(logger, request.tenantId, async () => {
    const clients = clientsIn(allowedSiloRegion(config, request.region, `${contract.name} input`));
    const state =
      request.action === 'create'
        ? await createSiloStack(clients, config, request, deployment)
        : await describeSiloStack(clients, siloStackName(config, request.tenantId));
    logger.info('silo stack', { action: request.action, region: request.region, status: state.status });
    return state;
  }),
);
