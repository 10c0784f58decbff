import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../domain/config';
import { type AuthorizerDecision, authorizerRequestFrom } from '../../../../domain/identity/authorizer';
import { authorizerResultContext, credentialContextKeys } from '../../../../domain/identity/request-context';
import { siloTableName } from '../../../../domain/lifecycle/silo';
import {
  accessClaims,
  CLIENT_ID,
  fakeCredentials,
  harness,
  hs256WithPublicKey,
  idClaims,
  newSigningKey,
  STAGE_ARN,
  signRs256,
  unsigned,
} from '../../support/tokens';

const key = newSigningKey();
const otherKey = newSigningKey(key.kid); // same kid, different key pair
const sts = mockClient(STSClient);
let issued = 0;

beforeEach(() => {
  sts.reset();
  issued = 0;
  sts.on(AssumeRoleCommand).callsFake(async () => fakeCredentials(++issued));
});

const GET = `${STAGE_ARN}/GET/documents`;
const POST = `${STAGE_ARN}/POST/documents`;

function decide(
  authorization: string | undefined,
  options: { tokenUse?: 'access' | 'id'; methodArn?: string; claimed?: string[] } = {},
  h = harness({ key, ...(options.tokenUse ? { tokenUse: options.tokenUse } : {}) }),
): Promise<AuthorizerDecision> {
  return h.authorizer.decide({
    authorization,
    methodArn: options.methodArn ?? GET,
    claimedTenantIds: options.claimed ?? [],
  });
}

const bearer = (token: string) => `Bearer ${token}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

function expectUnauthorized(decision: AuthorizerDecision, reason: RegExp) {
  expect(decision.kind).toBe('unauthorized');
  expect(decision.kind === 'unauthorized' ? decision.reason : '').toMatch(reason);
  expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
}

/** No credential field may appear in the API Gateway context of a non-allow decision. */
function expectNoCredentials(decision: AuthorizerDecision) {
  expect('credentials' in decision).toBe(false);
  for (const key of Object.values(credentialContextKeys)) {
    expect(authorizerResultContext(decision)).not.toHaveProperty(key);
  }
  expect(JSON.stringify(decision)).not.toMatch(/fake-secret-access-key|fake-session-token|ASIAFAKEKEY/);
}

describe('authorizerRequestFrom (the REQUEST authorizer event)', () => {
  it('reads the Authorization header whatever its case, and the method ARN', () => {
    for (const name of ['Authorization', 'authorization', 'AUTHORIZATION']) {
      expect(authorizerRequestFrom({ methodArn: GET, headers: { [name]: 'Bearer t' } })).toEqual({
        authorization: 'Bearer t',
        methodArn: GET,
        claimedTenantIds: [],
      });
    }
    expect(authorizerRequestFrom({ methodArn: GET, headers: null }).authorization).toBeUndefined();
  });

  it('collects the tenants the caller names in X-Tenant-Id and ?tenantId, ignoring empty ones', () => {
    const request = authorizerRequestFrom({
      methodArn: GET,
      headers: { 'X-Tenant-Id': 'globex' },
      queryStringParameters: { tenantId: 'initech' },
    });
    const empty = authorizerRequestFrom({
      methodArn: GET,
      headers: { 'x-tenant-id': '' },
      queryStringParameters: null,
    });

    expect(request.claimedTenantIds).toEqual(['globex', 'initech']);
    expect(empty.claimedTenantIds).toEqual([]);
  });
});

describe('a valid token', () => {
  it('is allowed, with the tenant context, the tier usage-plan key and a stage-scoped policy', async () => {
    const decision = await decide(bearer(signRs256(key, accessClaims())));

    expect(decision.kind).toBe('allow');
    if (decision.kind !== 'allow') return;
    expect(decision.tenantId).toBe('acme');
    expect(decision.context).toEqual({
      tenantId: 'acme',
      tier: 'pro',
      route: 'pool',
      accessLevel: 'read-write',
    });
    expect(decision.credentials.accessKeyId).toBe('ASIAFAKEKEY1');
    expect(authorizerResultContext(decision)).toMatchObject({
      tenantAccessKeyId: 'ASIAFAKEKEY1',
      tenantSecretAccessKey: 'fake-secret-access-key-1',
      tenantSessionToken: 'fake-session-token-1',
    });
    // The decision itself serialises without secrets (credentials redact themselves).
    expect(JSON.stringify(decision)).not.toMatch(/fake-secret-access-key|fake-session-token/);
    expect(decision.usageIdentifierKey).toBe('tenantry-dev-usage-plan-pro-apikey');
    expect(decision.policy.Statement).toEqual([
      { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: [`${STAGE_ARN}/*`] },
    ]);
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input.Tags).toContainEqual({
      Key: 'tenantId',
      Value: 'acme',
    });
  });

  it('routes a silo tenant to its silo and vends credentials for its silo table', async () => {
    const decision = await decide(
      bearer(signRs256(key, accessClaims({ tenantId: 'initech', tier: 'enterprise' }))),
    );

    expect(decision.kind === 'allow' && decision.route).toBe('silo:tenantry-dev-silo-initech');
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input.Policy).toContain(
      `table/${siloTableName(defaultConfig, 'initech')}`,
    );
  });

  it('is accepted as an ID token when the API is configured for ID tokens (custom:tenantId)', async () => {
    const decision = await decide(bearer(signRs256(key, idClaims())), { tokenUse: 'id' });
    expect(decision.kind === 'allow' && decision.tenantId).toBe('acme');
  });
});

describe('each invalid token is denied (401)', () => {
  it('signed with another key', async () => {
    expectUnauthorized(
      await decide(bearer(signRs256(otherKey, accessClaims()))),
      /^token rejected: JwtInvalidSignatureError$/,
    );
  });

  it('alg: none', async () => {
    expectUnauthorized(await decide(bearer(unsigned(key, accessClaims()))), /token (rejected|is not)/);
  });

  it('HS256 signed with the public key', async () => {
    expectUnauthorized(await decide(bearer(hs256WithPublicKey(key, accessClaims()))), /token rejected/);
  });

  it('expired', async () => {
    const token = signRs256(key, accessClaims({ iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 }));
    expectUnauthorized(await decide(bearer(token)), /^token rejected: JwtExpiredError$/);
  });

  it('not yet valid', async () => {
    const token = signRs256(key, accessClaims({ nbf: nowSeconds() + 3600 }));
    expectUnauthorized(await decide(bearer(token)), /^token rejected: JwtNotBeforeError$/);
  });

  it('from another issuer (user pool)', async () => {
    const token = signRs256(
      key,
      accessClaims({ iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OtherPool' }),
    );
    expectUnauthorized(await decide(bearer(token)), /^token rejected: UnknownIssuerError$/);
  });

  it('for another client', async () => {
    expectUnauthorized(
      await decide(bearer(signRs256(key, accessClaims({ client_id: 'someoneelse' })))),
      /^token rejected: CognitoJwtInvalidClientIdError$/,
    );
  });

  it('an ID token where an access token is required', async () => {
    expectUnauthorized(
      await decide(bearer(signRs256(key, idClaims()))),
      /^token rejected: CognitoJwtInvalidTokenUseError$/,
    );
  });

  it('an access token where an ID token is required', async () => {
    expectUnauthorized(
      await decide(bearer(signRs256(key, accessClaims())), { tokenUse: 'id' }),
      /^token rejected: CognitoJwtInvalidTokenUseError$/,
    );
  });

  it('with a reason that names the error class only, never a value from the token', async () => {
    const evilIssuer = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EvilPool9';
    const decisions = [
      await decide(bearer(signRs256(key, accessClaims({ iss: evilIssuer })))),
      await decide(bearer(signRs256(key, accessClaims({ client_id: 'leakyclient42' })))),
      await decide(bearer(signRs256(key, accessClaims({ token_use: 'weird-use-77' })))),
    ];

    const reasons = decisions.map((d) => (d.kind === 'unauthorized' ? d.reason : d.kind));
    expect(reasons).toEqual([
      'token rejected: UnknownIssuerError',
      'token rejected: CognitoJwtInvalidClientIdError',
      'token rejected: CognitoJwtInvalidTokenUseError',
    ]);
    for (const value of ['EvilPool9', 'leakyclient42', 'weird-use-77', CLIENT_ID]) {
      expect(JSON.stringify(decisions)).not.toContain(value);
    }
  });

  it('without a tenant claim', async () => {
    expectUnauthorized(
      await decide(bearer(signRs256(key, accessClaims({ tenantId: undefined })))),
      /no tenant claim/,
    );
  });

  it('whose two tenant claims disagree', async () => {
    const token = signRs256(key, idClaims({ tenantId: 'globex' }));
    expectUnauthorized(await decide(bearer(token), { tokenUse: 'id' }), /disagree/);
  });

  it.each([
    ['Basic dXNlcjpwYXNz', /not "Bearer <token>"/],
    ['Bearer not-a-jwt', /not a compact JWT/],
    ['Bearer a.b.c d', /not "Bearer <token>"/],
    ['eyJhbGciOi.eyJzdWIi.sig', /not "Bearer <token>"/],
  ])('with a malformed Authorization header %j', async (header, reason) => {
    expectUnauthorized(await decide(header), reason);
  });

  it.each([[undefined], [''], ['Bearer '], ['Bearer    ']])('with an empty token %j', async (header) => {
    expectUnauthorized(await decide(header), /no Authorization header|empty bearer token/);
  });

  it('oversized', async () => {
    const token = signRs256(key, accessClaims({ padding: 'x'.repeat(10_000) }));
    expectUnauthorized(await decide(bearer(token)), /longer than 8192/);
  });
});

describe('tenant status gate', () => {
  it.each(['pending', 'suspended', 'leaving', 'gone', 'broken'])(
    'denies every method to tenant %s',
    async (tenantId) => {
      const decision = await decide(bearer(signRs256(key, accessClaims({ tenantId }))));

      expect(decision.kind).toBe('forbidden');
      if (decision.kind !== 'forbidden') return;
      expect(decision.policy.Statement).toEqual([
        { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: [`${STAGE_ARN}/*`] },
      ]);
      expectNoCredentials(decision);
      expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    },
  );

  it('denies a tenant missing from the catalog', async () => {
    const decision = await decide(bearer(signRs256(key, accessClaims({ tenantId: 'nobody' }))));
    expect(decision.kind === 'forbidden' && decision.reason).toBe('tenant nobody is not in the catalog');
    expectNoCredentials(decision);
  });

  it('lets a MIGRATING tenant read, with read-only credentials', async () => {
    const decision = await decide(
      bearer(signRs256(key, accessClaims({ tenantId: 'moving', tier: 'business' }))),
    );

    expect(decision.kind === 'allow' && decision.access).toBe('read-only');
    expect(decision.kind === 'allow' && decision.policy.Statement[0]?.Resource).toEqual([
      `${STAGE_ARN}/GET/*`,
      `${STAGE_ARN}/HEAD/*`,
      `${STAGE_ARN}/OPTIONS/*`,
    ]);
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input.Policy).not.toContain('PutItem');
  });

  it('denies a write while MIGRATING (the policy allows reads only)', async () => {
    const decision = await decide(
      bearer(signRs256(key, accessClaims({ tenantId: 'moving', tier: 'business' }))),
      {
        methodArn: POST,
      },
    );

    expect(decision.kind).toBe('forbidden');
    expect(decision.kind === 'forbidden' && decision.reason).toMatch(/MIGRATING: read-only, POST refused/);
    expect(decision.kind === 'forbidden' && decision.policy.Statement).toEqual([
      { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: [`${STAGE_ARN}/*`] },
    ]);
    expectNoCredentials(decision);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });
});

describe('tenant from verified claims only', () => {
  it('a differing tenant header never changes the tenant, and is reported', async () => {
    const decision = await decide(bearer(signRs256(key, accessClaims())), { claimed: ['globex'] });

    expect(decision.kind === 'allow' && decision.tenantId).toBe('acme');
    expect(decision.kind === 'allow' && decision.context.tenantId).toBe('acme');
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input.Tags).toContainEqual({
      Key: 'tenantId',
      Value: 'acme',
    });
    expect(decision.warnings).toEqual([
      {
        kind: 'tenant-mismatch',
        detail: 'request names tenant "globex" but the token\'s tenant is acme; ignored',
      },
    ]);
  });

  it('a stale tier claim yields to the catalog tier', async () => {
    const decision = await decide(bearer(signRs256(key, accessClaims({ tier: 'enterprise' }))));

    expect(decision.kind === 'allow' && decision.tier).toBe('pro');
    expect(decision.kind === 'allow' && decision.usageIdentifierKey).toBe(
      'tenantry-dev-usage-plan-pro-apikey',
    );
    expect(decision.warnings.map((w) => w.kind)).toEqual(['tier-claim-stale']);
  });
});

describe('plan limits', () => {
  it('a tenant over its limit gets an Allow with the quota-exhausted usage key, the flag and no credentials', async () => {
    const h = harness({ key, usageLimit: async () => ({ exceeded: true, metric: 'api.call' }) });

    const decision = await decide(bearer(signRs256(key, accessClaims())), {}, h);

    expect(decision).toMatchObject({
      kind: 'quota-exceeded',
      tenantId: 'acme',
      tier: 'pro',
      metric: 'api.call',
      usageIdentifierKey: 'tenantry-dev-usage-plan-quota-exhausted-apikey',
    });
    if (decision.kind !== 'quota-exceeded') return;
    expect(decision.policy.Statement).toEqual([
      { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: [`${STAGE_ARN}/*`] },
    ]);
    expect(authorizerResultContext(decision)).toEqual({
      tenantId: 'acme',
      tier: 'pro',
      planLimit: 'exceeded',
      planLimitMetric: 'api.call',
    });
    expectNoCredentials(decision);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  it('an over-limit tenant without a named metric is flagged without one', async () => {
    const h = harness({ key, usageLimit: async () => ({ exceeded: true }) });

    const decision = await decide(bearer(signRs256(key, accessClaims())), {}, h);

    expect(decision.kind).toBe('quota-exceeded');
    expect(authorizerResultContext(decision)).toEqual({
      tenantId: 'acme',
      tier: 'pro',
      planLimit: 'exceeded',
    });
  });

  it('a tenant under its limit gets its tier usage key, no plan-limit flag, and credentials', async () => {
    const h = harness({ key, usageLimit: async () => ({ exceeded: false }) });

    const decision = await decide(
      bearer(signRs256(key, accessClaims({ tenantId: 'globex', tier: 'starter' }))),
      {},
      h,
    );

    expect(decision.kind).toBe('allow');
    if (decision.kind !== 'allow') return;
    expect(decision.usageIdentifierKey).toBe('tenantry-dev-usage-plan-starter-apikey');
    expect(authorizerResultContext(decision)).not.toHaveProperty('planLimit');
    expect(decision.credentials.accessKeyId).toBe('ASIAFAKEKEY1');
  });

  it('a write of a read-only (MIGRATING) tenant over its limit is forbidden (403), not throttled', async () => {
    const h = harness({ key, usageLimit: async () => ({ exceeded: true, metric: 'api.call' }) });

    const decision = await decide(
      bearer(signRs256(key, accessClaims({ tenantId: 'moving', tier: 'business' }))),
      { methodArn: POST },
      h,
    );

    expect(decision.kind).toBe('forbidden');
    expectNoCredentials(decision);
  });

  it('the usage check is asked with the tenant and tier from the verified token', async () => {
    const asked: string[] = [];
    const h = harness({
      key,
      usageLimit: async (tenantId, tier) => {
        asked.push(`${tenantId}/${tier}`);
        return { exceeded: false };
      },
    });

    await decide(bearer(signRs256(key, accessClaims())), { claimed: ['globex'] }, h);

    expect(asked).toEqual(['acme/pro']);
  });
});

describe('warm path', () => {
  it('100 requests of one tenant make one STS call', async () => {
    const h = harness({ key });
    const token = bearer(signRs256(key, accessClaims()));

    for (let i = 0; i < 100; i++) expect((await decide(token, {}, h)).kind).toBe('allow');

    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
  });
});
