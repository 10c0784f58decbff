import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { baseClientConfig } from '../../domain/aws/clients';
import { loadConfig } from '../../domain/config';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { accountDataClients } from '../../domain/lifecycle/account-data';
import { DataVerificationError } from '../../domain/lifecycle/errors';
import { moveSources, moveTablesOf, reverseOf, tallyTablesChunk } from '../../domain/lifecycle/moves';
import { deadlineOf, lifecycleLogger, type RemainingTime, withTenant } from '../../domain/lifecycle/runtime';
import { contract } from './contract';

const env = readFunctionEnv(contract);
const config = loadConfig();
const client = new DynamoDBClient(baseClientConfig());
const accountData = accountDataClients(config, `${contract.name} input`);
const logger = lifecycleLogger(contract.name);

export const handler = contractHandler(contract, async (cursor, context?: RemainingTime) =>
  withTenant(logger, cursor.tenantId, async () => {
    const tables = moveTablesOf(config, contract.name, env.POOLED_TABLE_NAME, cursor);
    const options = { maxItems: env.VERIFY_CHUNK_ITEMS, deadline: deadlineOf(context) };
    const { account } = cursor;
    // silo → account: the platform silo (this role, the tenant's region) against the account's table.
    const [sourceClient, targetClient] =
      account === undefined
        ? [client, client]
        : [accountData.platform(account.region), accountData.inAccount(cursor.tenantId, account, 'read')];
    // Each side gets the whole item bound: they are read in parallel, and a side already done reads nothing.
    const [source, target] = await Promise.all([
      tallyTablesChunk(
        sourceClient,
        moveSources(config, cursor.direction, tables),
        cursor.tenantId,
        cursor.source,
        options,
      ),
      tallyTablesChunk(
        targetClient,
        moveSources(config, reverseOf[cursor.direction], tables),
        cursor.tenantId,
        cursor.target,
        options,
      ),
    ]);
    logger.info('verified chunk', {
      direction: cursor.direction,
      sourceItems: source.read,
      targetItems: target.read,
      sourceTotal: source.position.count,
      targetTotal: target.position.count,
    });
    if (source.foreign + target.foreign > 0) {
      logger.warn("skipped items listed for the tenant whose partition key is not this tenant's", {
        sourceForeign: source.foreign,
        targetForeign: target.foreign,
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
