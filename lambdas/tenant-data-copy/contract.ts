import { z } from 'zod';
import { collectionName } from '../../domain/config/schema';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';
import { accountTableTargetSchema } from '../../domain/lifecycle/account-data';
import { moveDirections } from '../../domain/lifecycle/moves';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

/**
 * Where a copy stands. The workflow starts a copy with the identifying fields only and passes each
 * chunk's output back as the next chunk's input, so this is the cursor's one definition.
 */
export const copyCursorSchema = z
  .object({
    tenantId: tenantIdSchema,
    direction: z.enum(moveDirections),
    /** The tenant's silo table (to or from a silo); null for a move within the pool. */
    siloTable: z.string().min(3).nullable().default(null),
    /** `silo-to-account` only: the tenant's account and region (the platform silo is in that region too). */
    account: accountTableTargetSchema.optional(),
    /** The dedicated collections moving (to and from a silo: the ones the tenant has on the pool side). */
    collections: z.array(collectionName).default([]),
    /** The source table being copied (domain/lifecycle/moves.ts `moveSources`). */
    table: z.number().int().nonnegative().default(0),
    startKey: z.record(z.string(), z.any()).nullable().default(null),
    copied: z.number().int().nonnegative().default(0),
    done: z.boolean().default(false),
  })
  .refine((c) => (c.direction === 'silo-to-account') === (c.account !== undefined), {
    path: ['account'],
    message: 'is required with direction silo-to-account, and only with it',
  });

/**
 * Copies one chunk of a tenant's items along a move (domain/lifecycle/moves.ts: pool and collection
 * tables → silo, the rollback's silo → pool and collection tables, a collection between its pooled
 * partition and its dedicated table, the platform silo → the same-named table in the tenant's own
 * account, domain/lifecycle/account-data.ts) and returns the cursor of the next chunk. The silo table
 * must be the tenant's own and the collection tables are named from the tenant id. Every direction but
 * `pool-to-silo` and `silo-to-account` (into a new table) never overwrites an item already in the
 * target: it may be newer than the copy.
 */
export const contract = defineFunction({
  name: 'tenant-data-copy',
  description: "Copies one chunk of a tenant's items between the pooled table and its silo table",
  env: {
    POOLED_TABLE_NAME: envVar.name(),
    COPY_CHUNK_ITEMS: z.coerce.number().int().min(25).max(100_000).default(2_500),
  },
  input: copyCursorSchema,
  output: copyCursorSchema,
  timeoutSeconds: 300,
  grants: {
    /** A tenant's pooled items are listed through the byTenant index, never by scanning the pool. */
    pooledTenantIndex: { actions: ['dynamodb:Query'] },
    /**
     * Batch writes to the silo; the rollback restore puts an item back only where the pool has none;
     * a collection moving to its own table is read from its pooled partition (Query by key).
     */
    pooledTable: { actions: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:Query'] },
    /** A silo table is the tenant's own: scanned whole. */
    siloTables: { actions: ['dynamodb:Scan', 'dynamodb:BatchWriteItem'] },
    /** A collection table is the tenant's own: scanned whole, written only where no item is. */
    collectionTables: { actions: ['dynamodb:Scan', 'dynamodb:PutItem'] },
    /** silo → account: the deployment role in the tenant's account, under a write-one-table session policy. */
    assumeDeploymentRole: { actions: ['sts:AssumeRole'] },
  },
});
