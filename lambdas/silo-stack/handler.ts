import { loadConfig } from '../../domain/config';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { siloStackName } from '../../domain/keys';
import { accountsSettings, siloTargetIn } from '../../domain/lifecycle/member-account';
import { lifecycleLogger, withTenant } from '../../domain/lifecycle/runtime';
import {
  accountDeployment,
  allowedSiloRegion,
  createSiloStack,
  describeSiloStack,
  type SiloDeployment,
  siloClientsPerTarget,
} from '../../domain/lifecycle/silo-stack';
import { contract } from './contract';

const env = readFunctionEnv(contract);
const config = loadConfig();
const clientsFor = siloClientsPerTarget();
const logger = lifecycleLogger(contract.name);
const deployment: SiloDeployment = {
  templateUrl: env.SILO_TEMPLATE_URL,
  deploymentRoleArn: env.SILO_DEPLOYMENT_ROLE_ARN,
  tenantAccessRoleArn: env.TENANT_ACCESS_ROLE_ARN,
  dataMoverRoleArns: env.DATA_MOVER_ROLE_ARNS.split(','),
};
const platform = {
  accountId: env.PLATFORM_ACCOUNT_ID,
  routerRoleArn: env.ROUTER_ROLE_ARN,
  templateUrl: env.ACCOUNT_TEMPLATE_URL,
};

export const handler = contractHandler(contract, async (request) =>
  withTenant(logger, request.tenantId, async () => {
    const region = allowedSiloRegion(config, request.region, `${contract.name} input`);
    const clients = clientsFor(siloTargetIn(config, region, request.accountId));
    const state =
      request.action === 'create'
        ? await createSiloStack(
            clients,
            config,
            request,
            request.accountId === undefined
              ? deployment
              : accountDeployment(deployment, platform, accountsSettings(config), request.accountId),
          )
        : await describeSiloStack(clients, siloStackName(config, request.tenantId));
    logger.info('silo stack', {
      action: request.action,
      region,
      accountId: request.accountId ?? null,
      status: state.status,
    });
    return state;
  }),
);
