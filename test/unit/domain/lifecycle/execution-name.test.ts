import { describe, expect, it } from 'vitest';
import {
  offboardingExecutionName,
  onboardingExecutionName,
  promotionExecutionName,
} from '../../../../domain/lifecycle/execution-name';

describe('promotion and offboarding execution names', () => {
  it('are fixed per tenant and catalog version', () => {
    expect(promotionExecutionName('acme', 7)).toBe('promote-acme-v7');
    expect(offboardingExecutionName('acme', 7)).toBe('offboard-acme-v7');
    expect(promotionExecutionName('acme', 8)).not.toBe(promotionExecutionName('acme', 7));
  });
});

describe('onboardingExecutionName', () => {
  const signup = { tenantId: 'acme', name: 'Acme', tier: 'pro', adminEmail: 'a@acme.example' };
  it('is the same for the same signup and differs for another signup of the same tenant', () => {
    const name = onboardingExecutionName(signup);
    expect(name).toMatch(/^onboard-acme-[0-9a-f]{12}$/);
    expect(onboardingExecutionName({ ...signup })).toBe(name);
    expect(onboardingExecutionName({ ...signup, tier: 'starter' })).not.toBe(name);
    expect(onboardingExecutionName({ tenantId: 'Not Valid!' })).toMatch(/^onboard-invalid-[0-9a-f]{12}$/);
  });
});
