import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { baseClientConfig } from '../../domain/aws/clients';
import { loadConfig } from '../../domain/config';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { accountDataClients } from '../../domain/lifecycle/account-data';
import { DataVerificationError } from '../../domain/lifecycle/errors';
import { deadlineOf, lifecycleLogger, type RemainingTime, withTenant } from '../../domain/lifecycle/runtime';
import { cursorSiloTable } from '../../domain/lifecycle/silo';
import { pooledTable, siloTable, tallyTenantChunk } from '../../domain/lifecycle/tenant-items';
import { contract } from './contract';

const env = readFunctionEnv(contract);
const config = loadConfig();
const client = new DynamoDBClient(baseClientConfig());
const accountData = accountDataClients(config, `${contract.name} input`);
const logger = lifecycleLogger(contract.name);

export const handler = contractHandler(contract, async (cursor, context?: RemainingTime) =>
  withTenant(logger, cursor.tenantId, async () => {
    const expected = cursorSiloTable(config, contract.name, cursor);
    const options = { maxItems: env.VERIFY_CHUNK_ITEMS, deadline: deadlineOf(context) };
    const { account } = cursor;
    // silo → account: the platform silo (this role, the tenant's region) against the account's table.
    const [sourceClient, sourceTable, targetClient] =
      account === undefined
        ? [client, pooledTable(env.POOLED_TABLE_NAME), client]
        : [
            accountData.platform(account.region),
            siloTable(expected),
            accountData.inAccount(cursor.tenantId, account, 'read'),
          ];
    // Each side gets the whole item bound: they are read in parallel, and a side already done reads nothing.
    const [source, target] = await Promise.all([
      tallyTenantChunk(sourceClient, sourceTable, cursor.tenantId, cursor.source, options),
      tallyTenantChunk(targetClient, siloTable(expected), cursor.tenantId, cursor.target, options),
    ]);
    logger.info('verified chunk', {
      poolItems: source.read,
      siloItems: target.read,
      poolTotal: source.position.count,
      siloTotal: target.position.count,
    });
    if (source.foreign + target.foreign > 0) {
      logger.warn("skipped items listed for the tenant whose partition key is not this tenant's", {
        poolPartitions: source.foreign,
        siloItems: target.foreign,
      });
    }
    const done = source.position.done && target.position.done;
    if (
      done &&
      (source.position.count !== target.position.count ||
        source.position.checksum !== target.position.checksum)
    ) {
      const tally = ({ count, checksum }: { count: number; checksum: string }) => ({ count, checksum });
      throw new DataVerificationError(cursor.tenantId, tally(source.position), tally(target.position));
    }
    if (done)
      logger.info('copy verified', { items: source.position.count, checksum: source.position.checksum });
    return { ...cursor, source: source.position, target: target.position, done };
  }),
);
