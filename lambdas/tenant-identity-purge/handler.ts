import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { baseClientConfig } from '../../domain/aws/clients';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { purgeTenantIdentities } from '../../domain/lifecycle/identity';
import { lifecycleLogger, withTenant } from '../../domain/lifecycle/runtime';
import { contract } from './contract';

const env = readFunctionEnv(contract);
const client = new CognitoIdentityProviderClient(baseClientConfig());
const logger = lifecycleLogger(contract.name);

export const handler = contractHandler(contract, async (request) =>
  withTenant(logger, request.tenantId, async () => {
    const result = await purgeTenantIdentities(
      client,
      env.USER_POOL_ID,
      request.tenantId,
      request.usernames ?? [],
    );
    logger.info('tenant identities purged', { ...result });
    return { tenantId: request.tenantId, ...result };
  }),
);
