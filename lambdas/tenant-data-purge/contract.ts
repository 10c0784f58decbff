import { z } from 'zod';
import { collectionName } from '../../domain/config/schema';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';
import { moveDirections } from '../../domain/lifecycle/moves';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

/**
 * Where a purge stands. The workflow starts a purge with the identifying fields only and passes each
 * chunk's output back as the next chunk's input, so this is the cursor's one definition.
 */
export const purgeCursorSchema = z.object({
  store: z.enum(['pool', 's3']),
  tenantId: tenantIdSchema,
  startKey: z.record(z.string(), z.any()).nullable().default(null),
  purged: z.number().int().nonnegative().default(0),
  done: z.boolean().default(false),
  /** Promotion: only delete items whose copy in this (the tenant's) silo table is identical. */
  verifiedAgainst: z.string().min(3).nullable().optional(),
  /**
   * A move's purge (domain/lifecycle/moves.ts): deletes the move's sources' items whose copy where they
   * went is identical — `pool-to-silo` (with `verifiedAgainst`) also empties the collection tables.
   * Absent: the erasure of offboarding. Never `silo-to-account`: its source and target share a name in two
   * accounts (the old silo is torn down as a stack instead), so a purge here would compare a table with itself.
   */
  direction: z.enum(moveDirections).exclude(['silo-to-account']).optional(),
  /** The dedicated collections of the move (to a silo: the ones the tenant has on the pool side). */
  collections: z.array(collectionName).optional(),
  /** A move's purge: the source table being purged (absent: 0). */
  table: z.number().int().nonnegative().optional(),
});

/**
 * Erases one chunk of a tenant's data and returns the cursor of the next: `store: 'pool'` deletes its
 * items from the pooled table (every item whose key starts `TENANT#<id>#`, found by a consistent Scan on
 * that prefix: no optional attribute needed), `store: 's3'`
 * every object version under `<id>/` in the tenant data bucket. `done` is true when nothing of the
 * tenant is left in that store. With `verifiedAgainst` (the tenant's silo table: a promotion), the items
 * are found through the `byTenant` index and a pooled
 * item is deleted only if its silo copy is present and identical; otherwise PurgeRefusedError and
 * nothing of that page is deleted.
 */
export const contract = defineFunction({
  name: 'tenant-data-purge',
  description: "Erases one chunk of a tenant's pooled items or data-bucket objects",
  env: {
    POOLED_TABLE_NAME: envVar.name(),
    TENANT_DATA_BUCKET_NAME: envVar.name(),
    PURGE_CHUNK_ITEMS: z.coerce.number().int().min(25).max(100_000).default(2_500),
  },
  input: purgeCursorSchema,
  output: purgeCursorSchema,
  timeoutSeconds: 300,
  grants: {
    pooledTenantIndex: { actions: ['dynamodb:Query'] },
    /** Deletes, after comparing each pooled item with its silo copy (promotion). */
    /** Scan: erasure by key prefix. */
    /** Query: a collection moving out of the pool is read from its partition. */
    pooledTable: {
      actions: ['dynamodb:Scan', 'dynamodb:Query', 'dynamodb:BatchWriteItem', 'dynamodb:BatchGetItem'],
    },
    siloTables: { actions: ['dynamodb:BatchGetItem'] },
    /** A move's purge: a collection table is scanned, compared and emptied, or compared against. */
    collectionTables: { actions: ['dynamodb:Scan', 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'] },
    tenantDataBucket: { actions: ['s3:ListBucketVersions', 's3:ListBucket'] },
    tenantDataObjects: { actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'] },
  },
});

export type PurgeCursor = z.output<typeof purgeCursorSchema>;
