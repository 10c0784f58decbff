import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FunctionEnvironment, functionEnvironment } from '../../../../domain/function-contract';
import { tenantUserAttributes } from '../../../../domain/identity/claims';
import { contract } from '../../../../lambdas/pre-token-generation/contract';
import { captureProcessOutput } from '../../support/lambda';
import { defaultTenants } from '../../support/tokens';

// The trigger as Lambda runs it: environment read at cold start (module load), the catalog mocked.

const dynamo = mockClient(DynamoDBDocumentClient);
const catalog = new Map(defaultTenants().map((t) => [t.tenantId, t]));
const CATALOG_TABLE = 'tenantry-dev-catalog';
let captured: string[] = [];

beforeEach(() => {
  dynamo.reset();
  dynamo.on(GetCommand).callsFake(async (input) => ({ Item: catalog.get(input.Key.tenantId) }));
  captured = captureProcessOutput();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

/** A cold start: the handler module loaded afresh with exactly this environment. */
async function coldStart(
  values: FunctionEnvironment<typeof contract> = { CATALOG_TABLE_NAME: CATALOG_TABLE },
) {
  vi.resetModules();
  const env = functionEnvironment(contract, values);
  for (const name of Object.keys(contract.env)) vi.stubEnv(name, env[name]);
  vi.stubEnv('AWS_REGION', 'us-east-1');
  return (await import('../../../../lambdas/pre-token-generation/handler')).handler;
}

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

describe('pre-token-generation (V2)', () => {
  it('adds tenant claims to both the ID and the access token, returning the event', async () => {
    const handler = await coldStart();
    const event = v2Event({
      sub: 's1',
      [tenantUserAttributes.tenantId]: 'initech',
      [tenantUserAttributes.tier]: 'enterprise',
    });

    const result = await handler(event);

    const expected = {
      tenantId: 'initech',
      tier: 'enterprise',
      isolation: 'silo',
      route: 'silo:tenantry-dev-silo-initech',
      tenantStatus: 'ACTIVE',
    };
    expect(result).toMatchObject({ userPoolId: event.userPoolId, triggerSource: event.triggerSource });
    expect(result.response.claimsAndScopeOverrideDetails).toEqual({
      idTokenGeneration: { claimsToAddOrOverride: expected },
      accessTokenGeneration: { claimsToAddOrOverride: expected },
    });
    expect(dynamo.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({
      TableName: CATALOG_TABLE,
      Key: { tenantId: 'initech' },
    });
  });

  it('ignores what the client sent in clientMetadata', async () => {
    const handler = await coldStart();

    const result = await handler(
      v2Event(
        { [tenantUserAttributes.tenantId]: 'acme', [tenantUserAttributes.tier]: 'pro' },
        { tenantId: 'globex', tier: 'enterprise' },
      ),
    );

    expect(
      result.response.claimsAndScopeOverrideDetails.accessTokenGeneration.claimsToAddOrOverride,
    ).toMatchObject({ tenantId: 'acme', tier: 'pro' });
  });

  it('reads the catalog once per tenant per CATALOG_CACHE_SECONDS, not per sign-in', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-03-01T10:00:00Z') });
    const handler = await coldStart({ CATALOG_TABLE_NAME: CATALOG_TABLE, CATALOG_CACHE_SECONDS: '20' });
    const event = v2Event({ [tenantUserAttributes.tenantId]: 'acme', [tenantUserAttributes.tier]: 'pro' });

    for (let i = 0; i < 10; i++) await handler(event);
    vi.advanceTimersByTime(19_000);
    await handler(event);
    const withinTtl = dynamo.commandCalls(GetCommand).length;
    vi.advanceTimersByTime(2_000);
    await handler(event);

    expect([withinTtl, dynamo.commandCalls(GetCommand).length]).toEqual([1, 2]);
  });

  it('refuses the sign-in (throws) for a tenant that may not have tokens, and logs why', async () => {
    const handler = await coldStart();

    const attempt = handler(
      v2Event({ [tenantUserAttributes.tenantId]: 'gone', [tenantUserAttributes.tier]: 'pro' }),
    );

    await expect(attempt).rejects.toMatchObject({ name: 'TokenIssuanceRefusedError' });
    await expect(attempt).rejects.toThrow(/tenant is OFFBOARDED/);
    const refusal = captured
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.message === 'token issuance refused');
    expect(refusal).toMatchObject({
      level: 'WARN',
      tenantId: 'gone',
      reason: expect.stringMatching(/OFFBOARDED/),
    });
  });

  it("issues the catalog's tier to a user left on the old tier and logs the drift without personal data", async () => {
    // Prepare: initech is enterprise (silo) in the catalog; the user's attribute still says pro
    const handler = await coldStart();
    const event = {
      ...v2Event({
        sub: 'sub-123',
        email: 'jonas@initech.example',
        [tenantUserAttributes.tenantId]: 'initech',
        [tenantUserAttributes.tier]: 'pro',
      }),
      userName: 'jonas@initech.example',
    };

    // Act
    const result = await handler(event);

    // Assess
    const details = result.response.claimsAndScopeOverrideDetails;
    expect(details.accessTokenGeneration.claimsToAddOrOverride).toMatchObject({
      tier: 'enterprise',
      route: 'silo:tenantry-dev-silo-initech',
    });
    expect(details.idTokenGeneration.claimsToAddOrOverride).toMatchObject({
      tier: 'enterprise',
      'custom:tier': 'enterprise',
      route: 'silo:tenantry-dev-silo-initech',
    });
    const output = captured.join('');
    const drift = output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.message === 'user tier differs from the catalog; the catalog tier is issued');
    expect(drift).toMatchObject({
      level: 'WARN',
      tenantId: 'initech',
      userTier: 'pro',
      catalogTier: 'enterprise',
    });
    expect(output).not.toMatch(/jonas|initech\.example|sub-123/);
  });

  it('rejects an event that is not a V2 pre-token event, naming the field', async () => {
    const handler = await coldStart();

    await expect(handler({ version: '2', request: {} })).rejects.toThrow(
      /invalid pre-token-generation input: .*triggerSource/,
    );
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('names a missing variable at cold start', async () => {
    await expect(coldStart({} as FunctionEnvironment<typeof contract>)).rejects.toThrow(
      /CATALOG_TABLE_NAME: is required but not set/,
    );
  });
});
