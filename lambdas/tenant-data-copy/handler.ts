import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { baseClientConfig } from '../../domain/aws/clients';
import { loadConfig } from '../../domain/config';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { accountDataClients } from '../../domain/lifecycle/account-data';
import { acrossTables, moveSources, moveTablesOf, moveTarget } from '../../domain/lifecycle/moves';
import { deadlineOf, lifecycleLogger, type RemainingTime, withTenant } from '../../domain/lifecycle/runtime';
import { copyTenantChunk, restoreTenantChunk } from '../../domain/lifecycle/tenant-items';
import { contract } from './contract';

const env = readFunctionEnv(contract);
const config = loadConfig();
const client = new DynamoDBClient(baseClientConfig());
const accountData = accountDataClients(config, `${contract.name} input`);
const logger = lifecycleLogger(contract.name);

export const handler = contractHandler(contract, async (cursor, context?: RemainingTime) =>
  withTenant(logger, cursor.tenantId, async () => {
    const tables = moveTablesOf(config, contract.name, env.POOLED_TABLE_NAME, cursor);
    const target = moveTarget(config, cursor.direction, tables);
    const { account } = cursor;
    // silo → account: the platform silo read with this role (in the tenant's region), the account's
    // table written through the deployment role under the session policy (domain/lifecycle/account-data.ts).
    const [sourceClient, targetClient] =
      account === undefined
        ? [client, client]
        : [accountData.platform(account.region), accountData.inAccount(cursor.tenantId, account, 'write')];
    let retried = 0;
    let kept = 0;
    const result = await acrossTables(
      moveSources(config, cursor.direction, tables),
      cursor,
      { maxItems: env.COPY_CHUNK_ITEMS, deadline: deadlineOf(context) },
      async (source, startKey, maxItems) => {
        const options = { maxItems, deadline: deadlineOf(context) };
        // Into a new table (silo, or the account's): batch writes. Anywhere else an item already there may be newer: kept.
        if (cursor.direction === 'pool-to-silo' || cursor.direction === 'silo-to-account') {
          const chunk = await copyTenantChunk(sourceClient, source, target({}), cursor.tenantId, startKey, {
            ...options,
            targetClient,
          });
          retried += chunk.retried;
          return chunk;
        }
        const chunk = await restoreTenantChunk(client, source, target, cursor.tenantId, startKey, options);
        kept += chunk.kept;
        return chunk;
      },
    );
    logger.info('copied chunk', {
      direction: cursor.direction,
      ...(account === undefined ? {} : { accountId: account.accountId, region: account.region }),
      items: result.handled,
      retried,
      keptNewer: kept,
    });
    if (result.foreign > 0) {
      // Listed under this tenant's id but keyed under another tenant's partition: never copied.
      logger.warn("skipped items whose partition key is not this tenant's", { items: result.foreign });
    }
    return {
      ...cursor,
      table: result.table,
      startKey: result.startKey,
      copied: cursor.copied + result.handled,
      done: result.done,
    };
  }),
);
