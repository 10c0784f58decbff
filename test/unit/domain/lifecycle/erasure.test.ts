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
import { beforeEach, describe, expect, it } from 'vitest';
import { checkErasureChunk, ERASURE_CHECK_START } from '../../../../domain/lifecycle/erasure';

const dynamo = mockClient(DynamoDBClient);
const s3 = mockClient(S3Client);
const cognito = mockClient(CognitoIdentityProviderClient);
const cfn = mockClient(CloudFormationClient);
const kms = mockClient(KMSClient);

const stores = {
  dynamo: new DynamoDBClient({}),
  pooledTableName: 'pool',
  s3: new S3Client({}),
  bucket: 'data',
  cognito: new CognitoIdentityProviderClient({}),
  userPoolId: 'us-east-1_Pool',
};
const KEY = 'arn:aws:kms:eu-central-1:111122223333:key/k1';
const silo = {
  location: { region: 'eu-central-1', stackName: 'tenantry-dev-silo-acme', kmsKeyArn: KEY },
  clients: { region: 'eu-central-1', cfn: new CloudFormationClient({}), kms: new KMSClient({}) },
};
const user = (Username: string, tenantId: string) => ({
  Username,
  Attributes: [{ Name: 'custom:tenantId', Value: tenantId }],
});
/** The check from the start, in one call (no bound reached): its verdict. */
async function checkAll(siloOfTenant: typeof silo | null) {
  const { check } = await checkErasureChunk(stores, 'acme', siloOfTenant, [], ERASURE_CHECK_START);
  if (check === null) throw new Error('the check did not finish in one call');
  return check;
}
const missingStack = Object.assign(new Error('Stack with id tenantry-dev-silo-acme does not exist'), {
  name: 'ValidationError',
});

beforeEach(() => {
  for (const mock of [dynamo, s3, cognito, cfn, kms]) mock.reset();
  dynamo.on(ScanCommand).resolves({ Items: [] });
  s3.on(ListObjectVersionsCommand).resolves({});
  cognito.on(ListUsersCommand).resolves({ Users: [] });
  cfn.on(DescribeStacksCommand).rejects(missingStack);
  kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k1', KeyState: 'PendingDeletion' } });
});

describe('checkErasureChunk', () => {
  it('finds nothing left: every store read, the pool by a consistent key-prefix Scan', async () => {
    // Prepare (the defaults: every store empty, stack gone, key pending deletion)

    // Act
    const check = await checkAll(silo);

    // Assess
    expect(check).toEqual({
      remaining: { items: 0, objects: 0, users: 0, collectionTables: 0, siloStack: false, kmsKey: false },
      leftovers: [],
    });
    expect(dynamo).toHaveReceivedCommandWith(ScanCommand, {
      TableName: 'pool',
      ConsistentRead: true,
      FilterExpression: 'begins_with(#pk, :prefix)',
      ExpressionAttributeValues: { ':prefix': { S: 'TENANT#acme#' } },
    });
    expect(dynamo).not.toHaveReceivedCommandWith(ScanCommand, { IndexName: 'byTenant' });
    expect(s3).toHaveReceivedCommandWith(ListObjectVersionsCommand, { Bucket: 'data', Prefix: 'acme/' });
    expect(cognito).toHaveReceivedCommandWith(ListUsersCommand, { UserPoolId: 'us-east-1_Pool' });
    expect(kms).toHaveReceivedCommandWith(DescribeKeyCommand, { KeyId: KEY });
  });

  it('names each store with something left: items (with or without tenantId), versions, users, stack, key', async () => {
    // Prepare
    dynamo
      .on(ScanCommand)
      .resolvesOnce({
        Items: [{ pk: { S: 'TENANT#acme#notes' }, sk: { S: 'n1' } }],
        LastEvaluatedKey: { pk: { S: 'x' }, sk: { S: 'y' } },
      })
      .resolvesOnce({ Items: [{ pk: { S: 'TENANT#acme#docs' }, sk: { S: 'd1' }, tenantId: { S: 'acme' } }] });
    s3.on(ListObjectVersionsCommand)
      .resolvesOnce({
        Versions: [{ Key: 'acme/a.pdf', VersionId: 'v1' }],
        IsTruncated: true,
        NextKeyMarker: 'acme/a.pdf',
        NextVersionIdMarker: 'v1',
      })
      .resolvesOnce({ DeleteMarkers: [{ Key: 'acme/b.pdf', VersionId: 'v9' }], IsTruncated: false });
    cognito
      .on(ListUsersCommand)
      .resolves({ Users: [user('ann@acme.example', 'acme'), user('bob@globex.example', 'globex')] });
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        { StackName: 'tenantry-dev-silo-acme', StackStatus: 'DELETE_FAILED', CreationTime: new Date() },
      ],
    });
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k1', KeyState: 'Enabled' } });

    // Act
    const check = await checkAll(silo);

    // Assess
    expect(check.remaining).toEqual({
      items: 2,
      objects: 2,
      users: 1,
      collectionTables: 0,
      siloStack: true,
      kmsKey: true,
    });
    expect(check.leftovers).toEqual([
      '2 pooled items under TENANT#acme# in pool (TENANT#acme#notes/n1, TENANT#acme#docs/d1)',
      '2 object versions under acme/ in data (acme/a.pdf@v1, acme/b.pdf@v9)',
      '1 users with custom:tenantId acme in us-east-1_Pool (ann@acme.example)',
      'silo stack tenantry-dev-silo-acme still exists in eu-central-1',
      `silo key ${KEY} is not pending deletion`,
    ]);
    expect(s3).toHaveReceivedNthCommandWith(ListObjectVersionsCommand, 2, {
      KeyMarker: 'acme/a.pdf',
      VersionIdMarker: 'v1',
    });
  });

  it('checks no silo for a pooled tenant', async () => {
    // Prepare (defaults)

    // Act
    const check = await checkAll(null);

    // Assess
    expect(check.leftovers).toEqual([]);
    expect(cfn).not.toHaveReceivedAnyCommand();
    expect(kms).not.toHaveReceivedAnyCommand();
  });

  it('names the collection tables that still exist, and only those', async () => {
    // Prepare: of the two tables the tenant may have had, one is still there.
    dynamo
      .on(DescribeTableCommand)
      .rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }));
    dynamo
      .on(DescribeTableCommand, { TableName: 'tenantry-dev-collection-acme.documents' })
      .resolves({ Table: { TableName: 'tenantry-dev-collection-acme.documents', TableStatus: 'DELETING' } });

    // Act
    const { check } = await checkErasureChunk(
      stores,
      'acme',
      null,
      ['tenantry-dev-collection-acme.documents', 'tenantry-dev-collection-acme.notes'],
      ERASURE_CHECK_START,
    );

    // Assess
    expect(check?.remaining).toMatchObject({ items: 0, collectionTables: 1 });
    expect(check?.leftovers).toEqual([
      'collection tables still exist: tenantry-dev-collection-acme.documents',
    ]);
  });

  it('reads the pool in chunks of at most maxItems read (kept or not), the other stores only once it is read', async () => {
    // Prepare: the filtered Scan reads 2 items per page; the tenant's items are on pages 1 and 3
    const page = (Items: { pk: { S: string }; sk: { S: string } }[], last: string | null) => ({
      Items,
      ScannedCount: 2,
      ...(last === null ? {} : { LastEvaluatedKey: { pk: { S: last }, sk: { S: last } } }),
    });
    dynamo
      .on(ScanCommand)
      .resolvesOnce(page([{ pk: { S: 'TENANT#acme#notes' }, sk: { S: 'n1' } }], 'k2'))
      .resolvesOnce(page([], 'k4'))
      .resolvesOnce(page([{ pk: { S: 'TENANT#acme#docs' }, sk: { S: 'd9' } }], null));

    // Act: two items read per call, as the workflow calls it (each output is the next input)
    const first = await checkErasureChunk(stores, 'acme', null, [], ERASURE_CHECK_START, { maxItems: 2 });
    const storesReadAfterFirst = s3.commandCalls(ListObjectVersionsCommand).length;
    const second = await checkErasureChunk(stores, 'acme', null, [], first.progress, { maxItems: 2 });
    const third = await checkErasureChunk(stores, 'acme', null, [], second.progress, { maxItems: 2 });

    // Assess
    expect([first.check, second.check]).toEqual([null, null]);
    expect(storesReadAfterFirst).toBe(0);
    expect(first.progress.pool).toMatchObject({ count: 1, done: false, startKey: { pk: { S: 'k2' } } });
    expect(second.progress.pool).toMatchObject({ count: 1, done: false, startKey: { pk: { S: 'k4' } } });
    expect(
      dynamo
        .commandCalls(ScanCommand)
        .map((c) => [c.args[0].input.Limit, c.args[0].input.ExclusiveStartKey?.pk?.S]),
    ).toEqual([
      [2, undefined],
      [2, 'k2'],
      [2, 'k4'],
    ]);
    expect(third.check?.remaining.items).toBe(2);
    expect(third.check?.leftovers[0]).toBe(
      '2 pooled items under TENANT#acme# in pool (TENANT#acme#notes/n1, TENANT#acme#docs/d9)',
    );
    expect(s3).toHaveReceivedCommandTimes(ListObjectVersionsCommand, 1);
  });
});
