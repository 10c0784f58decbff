import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { baseClientConfig } from '../../domain/aws/clients';
import { loadConfig } from '../../domain/config';
import { ValidationError } from '../../domain/errors';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { DataVerificationError } from '../../domain/lifecycle/errors';
import { lifecycleLogger, withTenant } from '../../domain/lifecycle/runtime';
import { siloTableName } from '../../domain/lifecycle/silo';
import { pooledTable, siloTable, tallyTenantItems } from '../../domain/lifecycle/tenant-items';
import { contract } from './contract';

const env = readFunctionEnv(contract);
const config = loadConfig();
const client = new DynamoDBClient(baseClientConfig());
const logger = lifecycleLogger(contract.name);

export const handler = contractHandler(contract, async (request) =>
  withTenant(logger, request.tenantId, async () => {
    const expected = siloTableName(config, request.tenantId);
    if (request.siloTable !== expected) {
      throw new ValidationError(`${contract.name} input`, [
        {
          field: 'siloTable',
          message: `"${request.siloTable}" is not the silo table of this tenant (${expected})`,
        },
      ]);
    }
    const [source, target] = await Promise.all([
      // The pool side is listed through the (eventually consistent) index and re-read from the base
      // table with strongly consistent reads: the copy is compared with the pool's current items.
      tallyTenantItems(client, pooledTable(env.POOLED_TABLE_NAME), request.tenantId, { consistent: true }),
      tallyTenantItems(client, siloTable(expected), request.tenantId),
    ]);
    if (source.count !== target.count || source.checksum !== target.checksum) {
      throw new DataVerificationError(
        request.tenantId,
        { count: source.count, checksum: source.checksum },
        { count: target.count, checksum: target.checksum },
      );
    }
    logger.info('copy verified', { items: source.count, checksum: source.checksum });
    return { tenantId: request.tenantId, count: source.count, checksum: source.checksum };
  }),
);
