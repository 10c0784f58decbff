import { z } from 'zod';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';
import { accountTableTargetSchema } from '../../domain/lifecycle/account-data';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

/**
 * Where a copy stands. The workflow starts a copy with the identifying fields only and passes each
 * chunk's output back as the next chunk's input, so this is the cursor's one definition.
 */
export const copyCursorSchema = z
  .object({
    tenantId: tenantIdSchema,
    /** `silo-to-account`: promotion silo → account (the silo table, same name, in the tenant's account). */
    direction: z.enum(['pool-to-silo', 'silo-to-pool', 'silo-to-account']),
    siloTable: z.string().min(3),
    /** `silo-to-account` only: the tenant's account and region (the platform silo is in that region too). */
    account: accountTableTargetSchema.optional(),
    startKey: z.record(z.string(), z.any()).nullable().default(null),
    copied: z.number().int().nonnegative().default(0),
    done: z.boolean().default(false),
  })
  .refine((c) => (c.direction === 'silo-to-account') === (c.account !== undefined), {
    path: ['account'],
    message: 'is required with direction silo-to-account, and only with it',
  });

/**
 * Copies one chunk of a tenant's items between the pooled table and the tenant's silo table (either
 * direction: promotion, or restoring the pool on rollback) and returns the cursor of the next chunk.
 * The silo table must be the tenant's own (its name is derived from the tenant id). `silo-to-account`
 * copies the silo table into the same-named table in the tenant's own account (domain/lifecycle/account-data.ts). The restore
 * (`silo-to-pool`) never overwrites an item the pool still holds: it may be newer than its silo copy.
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
    /** Batch writes to the silo; the rollback restore puts an item back only where the pool has none. */
    pooledTable: { actions: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem'] },
    /** A silo table is the tenant's own: scanned whole. */
    siloTables: { actions: ['dynamodb:Scan', 'dynamodb:BatchWriteItem'] },
    /** silo → account: the deployment role in the tenant's account, under a write-one-table session policy. */
    assumeDeploymentRole: { actions: ['sts:AssumeRole'] },
  },
});
