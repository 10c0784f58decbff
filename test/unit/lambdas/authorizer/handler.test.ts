import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../../../../domain/config';
import { type FunctionEnvironment, functionEnvironment } from '../../../../domain/function-contract';
import { credentialContextKeys } from '../../../../domain/identity/request-context';
import { counterSortKeyPrefix } from '../../../../domain/keys';
import { counterItem } from '../../../../domain/usage/counters';
import { contract } from '../../../../lambdas/authorizer/contract';
import { captureProcessOutput } from '../../support/lambda';
import {
  accessClaims,
  BUCKET,
  CLIENT_ID,
  defaultTenants,
  fakeCredentials,
  jwksOf,
  newSigningKey,
  POOLED_TABLE_ARN,
  ROLE_ARN,
  STAGE_ARN,
  signRs256,
  USER_POOL_ID,
} from '../../support/tokens';

// The handler as Lambda runs it: environment read at cold start (module load), SDK clients mocked,
// the signing keys served by a local JWKS endpoint through the local override.

const key = newSigningKey();
const sts = mockClient(STSClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const catalog = new Map(defaultTenants().map((t) => [t.tenantId, t]));
const CATALOG_TABLE = 'tenantry-dev-catalog';
const COUNTERS_TABLE = 'tenantry-dev-usage-counters';
let server: Server;
let jwksUri = '';
let issued = 0;
let captured: string[] = [];

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(jwksOf(key)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  sts.reset();
  dynamo.reset();
  issued = 0;
  sts.on(AssumeRoleCommand).callsFake(async () => fakeCredentials(++issued));
  dynamo.on(GetCommand).callsFake(async (input) => ({ Item: catalog.get(input.Key.tenantId) }));
  dynamo.on(BatchGetCommand).resolves({ Responses: {} });
  captured = captureProcessOutput();
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

type Environment = FunctionEnvironment<typeof contract>;

const required: Environment = {
  USER_POOL_ID,
  USER_POOL_CLIENT_ID: CLIENT_ID,
  CATALOG_TABLE_NAME: CATALOG_TABLE,
  POOLED_TABLE_ARN,
  TENANT_BUCKET_NAME: BUCKET,
  TENANT_RUNTIME_ROLE_ARN: ROLE_ARN,
};

/** As deployed (identity stack), plus the local JWKS override serving the test keys. */
const deployed = (): Environment => ({
  ...required,
  COUNTERS_TABLE_NAME: COUNTERS_TABLE,
  TENANTRY_LOCAL: 'true',
  LOCAL_JWKS_URI: jwksUri,
});

/** A cold start: the handler module loaded afresh with exactly this environment. */
async function coldStart(values: Environment) {
  vi.resetModules();
  const env = functionEnvironment(contract, values);
  for (const name of Object.keys(contract.env)) vi.stubEnv(name, env[name]);
  vi.stubEnv('AWS_REGION', 'us-east-1');
  return (await import('../../../../lambdas/authorizer/handler')).handler;
}

function event(token: string | undefined, method = 'GET', headers: Record<string, string> = {}) {
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
    requestContext: { accountId: '111122223333', apiId: 'abc123', stage: 'prod', requestId: 'r-1' },
  } as unknown as APIGatewayRequestAuthorizerEvent;
}

/** The JSON log lines written so far. */
function logLines(): Record<string, unknown>[] {
  return captured
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function metricNames(): string[] {
  return logLines().flatMap(
    (l) =>
      (
        l._aws as { CloudWatchMetrics?: { Metrics: { Name: string }[] }[] } | undefined
      )?.CloudWatchMetrics?.flatMap((m) => m.Metrics.map((x) => x.Name)) ?? [],
  );
}

/** Counters at or over every daily limit of the tier (today's running totals, as Flink writes them). */
function overLimitCounters() {
  dynamo.on(BatchGetCommand).callsFake(async (input) => {
    const keys = input.RequestItems[COUNTERS_TABLE].Keys as { pk: string; sk: string }[];
    return {
      Responses: {
        [COUNTERS_TABLE]: keys.map(({ pk, sk }) => {
          const day = Date.parse(sk.slice(counterSortKeyPrefix('CUMULATIVE').length));
          const [tenantId, metric] = pk.split('#') as [string, string];
          return counterItem({
            tenantId,
            metric,
            granularity: 'CUMULATIVE',
            windowStart: new Date(day),
            windowEnd: new Date(day + 86_400_000),
            quantity: '100000000',
            eventCount: 1,
          });
        }),
      },
    };
  });
}

describe('authorizer handler', () => {
  it('returns the policy, context and usage-plan key for a valid token, as its contract says', async () => {
    const handler = await coldStart(deployed());

    const result = await handler(event(`Bearer ${signRs256(key, accessClaims())}`));

    expect(contract.output.safeParse(result).success).toBe(true);
    expect(result.principalId).toBe('user-sub-1');
    expect(result.usageIdentifierKey).toBe('tenantry-dev-usage-plan-pro-apikey');
    expect(result.policyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: [`${STAGE_ARN}/*`] },
    ]);
    expect(result.context).toMatchObject({
      tenantId: 'acme',
      tier: 'pro',
      route: 'pool',
      [credentialContextKeys.accessKeyId]: 'ASIAFAKEKEY1',
      [credentialContextKeys.secretAccessKey]: 'fake-secret-access-key-1',
    });
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input.RoleArn).toBe(ROLE_ARN);
    expect(dynamo.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({
      TableName: CATALOG_TABLE,
      Key: { tenantId: 'acme' },
    });
  });

  it('returns a deny-all policy without credentials or usage key for a write while MIGRATING', async () => {
    const handler = await coldStart(deployed());
    const token = signRs256(key, accessClaims({ tenantId: 'moving', tier: 'business' }));

    const result = await handler(event(`Bearer ${token}`, 'POST'));

    expect(contract.output.safeParse(result).success).toBe(true);
    expect(result.policyDocument.Statement).toEqual([
      { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: [`${STAGE_ARN}/*`] },
    ]);
    expect(result.usageIdentifierKey).toBeUndefined();
    for (const k of Object.values(credentialContextKeys)) expect(result.context).not.toHaveProperty(k);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  it('throws exactly Unauthorized (401) for a missing or invalid token', async () => {
    const handler = await coldStart(deployed());

    await expect(handler(event('Bearer nope'))).rejects.toThrow(/^Unauthorized$/);
    await expect(handler(event(undefined))).rejects.toThrow(/^Unauthorized$/);
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('answers a tenant over its limit with an Allow on the quota-exhausted plan key, flagged, no credentials', async () => {
    overLimitCounters();
    const handler = await coldStart(deployed());

    const result = await handler(event(`Bearer ${signRs256(key, accessClaims())}`));

    expect(contract.output.safeParse(result).success).toBe(true);
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
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  it('logs and counts quota-exceeded and error as distinct decision kinds', async () => {
    overLimitCounters();
    const handler = await coldStart(deployed());
    await handler(event(`Bearer ${signRs256(key, accessClaims())}`));
    dynamo
      .on(GetCommand)
      .rejects(Object.assign(new Error('catalog unreachable'), { name: 'ServiceUnavailable' }));

    const failing = handler(
      event(`Bearer ${signRs256(key, accessClaims({ tenantId: 'globex', tier: 'starter' }))}`),
    );

    await expect(failing).rejects.toMatchObject({
      name: 'AuthorizerUnavailableError',
      message: 'authorizer unavailable: ServiceUnavailable',
    });
    expect(
      logLines()
        .filter((l) => l.decision !== undefined)
        .map((l) => [l.message, l.decision]),
    ).toEqual([
      ['authorizer decision', 'quota-exceeded'],
      ['authorizer failed; refusing the request', 'error'],
    ]);
    expect(metricNames()).toEqual(['Authorizer.quota-exceeded', 'Authorizer.error']);
  });

  it('counts each STS AssumeRole it makes (service dimension only), never a cached credential reused', async () => {
    // Prepare
    const handler = await coldStart(deployed());
    const acme = `Bearer ${signRs256(key, accessClaims())}`;
    const globex = `Bearer ${signRs256(key, accessClaims({ tenantId: 'globex', tier: 'starter' }))}`;

    // Act
    await handler(event(acme));
    await handler(event(acme));
    await handler(event(globex));

    // Assess
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
    expect(metricNames()).toEqual([
      'Authorizer.stsAssumeRole',
      'Authorizer.allow',
      'Authorizer.allow',
      'Authorizer.stsAssumeRole',
      'Authorizer.allow',
    ]);
    const stsLines = logLines().filter((l) => l['Authorizer.stsAssumeRole'] !== undefined);
    expect(
      stsLines.map((l) => [
        l['Authorizer.stsAssumeRole'],
        l.service,
        l.tier,
        (l._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0]?.Dimensions,
      ]),
    ).toEqual([
      [1, 'authorizer', undefined, [['service']]],
      [1, 'authorizer', undefined, [['service']]],
    ]);
  });

  it('refuses an event it cannot read as an error (503), not as a decision', async () => {
    const handler = await coldStart(deployed());
    const { methodArn: _dropped, ...withoutArn } = event(`Bearer ${signRs256(key, accessClaims())}`);

    await expect(handler(withoutArn)).rejects.toMatchObject({ name: 'AuthorizerUnavailableError' });
    expect(logLines().find((l) => l.decision === 'error')).toMatchObject({ errorName: 'ValidationError' });
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  it('never logs a token or a credential, and tenantId does not leak into the next request', async () => {
    const handler = await coldStart(deployed());
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
    const decisions = logLines().filter((l) => l.message === 'authorizer decision');
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
    expect(
      logLines().some((l) => l.message === 'suspicious request' && l.warning === 'tenant-mismatch'),
    ).toBe(true);
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

describe('cold start', () => {
  it('names every missing or malformed variable', async () => {
    const { USER_POOL_ID: _unset, ...withoutPool } = required;

    const attempt = coldStart({ ...withoutPool, POOLED_TABLE_ARN: 'table' } as Environment);

    await expect(attempt).rejects.toMatchObject({ name: 'EnvironmentError' });
    await expect(attempt).rejects.toThrow(
      /USER_POOL_ID: is required but not set; POOLED_TABLE_ARN: must be an ARN/,
    );
  });

  it('refuses the local JWKS override on real Lambda, even with the local flag', async () => {
    const onLambda = { AWS_LAMBDA_FUNCTION_NAME: 'tenantry-dev-authorizer' };

    const attempt = coldStart({ ...deployed(), ...onLambda });

    await expect(attempt).rejects.toMatchObject({ name: 'LocalOverrideRefusedError' });
    await expect(attempt).rejects.toThrow(/refused on real Lambda/);
    // The local handler host sets AWS_ENDPOINT_URL (the emulator): allowed there.
    const emulated = await coldStart({
      ...deployed(),
      ...onLambda,
      AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
    });
    await expect(emulated(event(`Bearer ${signRs256(key, accessClaims())}`))).resolves.toMatchObject({
      principalId: 'user-sub-1',
    });
    // Real Lambda without the override starts normally.
    await expect(coldStart({ ...required, ...onLambda })).resolves.toBeTypeOf('function');
  });

  it('refuses the local JWKS override without the local flag', async () => {
    const { TENANTRY_LOCAL: _unset, ...withoutFlag } = deployed();

    await expect(coldStart(withoutFlag)).rejects.toMatchObject({ name: 'LocalOverrideRefusedError' });
    await expect(coldStart(deployed())).resolves.toBeTypeOf('function');
  });

  it('starts with only the required variables', async () => {
    const handler = await coldStart(required);

    // No JWKS is fetched to refuse a malformed token.
    await expect(handler(event('Bearer not-a-jwt'))).rejects.toThrow(/^Unauthorized$/);
  });

  it('enforces no plan limit without COUNTERS_TABLE_NAME', async () => {
    overLimitCounters();
    const { COUNTERS_TABLE_NAME: _unset, ...withoutCounters } = deployed();
    const handler = await coldStart(withoutCounters);

    const result = await handler(event(`Bearer ${signRs256(key, accessClaims())}`));

    expect(result.usageIdentifierKey).toBe('tenantry-dev-usage-plan-pro-apikey');
    expect(dynamo.commandCalls(BatchGetCommand)).toHaveLength(0);
  });

  it('caches plan-limit answers for half a metering step unless USAGE_CACHE_SECONDS says otherwise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authorizer-config-'));
    const configFile = join(dir, 'tenantry.json');
    writeFileSync(
      configFile,
      JSON.stringify({ ...defaultConfig, metering: { ...defaultConfig.metering, cumulativeStepMinutes: 5 } }),
    );
    const counterReadsAfter = async (environment: Environment, seconds: number[]) => {
      vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-03-01T10:00:00Z') });
      dynamo.resetHistory();
      const handler = await coldStart(environment);
      const token = `Bearer ${signRs256(key, accessClaims())}`;
      const reads: number[] = [];
      const start = Date.now();
      for (const s of seconds) {
        vi.setSystemTime(start + s * 1000);
        await handler(event(token));
        reads.push(dynamo.commandCalls(BatchGetCommand).length);
      }
      vi.useRealTimers();
      return reads;
    };

    // 5-minute step: a 150 s plan-limit cache.
    expect(await counterReadsAfter({ ...deployed(), TENANTRY_CONFIG: configFile }, [0, 149, 151])).toEqual([
      1, 1, 2,
    ]);
    expect(
      await counterReadsAfter(
        { ...deployed(), TENANTRY_CONFIG: configFile, USAGE_CACHE_SECONDS: '15' },
        [0, 14, 16],
      ),
    ).toEqual([1, 1, 2]);
  });

  it('reads the metrics namespace and TENANTRY_CONFIG through the validated environment', async () => {
    const handler = await coldStart({ ...deployed(), POWERTOOLS_METRICS_NAMESPACE: 'TenantryTest' });
    await handler(event(`Bearer ${signRs256(key, accessClaims())}`));

    const emf = logLines().find((l) => l._aws !== undefined)?._aws as {
      CloudWatchMetrics: { Namespace: string }[];
    };
    expect(emf.CloudWatchMetrics[0]?.Namespace).toBe('TenantryTest');
    await expect(coldStart({ ...required, TENANTRY_CONFIG: '/nonexistent/tenantry.json' })).rejects.toThrow(
      /cannot read \/nonexistent\/tenantry.json/,
    );
  });
});
