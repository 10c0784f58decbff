import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../domain/config';
import { offboardingFreezeSeconds, writeFreezeSeconds } from '../../../../domain/lifecycle/write-freeze';

describe('writeFreezeSeconds', () => {
  it('outlasts the longest authorizer result cache the stack accepts and the catalog cache (30 s), with a margin', () => {
    // default config: 1-minute step → plan-limit cache 30 s, result cache at most 60 - 30 = 30 s
    expect(writeFreezeSeconds(defaultConfig)).toBe(30 + 30 + 5);
    // 5-minute step → plan-limit cache 150 s, result cache at most 300 - 150 = 150 s (default 60, may be raised)
    const slowSteps = { ...defaultConfig, metering: { ...defaultConfig.metering, cumulativeStepMinutes: 5 } };
    expect(writeFreezeSeconds(slowSteps)).toBe(150 + 30 + 5);
  });
});

describe('offboardingFreezeSeconds', () => {
  it('adds the 900 s lifetime of vended tenant credentials to the promotion freeze', () => {
    // Prepare / Act / Assess
    expect(offboardingFreezeSeconds(defaultConfig)).toBe(30 + 30 + 5 + 900);
  });
});
