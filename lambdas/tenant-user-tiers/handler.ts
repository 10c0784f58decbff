import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { baseClientConfig, documentClient } from '../../domain/aws/clients';
import { CatalogRepository } from '../../domain/catalog/repository';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { lifecycleLogger, withTenant } from '../../domain/lifecycle/runtime';
import { recordUserTierChange, updateUserTierChunk } from '../../domain/lifecycle/user-tiers';
import { contract } from './contract';

const env = readFunctionEnv(contract);
const client = new CognitoIdentityProviderClient(baseClientConfig());
const catalog = new CatalogRepository({ client: documentClient(), tableName: env.CATALOG_TABLE_NAME });
const logger = lifecycleLogger(contract.name);

export const handler = contractHandler(contract, async (cursor) =>
  withTenant(logger, cursor.tenantId, async () => {
    const next = await updateUserTierChunk(client, env.USER_POOL_ID, cursor, env.USER_TIER_CHUNK_USERS);
    const audited = next.done ? await recordUserTierChange(catalog, next) : false;
    logger.info('user tiers updated', {
      tier: next.tier,
      users: next.users,
      updated: next.updated,
      done: next.done,
      audited,
    });
    return next;
  }),
);
