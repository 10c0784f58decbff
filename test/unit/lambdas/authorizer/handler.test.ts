import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../../../../domain/config';
import { EnvironmentError } from '../../../../domain/errors';
import { AuthorizerUnavailableError, LocalOverrideRefusedError } from '../../../../domain/identity/errors';
import { credentialContextKeys } from '../../../../domain/identity/request-context';
import { createCognitoVerifier } from '../../../../domain/identity/verifier';
import { createAuthorizerHandler, dependenciesFromEnv } from '../../../../lambdas/authorizer/handler';
import {
  accessClaims,
  BUCKET,
  CLIENT_ID,
  fakeCredentials,
  harness,
  jwksOf,
  newSigningKey,
  POOLED_TABLE_ARN,
  ROLE_ARN,
  STAGE_ARN,
  signRs256,
  USER_POOL_ID,
} from '../../support/tokens';

const key = newSigningKey();
const sts = mockClient(STSClient);
let issued = 0;
let captured: string[] = [];

beforeEach(() => {
  sts.reset();
  issued = 0;
  sts.on(AssumeRoleCommand).callsFake(async () => fakeCredentials(++issued));
  captured = [];
  const capture = (chunk: unknown) => {
    captured.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});

afterEach(() => vi.restoreAllMocks());

function event(
  token: string | undefined,
  method = 'GET',
  headers: Record<string, string> = {},
): APIGatewayRequestAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn: `${STAGE_ARN}/${method}/documents`,
    resource: '/documents',
    path: '/documents',
    httpMethod: method,
    headers: { ...(token === undefined ? {} : { Authorization: token }), ...headers },
    multiValueHeaders: {},
    pathParameters: {},
    queryStringParameters: {},
    multiValueQueryStringParameters: {},
    stageVariables: {},
    requestContext: {} as APIGatewayRequestAuthorizerEvent['requestContext'],
  };
}

function handlerWith(usageExceeded = false) {
  const h = harness({ key, usageLimit: async () => ({ exceeded: usageExceeded, metric: 'api.call' }) });
  return createAuthorizerHandler({
    authorizer: h.authorizer,
    logger: new Logger({ serviceName: 'authorizer-test' }),
    metrics: new Metrics({ namespace: 'TenantryTest', serviceName: 'authorizer' }),
  });
}

describe('authorizer handler', () => {
  it('returns the policy, context and usage-plan key for a valid token', async () => {
    const handler = handlerWith();

    const result = await handler(event(`Bearer ${signRs256(key, accessClaims())}`));

    expect(result.principalId).toBe('user-sub-1');
    expect(result.usageIdentifierKey).toBe('tenantry-dev-usage-plan-pro-apikey');
    expect(result.context).toMatchObject({
      tenantId: 'acme',
      tier: 'pro',
      route: 'pool',
      [credentialContextKeys.accessKeyId]: 'ASIAFAKEKEY1',
      [credentialContextKeys.secretAccessKey]: 'fake-secret-access-key-1',
    });
  });

  it('returns a deny-all policy without credentials or usage key for a write while MIGRATING', async () => {
    const token = signRs256(key, accessClaims({ tenantId: 'moving', tier: 'business' }));

    const result = await handlerWith()(event(`Bearer ${token}`, 'POST'));

    expect(result.policyDocument.Statement).toEqual([
      { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: [`${STAGE_ARN}/*`] },
    ]);
    expect(result.usageIdentifierKey).toBeUndefined();
    for (const k of Object.values(credentialContextKeys)) expect(result.context).not.toHaveProperty(k);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  it('throws Unauthorized (401) for an invalid token', async () => {
    await expect(handlerWith()(event('Bearer nope'))).rejects.toThrow(/^Unauthorized$/);
  });

  it('answers a tenant over its limit with an Allow on the quota-exhausted plan key, flagged, no credentials', async () => {
    const result = await handlerWith(true)(event(`Bearer ${signRs256(key, accessClaims())}`));

    expect(result.usageIdentifierKey).toBe('tenantry-dev-usage-plan-quota-exhausted-apikey');
    expect(result.policyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: [`${STAGE_ARN}/*`] },
    ]);
    expect(result.context).toEqual({
      tenantId: 'acme',
      tier: 'pro',
      planLimit: 'exceeded',
      planLimitMetric: 'api.call',
    });
    for (const k of Object.values(credentialContextKeys)) expect(result.context).not.toHaveProperty(k);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  it('logs and counts quota-exceeded and error as distinct decision kinds', async () => {
    const token = `Bearer ${signRs256(key, accessClaims())}`;
    await handlerWith(true)(event(token));
    const failing = harness({
      key,
      usageLimit: async () => {
        throw new Error('counters table unreachable');
      },
    });
    const broken = createAuthorizerHandler({
      authorizer: failing.authorizer,
      logger: new Logger({ serviceName: 'authorizer-test' }),
      metrics: new Metrics({ namespace: 'TenantryTest', serviceName: 'authorizer' }),
    });

    await expect(broken(event(token))).rejects.toThrow(AuthorizerUnavailableError);

    const lines = captured
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.decision !== undefined).map((l) => [l.message, l.decision])).toEqual([
      ['authorizer decision', 'quota-exceeded'],
      ['authorizer failed; refusing the request', 'error'],
    ]);
    const metricNames = lines.flatMap(
      (l) =>
        (
          l._aws as { CloudWatchMetrics?: { Metrics: { Name: string }[] }[] } | undefined
        )?.CloudWatchMetrics?.flatMap((m) => m.Metrics.map((x) => x.Name)) ?? [],
    );
    expect(metricNames).toEqual(['Authorizer.quota-exceeded', 'Authorizer.error']);
  });

  it('never logs a token or a credential, and tenantId does not leak into the next request', async () => {
    const handler = handlerWith();
    const token = signRs256(key, accessClaims());
    const otherToken = signRs256(key, accessClaims({ tenantId: 'globex', tier: 'starter' }));

    await handler(event(`Bearer ${token}`, 'GET', { 'X-Tenant-Id': 'globex' }));
    await handler(event(`Bearer ${otherToken}`));
    await expect(handler(event(`Bearer ${token}x`))).rejects.toThrow('Unauthorized');
    await expect(handler(event(`Bearer ${signRs256(key, accessClaims({ exp: 1 }))}`))).rejects.toThrow(
      'Unauthorized',
    );
    // Bad tokens whose claims aws-jwt-verify would echo in its error messages.
    const evilIssuer = signRs256(key, accessClaims({ iss: 'https://evil.example.com/us-east-1_EvilPool9' }));
    const leakyClient = signRs256(key, accessClaims({ client_id: 'leakyclient42' }));
    await expect(handler(event(`Bearer ${evilIssuer}`))).rejects.toThrow('Unauthorized');
    await expect(handler(event(`Bearer ${leakyClient}`))).rejects.toThrow('Unauthorized');

    const output = captured.join('');
    const lines = output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const decisions = lines.filter((l) => l.message === 'authorizer decision');
    expect(decisions.map((l) => [l.decision, l.tenantId])).toEqual([
      ['allow', 'acme'],
      ['allow', 'globex'],
      ['unauthorized', undefined],
      ['unauthorized', undefined],
      ['unauthorized', undefined],
      ['unauthorized', undefined],
    ]);
    expect(decisions.slice(2).map((l) => l.reason)).toEqual([
      'token rejected: JwtInvalidSignatureError',
      'token rejected: JwtExpiredError',
      'token rejected: UnknownIssuerError',
      'token rejected: CognitoJwtInvalidClientIdError',
    ]);
    expect(lines.some((l) => l.message === 'suspicious request' && l.warning === 'tenant-mismatch')).toBe(
      true,
    );
    for (const secret of [
      token,
      otherToken,
      evilIssuer,
      leakyClient,
      'evil.example.com',
      'EvilPool9',
      'leakyclient42',
      CLIENT_ID,
      token.split('.')[2] as string,
      'fake-secret-access-key-1',
      'fake-session-token-1',
      'fake-secret-access-key-2',
      'fake-session-token-2',
    ]) {
      expect(output).not.toContain(secret);
    }
    expect(output).toContain('"tier":"pro"'); // EMF metrics carry the tier dimension
  });
});

describe('cold-start configuration', () => {
  const valid = {
    USER_POOL_ID,
    USER_POOL_CLIENT_ID: CLIENT_ID,
    CATALOG_TABLE_NAME: 'tenantry-dev-catalog',
    POOLED_TABLE_ARN,
    TENANT_BUCKET_NAME: BUCKET,
    TENANT_RUNTIME_ROLE_ARN: ROLE_ARN,
    AWS_REGION: 'us-east-1',
  };

  it('names every missing or malformed variable', () => {
    const attempt = () =>
      dependenciesFromEnv({ ...valid, USER_POOL_ID: undefined, POOLED_TABLE_ARN: 'table' });
    expect(attempt).toThrow(EnvironmentError);
    expect(attempt).toThrow(/USER_POOL_ID: is required but not set; POOLED_TABLE_ARN: must be an ARN/);
  });

  it('refuses the local JWKS override on real Lambda, even with the local flag', () => {
    const local = { LOCAL_JWKS_URI: 'http://127.0.0.1:5000/jwks.json', TENANTRY_LOCAL: 'true' };
    const onLambda = { AWS_LAMBDA_FUNCTION_NAME: 'tenantry-dev-authorizer' };

    expect(() => dependenciesFromEnv({ ...valid, ...local, ...onLambda })).toThrow(LocalOverrideRefusedError);
    expect(() => dependenciesFromEnv({ ...valid, ...local, ...onLambda })).toThrow(/refused on real Lambda/);
    // The local handler host sets AWS_ENDPOINT_URL (the emulator): allowed there.
    expect(
      dependenciesFromEnv({ ...valid, ...local, ...onLambda, AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' })
        .settings?.localJwks,
    ).toBe(true);
    // Real Lambda without the override builds normally.
    expect(dependenciesFromEnv({ ...valid, ...onLambda }).settings?.localJwks).toBe(false);
  });

  it('refuses the local JWKS override without the local flag', () => {
    expect(() =>
      dependenciesFromEnv({ ...valid, LOCAL_JWKS_URI: 'http://127.0.0.1:5000/jwks.json' }),
    ).toThrow(LocalOverrideRefusedError);
    expect(() =>
      dependenciesFromEnv({
        ...valid,
        LOCAL_JWKS_URI: 'http://127.0.0.1:5000/jwks.json',
        TENANTRY_LOCAL: 'true',
      }),
    ).not.toThrow();
  });

  it('builds with only the required variables, applying the documented defaults', async () => {
    const deps = dependenciesFromEnv(valid);

    expect(deps.settings).toEqual({
      tokenUse: 'access',
      catalogCacheSeconds: 30,
      usageCacheSeconds: 30, // half a cumulative metering step of the default config (1 minute)
      credentialsMinRemainingSeconds: 180,
      planLimits: 'none',
      metricsNamespace: 'Tenantry',
      localJwks: false,
    });
    // The built authorizer decides (no network needed to refuse a malformed token).
    const decision = await deps.authorizer.decide({
      authorization: 'Bearer not-a-jwt',
      methodArn: `${STAGE_ARN}/GET/documents`,
      httpMethod: 'GET',
    });
    expect(decision).toMatchObject({ kind: 'unauthorized', reason: 'token is not a compact JWT' });
  });

  it('takes the plan-limit cache from the metering step unless USAGE_CACHE_SECONDS is set', () => {
    const config = { ...defaultConfig, metering: { ...defaultConfig.metering, cumulativeStepMinutes: 5 } };

    expect(dependenciesFromEnv(valid, { config }).settings?.usageCacheSeconds).toBe(150);
    expect(
      dependenciesFromEnv({ ...valid, USAGE_CACHE_SECONDS: '15' }, { config }).settings?.usageCacheSeconds,
    ).toBe(15);
  });

  it('reads the metrics namespace and TENANTRY_CONFIG through the validated environment', () => {
    expect(
      dependenciesFromEnv({ ...valid, POWERTOOLS_METRICS_NAMESPACE: 'TenantryTest' }).settings
        ?.metricsNamespace,
    ).toBe('TenantryTest');
    expect(() => dependenciesFromEnv({ ...valid, TENANTRY_CONFIG: '/nonexistent/tenantry.json' })).toThrow(
      /cannot read \/nonexistent\/tenantry.json/,
    );
  });
});

describe('JWKS from a local override, cached across invocations', () => {
  let server: Server;
  let fetches = 0;
  let uri = '';

  beforeAll(async () => {
    server = createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(jwksOf(key)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fetches the JWKS once for many verifications, still checking the issuer', async () => {
    const verifier = createCognitoVerifier({
      userPoolId: USER_POOL_ID,
      clientId: CLIENT_ID,
      tokenUse: 'access',
      localJwksUri: uri,
      localFlag: true,
    });

    for (let i = 0; i < 5; i++) await verifier.verify(signRs256(key, accessClaims({ jti: `j${i}` })));
    const foreign = signRs256(key, accessClaims({ iss: 'https://evil.example.com/us-east-1_TestPool1' }));

    expect(fetches).toBe(1);
    await expect(verifier.verify(foreign)).rejects.toThrow(/issuer/i);
  });
});
