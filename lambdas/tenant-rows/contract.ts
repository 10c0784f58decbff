import { z } from 'zod';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';
import { rowsPlaceSchema } from '../../domain/lifecycle/tenant-rows';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

export const rowsActions = ['copy', 'verify', 'erase'] as const;
export type RowsAction = (typeof rowsActions)[number];

/**
 * One call's work on a tenant's rows, and the cursor of the next call: `copy` copies chunks of rows
 * from `from` to `to` (ordered by key, resuming after `afterKey`) until done or near the
 * deadline; `verify` compares count and checksum of both sides (a mismatch is RowsVerificationError);
 * `erase` deletes the tenant's rows at `from` (the rollback's and the purge's step). Every statement
 * runs inside the tenant's row-level-security unit of work.
 */
export const rowsCursorSchema = z
  .object({
    tenantId: tenantIdSchema,
    action: z.enum(rowsActions),
    /** Where the rows are (erase: where they are erased). */
    from: rowsPlaceSchema,
    /** Where they go: copy and verify only. */
    to: rowsPlaceSchema.optional(),
    /** The last key copied (JSON of the table's key columns); null before the first chunk. */
    afterKey: z.string().nullable().default(null),
    /** Rows copied, verified or erased so far. */
    rows: z.number().int().nonnegative().default(0),
    done: z.boolean().default(false),
  })
  .refine((c) => (c.action === 'erase') === (c.to === undefined), {
    path: ['to'],
    message: 'is required with copy and verify, and not allowed with erase',
  });
export type RowsCursor = z.infer<typeof rowsCursorSchema>;

export const contract = defineFunction({
  name: 'tenant-rows',
  description:
    "Copies, verifies or erases a tenant's PostgreSQL rows between the pooled and its silo database",
  env: {
    /** The pooled Aurora cluster and its secret (RDS Data API). */
    POOLED_DATABASE_CLUSTER_ARN: envVar.arn(),
    POOLED_DATABASE_SECRET_ARN: envVar.arn(),
    DATABASE_NAME: envVar.name(),
    /**
     * The local environment's PostgreSQL server (local/postgres.ts), an administrative URL; unset on
     * AWS. When set, every place is a database on that server and the ARNs above are not used.
     */
    LOCAL_POSTGRES_URL: z.string().startsWith('postgres://').optional(),
    ROWS_CHUNK: z.coerce.number().int().min(1).max(10_000).default(500),
  },
  input: rowsCursorSchema,
  output: rowsCursorSchema,
  timeoutSeconds: 300,
  grants: {
    /** Data API on the pooled cluster: one transaction per unit of work. */
    pooledDatabase: {
      actions: [
        'rds-data:BeginTransaction',
        'rds-data:ExecuteStatement',
        'rds-data:CommitTransaction',
        'rds-data:RollbackTransaction',
      ],
    },
    pooledDatabaseSecret: { actions: ['secretsmanager:GetSecretValue'] },
    /**
     * Data API on the silo clusters of this platform: named after their silo stack
     * (`<product>-<stage>-silo-*`) in the allowed silo regions, and tagged with their tenant.
     */
    siloDatabases: {
      actions: [
        'rds-data:BeginTransaction',
        'rds-data:ExecuteStatement',
        'rds-data:CommitTransaction',
        'rds-data:RollbackTransaction',
      ],
    },
    /**
     * The silo stacks' database secrets: RDS-managed (`rds!cluster-*`), tagged by RDS with a silo
     * cluster's ARN; encrypted with the tenant's key, whose policy admits this role among the data
     * movers (`DataMoverRoleArns`) through Secrets Manager.
     */
    siloDatabaseSecrets: { actions: ['secretsmanager:GetSecretValue'] },
    /** A silo in the tenant's own account: the deployment role there. */
    assumeDeploymentRole: { actions: ['sts:AssumeRole'] },
  },
});
