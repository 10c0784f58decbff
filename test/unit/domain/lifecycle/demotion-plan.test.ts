import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../domain/config';
import { ValidationError } from '../../../../domain/errors';
import { LifecyclePreconditionError } from '../../../../domain/lifecycle/errors';
import { promotionPlanSchema } from '../../../../domain/lifecycle/inputs';
import { planPromotion } from '../../../../domain/lifecycle/plan';
import { newTenant, type Tenant, transition } from '../../../../domain/tenant/tenant';

// The demotion silo → pool (`tenantry promote ID --to <pool tier>` on a silo tenant): what Validate plans
// and what it refuses.
const SILO = {
  stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/tenantry-dev-silo-acme/1',
  tableName: 'tenantry-dev-silo-data-acme',
  tableArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/tenantry-dev-silo-data-acme',
  kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-0000-4000-8000-000000000001',
};

function siloTenant(extra: Partial<Tenant> = {}): Tenant {
  const t = transition(
    newTenant({ tenantId: 'acme', name: 'Acme', tier: 'enterprise', isolation: 'silo', region: 'us-east-1' }),
    'ACTIVE',
  );
  return { ...t, silo: SILO, ...extra };
}

describe('planning the demotion of a silo tenant to a pool tier', () => {
  it('plans silo-to-pool with the silo it leaves and no dedicated collection for a tier naming none', () => {
    // Act
    const plan = planPromotion(defaultConfig, siloTenant(), { tenantId: 'acme', targetTier: 'pro' });

    // Assess
    expect(promotionPlanSchema.parse(plan)).toEqual({
      tenantId: 'acme',
      fromTier: 'enterprise',
      toTier: 'pro',
      isolation: 'pool',
      collections: [],
      move: { direction: 'silo-to-pool', collections: [] },
      region: 'us-east-1',
      stackName: 'tenantry-dev-silo-acme',
      version: 0,
      fromSilo: SILO,
    });
  });

  it("routes the items by the TARGET tier's dedicated collections (business: documents)", () => {
    // Act
    const plan = planPromotion(defaultConfig, siloTenant(), { tenantId: 'acme', targetTier: 'business' });

    // Assess
    expect(plan).toMatchObject({
      toTier: 'business',
      isolation: 'pool',
      move: { direction: 'silo-to-pool', collections: ['documents'] },
      fromSilo: SILO,
    });
  });

  it.each([
    [
      siloTenant({ status: 'SUSPENDED' }),
      'pro',
      'tenant acme cannot be promoted: it is SUSPENDED, not ACTIVE',
    ],
    [
      siloTenant({ status: 'MIGRATING' }),
      'pro',
      'tenant acme cannot be promoted: it is MIGRATING, not ACTIVE',
    ],
    [siloTenant({ silo: undefined }), 'pro', 'tenant acme cannot be promoted: it has no silo in the catalog'],
  ])(
    'refuses a tenant that is not an ACTIVE silo tenant with its silo (%#), naming why',
    (from, to, message) => {
      const act = () => planPromotion(defaultConfig, from, { tenantId: 'acme', targetTier: to });
      expect(act).toThrow(LifecyclePreconditionError);
      expect(act).toThrow(message);
    },
  );

  it('refuses a silo tenant outside the primary region (its data stays there), naming the region', () => {
    // Prepare
    const inEu = siloTenant({ region: 'eu-central-1' });

    // Act
    const act = () => planPromotion(defaultConfig, inEu, { tenantId: 'acme', targetTier: 'business' });

    // Assess
    expect(act).toThrow(
      new ValidationError('promotion input', [
        {
          field: 'targetTier',
          message:
            '"business" is a pool tier, served from us-east-1 only; tenant acme is in "eu-central-1" and its data stays there',
        },
      ]).message,
    );
  });

  it('refuses an unknown tier, the tier it is on, and another silo tier, naming the value', () => {
    expect(() =>
      planPromotion(defaultConfig, siloTenant(), { tenantId: 'acme', targetTier: 'gold' }),
    ).toThrow('targetTier: unknown tier "gold"');
    expect(() =>
      planPromotion(defaultConfig, siloTenant(), { tenantId: 'acme', targetTier: 'enterprise' }),
    ).toThrow('tenant acme cannot be promoted: it already has a silo');
  });
});
