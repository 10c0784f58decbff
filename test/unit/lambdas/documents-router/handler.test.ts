import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FunctionEnvironment, functionEnvironment } from '../../../../domain/function-contract';
import { credentialContextKeys } from '../../../../domain/identity/request-context';
import { contract } from '../../../../lambdas/documents-router/contract';
import { expectColdStartToRequire, importHandler } from '../../support/lambda';
import { ACCOUNT } from '../../support/tokens';

// The router as Lambda runs it: catalog read and Lambda Invoke mocked.

const dynamo = mockClient(DynamoDBDocumentClient);
const lambda = mockClient(LambdaClient);

const POOLED_FUNCTION = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:tenantry-dev-documents-pooled`;
const SILO_FUNCTION = `arn:aws:lambda:eu-central-1:${ACCOUNT}:function:tenantry-dev-rheinbank-documents`;
const environment: FunctionEnvironment<typeof contract> = {
  CATALOG_TABLE_NAME: 'tenantry-dev-catalog',
  POOLED_SERVICE_FUNCTION_ARN: POOLED_FUNCTION,
};
const load = () => import('../../../../lambdas/documents-router/handler');

const now = '2026-01-01T00:00:00.000Z';
const siloTenant = {
  tenantId: 'rheinbank',
  name: 'Rheinbank',
  tier: 'enterprise',
  isolation: 'silo',
  status: 'ACTIVE',
  region: 'eu-central-1',
  silo: {
    stackId: `arn:aws:cloudformation:eu-central-1:${ACCOUNT}:stack/tenantry-dev-silo-rheinbank/1`,
    tableName: 'tenantry-dev-silo-data-rheinbank',
    tableArn: `arn:aws:dynamodb:eu-central-1:${ACCOUNT}:table/tenantry-dev-silo-data-rheinbank`,
    kmsKeyArn: `arn:aws:kms:eu-central-1:${ACCOUNT}:key/1`,
    serviceFunctionArn: SILO_FUNCTION,
  },
  createdAt: now,
  updatedAt: now,
  version: 1,
  history: [],
};

const event = {
  resource: '/documents',
  httpMethod: 'GET',
  pathParameters: null,
  body: null,
  requestContext: {
    requestId: 'r-1',
    authorizer: {
      tenantId: 'rheinbank',
      tier: 'enterprise',
      route: 'silo:tenantry-dev-silo-rheinbank',
      accessLevel: 'read-write',
      [credentialContextKeys.accessKeyId]: 'ASIAFAKEKEY1',
      [credentialContextKeys.secretAccessKey]: 'fake-secret',
      [credentialContextKeys.sessionToken]: 'fake-token',
      [credentialContextKeys.expiration]: '2099-01-01T00:00:00.000Z',
    },
  },
};
/** Invoke's payload as the SDK returns it (bytes). */
const payload = (text: string) => new TextEncoder().encode(text) as unknown as InvokeCommandOutput['Payload'];
const answer = { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"documents":[]}' };

beforeEach(() => {
  dynamo.reset();
  lambda.reset();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('documents-router handler', () => {
  it("invokes the silo tenant's own function, recorded in the catalog, with the event unchanged", async () => {
    // Prepare
    dynamo.on(GetCommand).resolves({ Item: siloTenant });
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload(JSON.stringify(answer)) });
    const { handler } = await importHandler(load, functionEnvironment(contract, environment));

    // Act
    const response = await handler(event);

    // Assess
    expect(response).toEqual(answer);
    const [call] = lambda.commandCalls(InvokeCommand);
    expect(call?.args[0].input.FunctionName).toBe(SILO_FUNCTION);
    expect(JSON.parse(new TextDecoder().decode(call?.args[0].input.Payload as Uint8Array))).toEqual(event);
    expect(await lambda.call(0).thisValue.config.region()).toBe('eu-central-1');
  });

  it('answers 502 when the function fails, without its error text', async () => {
    dynamo.on(GetCommand).resolves({ Item: siloTenant });
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: payload('{"errorMessage":"secret detail"}'),
    });
    const { handler } = await importHandler(load, functionEnvironment(contract, environment));

    const response = await handler(event);

    expect([response.statusCode, JSON.parse(response.body)]).toEqual([
      502,
      { error: 'the tenant service failed' },
    ]);
  });

  it('requires the pooled function ARN at cold start', async () => {
    await expectColdStartToRequire(
      load,
      functionEnvironment(contract, environment),
      'POOLED_SERVICE_FUNCTION_ARN',
    );
  });
});
