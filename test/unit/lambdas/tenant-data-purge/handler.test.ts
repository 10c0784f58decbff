import {
  BatchGetItemCommand,
  type BatchGetItemCommandInput,
  BatchWriteItemCommand,
  DynamoDBClient,
  QueryCommand,
  ResourceNotFoundException,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { contract } from '../../../../lambdas/tenant-data-purge/contract';
import { expectColdStartToRequire, importHandler } from '../../support/lambda';

const POOLED_TABLE = 'tenantry-dev-pooled-data';
const BUCKET = 'tenantry-dev-tenant-data-111122223333-us-east-1';
/** Tenant acme's silo table: `<product>-<stage>-silo-data-<tenantId>` with the default config. */
const SILO_TABLE = 'tenantry-dev-silo-data-acme';
const DOCUMENTS_TABLE = 'tenantry-dev-collection-acme.documents';
const ENV = {
  POOLED_TABLE_NAME: POOLED_TABLE,
  TENANT_DATA_BUCKET_NAME: BUCKET,
  PURGE_CHUNK_ITEMS: undefined,
};
const load = () => import('../../../../lambdas/tenant-data-purge/handler');
const dynamo = mockClient(DynamoDBClient);
const s3 = mockClient(S3Client);

/** A pooled item of `owner` (its partition key) listed under acme's `tenantId`. */
function item(sk: string, body = `body of ${sk}`, owner = 'acme') {
  return { pk: { S: `TENANT#${owner}#docs` }, sk: { S: sk }, tenantId: { S: 'acme' }, body: { S: body } };
}
const key = (sk: string) => ({ pk: { S: 'TENANT#acme#docs' }, sk: { S: sk } });

/** BatchGetItem answers from the pool's and the silo's current items. */
function tables(pooled: readonly ReturnType<typeof item>[], silo: readonly ReturnType<typeof item>[]) {
  dynamo.on(BatchGetItemCommand).callsFake((input: BatchGetItemCommandInput) => {
    const [table, request] = Object.entries(input.RequestItems ?? {})[0] ?? [];
    const source = table === POOLED_TABLE ? pooled : silo;
    const wanted = new Set(request?.Keys?.map((k) => k.sk?.S));
    return { Responses: { [table as string]: source.filter((i) => wanted.has(i.sk.S)) } };
  });
}

beforeEach(() => {
  dynamo.reset();
  s3.reset();
});
afterEach(() => vi.unstubAllEnvs());

describe('tenant-data-purge cold start', () => {
  it.each(['POOLED_TABLE_NAME', 'TENANT_DATA_BUCKET_NAME'])(
    'fails the import naming %s when it is not set',
    async (name) => {
      // Prepare / Act / Assess
      await expectColdStartToRequire(load, ENV, name);
    },
  );
});

describe('tenant-data-purge handler', () => {
  it('rejects an unknown store, naming the field and the function', async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);

    // Act
    const purging = handler({ store: 'glacier', tenantId: 'acme' });

    // Assess
    await expect(purging).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/^invalid tenant-data-purge input: store: /),
    });
    expect(dynamo).not.toHaveReceivedAnyCommand();
    expect(s3).not.toHaveReceivedAnyCommand();
  });

  it("refuses to verify against a table that is not the tenant's silo table", async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);

    // Act
    const purging = handler({
      store: 'pool',
      tenantId: 'acme',
      verifiedAgainst: 'tenantry-dev-silo-data-globex',
    });

    // Assess
    await expect(purging).rejects.toMatchObject({
      name: 'ValidationError',
      message:
        'invalid tenant-data-purge input: verifiedAgainst: "tenantry-dev-silo-data-globex" is not the silo ' +
        'table of this tenant (tenantry-dev-silo-data-acme)',
    });
    expect(dynamo).not.toHaveReceivedAnyCommand();
  });

  it("deletes the tenant's own pooled items, found by key prefix, from the identifying fields alone (offboarding)", async () => {
    // Prepare
    // `bare`: an item under the tenant's prefix without the tenantId attribute (not in the index)
    dynamo
      .on(ScanCommand)
      .resolves({ Items: [item('a'), item('planted', 'x', 'globex'), key('bare'), item('b')] });
    dynamo.on(BatchWriteItemCommand).resolves({});
    const { handler } = await importHandler(load, ENV);

    // Act
    const cursor = await handler({ store: 'pool', tenantId: 'acme' });

    // Assess
    expect(cursor).toEqual({ store: 'pool', tenantId: 'acme', startKey: null, purged: 3, done: true });
    expect(contract.output.safeParse(cursor).success).toBe(true);
    expect(dynamo).toHaveReceivedCommandWith(ScanCommand, {
      TableName: POOLED_TABLE,
      ConsistentRead: true,
      FilterExpression: 'begins_with(#pk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'pk' },
      ExpressionAttributeValues: { ':prefix': { S: 'TENANT#acme#' } },
      Limit: 2_500,
    });
    expect(dynamo).not.toHaveReceivedCommand(QueryCommand);
    expect(dynamo).toHaveReceivedCommandTimes(BatchWriteItemCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(BatchWriteItemCommand, {
      RequestItems: {
        [POOLED_TABLE]: [
          { DeleteRequest: { Key: key('a') } },
          { DeleteRequest: { Key: key('bare') } },
          { DeleteRequest: { Key: key('b') } },
        ],
      },
    });
    expect(dynamo).not.toHaveReceivedCommand(BatchGetItemCommand);
  });

  it('returns the next start key and done false while the scan has more', async () => {
    // Prepare
    const page = Array.from({ length: 25 }, (_, i) => item(`k${String(i).padStart(2, '0')}`));
    const last = key('k24');
    dynamo.on(ScanCommand).resolves({ Items: page, LastEvaluatedKey: last });
    dynamo.on(BatchWriteItemCommand).resolves({});
    const { handler } = await importHandler(load, { ...ENV, PURGE_CHUNK_ITEMS: '25' });

    // Act
    const cursor = await handler({ store: 'pool', tenantId: 'acme', purged: 100 });

    // Assess
    expect(cursor).toEqual({ store: 'pool', tenantId: 'acme', startKey: last, purged: 125, done: false });
    expect(dynamo).toHaveReceivedCommandTimes(ScanCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(ScanCommand, { Limit: 25 });
  });

  it('deletes pooled items whose silo copy is identical, read consistently from both tables (promotion)', async () => {
    // Prepare
    dynamo.on(QueryCommand).resolves({ Items: [item('a'), item('b')] });
    tables([item('a'), item('b')], [item('a'), item('b')]);
    dynamo.on(BatchWriteItemCommand).resolves({});
    const { handler } = await importHandler(load, ENV);

    // Act
    const cursor = await handler({ store: 'pool', tenantId: 'acme', verifiedAgainst: SILO_TABLE });

    // Assess
    expect(cursor).toEqual({
      store: 'pool',
      tenantId: 'acme',
      startKey: null,
      purged: 2,
      done: true,
      verifiedAgainst: SILO_TABLE,
      table: 1,
    });
    expect(contract.output.safeParse(cursor).success).toBe(true);
    for (const table of [POOLED_TABLE, SILO_TABLE]) {
      expect(dynamo).toHaveReceivedCommandWith(BatchGetItemCommand, {
        RequestItems: { [table]: { Keys: [key('a'), key('b')], ConsistentRead: true } },
      });
    }
    expect(dynamo).toHaveReceivedCommandWith(BatchWriteItemCommand, {
      RequestItems: {
        [POOLED_TABLE]: [{ DeleteRequest: { Key: key('a') } }, { DeleteRequest: { Key: key('b') } }],
      },
    });
  });

  it('deletes nothing of the page when a pooled item changed after its copy (promotion)', async () => {
    // Prepare
    dynamo.on(QueryCommand).resolves({ Items: [item('a'), item('b')] });
    tables([item('a'), item('b', 'written after the copy')], [item('a'), item('b')]);
    const { handler } = await importHandler(load, ENV);

    // Act
    const purging = handler({ store: 'pool', tenantId: 'acme', verifiedAgainst: SILO_TABLE });

    // Assess
    await expect(purging).rejects.toMatchObject({
      name: 'PurgeRefusedError',
      message: expect.stringMatching(
        /^tenant acme: refusing to purge the pool: 0 items have no silo copy and 1 differ/,
      ),
    });
    expect(dynamo).not.toHaveReceivedCommand(BatchWriteItemCommand);
  });

  it("deletes every version and delete marker under the tenant's prefix (store s3)", async () => {
    // Prepare
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [
        { Key: 'acme/report.pdf', VersionId: 'v2' },
        { Key: 'acme/report.pdf', VersionId: 'v1' },
      ],
      DeleteMarkers: [{ Key: 'acme/old.txt', VersionId: 'm1' }],
    });
    s3.on(DeleteObjectsCommand).resolves({});
    const { handler } = await importHandler(load, ENV);

    // Act
    const cursor = await handler({ store: 's3', tenantId: 'acme', purged: 1000 });

    // Assess
    expect(cursor).toEqual({ store: 's3', tenantId: 'acme', startKey: null, purged: 1003, done: false });
    expect(contract.output.safeParse(cursor).success).toBe(true);
    expect(s3).toHaveReceivedCommandWith(ListObjectVersionsCommand, {
      Bucket: BUCKET,
      Prefix: 'acme/',
      MaxKeys: 1000,
    });
    expect(s3).toHaveReceivedCommandWith(DeleteObjectsCommand, {
      Bucket: BUCKET,
      Delete: {
        Objects: [
          { Key: 'acme/report.pdf', VersionId: 'v2' },
          { Key: 'acme/report.pdf', VersionId: 'v1' },
          { Key: 'acme/old.txt', VersionId: 'm1' },
        ],
        Quiet: true,
      },
    });
    expect(dynamo).not.toHaveReceivedAnyCommand();
  });

  it('reports done when nothing of the tenant is left in the bucket (store s3)', async () => {
    // Prepare
    s3.on(ListObjectVersionsCommand).resolves({});
    const { handler } = await importHandler(load, ENV);

    // Act
    const cursor = await handler({ store: 's3', tenantId: 'acme', purged: 1003 });

    // Assess
    expect(cursor).toEqual({ store: 's3', tenantId: 'acme', startKey: null, purged: 1003, done: true });
    expect(s3).not.toHaveReceivedCommand(DeleteObjectsCommand);
  });

  it('fails with ObjectDeletionError when S3 refuses some deletions (store s3)', async () => {
    // Prepare
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [{ Key: 'acme/locked.pdf', VersionId: 'v1' }] });
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'acme/locked.pdf', Code: 'AccessDenied' }] });
    const { handler } = await importHandler(load, ENV);

    // Act
    const purging = handler({ store: 's3', tenantId: 'acme' });

    // Assess
    await expect(purging).rejects.toMatchObject({
      name: 'ObjectDeletionError',
      message: `1 objects of ${BUCKET} could not be deleted: acme/locked.pdf (AccessDenied)`,
    });
  });

  it("a business tenant's promotion also empties its documents table, each item against its silo copy", async () => {
    // Prepare: nothing left in the pool; one document in the documents table, identical in the silo
    const doc = { ...item('d'), pk: { S: 'TENANT#acme#documents' } };
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo.on(ScanCommand).resolves({ Items: [doc] });
    dynamo.on(BatchGetItemCommand).callsFake((input: BatchGetItemCommandInput) => {
      const [table] = Object.keys(input.RequestItems ?? {});
      return { Responses: { [table as string]: [doc] } };
    });
    dynamo.on(BatchWriteItemCommand).resolves({});
    const { handler } = await importHandler(load, ENV);

    // Act
    const cursor = await handler({
      store: 'pool',
      tenantId: 'acme',
      verifiedAgainst: SILO_TABLE,
      direction: 'pool-to-silo',
      collections: ['documents'],
    });

    // Assess
    expect(cursor).toMatchObject({ table: 2, purged: 1, done: true });
    expect(dynamo).toHaveReceivedCommandWith(BatchGetItemCommand, {
      RequestItems: { [SILO_TABLE]: { Keys: [{ pk: doc.pk, sk: doc.sk }], ConsistentRead: true } },
    });
    expect(dynamo).toHaveReceivedCommandWith(BatchWriteItemCommand, {
      RequestItems: { [DOCUMENTS_TABLE]: [{ DeleteRequest: { Key: { pk: doc.pk, sk: doc.sk } } }] },
    });
  });

  it('a rollback purging copies in a collection table that was never created finds nothing to purge', async () => {
    // Prepare
    dynamo.on(ScanCommand).rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }));
    const { handler } = await importHandler(load, ENV);

    // Act
    const cursor = await handler({
      store: 'pool',
      tenantId: 'acme',
      direction: 'collections-to-pool',
      collections: ['documents'],
    });

    // Assess
    expect(cursor).toMatchObject({ table: 1, purged: 0, done: true });
    expect(dynamo).not.toHaveReceivedCommand(BatchWriteItemCommand);
  });

  it('a missing pooled table is an error, not an empty purge', async () => {
    // Prepare
    dynamo.on(QueryCommand).rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }));
    const { handler } = await importHandler(load, ENV);

    // Act
    const purging = handler({
      store: 'pool',
      tenantId: 'acme',
      direction: 'pool-to-collections',
      collections: ['documents'],
    });

    // Assess
    await expect(purging).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
