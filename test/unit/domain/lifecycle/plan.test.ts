import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../domain/config';
import { ValidationError } from '../../../../domain/errors';
import { LifecyclePreconditionError } from '../../../../domain/lifecycle/errors';
import { planOffboarding, planOnboarding, planPromotion } from '../../../../domain/lifecycle/plan';
import { newTenant, type Tenant, transition } from '../../../../domain/tenant/tenant';

describe('planning', () => {
  const tenant = (status: Tenant['status'], isolation: Tenant['isolation'] = 'pool'): Tenant => {
    let t = newTenant({ tenantId: 'acme', name: 'Acme', tier: 'pro', isolation, region: 'us-east-1' });
    if (status !== 'PENDING') t = transition(t, 'ACTIVE');
    if (status === 'SUSPENDED') t = transition(t, 'SUSPENDED');
    if (status === 'MIGRATING') t = transition(t, 'MIGRATING');
    return t;
  };

  it('plans an onboarding from the configuration (isolation, names, lower-cased email)', () => {
    const plan = planOnboarding(defaultConfig, {
      tenantId: 'rhein',
      name: ' Rheinbank ',
      tier: 'enterprise',
      adminEmail: 'Ops@Rhein.example',
    });
    expect(plan).toEqual({
      tenantId: 'rhein',
      name: 'Rheinbank',
      tier: 'enterprise',
      isolation: 'silo',
      region: 'us-east-1',
      adminEmail: 'ops@rhein.example',
      groupName: 'tenant-rhein',
      stackName: 'tenantry-dev-silo-rhein',
    });
  });

  it.each([
    [{ name: 'A', tier: 'pro', adminEmail: 'a@b.example' }, 'tenantId: tenantId is required'],
    [
      { tenantId: 'Bad_Id', name: 'A', tier: 'pro', adminEmail: 'a@b.example' },
      'tenantId: must be 3-40 characters',
    ],
    [{ tenantId: 'acme', name: '  ', tier: 'pro', adminEmail: 'a@b.example' }, 'name: must not be empty'],
    [
      { tenantId: 'acme', name: 'A', tier: 'gold', adminEmail: 'a@b.example' },
      'tier: unknown tier "gold" (known: starter (pool)',
    ],
    [
      { tenantId: 'acme', name: 'A', tier: 'pro', adminEmail: 'not-an-email' },
      'adminEmail: must be an email address',
    ],
    [
      { tenantId: 'acme', name: 'A', tier: 'pro', adminEmail: 'a@b.example', region: 'eu-central-1' },
      'region: "eu-central-1" is not allowed for pool tenants',
    ],
  ])('rejects bad onboarding input %j naming the field', (input, message) => {
    expect(() => planOnboarding(defaultConfig, input)).toThrow(ValidationError);
    expect(() => planOnboarding(defaultConfig, input)).toThrow(message);
  });

  it('promotes only an ACTIVE pooled tenant to a silo tier', () => {
    expect(
      planPromotion(defaultConfig, tenant('ACTIVE'), { tenantId: 'acme', targetTier: 'enterprise' }),
    ).toMatchObject({
      fromTier: 'pro',
      toTier: 'enterprise',
      stackName: 'tenantry-dev-silo-acme',
      version: 0,
    });
    expect(() =>
      planPromotion(defaultConfig, tenant('ACTIVE'), { tenantId: 'acme', targetTier: 'business' }),
    ).toThrow('tier "business" is pooled');
    expect(() =>
      planPromotion(defaultConfig, tenant('SUSPENDED'), { tenantId: 'acme', targetTier: 'enterprise' }),
    ).toThrow(LifecyclePreconditionError);
    expect(() =>
      planPromotion(defaultConfig, tenant('ACTIVE', 'silo'), { tenantId: 'acme', targetTier: 'enterprise' }),
    ).toThrow('already has a silo');
  });

  it('offboards from ACTIVE, SUSPENDED, FAILED or an interrupted OFFBOARDING, not from PENDING or MIGRATING', () => {
    expect(planOffboarding(defaultConfig, tenant('SUSPENDED'), { tenantId: 'acme' }).reason).toBe(
      'offboarding requested',
    );
    expect(() => planOffboarding(defaultConfig, tenant('PENDING'), { tenantId: 'acme' })).toThrow(
      'it is PENDING',
    );
    expect(() => planOffboarding(defaultConfig, tenant('MIGRATING'), { tenantId: 'acme' })).toThrow(
      'it is MIGRATING',
    );
  });
});
