import { KinesisClient } from '@aws-sdk/client-kinesis';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FunctionEnvironment, functionEnvironment } from '../../../../domain/function-contract';
import { credentialContextKeys } from '../../../../domain/identity/request-context';
import { contract } from '../../../../lambdas/documents/contract';
import { expectColdStartToRequire, importHandler } from '../../support/lambda';
import { BUCKET, POOLED_TABLE_ARN } from '../../support/tokens';

// The handler as Lambda runs it: environment read at cold start, SDK clients mocked. The database
// pool is built at cold start but connects only on a query, and none of these requests reaches one.

const dynamo = mockClient(DynamoDBDocumentClient);
const kinesis = mockClient(KinesisClient);

const environment: FunctionEnvironment<typeof contract> = {
  CATALOG_TABLE_NAME: 'tenantry-dev-catalog',
  POOLED_TABLE_ARN,
  TENANT_BUCKET_NAME: BUCKET,
  USAGE_STREAM_NAME: 'tenantry-dev-usage',
  DATABASE_HOST: 'pooled.cluster-abc.us-east-1.rds.amazonaws.com',
  DATABASE_NAME: 'tenantry',
  DATABASE_USER: 'tenantry_app',
};
const load = () => import('../../../../lambdas/documents/handler');

function event(authorizer: Record<string, unknown> | null, body: string | null) {
  return {
    resource: '/documents',
    path: '/documents',
    httpMethod: 'POST',
    headers: { Authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig' },
    pathParameters: null,
    body,
    isBase64Encoded: false,
    requestContext: { requestId: 'r-1', authorizer },
  };
}

const handOff = {
  tenantId: 'acme',
  tier: 'pro',
  route: 'pool',
  accessLevel: 'read-write',
  [credentialContextKeys.accessKeyId]: 'ASIAFAKEKEY1',
  [credentialContextKeys.secretAccessKey]: 'fake-secret',
  [credentialContextKeys.sessionToken]: 'fake-token',
  [credentialContextKeys.expiration]: '2099-01-01T00:00:00.000Z',
};

beforeEach(() => {
  dynamo.reset();
  kinesis.reset();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('documents handler', () => {
  it('answers 403 to a request that did not come through the tenant authorizer', async () => {
    // Prepare
    const { handler } = await importHandler(load, functionEnvironment(contract, environment));

    // Act
    const response = await handler(event(null, '{}'));

    // Assess
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body)).toEqual({ error: 'no tenant context' });
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('answers 400 to malformed JSON and writes nothing', async () => {
    const { handler } = await importHandler(load, functionEnvironment(contract, environment));

    const response = await handler(event(handOff, '{"title":'));

    expect([response.statusCode, JSON.parse(response.body)]).toEqual([
      400,
      { error: 'body is not valid JSON' },
    ]);
    expect(dynamo.calls()).toHaveLength(0);
    expect(kinesis.calls()).toHaveLength(0);
  });

  it('refuses an event that is not an API Gateway proxy event', async () => {
    const { handler } = await importHandler(load, functionEnvironment(contract, environment));

    await expect(handler({ detail: 'not http' })).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it.each(['DATABASE_HOST', 'USAGE_STREAM_NAME', 'POOLED_TABLE_ARN'])(
    'requires %s at cold start',
    async (name) => {
      await expectColdStartToRequire(load, functionEnvironment(contract, environment), name);
    },
  );
});
