import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../../../../domain/config';
import { tenantUserAttributes } from '../../../../domain/identity/claims';
import { TokenIssuanceRefusedError } from '../../../../domain/identity/errors';
import { cachedTenantLookup } from '../../../../domain/identity/tenant-lookup';
import type { Tenant } from '../../../../domain/tenant/tenant';
import { createPreTokenHandler } from '../../../../lambdas/pre-token-generation/handler';
import { defaultTenants } from '../../support/tokens';

function v2Event(userAttributes: Record<string, string>, clientMetadata: Record<string, string> = {}) {
  return {
    version: '2',
    triggerSource: 'TokenGeneration_Authentication',
    region: 'us-east-1',
    userPoolId: 'us-east-1_TestPool1',
    userName: 'alice',
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: 'testclient123' },
    request: {
      userAttributes,
      groupConfiguration: { groupsToOverride: [], iamRolesToOverride: [], preferredRole: null },
      scopes: ['openid'],
      clientMetadata,
    },
    response: { claimsAndScopeOverrideDetails: null },
  };
}

let reads = 0;
let now = 0;
const tenants = new Map(defaultTenants().map((t) => [t.tenantId, t]));

function handler() {
  return createPreTokenHandler({
    config: defaultConfig,
    tenants: cachedTenantLookup(
      async (id) => {
        reads++;
        return tenants.get(id) as Tenant | undefined;
      },
      60,
      () => now,
    ),
    logger: new Logger({ serviceName: 'pre-token-test', logLevel: 'CRITICAL' }),
  });
}

beforeEach(() => {
  reads = 0;
  now = 1_000_000;
});
afterEach(() => vi.restoreAllMocks());

describe('pre-token-generation (V2)', () => {
  it('adds tenant claims to both the ID and the access token', async () => {
    const result = await handler()(
      v2Event({
        sub: 's1',
        [tenantUserAttributes.tenantId]: 'initech',
        [tenantUserAttributes.tier]: 'enterprise',
      }),
    );

    const expected = {
      tenantId: 'initech',
      tier: 'enterprise',
      isolation: 'silo',
      route: 'silo:tenantry-dev-silo-initech',
      tenantStatus: 'ACTIVE',
    };
    expect(result.response.claimsAndScopeOverrideDetails).toEqual({
      idTokenGeneration: { claimsToAddOrOverride: expected },
      accessTokenGeneration: { claimsToAddOrOverride: expected },
    });
  });

  it('ignores what the client sent in clientMetadata', async () => {
    const result = await handler()(
      v2Event(
        { [tenantUserAttributes.tenantId]: 'acme', [tenantUserAttributes.tier]: 'pro' },
        { tenantId: 'globex', tier: 'enterprise' },
      ),
    );
    expect(
      result.response.claimsAndScopeOverrideDetails?.accessTokenGeneration.claimsToAddOrOverride,
    ).toMatchObject({
      tenantId: 'acme',
      tier: 'pro',
    });
  });

  it('reads the catalog once per tenant per TTL, not per sign-in', async () => {
    const h = handler();
    const e = v2Event({ [tenantUserAttributes.tenantId]: 'acme', [tenantUserAttributes.tier]: 'pro' });

    for (let i = 0; i < 10; i++) await h(e);
    now += 61_000;
    await h(e);

    expect(reads).toBe(2);
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
    [
      { [tenantUserAttributes.tenantId]: 'acme', [tenantUserAttributes.tier]: 'enterprise' },
      /custom:tier \(enterprise\) disagrees with the catalog \(pro\)/,
    ],
    [{ [tenantUserAttributes.tenantId]: 'acme' }, /custom:tier \(unset\) disagrees/],
  ])('refuses to issue tokens for %j', async (attributes, reason) => {
    const attempt = handler()(v2Event(attributes));
    await expect(attempt).rejects.toThrow(TokenIssuanceRefusedError);
    await expect(handler()(v2Event(attributes))).rejects.toThrow(reason);
  });

  it('rejects an event that is not a V2 pre-token event, naming the field', async () => {
    await expect(handler()({ version: '2', request: {} })).rejects.toThrow(
      /invalid pre-token-generation event: .*triggerSource/,
    );
  });
});
