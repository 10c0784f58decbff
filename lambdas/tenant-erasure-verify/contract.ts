import { z } from 'zod';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';
import { REMAINDER_SAMPLE_SIZE, tallyPositionSchema } from '../../domain/lifecycle/tenant-items';
import { erasureRecordSchema } from '../../domain/tenant/erasure';
import { awsAccountIdSchema } from '../../domain/tenant/tenant';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

const count = z.number().int().nonnegative();

/**
 * Where the final check of an offboarding stands. The workflow starts it with the identifying fields
 * and passes each chunk's output back as the next chunk's input: `pool` is the key-prefix Scan of the
 * pooled table (the same position a promotion's verification keeps per side), `sample` the keys of the
 * first tenant items it found. The chunk that finishes sets `done` and the verdict: `clean`, one line
 * per store with something left (`leftovers`), and the erasure record.
 */
export const erasureCursorSchema = z.object({
  tenantId: tenantIdSchema,
  /** The tenant's silo (its stack name is derived from the tenant id), or null for a pooled tenant. */
  silo: z
    .object({
      region: z.string().min(1),
      kmsKeyArn: z.string().min(1).nullable(),
      /** An account tenant's own account: the silo is checked there (assumed deployment role). */
      accountId: awsAccountIdSchema.optional(),
    })
    .nullable(),
  executionArn: z.string().min(1).max(2048),
  startedAt: z.iso.datetime({ offset: true }),
  attempts: z.number().int().min(1),
  erased: z.object({ items: count, objects: count, users: count, rows: count.default(0) }),
  keyDeletionDate: z.iso.datetime().nullable(),
  pool: tallyPositionSchema.prefault({}),
  sample: z.array(z.string()).max(REMAINDER_SAMPLE_SIZE).default([]),
  done: z.boolean().default(false),
  verdict: z
    .object({ clean: z.boolean(), leftovers: z.array(z.string()), record: erasureRecordSchema })
    .nullable()
    .default(null),
});

/**
 * The final step of an offboarding's erasure, in chunks: checks, with strongly consistent reads, that
 * nothing of the tenant is left — no pooled item under `TENANT#<id>#` (found by key prefix, not by the
 * index; at most `ERASURE_CHUNK_ITEMS` pool items read per call), no object version or delete marker
 * under `<id>/`, no user carrying the tenant id, no dedicated collection table, and for a silo tenant
 * no stack and no key that is not pending deletion (looked up in the silo's region). The last chunk returns the verdict with the erasure
 * record (domain/tenant/erasure.ts).
 */
export const contract = defineFunction({
  name: 'tenant-erasure-verify',
  description: 'Verifies, one chunk at a time, that nothing of an offboarded tenant is left',
  env: {
    POOLED_TABLE_NAME: envVar.name(),
    TENANT_DATA_BUCKET_NAME: envVar.name(),
    USER_POOL_ID: envVar.name(),
    ERASURE_CHUNK_ITEMS: z.coerce.number().int().min(1).max(100_000).default(10_000),
  },
  input: erasureCursorSchema,
  output: erasureCursorSchema,
  timeoutSeconds: 300,
  grants: {
    /** The key-prefix Scan (strongly consistent) of the pooled table. */
    pooledTable: { actions: ['dynamodb:Scan'] },
    /** A business tenant's dedicated collection tables must be gone (DescribeTable: not found). */
    collectionTables: { actions: ['dynamodb:DescribeTable'] },
    tenantDataBucket: { actions: ['s3:ListBucketVersions', 's3:ListBucket'] },
    userPool: { actions: ['cognito-idp:ListUsers'] },
    siloStacks: { actions: ['cloudformation:DescribeStacks'] },
    /** Bound with a condition on the silo key alias (kms:ResourceAliases): only silo keys. */
    siloKeys: { actions: ['kms:DescribeKey'] },
    /** Bound to the deployment role (accounts.deploymentRoleName) in tenant accounts. */
    assumeDeploymentRole: { actions: ['sts:AssumeRole'] },
  },
});
