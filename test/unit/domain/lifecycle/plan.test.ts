import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../domain/config';
import { ValidationError } from '../../../../domain/errors';
import { LifecyclePreconditionError } from '../../../../domain/lifecycle/errors';
import { planOffboarding, planOnboarding, planPromotion } from '../../../../domain/lifecycle/plan';
import { newTenant, type Tenant, transition } from '../../../../domain/tenant/tenant';
import { accountConfig } from '../../support/account-config';

describe('planning', () => {
  const tenant = (
    status: Tenant['status'],
    isolation: Tenant['isolation'] = 'pool',
    region = 'us-east-1',
  ): Tenant => {
    let t = newTenant({ tenantId: 'acme', name: 'Acme', tier: 'pro', isolation, region });
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

  it('plans an account tenant in an allowed silo region, adopting the account given at signup', () => {
    // Act
    const plan = planOnboarding(accountConfig, {
      tenantId: 'rhein',
      name: 'Rheinbank',
      tier: 'sovereign',
      adminEmail: 'ops@rhein.example',
      region: 'eu-central-1',
      accountId: '210987654321',
    });

    // Assess
    expect(plan).toMatchObject({ isolation: 'account', region: 'eu-central-1', accountId: '210987654321' });
  });

  it('plans an account tenant without an account id (Organizations creates one)', () => {
    // Act
    const plan = planOnboarding(accountConfig, {
      tenantId: 'rhein',
      name: 'Rheinbank',
      tier: 'sovereign',
      adminEmail: 'ops@rhein.example',
    });

    // Assess
    expect(plan.isolation).toBe('account');
    expect(plan).not.toHaveProperty('accountId');
  });

  it.each([
    [
      {
        tenantId: 'acme',
        name: 'A',
        tier: 'enterprise',
        adminEmail: 'a@b.example',
        accountId: '210987654321',
      },
      'accountId: "210987654321" cannot be adopted: tier "enterprise" is silo, not account',
    ],
    [
      { tenantId: 'acme', name: 'A', tier: 'sovereign', adminEmail: 'a@b.example', accountId: '1234' },
      'accountId: must be a 12-digit AWS account id',
    ],
    [
      { tenantId: 'acme', name: 'A', tier: 'sovereign', adminEmail: 'a@b.example', region: 'ap-south-1' },
      'region: "ap-south-1" is not allowed for account tenants',
    ],
  ])('rejects account onboarding input %j naming the field and the value', (input, message) => {
    expect(() => planOnboarding(accountConfig, input)).toThrow(message);
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

  const documentsTable = {
    collection: 'documents',
    tableName: 'tenantry-dev-collection-acme.documents',
    tableArn: 'arn:aws:dynamodb:us-east-1:111122223333:table/tenantry-dev-collection-acme.documents',
  };
  const business = (): Tenant => ({ ...tenant('ACTIVE'), tier: 'business', collections: [documentsTable] });

  it('promotes only an ACTIVE pooled tenant, to a silo tier or another pool tier', () => {
    expect(
      planPromotion(defaultConfig, tenant('ACTIVE'), { tenantId: 'acme', targetTier: 'enterprise' }),
    ).toMatchObject({
      fromTier: 'pro',
      toTier: 'enterprise',
      isolation: 'silo',
      collections: [],
      move: { direction: 'pool-to-silo', collections: [] },
      stackName: 'tenantry-dev-silo-acme',
      version: 0,
    });
    expect(() =>
      planPromotion(defaultConfig, tenant('SUSPENDED'), { tenantId: 'acme', targetTier: 'enterprise' }),
    ).toThrow(LifecyclePreconditionError);
    expect(() =>
      planPromotion(defaultConfig, tenant('ACTIVE', 'silo'), { tenantId: 'acme', targetTier: 'enterprise' }),
    ).toThrow('already has a silo');
  });

  it("moves a business tenant's collection tables into its silo with its pooled items", () => {
    // Act
    const plan = planPromotion(defaultConfig, business(), { tenantId: 'acme', targetTier: 'enterprise' });

    // Assess: the rollback records the tables again; the move reads them after the pool
    expect(plan).toMatchObject({
      fromTier: 'business',
      isolation: 'silo',
      collections: [documentsTable],
      move: { direction: 'pool-to-silo', collections: ['documents'] },
    });
  });

  it('changes tier within the pool: pro → business moves documents out of the pool, business → pro back', () => {
    // Act
    const up = planPromotion(defaultConfig, tenant('ACTIVE'), { tenantId: 'acme', targetTier: 'business' });
    const down = planPromotion(defaultConfig, business(), { tenantId: 'acme', targetTier: 'pro' });
    const sideways = planPromotion(defaultConfig, tenant('ACTIVE'), {
      tenantId: 'acme',
      targetTier: 'starter',
    });

    // Assess
    expect(up).toMatchObject({
      toTier: 'business',
      isolation: 'pool',
      collections: [],
      move: { direction: 'pool-to-collections', collections: ['documents'] },
    });
    expect(down).toMatchObject({
      toTier: 'pro',
      isolation: 'pool',
      collections: [documentsTable],
      move: { direction: 'collections-to-pool', collections: ['documents'] },
    });
    expect(sideways.move).toEqual({ direction: 'pool-to-collections', collections: [] });
  });

  it.each([
    ['pro', 'pro', 'targetTier: "pro": tenant acme is already on that tier'],
    ['pro', 'platinum', 'targetTier: unknown tier "platinum"'],
  ])('refuses a change from %s to %s, naming the field and the value', (from, to, message) => {
    const refused = () =>
      planPromotion(defaultConfig, { ...tenant('ACTIVE'), tier: from }, { tenantId: 'acme', targetTier: to });
    expect(refused).toThrow(ValidationError);
    expect(refused).toThrow(message);
  });

  it('refuses a pool tier that both adds and drops dedicated collections, naming targetTier', () => {
    // Prepare: a tier dedicating "invoices" only, while the tenant has a documents table
    const config = {
      ...defaultConfig,
      tiers: [
        ...defaultConfig.tiers,
        { ...defaultConfig.tiers[0], name: 'ledger', dedicatedCollections: ['invoices'] },
      ],
    } as typeof defaultConfig;

    // Act
    const refused = () => planPromotion(config, business(), { tenantId: 'acme', targetTier: 'ledger' });

    // Assess
    expect(refused).toThrow(
      'invalid promotion input: targetTier: "ledger" dedicates invoices and drops documents',
    );
  });

  it("places a promoted tenant's silo in its recorded region, only if silos are still allowed there", () => {
    // Act / Assess
    expect(
      planPromotion(defaultConfig, tenant('ACTIVE', 'pool', 'eu-central-1'), {
        tenantId: 'acme',
        targetTier: 'enterprise',
      }).region,
    ).toBe('eu-central-1');
    const refused = () =>
      planPromotion(defaultConfig, tenant('ACTIVE', 'pool', 'ap-south-1'), {
        tenantId: 'acme',
        targetTier: 'enterprise',
      });
    expect(refused).toThrow(ValidationError);
    expect(refused).toThrow(
      'invalid promotion input: region: tenant acme is in "ap-south-1", which is not allowed for silo tenants (allowed: us-east-1, eu-central-1)',
    );
  });

  it("offboards a silo in the tenant's recorded region", () => {
    expect(
      planOffboarding(defaultConfig, tenant('ACTIVE', 'silo', 'eu-central-1'), { tenantId: 'acme' }),
    ).toMatchObject({ region: 'eu-central-1', stackName: 'tenantry-dev-silo-acme' });
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
