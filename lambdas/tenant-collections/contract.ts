import { z } from 'zod';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';
import { collectionTableSchema } from '../../domain/tenant/tenant';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

/**
 * A business tenant's dedicated collection tables (domain/lifecycle/collections.ts):
 * - `create`: creates (idempotently) a table per collection the tier names and records their ARNs in
 *   the catalog; none for a tier that names none;
 * - `delete`: deletes every collection table the tenant may have (recorded, or named by a tier) but
 *   those of `keepTier`, and records the kept ones in the catalog (`allowMissing`: a compensation may
 *   run before the record exists).
 */
export const contract = defineFunction({
  name: 'tenant-collections',
  description: "Creates or deletes a tenant's dedicated collection tables and records them in the catalog",
  env: { CATALOG_TABLE_NAME: envVar.name() },
  input: z.discriminatedUnion('action', [
    z.object({
      action: z.literal('create'),
      tenantId: tenantIdSchema,
      tier: z.string().min(1),
      executionArn: z.string().min(1),
      /**
       * false: create only, the catalog unchanged (a promotion records the tables with the tier, at its
       * switch, so the route never names an empty table).
       */
      record: z.boolean().default(true),
    }),
    z.object({
      action: z.literal('delete'),
      tenantId: tenantIdSchema,
      executionArn: z.string().min(1),
      allowMissing: z.boolean().optional(),
      /** Keep the tables of this tier's collections (a promotion to or back to a tier naming them). */
      keepTier: z.string().min(1).optional(),
    }),
  ]),
  output: z.object({
    tenantId: tenantIdSchema,
    tables: z.array(collectionTableSchema),
    deleted: z.array(z.string()),
  }),
  timeoutSeconds: 600,
  grants: {
    catalog: { actions: ['dynamodb:GetItem', 'dynamodb:PutItem'] },
    /** Bound to the collection-table name pattern only. */
    collectionTables: {
      actions: [
        'dynamodb:CreateTable',
        'dynamodb:DescribeTable',
        'dynamodb:UpdateTable',
        'dynamodb:DeleteTable',
        'dynamodb:UpdateContinuousBackups',
        'dynamodb:TagResource',
      ],
    },
  },
});
