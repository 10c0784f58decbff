import { z } from 'zod';
import { collectionName, isolationModels } from '../config/schema';
import { tenantStatuses } from '../tenant/status';
import {
  awsAccountIdSchema,
  collectionTableSchema,
  siloResourcesSchema,
  tenantNameSchema,
} from '../tenant/tenant';
import { tenantIdSchema } from '../tenant/tenant-id';
import { moveDirections } from './moves';

/**
 * The inputs of the lifecycle workflows (validated by the `lifecycle-validate` task, the first state
 * of each workflow) and the shapes the tasks exchange. Tier names are checked against the
 * configuration by the validator, not here, so these schemas stay configuration-free.
 */

const email = z.email({ error: 'must be an email address' }).max(254);
/** An AWS region name. */
export const awsRegionSchema = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region name');
const region = awsRegionSchema;
const accountId = awsAccountIdSchema;
const tierName = z.string({ error: 'tier is required' }).min(1, 'must not be empty').max(20);

/** Onboarding input = the `detail` of a signup event. */
export const onboardingInputSchema = z.object({
  tenantId: tenantIdSchema,
  name: tenantNameSchema,
  tier: tierName,
  adminEmail: email,
  /** Silo placement (data residency); defaults to the primary region. */
  region: region.optional(),
  /** An existing AWS account to adopt (isolation `account` only) instead of creating one. */
  accountId: accountId.optional(),
});
export type OnboardingInput = z.infer<typeof onboardingInputSchema>;

export const promotionInputSchema = z.object({
  tenantId: tenantIdSchema,
  /**
   * A silo tier (promotion into a silo), another pool tier (a tier change within the pool) or, from a
   * silo, an account tier (the tenant's own account).
   */
  targetTier: tierName,
  /** Promotion to an account tier: an existing AWS account to adopt instead of creating one. */
  accountId: accountId.optional(),
});
export type PromotionInput = z.infer<typeof promotionInputSchema>;

export const offboardingInputSchema = z.object({
  tenantId: tenantIdSchema,
  reason: z.string().trim().min(1).max(300).optional(),
});
export type OffboardingInput = z.infer<typeof offboardingInputSchema>;

/** What `lifecycle-validate` returns for onboarding: the normalised tenant plan. */
export const onboardingPlanSchema = z.object({
  tenantId: tenantIdSchema,
  name: z.string(),
  tier: z.string(),
  isolation: z.enum(isolationModels),
  region,
  adminEmail: email,
  groupName: z.string(),
  stackName: z.string(),
  /** The account to adopt (isolation `account`); absent: Organizations creates one. */
  accountId: accountId.optional(),
});
export type OnboardingPlan = z.infer<typeof onboardingPlanSchema>;

export const promotionPlanSchema = z.object({
  tenantId: tenantIdSchema,
  fromTier: z.string(),
  toTier: z.string(),
  /** Where the tenant goes: its own silo, another tier of the pool, or (from a silo) its own account. */
  isolation: z.enum(['silo', 'pool', 'account']),
  /** The tenant's dedicated collection tables before the run (what a rollback records again). */
  collections: z.array(collectionTableSchema),
  /** What the items do (domain/lifecycle/moves.ts): the direction and the dedicated collections moving. */
  move: z.object({ direction: z.enum(moveDirections), collections: z.array(collectionName) }),
  region,
  stackName: z.string(),
  /** The catalog version Validate planned from; SetMigrating only proceeds from that version. */
  version: z.number().int().nonnegative(),
  /** silo → account or pool: the platform silo the tenant is served from until the switch (then torn down). */
  fromSilo: siloResourcesSchema.optional(),
  /** silo → account: the account to adopt; absent: Organizations creates one. */
  accountId: accountId.optional(),
  /**
   * Only the retirement of `fromSilo` (flagged TEARDOWN_FAILED by an earlier run that switched the
   * tenant away from it) runs again; nothing else changes.
   */
  resumeRetirement: z.literal(true).optional(),
});
export type PromotionPlan = z.infer<typeof promotionPlanSchema>;

export const offboardingPlanSchema = z.object({
  tenantId: tenantIdSchema,
  isolation: z.enum(isolationModels),
  status: z.enum(tenantStatuses),
  /** The tenant's region: where its silo lives (the erasure is verified there). */
  region: z.string().min(1),
  reason: z.string(),
  stackName: z.string(),
  /** The silo stack id and key, when the tenant has a silo. */
  stackId: z.string().nullable(),
  kmsKeyArn: z.string().nullable(),
  /** The silo's database (its stack's cluster and secret), where the tenant's rows are erased; null without. */
  siloDatabase: z
    .object({ databaseClusterArn: z.string().optional(), databaseSecretArn: z.string().optional() })
    .nullable()
    .default(null),
  /** An account tenant's own account (its silo lives there; closed at the end), else null. */
  accountId: accountId.nullable(),
});
export type OffboardingPlan = z.infer<typeof offboardingPlanSchema>;
