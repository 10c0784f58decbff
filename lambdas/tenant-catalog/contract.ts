import { z } from 'zod';
import { isolationModels } from '../../domain/config';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';
import { tenantStatuses } from '../../domain/tenant/status';
import {
  accountStatuses,
  awsAccountIdSchema,
  collectionTableSchema,
  concurrencyQuotaSchema,
  retiredSiloSchema,
  retiredSiloStatuses,
  siloResourcesSchema,
} from '../../domain/tenant/tenant';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

const isolation = z.enum(isolationModels);

/**
 * Catalog writes other than status changes: register a PENDING tenant (or re-register a FAILED one),
 * record where it is served from (validated against the config, audited in the history), record an
 * account tenant's own AWS account and where it stands (audited the same way).
 */
export const contract = defineFunction({
  name: 'tenant-catalog',
  description: 'Registers a pending tenant and records its placement in the catalog',
  env: { CATALOG_TABLE_NAME: envVar.name() },
  input: z.discriminatedUnion('action', [
    z.object({
      action: z.literal('create'),
      tenantId: tenantIdSchema,
      name: z.string(),
      tier: z.string(),
      isolation,
      region: z.string(),
      executionArn: z.string().min(1),
    }),
    z.object({
      action: z.literal('set-placement'),
      tenantId: tenantIdSchema,
      tier: z.string().min(1),
      isolation,
      silo: siloResourcesSchema.nullable(),
      /** The dedicated collection tables on this placement (a promotion); absent: the recorded ones stay. */
      collections: z.array(collectionTableSchema).optional(),
      /** Recorded in the tenant's history with the placement change. */
      executionArn: z.string().min(1),
      /** Compensation of a run that may have failed before the record existed. */
      allowMissing: z.boolean().optional(),
    }),
    z.object({
      action: z.literal('record-retired-silo'),
      tenantId: tenantIdSchema,
      /** A silo a promotion to an account left behind, and where its teardown stands. */
      retired: retiredSiloSchema,
    }),
    z.object({
      action: z.literal('record-account'),
      tenantId: tenantIdSchema,
      accountId: awsAccountIdSchema,
      accountStatus: z.enum(accountStatuses),
      executionArn: z.string().min(1),
    }),
    z.object({
      /** A CreateAccount request still IN_PROGRESS when a compensation gave up waiting: flagged. */
      action: z.literal('record-account-request'),
      tenantId: tenantIdSchema,
      requestId: z.string().min(1),
      executionArn: z.string().min(1),
    }),
    z.object({
      /** The account's concurrency quota too low for the tier's reservation: the increase requested, flagged. */
      action: z.literal('record-concurrency-quota'),
      tenantId: tenantIdSchema,
      concurrencyQuota: concurrencyQuotaSchema,
      executionArn: z.string().min(1),
    }),
  ]),
  output: z.union([
    z.object({ tenantId: tenantIdSchema, status: z.enum(tenantStatuses), alreadyCreated: z.boolean() }),
    z.object({
      tenantId: tenantIdSchema,
      tier: z.string().nullable(),
      isolation: isolation.nullable(),
      silo: siloResourcesSchema.nullable(),
    }),
    z.object({
      tenantId: tenantIdSchema,
      accountId: z.string(),
      accountStatus: z.enum(accountStatuses),
    }),
    z.object({ tenantId: tenantIdSchema, retiredSiloStatus: z.enum(retiredSiloStatuses) }),
    z.object({ tenantId: tenantIdSchema, pendingAccountRequestId: z.string() }),
    z.object({ tenantId: tenantIdSchema, concurrencyQuota: concurrencyQuotaSchema }),
  ]),
  grants: { catalog: { actions: ['dynamodb:GetItem', 'dynamodb:PutItem'] } },
});
