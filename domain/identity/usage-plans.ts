import { resourceName, type TenantryConfig } from '../config';
import { ConfigurationError } from '../errors';

/**
 * The name (inside `<product>-<stage>-usage-plan-…`) of the stage's "quota-exhausted" usage plan:
 * throttle rate 0 and burst 0, so API Gateway itself answers 429 to every request it identifies
 * (see `quotaExhaustedKeyValue`). It shares the tier plans' naming, so no tier may take this name.
 */
export const QUOTA_EXHAUSTED_PLAN = 'quota-exhausted';

/**
 * The API key value of a tier's usage plan. With `apiKeySource: AUTHORIZER` clients never send API
 * keys: the authorizer returns this value as `usageIdentifierKey` and API Gateway applies the
 * tier's throttle and quota. The value identifies a plan, it grants nothing, so deriving it from
 * the configuration is safe — and keeps CDK and the authorizer in agreement without a secret store.
 */
export function usagePlanKeyValue(config: TenantryConfig, tier: string): string {
  return planKeyValue(config, tier);
}

/**
 * The API key value of the quota-exhausted usage plan: the authorizer returns it as
 * `usageIdentifierKey` (with an Allow policy, a `planLimit: exceeded` context and no credentials)
 * for a tenant over its plan limit, and the identity stack creates the plan and key from it.
 * Throws `ConfigurationError` if a tier is named like this plan (the two keys would collide).
 */
export function quotaExhaustedKeyValue(config: TenantryConfig): string {
  if (config.tiers.some((t) => t.name === QUOTA_EXHAUSTED_PLAN)) {
    throw new ConfigurationError([
      { field: 'tiers', message: `"${QUOTA_EXHAUSTED_PLAN}" is reserved for the plan-limit usage plan` },
    ]);
  }
  return planKeyValue(config, QUOTA_EXHAUSTED_PLAN);
}

/** The one definition of a usage plan's key value. */
function planKeyValue(config: TenantryConfig, plan: string): string {
  return `${resourceName(config, `usage-plan-${plan}`)}-apikey`;
}
