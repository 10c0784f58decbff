import { resourceName, type TenantryConfig } from '../config';

/**
 * The API key value of a tier's usage plan. With `apiKeySource: AUTHORIZER` clients never send API
 * keys: the authorizer returns this value as `usageIdentifierKey` and API Gateway applies the
 * tier's throttle and quota. The value identifies a plan, it grants nothing, so deriving it from
 * the configuration is safe — and keeps CDK and the authorizer in agreement without a secret store.
 */
export function usagePlanKeyValue(config: TenantryConfig, tier: string): string {
  return `${resourceName(config, `usage-plan-${tier}`)}-apikey`;
}
