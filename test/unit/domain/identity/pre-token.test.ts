import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../domain/config';
import { tenantUserAttributes } from '../../../../domain/identity/claims';
import { TokenIssuanceRefusedError } from '../../../../domain/identity/errors';
import { tenantClaimsOverride } from '../../../../domain/identity/pre-token';
import { defaultTenants } from '../../support/tokens';

const catalog = new Map(defaultTenants().map((t) => [t.tenantId, t]));
const lookup = async (tenantId: string) => catalog.get(tenantId);

describe('tenantClaimsOverride', () => {
  it('adds the same tenant claims to the ID and the access token', async () => {
    const override = await tenantClaimsOverride(defaultConfig, lookup, {
      [tenantUserAttributes.tenantId]: 'acme',
      [tenantUserAttributes.tier]: 'pro',
    });

    const expected = {
      tenantId: 'acme',
      tier: 'pro',
      isolation: 'pool',
      route: 'pool',
      tenantStatus: 'ACTIVE',
    };
    expect(override).toEqual({
      idTokenGeneration: { claimsToAddOrOverride: expected },
      accessTokenGeneration: { claimsToAddOrOverride: expected },
    });
  });

  it("issues the catalog's tier and route to a user whose custom:tier differs, and reports the drift", async () => {
    // Prepare: the catalog moved initech to enterprise (silo); its user still says pro
    const drifts: unknown[] = [];

    // Act
    const override = await tenantClaimsOverride(
      defaultConfig,
      lookup,
      { [tenantUserAttributes.tenantId]: 'initech', [tenantUserAttributes.tier]: 'pro' },
      (drift) => drifts.push(drift),
    );

    // Assess
    const expected = {
      tenantId: 'initech',
      tier: 'enterprise',
      isolation: 'silo',
      route: 'silo:tenantry-dev-silo-initech',
      tenantStatus: 'ACTIVE',
    };
    expect(override).toEqual({
      idTokenGeneration: { claimsToAddOrOverride: { ...expected, 'custom:tier': 'enterprise' } },
      accessTokenGeneration: { claimsToAddOrOverride: expected },
    });
    expect(drifts).toEqual([{ tenantId: 'initech', userTier: 'pro', catalogTier: 'enterprise' }]);
  });

  it('reports no drift when the user is on the catalog tier', async () => {
    const drifts: unknown[] = [];

    await tenantClaimsOverride(
      defaultConfig,
      lookup,
      { [tenantUserAttributes.tenantId]: 'acme', [tenantUserAttributes.tier]: 'pro' },
      (drift) => drifts.push(drift),
    );

    expect(drifts).toEqual([]);
  });

  it.each([
    [{ [tenantUserAttributes.tier]: 'pro' }, /no custom:tenantId attribute/],
    [
      { [tenantUserAttributes.tenantId]: 'Not*Valid', [tenantUserAttributes.tier]: 'pro' },
      /not a valid tenant id/,
    ],
    [
      { [tenantUserAttributes.tenantId]: 'nobody', [tenantUserAttributes.tier]: 'pro' },
      /tenant is not in the catalog/,
    ],
    [{ [tenantUserAttributes.tenantId]: 'gone', [tenantUserAttributes.tier]: 'pro' }, /tenant is OFFBOARDED/],
    [{ [tenantUserAttributes.tenantId]: 'broken', [tenantUserAttributes.tier]: 'pro' }, /tenant is FAILED/],
    [{ [tenantUserAttributes.tenantId]: 'acme' }, /user has no custom:tier attribute/],
    [{ [tenantUserAttributes.tenantId]: 'acme', [tenantUserAttributes.tier]: '' }, /no custom:tier/],
  ])('refuses to issue tokens for %j', async (attributes, reason) => {
    const attempt = tenantClaimsOverride(defaultConfig, lookup, attributes);

    await expect(attempt).rejects.toThrow(TokenIssuanceRefusedError);
    await expect(attempt).rejects.toThrow(reason);
  });
});
