import { DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { baseClientConfig, s3ClientConfig } from '../../domain/aws/clients';
import { loadConfig } from '../../domain/config';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { acrossTables, moveSources, moveTablesOf, moveTarget } from '../../domain/lifecycle/moves';
import { deadlineOf, lifecycleLogger, type RemainingTime, withTenant } from '../../domain/lifecycle/runtime';
import {
  pooledTableByPrefix,
  purgeTenantChunk,
  purgeVerifiedTenantChunk,
  type StartKey,
} from '../../domain/lifecycle/tenant-items';
import { purgeTenantObjectsChunk } from '../../domain/lifecycle/tenant-objects';
import { collectionTableNamePrefix } from '../../domain/tables';
import { contract, type PurgeCursor } from './contract';

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
    const against = cursor.verifiedAgainst ?? null;
    const direction = cursor.direction ?? (against === null ? undefined : 'pool-to-silo');
    if (direction === undefined) {
      // Erasure finds the tenant's items by key prefix.
      const erased = await purgeTenantChunk(
        dynamo,
        pooledTableByPrefix(env.POOLED_TABLE_NAME),
        cursor.tenantId,
        cursor.startKey,
        { maxItems: env.PURGE_CHUNK_ITEMS, deadline: deadlineOf(context) },
      );
      return finish(cursor, { ...erased, startKey: erased.nextKey, done: erased.nextKey === null });
    }
    // A move: each source's items, deleted only where their copy is identical.
    const tables = moveTablesOf(
      config,
      contract.name,
      env.POOLED_TABLE_NAME,
      { tenantId: cursor.tenantId, direction, siloTable: against, collections: cursor.collections ?? [] },
      'verifiedAgainst',
    );
    const copyTable = moveTarget(config, direction, tables);
    const moved = await acrossTables(
      moveSources(config, direction, tables),
      { table: cursor.table ?? 0, startKey: cursor.startKey },
      { maxItems: env.PURGE_CHUNK_ITEMS, deadline: deadlineOf(context) },
      async (source, startKey, maxItems) => {
        try {
          return await purgeVerifiedTenantChunk(dynamo, source, copyTable, cursor.tenantId, startKey, {
            maxItems,
            deadline: deadlineOf(context),
          });
        } catch (error) {
          // A rollback may undo a run that failed before creating a collection table: nothing in it.
          if (
            error instanceof ResourceNotFoundException &&
            source.name.startsWith(collectionTableNamePrefix(config))
          ) {
            logger.info('no such table: nothing to purge', { table: source.name });
            return { handled: 0, foreign: 0, nextKey: null };
          }
          throw error;
        }
      },
    );
    return finish(cursor, moved);
  }),
);

function finish(
  cursor: PurgeCursor,
  result: { handled: number; foreign: number; table?: number; startKey: StartKey; done: boolean },
): PurgeCursor {
  logger.info('purged items', { items: result.handled });
  if (result.foreign > 0) {
    // Listed under this tenant's id but keyed under another tenant's partition: never deleted.
    logger.warn("skipped items whose partition key is not this tenant's", { items: result.foreign });
  }
  return {
    ...cursor,
    ...(result.table === undefined ? {} : { table: result.table }),
    startKey: result.startKey,
    purged: cursor.purged + result.handled,
    done: result.done,
  };
}
