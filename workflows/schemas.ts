import { z } from 'zod';
import {
  type OffboardingInput,
  type OnboardingInput,
  offboardingInputSchema,
  onboardingInputSchema,
  type PromotionInput,
  promotionInputSchema,
} from '../domain/lifecycle/inputs';
import { siloResourcesSchema } from '../domain/tenant/tenant';
import { tenantIdSchema } from '../domain/tenant/tenant-id';

export type { OffboardingInput, OnboardingInput, PromotionInput };
/**
 * Inputs and documented outputs of the lifecycle workflows. Inputs are validated by the first state
 * (`Validate`, the `lifecycle-validate` task) against these same schemas; outputs are what the final
 * Succeed state of each definition produces (checked by the integration tests).
 */
export { offboardingInputSchema, onboardingInputSchema, promotionInputSchema };

export const onboardingOutputSchema = z.object({
  tenantId: tenantIdSchema,
  status: z.literal('ACTIVE'),
  tier: z.string(),
  isolation: z.enum(['pool', 'silo']),
  silo: siloResourcesSchema.nullable(),
});
export type OnboardingOutput = z.infer<typeof onboardingOutputSchema>;

export const promotionOutputSchema = z.object({
  tenantId: tenantIdSchema,
  status: z.literal('ACTIVE'),
  tier: z.string(),
  isolation: z.literal('silo'),
  silo: siloResourcesSchema,
  items: z.number().int().nonnegative(),
  checksum: z.string().regex(/^[0-9a-f]{16}$/),
});
export type PromotionOutput = z.infer<typeof promotionOutputSchema>;

export const offboardingOutputSchema = z.object({
  tenantId: tenantIdSchema,
  status: z.literal('OFFBOARDED'),
  purgedItems: z.number().int().nonnegative(),
  purgedObjects: z.number().int().nonnegative(),
  keyDeletionDate: z.iso.datetime().nullable(),
});
export type OffboardingOutput = z.infer<typeof offboardingOutputSchema>;

/** Error names of the workflows' Fail states (what DescribeExecution reports). */
export const workflowErrors = {
  onboarding: ['OnboardingRejected', 'OnboardingFailed', 'OnboardedEventNotSent'],
  promotion: ['PromotionRejected', 'PromotionFailed', 'PromotedEventNotSent'],
  offboarding: ['OffboardingRejected', 'OffboardingFailed', 'OffboardedEventNotSent'],
} as const;
