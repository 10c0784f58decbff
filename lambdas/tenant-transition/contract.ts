import { z } from 'zod';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';
import { erasureRecordSchema } from '../../domain/tenant/erasure';
import { tenantStatuses } from '../../domain/tenant/status';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

const status = z.enum(tenantStatuses);

/**
 * Every lifecycle status change: through `CatalogRepository.transition` (the domain's status rules),
 * with the execution ARN recorded in the tenant's history. Idempotent for the execution that asks.
 * OFFBOARDED only with an erasure record showing nothing left (ErasureNotProvenError otherwise).
 */
export const contract = defineFunction({
  name: 'tenant-transition',
  description: 'Changes a tenant status through the domain rules, audited with the execution ARN',
  env: { CATALOG_TABLE_NAME: envVar.name() },
  input: z.object({
    tenantId: tenantIdSchema,
    to: status,
    executionArn: z.string().min(1),
    reason: z.string().max(500).optional(),
    onlyFrom: z.array(status).optional(),
    resume: z.boolean().optional(),
    allowMissing: z.boolean().optional(),
    expectedVersion: z.number().int().nonnegative().optional(),
    /** Required with OFFBOARDED: the verified erasure record (nothing left); stored on the tenant. */
    erasure: erasureRecordSchema.optional(),
  }),
  output: z.object({
    tenantId: tenantIdSchema,
    status: status.nullable(),
    changed: z.boolean(),
    version: z.number().int().nonnegative().nullable(),
  }),
  grants: { catalog: { actions: ['dynamodb:GetItem', 'dynamodb:PutItem'] } },
});
