import { Logger } from '@aws-lambda-powertools/logger';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuthorizerDecision } from '../../../../domain/identity/authorizer';
import { PlanLimitExceededError, TenantContextMissingError } from '../../../../domain/identity/errors';
import {
  authorizerResultContext,
  credentialContextKeys,
  REDACTED,
  redactedForLog,
  tenantRequestFrom,
} from '../../../../domain/identity/request-context';
import {
  accessClaims,
  fakeCredentials,
  harness,
  newSigningKey,
  STAGE_ARN,
  signRs256,
} from '../../support/tokens';

// The credential hand-off from the authorizer to pooled compute: only ALLOW results carry it,
// compute reads it through tenantRequestFrom, and a logged event never shows it.

const key = newSigningKey();
const sts = mockClient(STSClient);
let captured: string[] = [];

beforeEach(() => {
  sts.reset();
  let n = 0;
  sts.on(AssumeRoleCommand).callsFake(async () => fakeCredentials(++n));
  captured = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    captured.push(String(chunk));
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

async function allowDecision(): Promise<AuthorizerDecision> {
  return harness({ key }).authorizer.decide({
    authorization: `Bearer ${signRs256(key, accessClaims())}`,
    methodArn: `${STAGE_ARN}/GET/documents`,
  });
}

/** The event API Gateway hands a Lambda proxy integration after the authorizer allowed it. */
function integrationEvent(
  authorizer: Record<string, unknown>,
  token = 'eyJhbGciOi.eyJzdWIi.c2ln',
): APIGatewayProxyEvent {
  return {
    resource: '/documents',
    path: '/documents',
    httpMethod: 'GET',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    multiValueHeaders: { Authorization: [`Bearer ${token}`] },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      requestId: 'req-1',
      authorizer: { ...authorizer, principalId: 'user-sub-1', integrationLatency: 12 },
    } as unknown as APIGatewayProxyEvent['requestContext'],
  };
}

describe('credential hand-off', () => {
  it('reaches pooled compute as the tenant and its credentials', async () => {
    const event = integrationEvent(authorizerResultContext(await allowDecision()));

    const request = tenantRequestFrom(event);

    expect(request).toMatchObject({ tenantId: 'acme', tier: 'pro', route: 'pool', access: 'read-write' });
    expect(request.credentials.toIdentity()).toMatchObject({
      accessKeyId: 'ASIAFAKEKEY1',
      secretAccessKey: 'fake-secret-access-key-1',
      sessionToken: 'fake-session-token-1',
    });
    expect(JSON.stringify(request)).not.toMatch(/fake-secret-access-key|fake-session-token/);
  });

  it('refuses an event that did not come through the tenant authorizer, naming fields not values', () => {
    const attempt = () =>
      tenantRequestFrom(
        integrationEvent({ tenantId: 'acme', tier: 'pro', route: 'pool', accessLevel: 'admin' }),
      );

    expect(attempt).toThrow(TenantContextMissingError);
    expect(attempt).toThrow(/accessLevel, tenantAccessKeyId, tenantSecretAccessKey/);
    expect(() => tenantRequestFrom({ requestContext: null })).toThrow(TenantContextMissingError);
  });
});

describe('plan-limit flag', () => {
  async function quotaExceededDecision(): Promise<AuthorizerDecision> {
    return harness({
      key,
      usageLimit: async () => ({ exceeded: true, metric: 'api.call' }),
    }).authorizer.decide({
      authorization: `Bearer ${signRs256(key, accessClaims())}`,
      methodArn: `${STAGE_ARN}/GET/documents`,
    });
  }

  it('refuses a request the authorizer flagged over its plan limit with PlanLimitExceededError (429)', async () => {
    const event = integrationEvent(authorizerResultContext(await quotaExceededDecision()));

    const attempt = () => tenantRequestFrom(event);

    expect(attempt).toThrow(PlanLimitExceededError);
    expect(attempt).toThrow('tenant acme is over its pro plan limit for api.call');
    let caught: unknown;
    try {
      attempt();
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({
      httpStatus: 429,
      context: { tenantId: 'acme', tier: 'pro', metric: 'api.call' },
    });
  });

  it('refuses the flag even next to a complete credential hand-off (fail closed)', async () => {
    const context = { ...authorizerResultContext(await allowDecision()), planLimit: 'exceeded' };

    expect(() => tenantRequestFrom(integrationEvent(context))).toThrow(PlanLimitExceededError);
  });

  it('refuses an unknown plan-limit value as a missing tenant context', async () => {
    const context = { ...authorizerResultContext(await allowDecision()), planLimit: 'ok' };

    expect(() => tenantRequestFrom(integrationEvent(context))).toThrow(TenantContextMissingError);
    expect(() => tenantRequestFrom(integrationEvent(context))).toThrow(/\(planLimit\)/);
  });
});

describe('redactedForLog', () => {
  it('hides credentials and the bearer token from a logged event, leaving the original intact', async () => {
    const token = signRs256(key, accessClaims());
    const event = integrationEvent(authorizerResultContext(await allowDecision()), token);
    const logger = new Logger({ serviceName: 'pooled-compute-test' });

    logger.info('request', { event: redactedForLog(event) });

    const output = captured.join('');
    const line = JSON.parse(output.split('\n').find((l) => l.includes('"request"')) as string) as {
      event: APIGatewayProxyEvent;
    };
    expect(line.event.requestContext.authorizer).toMatchObject({
      tenantId: 'acme',
      [credentialContextKeys.accessKeyId]: REDACTED,
      [credentialContextKeys.secretAccessKey]: REDACTED,
      [credentialContextKeys.sessionToken]: REDACTED,
    });
    expect(line.event.headers).toEqual({ Authorization: REDACTED, 'Content-Type': 'application/json' });
    for (const secret of ['ASIAFAKEKEY1', 'fake-secret-access-key-1', 'fake-session-token-1', token]) {
      expect(output).not.toContain(secret);
    }
    expect(event.requestContext.authorizer?.[credentialContextKeys.secretAccessKey]).toBe(
      'fake-secret-access-key-1',
    );
  });
});
