import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { baseClientConfig } from '../../domain/aws/clients';
import { loadConfig } from '../../domain/config';
import { envVar, readEnv } from '../../domain/env';
import { ValidationError } from '../../domain/errors';
import { parseInput } from '../../domain/lifecycle/plan';
import { deadlineOf, lifecycleLogger, type RemainingTime, withTenant } from '../../domain/lifecycle/runtime';
import { siloTableName } from '../../domain/lifecycle/silo';
import {
  copyTenantChunk,
  pooledTable,
  restoreTenantChunk,
  siloTable,
} from '../../domain/lifecycle/tenant-items';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

/**
 * Copies one chunk of a tenant's items between the pooled table and the tenant's silo table (either
 * direction: promotion, or restoring the pool on rollback) and returns the cursor of the next chunk.
 * The silo table must be the tenant's own (its name is derived from the tenant id). The restore
 * (`silo-to-pool`) never overwrites an item the pool still holds: it may be newer than its silo copy.
 */
const env = readEnv({
  POOLED_TABLE_NAME: envVar.name(),
  COPY_CHUNK_ITEMS: z.coerce.number().int().min(25).max(100_000).default(2_500),
});
const config = loadConfig();
const client = new DynamoDBClient(baseClientConfig());
const logger = lifecycleLogger('tenant-data-copy');

const cursorSchema = z.object({
  tenantId: tenantIdSchema,
  direction: z.enum(['pool-to-silo', 'silo-to-pool']),
  siloTable: z.string().min(3),
  startKey: z.record(z.string(), z.any()).nullable(),
  copied: z.number().int().nonnegative(),
  done: z.boolean(),
});

export const handler = async (event: unknown, context?: RemainingTime) => {
  const cursor = parseInput(cursorSchema, event, 'tenant-data-copy cursor');
  return withTenant(logger, cursor.tenantId, async () => {
    const expected = siloTableName(config, cursor.tenantId);
    if (cursor.siloTable !== expected) {
      throw new ValidationError('tenant-data-copy cursor', [
        {
          field: 'siloTable',
          message: `"${cursor.siloTable}" is not the silo table of this tenant (${expected})`,
        },
      ]);
    }
    const options = { maxItems: env.COPY_CHUNK_ITEMS, deadline: deadlineOf(context) };
    const result =
      cursor.direction === 'pool-to-silo'
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
  });
};
