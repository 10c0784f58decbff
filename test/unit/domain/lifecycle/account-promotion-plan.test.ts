import { describe, expect, it } from 'vitest';
import { ConfigurationError, ValidationError } from '../../../../domain/errors';
import { LifecyclePreconditionError } from '../../../../domain/lifecycle/errors';
import { planOffboarding, planPromotion } from '../../../../domain/lifecycle/plan';
import { newTenant, type Tenant, transition } from '../../../../domain/tenant/tenant';
import { accountConfig } from '../../support/account-config';

// Promotion silo → account (issue 15): what Validate plans and what it refuses.
const SILO = {
  stackId: 'arn:aws:cloudformation:eu-central-1:123456789012:stack/tenantry-dev-silo-acme/1',
  tableName: 'tenantry-dev-silo-data-acme',
  tableArn: 'arn:aws:dynamodb:eu-central-1:123456789012:table/tenantry-dev-silo-data-acme',
  kmsKeyArn: 'arn:aws:kms:eu-central-1:123456789012:key/0a1b2c3d-0000-4000-8000-000000000001',
};

function tenant(isolation: Tenant['isolation'], tier: string, extra: Partial<Tenant> = {}): Tenant {
  const t = transition(
    newTenant({ tenantId: 'acme', name: 'Acme', tier, isolation, region: 'eu-central-1' }),
    'ACTIVE',
  );
  return { ...t, ...(isolation === 'pool' ? {} : { silo: SILO }), ...extra };
}

describe('planning a promotion to an account tier', () => {
  it('plans silo → account with the silo the tenant leaves and the account to adopt', () => {
    // Prepare
    const from = tenant('silo', 'enterprise');

    // Act
    const plan = planPromotion(accountConfig, from, {
      tenantId: 'acme',
      targetTier: 'sovereign',
      accountId: '210987654321',
    });

    // Assess
    expect(plan).toEqual({
      tenantId: 'acme',
      fromTier: 'enterprise',
      toTier: 'sovereign',
      region: 'eu-central-1',
      stackName: 'tenantry-dev-silo-acme',
      version: from.version,
      isolation: 'account',
      collections: [],
      move: { direction: 'silo-to-account', collections: [] },
      fromSilo: SILO,
      accountId: '210987654321',
    });
  });

  it('keeps pool → silo as it was (isolation silo, no silo left behind)', () => {
    const plan = planPromotion(accountConfig, tenant('pool', 'pro', { region: 'us-east-1' }), {
      tenantId: 'acme',
      targetTier: 'enterprise',
    });
    expect(plan).toMatchObject({ isolation: 'silo', toTier: 'enterprise' });
    expect(plan).not.toHaveProperty('fromSilo');
  });

  it.each([
    [
      tenant('pool', 'pro', { region: 'us-east-1' }),
      'it is pooled: promote it to a silo tier first, then to tier "sovereign"',
    ],
    [tenant('account', 'sovereign', { accountId: '210987654321' }), 'it already has its own account'],
    [{ ...tenant('silo', 'enterprise'), silo: undefined }, 'it has no silo in the catalog'],
  ])('refuses a tenant that is not a silo tenant with its silo (%#)', (from, message) => {
    const act = () => planPromotion(accountConfig, from, { tenantId: 'acme', targetTier: 'sovereign' });
    expect(act).toThrow(LifecyclePreconditionError);
    expect(act).toThrow(message);
  });

  it('refuses an account to adopt with a silo target, and an account tier without accounts settings, naming them', () => {
    expect(() =>
      planPromotion(accountConfig, tenant('pool', 'pro', { region: 'us-east-1' }), {
        tenantId: 'acme',
        targetTier: 'enterprise',
        accountId: '210987654321',
      }),
    ).toThrow(
      new ValidationError('promotion input', [
        {
          field: 'accountId',
          message: '"210987654321" cannot be adopted: tier "enterprise" is silo, not account',
        },
      ]).message,
    );
    const noAccounts = { ...accountConfig, accounts: undefined };
    expect(() =>
      planPromotion(noAccounts, tenant('silo', 'enterprise'), { tenantId: 'acme', targetTier: 'sovereign' }),
    ).toThrow(ConfigurationError);
    // A pool tier is a demotion for a silo tenant (demotion-plan.test.ts); from an account it is not built.
    expect(() =>
      planPromotion(accountConfig, tenant('account', 'sovereign', { accountId: '210987654321' }), {
        tenantId: 'acme',
        targetTier: 'pro',
      }),
    ).toThrow(
      'tenant acme cannot be promoted: it has its own account: tier "pro" is pool, and account → pool is not built',
    );
  });

  it('offboards a silo tenant in the platform account even if the catalog recalls an account a rolled-back promotion closed', () => {
    const rolledBack = tenant('silo', 'enterprise', {
      accountId: '210987654321',
      accountStatus: 'SUSPENDED',
    });
    expect(planOffboarding(accountConfig, rolledBack, { tenantId: 'acme' }).accountId).toBeNull();
    const accountTenant = tenant('account', 'sovereign', { accountId: '210987654321' });
    expect(planOffboarding(accountConfig, accountTenant, { tenantId: 'acme' }).accountId).toBe(
      '210987654321',
    );
  });
});

describe('planning a promotion run again to resume an old silo flagged TEARDOWN_FAILED', () => {
  const NEW_SILO = {
    ...SILO,
    stackId: 'arn:aws:cloudformation:eu-central-1:210987654321:stack/tenantry-dev-silo-acme/2',
    tableArn: 'arn:aws:dynamodb:eu-central-1:210987654321:table/tenantry-dev-silo-data-acme',
  };
  const retired = (status: 'TEARDOWN_FAILED' | 'ERASED' | 'TEARDOWN_PENDING') => ({
    silo: SILO,
    region: 'eu-central-1',
    status,
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:tenantry-dev-promotion:run-1',
    verifiedAt: status === 'ERASED' ? '2026-12-01T00:00:00.000Z' : null,
    keyDeletionDate: null,
    remaining: status === 'ERASED' ? { siloStack: false, table: false, kmsKey: false } : null,
    error: status === 'TEARDOWN_FAILED' ? 'OldSiloDeleteSilo: InjectedFault: x' : null,
  });

  it.each([
    ['account', 'sovereign', 'silo-to-account', NEW_SILO],
    ['pool', 'pro', 'silo-to-pool', undefined],
  ] as const)(
    'an %s tenant to its own tier: only the old silo, nothing else moves',
    (isolation, tier, direction, silo) => {
      // Prepare
      const from = {
        ...tenant(isolation, tier, { retiredSilos: [retired('TEARDOWN_FAILED')] }),
        silo,
      };

      // Act
      const plan = planPromotion(accountConfig, from, { tenantId: 'acme', targetTier: tier });

      // Assess
      expect(plan).toEqual({
        tenantId: 'acme',
        fromTier: tier,
        toTier: tier,
        isolation,
        collections: [],
        move: { direction, collections: [] },
        region: 'eu-central-1',
        stackName: 'tenantry-dev-silo-acme',
        version: from.version,
        fromSilo: SILO,
        resumeRetirement: true,
      });
    },
  );

  it.each(['ERASED', 'TEARDOWN_PENDING'] as const)(
    'a retired silo %s is not resumed: the run to the same tier is refused as before',
    (status) => {
      const from = { ...tenant('account', 'sovereign', { retiredSilos: [retired(status)] }), silo: NEW_SILO };
      expect(() => planPromotion(accountConfig, from, { tenantId: 'acme', targetTier: 'sovereign' })).toThrow(
        LifecyclePreconditionError,
      );
    },
  );

  it('refuses it for a tenant served from a platform silo again (same stack name), and an account id in the input', () => {
    // Prepare
    const siloAgain = tenant('silo', 'enterprise', { retiredSilos: [retired('TEARDOWN_FAILED')] });
    const account = {
      ...tenant('account', 'sovereign', { retiredSilos: [retired('TEARDOWN_FAILED')] }),
      silo: NEW_SILO,
    };

    // Act / Assess
    expect(() =>
      planPromotion(accountConfig, siloAgain, { tenantId: 'acme', targetTier: 'enterprise' }),
    ).toThrow(/an operator deletes it/);
    expect(() =>
      planPromotion(accountConfig, account, {
        tenantId: 'acme',
        targetTier: 'sovereign',
        accountId: '210987654321',
      }),
    ).toThrow(ValidationError);
  });
});
