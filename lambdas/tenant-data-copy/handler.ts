import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { baseClientConfig } from '../../domain/aws/clients';
import { loadConfig } from '../../domain/config';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { accountDataClients } from '../../domain/lifecycle/account-data';
import { deadlineOf, lifecycleLogger, type RemainingTime, withTenant } from '../../domain/lifecycle/runtime';
import { cursorSiloTable } from '../../domain/lifecycle/silo';
import {
  copyTenantChunk,
  pooledTable,
  restoreTenantChunk,
  siloTable,
} from '../../domain/lifecycle/tenant-items';
import { contract } from './contract';

const env = readFunctionEnv(contract);
const config = loadConfig();
const client = new DynamoDBClient(baseClientConfig());
const accountData = accountDataClients(config, `${contract.name} input`);
const logger = lifecycleLogger(contract.name);

export const handler = contractHandler(contract, async (cursor, context?: RemainingTime) =>
  withTenant(logger, cursor.tenantId, async () => {
    const expected = cursorSiloTable(config, contract.name, cursor);
    const options = { maxItems: env.COPY_CHUNK_ITEMS, deadline: deadlineOf(context) };
    const { account } = cursor;
    const result =
      account !== undefined
        ? // silo → account: the platform silo read with this role, the account's table written under the session policy
          await copyTenantChunk(
            accountData.platform(account.region),
            siloTable(expected),
            expected,
            cursor.tenantId,
            cursor.startKey,
            { ...options, targetClient: accountData.inAccount(cursor.tenantId, account, 'write') },
          )
        : cursor.direction === 'pool-to-silo'
          ? await copyTenantChunk(
              client,
              pooledTable(env.POOLED_TABLE_NAME),
              expected,
              cursor.tenantId,
              cursor.startKey,
              options,
            )
          : await restoreTenantChunk(
              client,
              siloTable(expected),
              env.POOLED_TABLE_NAME,
              cursor.tenantId,
              cursor.startKey,
              options,
            );
    logger.info('copied chunk', {
      direction: cursor.direction,
      ...(account === undefined ? {} : { accountId: account.accountId, region: account.region }),
      items: result.handled,
      ...('retried' in result ? { retried: result.retried } : { keptNewerInPool: result.kept }),
    });
    if (result.foreign > 0) {
      // Listed under this tenant's id but keyed under another tenant's partition: never copied.
      logger.warn("skipped items whose partition key is not this tenant's", { items: result.foreign });
    }
    return {
      ...cursor,
      startKey: result.nextKey,
      copied: cursor.copied + result.handled,
      done: result.nextKey === null,
    };
  }),
);
