import { z } from 'zod';
import { collectionName } from '../../domain/config/schema';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';
import { accountTableTargetSchema } from '../../domain/lifecycle/account-data';
import { moveDirections } from '../../domain/lifecycle/moves';
import { tallyPositionSchema } from '../../domain/lifecycle/tenant-items';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

/**
 * Where a verification stands. The workflow starts it with the identifying fields only and passes each
 * chunk's output back as the next chunk's input, so this is the cursor's one definition. `source` is
 * the side the items come from, `target` the side they went to (each possibly several tables); `done` once both are counted and they match (a mismatch is
 * DataVerificationError, never a cursor).
 */
export const verifyCursorSchema = z
  .object({
    tenantId: tenantIdSchema,
    /** The move verified (domain/lifecycle/moves.ts): its sources against the tables the items went to. */
    direction: z.enum(moveDirections).default('pool-to-silo'),
    /** The tenant's silo table (to or from a silo); null for a move within the pool. */
    siloTable: z.string().min(3).nullable().default(null),
    /**
     * `silo-to-account` only: the tenant's account and region. Then `source` is the platform silo table
     * (in that region) and `target` the same-named table in the account.
     */
    account: accountTableTargetSchema.optional(),
    /** The dedicated collections moving (to a silo: the ones the tenant has on the pool side). */
    collections: z.array(collectionName).default([]),
    source: tallyPositionSchema.prefault({}),
    target: tallyPositionSchema.prefault({}),
    done: z.boolean().default(false),
  })
  .refine((c) => (c.direction === 'silo-to-account') === (c.account !== undefined), {
    path: ['account'],
    message: 'is required with direction silo-to-account, and only with it',
  });

/**
 * Verifies a copy in chunks: counts and checksums the tenant's items in the pool (strongly consistent,
 * from the base table) and in its silo, at most `VERIFY_CHUNK_ITEMS` items of each per call, and
 * returns the cursor of the next chunk; the last chunk compares the totals.
 */
export const contract = defineFunction({
  name: 'tenant-data-verify',
  description: "Verifies one chunk of a tenant's moved items against their source: counts and checksums",
  env: {
    POOLED_TABLE_NAME: envVar.name(),
    VERIFY_CHUNK_ITEMS: z.coerce.number().int().min(1).max(100_000).default(10_000),
  },
  input: verifyCursorSchema,
  output: verifyCursorSchema,
  timeoutSeconds: 300,
  grants: {
    pooledTenantIndex: { actions: ['dynamodb:Query'] },
    /** The pool side is re-read from the base table with strongly consistent reads. */
    pooledTable: { actions: ['dynamodb:Query'] },
    siloTables: { actions: ['dynamodb:Scan'] },
    collectionTables: { actions: ['dynamodb:Scan'] },
    /** silo → account: the deployment role in the tenant's account, under a read-one-table session policy. */
    assumeDeploymentRole: { actions: ['sts:AssumeRole'] },
  },
});
