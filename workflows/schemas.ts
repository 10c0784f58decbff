import { z } from 'zod';
import { erasureRecordSchema } from '../domain/tenant/erasure';
import { collectionTableSchema, siloResourcesSchema } from '../domain/tenant/tenant';
import { tenantIdSchema } from '../domain/tenant/tenant-id';

/**
 * What the final Succeed state of each lifecycle workflow outputs (checked by the integration tests).
 * The inputs are domain/lifecycle/inputs.ts, validated by each workflow's first state (`Validate`).
 */

export const onboardingOutputSchema = z.object({
  tenantId: tenantIdSchema,
  status: z.literal('ACTIVE'),
  tier: z.string(),
  isolation: z.enum(['pool', 'silo']),
  silo: siloResourcesSchema.nullable(),
});

export const promotionOutputSchema = z.object({
  tenantId: tenantIdSchema,
  status: z.literal('ACTIVE'),
  tier: z.string(),
  isolation: z.enum(['pool', 'silo']),
  /** Null after a tier change within the pool. */
  silo: siloResourcesSchema.nullable(),
  /** The tenant's dedicated collection tables on its new tier (none in a silo). */
  collections: z.array(collectionTableSchema),
  items: z.number().int().nonnegative(),
  checksum: z.string().regex(/^[0-9a-f]{16}$/),
});

export const offboardingOutputSchema = z.object({
  tenantId: tenantIdSchema,
  status: z.literal('OFFBOARDED'),
  purgedItems: z.number().int().nonnegative(),
  purgedObjects: z.number().int().nonnegative(),
  keyDeletionDate: z.iso.datetime().nullable(),
  erasure: erasureRecordSchema,
});
