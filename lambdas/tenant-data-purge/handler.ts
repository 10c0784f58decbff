import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { baseClientConfig, s3ClientConfig } from '../../domain/aws/clients';
import { loadConfig } from '../../domain/config';
import { envVar, readEnv } from '../../domain/env';
import { ValidationError } from '../../domain/errors';
import { parseInput } from '../../domain/lifecycle/plan';
import { deadlineOf, lifecycleLogger, type RemainingTime, withTenant } from '../../domain/lifecycle/runtime';
import { siloTableName } from '../../domain/lifecycle/silo';
import { pooledTable, purgeTenantChunk, purgeVerifiedTenantChunk } from '../../domain/lifecycle/tenant-items';
import { purgeTenantObjectsChunk } from '../../domain/lifecycle/tenant-objects';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

/**
 * Erases one chunk of a tenant's data and returns the cursor of the next: `store: 'pool'` deletes its
 * items from the pooled table (found through the `byTenant` index, keyed `TENANT#<id>#…`), `store: 's3'` every object version under `<id>/` in
 * the tenant data bucket. `done` is true when nothing of the tenant is left in that store.
 * With `verifiedAgainst` (the tenant's silo table: a promotion), a pooled item is deleted only if its
 * silo copy is present and identical; otherwise PurgeRefusedError and nothing of that page is deleted.
 */
const env = readEnv({
  POOLED_TABLE_NAME: envVar.name(),
  TENANT_DATA_BUCKET_NAME: envVar.name(),
  PURGE_CHUNK_ITEMS: z.coerce.number().int().min(25).max(100_000).default(2_500),
});
const config = loadConfig();
const dynamo = new DynamoDBClient(baseClientConfig());
const s3 = new S3Client(s3ClientConfig());
const logger = lifecycleLogger('tenant-data-purge');

const cursorSchema = z.object({
  store: z.enum(['pool', 's3']),
  tenantId: tenantIdSchema,
  startKey: z.record(z.string(), z.any()).nullable(),
  purged: z.number().int().nonnegative(),
  done: z.boolean(),
  /** Promotion: only delete items whose copy in this (the tenant's) silo table is identical. */
  verifiedAgainst: z.string().min(3).nullable().optional(),
});

export const handler = async (event: unknown, context?: RemainingTime) => {
  const cursor = parseInput(cursorSchema, event, 'tenant-data-purge cursor');
  return withTenant(logger, cursor.tenantId, async () => {
    if (cursor.store === 's3') {
      const result = await purgeTenantObjectsChunk(s3, env.TENANT_DATA_BUCKET_NAME, cursor.tenantId);
      logger.info('purged objects', { objects: result.deleted });
      return { ...cursor, startKey: null, purged: cursor.purged + result.deleted, done: result.done };
    }
    const options = { maxItems: env.PURGE_CHUNK_ITEMS, deadline: deadlineOf(context) };
    const pool = pooledTable(env.POOLED_TABLE_NAME);
    const against = cursor.verifiedAgainst ?? null;
    if (against !== null && against !== siloTableName(config, cursor.tenantId)) {
      throw new ValidationError('tenant-data-purge cursor', [
        { field: 'verifiedAgainst', message: `"${against}" is not the silo table of this tenant` },
      ]);
    }
    const result =
      against === null
        ? await purgeTenantChunk(dynamo, pool, cursor.tenantId, cursor.startKey, options)
        : await purgeVerifiedTenantChunk(dynamo, pool, against, cursor.tenantId, cursor.startKey, options);
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
  });
};
