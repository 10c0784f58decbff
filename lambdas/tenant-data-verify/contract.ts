import { z } from 'zod';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';
import { accountTableTargetSchema } from '../../domain/lifecycle/account-data';
import { tallyPositionSchema } from '../../domain/lifecycle/tenant-items';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

/**
 * Where a verification stands. The workflow starts it with the identifying fields only and passes each
 * chunk's output back as the next chunk's input, so this is the cursor's one definition. `source` is
 * the pool's side, `target` the silo's; `done` once both are counted and they match (a mismatch is
 * DataVerificationError, never a cursor).
 */
export const verifyCursorSchema = z.object({
  tenantId: tenantIdSchema,
  siloTable: z.string().min(3),
  /**
   * Promotion silo → account: the tenant's account and region. Then `source` is the platform silo table
   * (in that region) and `target` the same-named table in the account.
   */
  account: accountTableTargetSchema.optional(),
  source: tallyPositionSchema.prefault({}),
  target: tallyPositionSchema.prefault({}),
  done: z.boolean().default(false),
});

/**
 * Verifies a copy in chunks: counts and checksums the tenant's items in the pool (strongly consistent,
 * from the base table) and in its silo, at most `VERIFY_CHUNK_ITEMS` items of each per call, and
 * returns the cursor of the next chunk; the last chunk compares the totals.
 */
export const contract = defineFunction({
  name: 'tenant-data-verify',
  description: "Verifies one chunk of a tenant's silo copy against the pool: item counts and checksums",
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
    /** silo → account: the deployment role in the tenant's account, under a read-one-table session policy. */
    assumeDeploymentRole: { actions: ['sts:AssumeRole'] },
  },
});
