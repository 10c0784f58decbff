import { z } from 'zod';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';
import {
  offboardingPlanSchema,
  onboardingPlanSchema,
  promotionPlanSchema,
} from '../../domain/lifecycle/inputs';

/** First state of every lifecycle workflow: validates the input and returns the workflow's plan. */
export const contract = defineFunction({
  name: 'lifecycle-validate',
  description: 'Validates a lifecycle workflow input against the config and the catalog; returns the plan',
  env: { CATALOG_TABLE_NAME: envVar.name() },
  input: z.object({
    kind: z.enum(['onboarding', 'promotion', 'offboarding']),
    /** Validated by the plan of `kind` (domain/lifecycle/plan.ts). */
    input: z.unknown(),
  }),
  output: z.union([onboardingPlanSchema, promotionPlanSchema, offboardingPlanSchema]),
  grants: { catalog: { actions: ['dynamodb:GetItem'] } },
});
