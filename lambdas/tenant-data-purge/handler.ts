import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { baseClientConfig, s3ClientConfig } from '../../domain/aws/clients';
import { loadConfig } from '../../domain/config';
import { ValidationError } from '../../domain/errors';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { deadlineOf, lifecycleLogger, type RemainingTime, withTenant } from '../../domain/lifecycle/runtime';
import { siloTableName } from '../../domain/lifecycle/silo';
import {
  pooledTable,
  pooledTableByPrefix,
  purgeTenantChunk,
  purgeVerifiedTenantChunk,
} from '../../domain/lifecycle/tenant-items';
import { purgeTenantObjectsChunk } from '../../domain/lifecycle/tenant-objects';
import { contract } from './contract';

const env = readFunctionEnv(contract);
const config = loadConfig();
const dynamo = new DynamoDBClient(baseClientConfig());
const s3 = new S3Client(s3ClientConfig());
const logger = lifecycleLogger(contract.name);

export const handler = contractHandler(contract, async (cursor, context?: RemainingTime) =>
  withTenant(logger, cursor.tenantId, async () => {
    if (cursor.store === 's3') {
      const result = await purgeTenantObjectsChunk(s3, env.TENANT_DATA_BUCKET_NAME, cursor.tenantId);
      logger.info('purged objects', { objects: result.deleted });
      return { ...cursor, startKey: null, purged: cursor.purged + result.deleted, done: result.done };
    }
    const options = { maxItems: env.PURGE_CHUNK_ITEMS, deadline: deadlineOf(context) };
    const against = cursor.verifiedAgainst ?? null;
    if (against !== null && against !== siloTableName(config, cursor.tenantId)) {
      throw new ValidationError(`${contract.name} input`, [
        { field: 'verifiedAgainst', message: `"${against}" is not the silo table of this tenant` },
      ]);
    }
    // Erasure finds the tenant's items by key prefix; a promotion's verified purge through the index.
    const result =
      against === null
        ? await purgeTenantChunk(
            dynamo,
            pooledTableByPrefix(env.POOLED_TABLE_NAME),
            cursor.tenantId,
            cursor.startKey,
            options,
          )
        : await purgeVerifiedTenantChunk(
            dynamo,
            pooledTable(env.POOLED_TABLE_NAME),
            against,
            cursor.tenantId,
            cursor.startKey,
            options,
          );
    logger.info('purged items', { items: result.handled });
    if (result.foreign > 0) {
      // Listed under this tenant's id but keyed under another tenant's partition: never deleted.
      logger.warn("skipped items whose partition key is not this tenant's", { items: result.foreign });
    }
    return {
      ...cursor,
      startKey: result.nextKey,
      purged: cursor.purged + result.handled,
      done: result.nextKey === null,
    };
  }),
);
