import { z } from 'zod';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';
import { erasureRecordSchema } from '../../domain/tenant/erasure';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

const count = z.number().int().nonnegative();

/**
 * The final step of an offboarding's erasure: checks, with strongly consistent reads, that nothing of
 * the tenant is left — no pooled item under `TENANT#<id>#` (found by key prefix, not by the index), no
 * object version or delete marker under `<id>/`, no user carrying the tenant id, and for a silo tenant
 * no stack and no key that is not pending deletion (looked up in the silo's region). Returns the
 * erasure record (domain/tenant/erasure.ts), `clean`, and one line per store with something left.
 */
export const contract = defineFunction({
  name: 'tenant-erasure-verify',
  description: 'Verifies that nothing of an offboarded tenant is left and builds its erasure record',
  env: {
    POOLED_TABLE_NAME: envVar.name(),
    TENANT_DATA_BUCKET_NAME: envVar.name(),
    USER_POOL_ID: envVar.name(),
  },
  input: z.object({
    tenantId: tenantIdSchema,
    /** The tenant's silo (its stack name is derived from the tenant id), or null for a pooled tenant. */
    silo: z
      .object({
        region: z.string().min(1),
        kmsKeyArn: z.string().min(1).nullable(),
        /** An account tenant's own account: the silo is checked there (assumed deployment role). */
        accountId: z
          .string()
          .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
          .optional(),
      })
      .nullable(),
    executionArn: z.string().min(1).max(2048),
    startedAt: z.iso.datetime({ offset: true }),
    attempts: z.number().int().min(1),
    erased: z.object({ items: count, objects: count, users: count }),
    keyDeletionDate: z.iso.datetime().nullable(),
  }),
  output: z.object({
    clean: z.boolean(),
    leftovers: z.array(z.string()),
    record: erasureRecordSchema,
  }),
  timeoutSeconds: 900,
  grants: {
    /** The key-prefix Scan (strongly consistent) of the pooled table. */
    pooledTable: { actions: ['dynamodb:Scan'] },
    tenantDataBucket: { actions: ['s3:ListBucketVersions', 's3:ListBucket'] },
    userPool: { actions: ['cognito-idp:ListUsers'] },
    siloStacks: { actions: ['cloudformation:DescribeStacks'] },
    /** Bound with a condition on the silo key alias (kms:ResourceAliases): only silo keys. */
    siloKeys: { actions: ['kms:DescribeKey'] },
    /** Bound to the deployment role (accounts.deploymentRoleName) in tenant accounts. */
    assumeDeploymentRole: { actions: ['sts:AssumeRole'] },
  },
});
