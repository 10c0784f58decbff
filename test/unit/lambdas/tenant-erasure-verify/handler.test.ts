import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CognitoIdentityProviderClient, ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider';
import {
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { contract } from '../../../../lambdas/tenant-erasure-verify/contract';
import { expectColdStartToRequire, importHandler } from '../../support/lambda';

const ENV = {
  POOLED_TABLE_NAME: 'tenantry-dev-pooled-data',
  TENANT_DATA_BUCKET_NAME: 'tenantry-dev-tenant-data',
  USER_POOL_ID: 'us-east-1_TestPool1',
};
const load = () => import('../../../../lambdas/tenant-erasure-verify/handler');
const dynamo = mockClient(DynamoDBClient);
const s3 = mockClient(S3Client);
const cognito = mockClient(CognitoIdentityProviderClient);
const cfn = mockClient(CloudFormationClient);
const kms = mockClient(KMSClient);
const KEY = 'arn:aws:kms:eu-central-1:111122223333:key/k1';
const request = {
  tenantId: 'acme',
  silo: null,
  executionArn: 'arn:aws:states:us-east-1:111122223333:execution:offboarding:x',
  startedAt: '2026-12-01T01:00:00.000Z',
  attempts: 1,
  erased: { items: 7, objects: 2, users: 1 },
  keyDeletionDate: null,
};

beforeEach(() => {
  for (const mock of [dynamo, s3, cognito, cfn, kms]) mock.reset();
  dynamo.on(ScanCommand).resolves({ Items: [] });
  dynamo
    .on(DescribeTableCommand)
    .rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
  s3.on(ListObjectVersionsCommand).resolves({});
  cognito.on(ListUsersCommand).resolves({ Users: [] });
});
afterEach(() => vi.unstubAllEnvs());

describe('tenant-erasure-verify cold start', () => {
  it('fails the import naming USER_POOL_ID when it is not set', async () => {
    // Prepare / Act / Assess
    await expectColdStartToRequire(load, ENV, 'USER_POOL_ID');
  });
});

describe('tenant-erasure-verify handler', () => {
  it('returns clean and the erasure record when nothing of a pooled tenant is left', async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler(request);

    // Assess
    expect(result).toEqual({
      ...request,
      // rows: a request without them (offboarding before rows were erased) counts none
      erased: { ...request.erased, rows: 0 },
      pool: { partition: null, startKey: null, count: 0, checksum: '0'.repeat(16), done: true },
      sample: [],
      done: true,
      verdict: {
        clean: true,
        leftovers: [],
        record: {
          executionArn: request.executionArn,
          startedAt: request.startedAt,
          verifiedAt: expect.any(String),
          attempts: 1,
          erased: { items: 7, objects: 2, users: 1, rows: 0 },
          remaining: { items: 0, objects: 0, users: 0, collectionTables: 0, siloStack: false, kmsKey: false },
          keyDeletionDate: null,
        },
      },
    });
    expect(contract.output.safeParse(result).success).toBe(true);
    expect(dynamo).toHaveReceivedCommandWith(ScanCommand, {
      TableName: ENV.POOLED_TABLE_NAME,
      ConsistentRead: true,
    });
    expect(cfn).not.toHaveReceivedAnyCommand();
  });

  it("reports what is left, checking a silo tenant's stack (derived from its id) and key", async () => {
    // Prepare
    dynamo.on(ScanCommand).resolves({ Items: [{ pk: { S: 'TENANT#acme#notes' }, sk: { S: 'n1' } }] });
    cfn.on(DescribeStacksCommand).rejects(new Error('Stack with id tenantry-dev-silo-acme does not exist'));
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k1', KeyState: 'PendingDeletion' } });
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({
      ...request,
      attempts: 2,
      silo: { region: 'eu-central-1', kmsKeyArn: KEY },
      keyDeletionDate: '2027-01-01T00:00:00.000Z',
    });

    // Assess
    expect(result.done).toBe(true);
    expect(result.verdict?.clean).toBe(false);
    expect(result.verdict?.leftovers).toEqual([
      '1 pooled items under TENANT#acme# in tenantry-dev-pooled-data (TENANT#acme#notes/n1)',
    ]);
    expect(result.verdict?.record.remaining).toEqual({
      items: 1,
      objects: 0,
      users: 0,
      collectionTables: 0,
      siloStack: false,
      kmsKey: false,
    });
    expect(cfn).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'tenantry-dev-silo-acme' });
    expect(kms).toHaveReceivedCommandWith(DescribeKeyCommand, { KeyId: KEY });
  });

  it("reports a business tenant's collection table that still exists", async () => {
    // Prepare: the business tier's documents table of acme is still there.
    dynamo
      .on(DescribeTableCommand, { TableName: 'tenantry-dev-collection-acme.documents' })
      .resolves({ Table: { TableName: 'tenantry-dev-collection-acme.documents', TableStatus: 'ACTIVE' } });
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler(request);

    // Assess
    expect(result.verdict?.clean).toBe(false);
    expect(result.verdict?.leftovers).toEqual([
      'collection tables still exist: tenantry-dev-collection-acme.documents',
    ]);
    expect(result.verdict?.record.remaining).toMatchObject({ items: 0, collectionTables: 1 });
  });

  it('returns the cursor of the next chunk, and no verdict, while the pool is not read to its end', async () => {
    // Prepare: ERASURE_CHUNK_ITEMS = 2; the first page read 2 items and more follow
    dynamo.on(ScanCommand).resolves({
      Items: [{ pk: { S: 'TENANT#acme#notes' }, sk: { S: 'n1' } }],
      ScannedCount: 2,
      LastEvaluatedKey: { pk: { S: 'TENANT#zeta#a' }, sk: { S: 'z' } },
    });
    const { handler } = await importHandler(load, { ...ENV, ERASURE_CHUNK_ITEMS: '2' });

    // Act
    const result = await handler(request);

    // Assess
    expect(result).toMatchObject({
      done: false,
      verdict: null,
      sample: ['TENANT#acme#notes/n1'],
      pool: { count: 1, done: false, startKey: { pk: { S: 'TENANT#zeta#a' }, sk: { S: 'z' } } },
    });
    expect(dynamo).toHaveReceivedCommandTimes(ScanCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(ScanCommand, { Limit: 2 });
    expect(s3).not.toHaveReceivedAnyCommand();
    expect(cognito).not.toHaveReceivedAnyCommand();
    expect(contract.input.safeParse(JSON.parse(JSON.stringify(result))).success).toBe(true);
  });

  it('refuses a silo region outside the allowed list, reading nothing', async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);

    // Act / Assess
    await expect(
      handler({ ...request, silo: { region: 'ap-south-1', kmsKeyArn: KEY } }),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message:
        'invalid tenant-erasure-verify input: silo.region: "ap-south-1" is not a silo region (allowed: us-east-1, eu-central-1)',
    });
    expect(dynamo).not.toHaveReceivedAnyCommand();
  });
});
