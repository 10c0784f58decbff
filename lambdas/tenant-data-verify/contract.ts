import { z } from 'zod';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

/** Verifies a copy: the tenant's items in the pool and in its silo have equal counts and checksums. */
export const contract = defineFunction({
  name: 'tenant-data-verify',
  description: "Verifies a tenant's silo copy against the pool: equal item counts and checksums",
  env: { POOLED_TABLE_NAME: envVar.name() },
  input: z.object({ tenantId: tenantIdSchema, siloTable: z.string().min(3) }),
  output: z.object({
    tenantId: tenantIdSchema,
    count: z.number().int().nonnegative(),
    checksum: z.string().regex(/^[0-9a-f]{16}$/),
  }),
  timeoutSeconds: 900,
  grants: {
    pooledTenantIndex: { actions: ['dynamodb:Query'] },
    /** The pool side is re-read from the base table with strongly consistent reads. */
    pooledTable: { actions: ['dynamodb:Query'] },
    siloTables: { actions: ['dynamodb:Scan'] },
  },
});
