import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../domain/config';
import { ConfigurationError } from '../../../../domain/errors';
import { quotaExhaustedKeyValue, usagePlanKeyValue } from '../../../../domain/identity/usage-plans';

describe('usage-plan key values', () => {
  it('derive the tier keys and the quota-exhausted key from the configuration the same way', () => {
    expect(usagePlanKeyValue(defaultConfig, 'pro')).toBe('tenantry-dev-usage-plan-pro-apikey');
    expect(quotaExhaustedKeyValue(defaultConfig)).toBe('tenantry-dev-usage-plan-quota-exhausted-apikey');
  });

  it('refuse a tier named like the quota-exhausted plan (the keys would collide)', () => {
    const first = defaultConfig.tiers[0] as (typeof defaultConfig.tiers)[number];
    const config = {
      ...defaultConfig,
      tiers: [...defaultConfig.tiers, { ...first, name: 'quota-exhausted' }],
    };

    expect(() => quotaExhaustedKeyValue(config)).toThrow(ConfigurationError);
    expect(() => quotaExhaustedKeyValue(config)).toThrow(/tiers: "quota-exhausted" is reserved/);
  });
});
