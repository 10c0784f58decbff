import { createHash } from 'node:crypto';
import { DynamoDBClient, QueryCommand, type QueryCommandInput, ScanCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { contract } from '../../../../lambdas/tenant-data-verify/contract';
import { expectColdStartToRequire, importHandler } from '../../support/lambda';

const POOLED_TABLE = 'tenantry-dev-pooled-data';
/** Tenant acme's silo table: `<product>-<stage>-silo-data-<tenantId>` with the default config. */
const SILO_TABLE = 'tenantry-dev-silo-data-acme';
const ENV = { POOLED_TABLE_NAME: POOLED_TABLE, VERIFY_CHUNK_ITEMS: undefined };
const load = () => import('../../../../lambdas/tenant-data-verify/handler');
const dynamo = mockClient(DynamoDBClient);

function item(sk: string, body: string) {
  return { pk: { S: 'TENANT#acme#docs' }, sk: { S: sk }, tenantId: { S: 'acme' }, body: { S: body } };
}
/** The same items as canonical JSON (attribute names sorted, AttributeValue form), written out. */
const CANONICAL_A =
  '{"body":{"S":"first"},"pk":{"S":"TENANT#acme#docs"},"sk":{"S":"a"},"tenantId":{"S":"acme"}}';
const CANONICAL_B =
  '{"body":{"S":"second"},"pk":{"S":"TENANT#acme#docs"},"sk":{"S":"b"},"tenantId":{"S":"acme"}}';

/** The checksum rule (domain/lifecycle/checksum.ts): sum mod 2^64 of each item's first 8 SHA-256 bytes. */
function checksumOf(canonicalItems: readonly string[]): string {
  let sum = 0n;
  for (const json of canonicalItems) {
    sum = (sum + createHash('sha256').update(json).digest().readBigUInt64BE(0)) % (1n << 64n);
  }
  return sum.toString(16).padStart(16, '0');
}

/** The failure when the pool holds items a and b and the silo two items that are not these two. */
const TARGET_DIFFERS_FROM_A_AND_B = {
  name: 'DataVerificationError',
  message: expect.stringMatching(
    new RegExp(
      `^tenant acme: copy verification failed: source has 2 items \\(checksum ${checksumOf([
        CANONICAL_A,
        CANONICAL_B,
      ])}\\), target has 2 items \\(checksum [0-9a-f]{16}\\)$`,
    ),
  ),
};

/**
 * The pooled table: the byTenant index lists acme's partitions one by one (`pk > :after`), one of
 * them another tenant's; the base table answers the consistent Query of acme's partition.
 */
function pool(items: readonly ReturnType<typeof item>[]) {
  const partitions = ['TENANT#acme#docs', 'TENANT#globex#docs'];
  dynamo.on(QueryCommand).callsFake((input: QueryCommandInput) => {
    if (input.IndexName === 'byTenant') {
      const after = input.ExpressionAttributeValues?.[':after']?.S;
      const next = partitions.find((pk) => after === undefined || pk > after);
      return { Items: next === undefined ? [] : [{ pk: { S: next } }] };
    }
    return { Items: input.ExpressionAttributeValues?.[':pk']?.S === 'TENANT#acme#docs' ? items : [] };
  });
}

beforeEach(() => dynamo.reset());
afterEach(() => vi.unstubAllEnvs());

describe('tenant-data-verify cold start', () => {
  it('fails the import naming POOLED_TABLE_NAME when it is not set', async () => {
    // Prepare / Act / Assess
    await expectColdStartToRequire(load, ENV, 'POOLED_TABLE_NAME');
  });

  it('fails the import naming VERIFY_CHUNK_ITEMS when it is not a positive bound', async () => {
    // Prepare / Act
    const loading = importHandler(load, { ...ENV, VERIFY_CHUNK_ITEMS: '0' });
    // Assess
    await expect(loading).rejects.toMatchObject({
      name: 'EnvironmentError',
      message: expect.stringMatching(/^invalid environment: VERIFY_CHUNK_ITEMS: /),
    });
  });
});

describe('tenant-data-verify handler', () => {
  it('rejects a missing tenant id, naming the field and the function', async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);

    // Act
    const verifying = handler({ siloTable: SILO_TABLE });

    // Assess
    await expect(verifying).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/^invalid tenant-data-verify input: tenantId: /),
    });
    expect(dynamo).not.toHaveReceivedAnyCommand();
  });

  it("refuses a silo table that is not the tenant's own", async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);

    // Act
    const verifying = handler({ tenantId: 'acme', siloTable: 'tenantry-dev-silo-data-globex' });

    // Assess
    await expect(verifying).rejects.toMatchObject({
      name: 'ValidationError',
      message:
        'invalid tenant-data-verify input: siloTable: "tenantry-dev-silo-data-globex" is not the silo table ' +
        'of this tenant (tenantry-dev-silo-data-acme)',
    });
    expect(dynamo).not.toHaveReceivedAnyCommand();
  });

  it("answers the count and checksum when the silo holds the pool's current items", async () => {
    // Prepare
    pool([item('a', 'first'), item('b', 'second')]);
    dynamo.on(ScanCommand).resolves({ Items: [item('b', 'second'), item('a', 'first')] });
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({ tenantId: 'acme', siloTable: SILO_TABLE });

    // Assess: both sides done in this one chunk, with equal totals
    const counted = {
      table: 0,
      partition: null,
      startKey: null,
      count: 2,
      checksum: checksumOf([CANONICAL_A, CANONICAL_B]),
      done: true,
    };
    expect(result).toEqual({
      tenantId: 'acme',
      direction: 'pool-to-silo',
      siloTable: SILO_TABLE,
      collections: [],
      source: counted,
      target: counted,
      done: true,
    });
    expect(contract.output.safeParse(result).success).toBe(true);
    // the pool side is read from the base table, strongly consistent, for acme's partition only
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      TableName: POOLED_TABLE,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: 'TENANT#acme#docs' } },
      ConsistentRead: true,
    });
    const baseReads = dynamo
      .commandCalls(QueryCommand)
      .filter((call) => call.args[0].input.IndexName === undefined);
    expect(baseReads).toHaveLength(1);
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      TableName: POOLED_TABLE,
      IndexName: 'byTenant',
      ExpressionAttributeValues: { ':tenant': { S: 'acme' } },
    });
    expect(dynamo).toHaveReceivedCommandTimes(ScanCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(ScanCommand, { TableName: SILO_TABLE, ConsistentRead: true });
  });

  it('fails with DataVerificationError when an item differs between pool and silo', async () => {
    // Prepare
    pool([item('a', 'first'), item('b', 'second')]);
    dynamo.on(ScanCommand).resolves({ Items: [item('a', 'first'), item('b', 'stale')] });
    const { handler } = await importHandler(load, ENV);

    // Act
    const verifying = handler({ tenantId: 'acme', siloTable: SILO_TABLE });

    // Assess
    await expect(verifying).rejects.toMatchObject(TARGET_DIFFERS_FROM_A_AND_B);
  });

  it('fails with DataVerificationError when the silo misses an item', async () => {
    // Prepare
    pool([item('a', 'first'), item('b', 'second')]);
    dynamo.on(ScanCommand).resolves({ Items: [item('a', 'first')] });
    const { handler } = await importHandler(load, ENV);

    // Act
    const verifying = handler({ tenantId: 'acme', siloTable: SILO_TABLE });

    // Assess
    await expect(verifying).rejects.toMatchObject({
      name: 'DataVerificationError',
      message: expect.stringContaining(
        `source has 2 items (checksum ${checksumOf([CANONICAL_A, CANONICAL_B])}), ` +
          `target has 1 items (checksum ${checksumOf([CANONICAL_A])})`,
      ),
    });
  });
});

describe('tenant-data-verify of a business tenant', () => {
  const DOCUMENTS_TABLE = 'tenantry-dev-collection-acme.documents';
  const doc = (sk: string, body: string) => ({ ...item(sk, body), pk: { S: 'TENANT#acme#documents' } });

  it('to a silo: the pooled items plus the documents table, tallied as one, equal the silo', async () => {
    // Prepare: item a in the pool, document d in its own table; the silo holds both
    pool([item('a', 'first')]);
    dynamo.on(ScanCommand, { TableName: DOCUMENTS_TABLE }).resolves({ Items: [doc('d', 'doc')] });
    dynamo
      .on(ScanCommand, { TableName: SILO_TABLE })
      .resolves({ Items: [doc('d', 'doc'), item('a', 'first')] });
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({ tenantId: 'acme', siloTable: SILO_TABLE, collections: ['documents'] });

    // Assess: the source side walked both tables (index 1 = the documents table)
    expect(result).toMatchObject({ done: true, source: { table: 1, count: 2 }, target: { count: 2 } });
    expect(result.source?.checksum).toBe(result.target?.checksum);
  });

  it('to a silo: a document missing from the silo fails the verification', async () => {
    // Prepare
    pool([item('a', 'first')]);
    dynamo.on(ScanCommand, { TableName: DOCUMENTS_TABLE }).resolves({ Items: [doc('d', 'doc')] });
    dynamo.on(ScanCommand, { TableName: SILO_TABLE }).resolves({ Items: [item('a', 'first')] });
    const { handler } = await importHandler(load, ENV);

    // Act
    const verifying = handler({ tenantId: 'acme', siloTable: SILO_TABLE, collections: ['documents'] });

    // Assess
    await expect(verifying).rejects.toMatchObject({
      name: 'DataVerificationError',
      message: expect.stringContaining(`source has 2 items`),
    });
  });

  it('within the pool: only the documents partition is compared with the documents table', async () => {
    // Prepare: acme's docs partition is not moving and must not be counted
    dynamo.on(QueryCommand).callsFake((input: QueryCommandInput) => ({
      Items: input.ExpressionAttributeValues?.[':pk']?.S === 'TENANT#acme#documents' ? [doc('d', 'doc')] : [],
    }));
    dynamo.on(ScanCommand, { TableName: DOCUMENTS_TABLE }).resolves({ Items: [doc('d', 'doc')] });
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({
      tenantId: 'acme',
      direction: 'pool-to-collections',
      collections: ['documents'],
    });

    // Assess
    expect(result).toMatchObject({ done: true, source: { count: 1 }, target: { count: 1 } });
    expect(dynamo).not.toHaveReceivedCommandWith(QueryCommand, { IndexName: 'byTenant' });
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      TableName: POOLED_TABLE,
      ExpressionAttributeValues: { ':pk': { S: 'TENANT#acme#documents' } },
      ConsistentRead: true,
    });
  });
});

describe('tenant-data-verify in chunks', () => {
  it('reads at most VERIFY_CHUNK_ITEMS items of each side and returns where the next chunk starts', async () => {
    // Prepare: a bound of 1 item; each side holds two
    pool([item('a', 'first'), item('b', 'second')]);
    dynamo.on(QueryCommand, { IndexName: undefined }).callsFake((input: QueryCommandInput) => ({
      Items: [item('a', 'first')],
      ...(input.Limit === 1 ? { LastEvaluatedKey: { pk: { S: 'TENANT#acme#docs' }, sk: { S: 'a' } } } : {}),
    }));
    dynamo.on(ScanCommand).resolves({
      Items: [item('b', 'second')],
      LastEvaluatedKey: { pk: { S: 'TENANT#acme#docs' }, sk: { S: 'b' } },
    });
    const { handler } = await importHandler(load, { ...ENV, VERIFY_CHUNK_ITEMS: '1' });

    // Act
    const result = await handler({ tenantId: 'acme', siloTable: SILO_TABLE });

    // Assess: one item counted on each side, the positions carried in the cursor, not done
    expect(result).toEqual({
      tenantId: 'acme',
      direction: 'pool-to-silo',
      siloTable: SILO_TABLE,
      collections: [],
      source: {
        table: 0,
        partition: 'TENANT#acme#docs',
        startKey: { pk: { S: 'TENANT#acme#docs' }, sk: { S: 'a' } },
        count: 1,
        checksum: checksumOf([CANONICAL_A]),
        done: false,
      },
      target: {
        table: 0,
        partition: null,
        startKey: { pk: { S: 'TENANT#acme#docs' }, sk: { S: 'b' } },
        count: 1,
        checksum: checksumOf([CANONICAL_B]),
        done: false,
      },
      done: false,
    });
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, { ConsistentRead: true, Limit: 1 });
    expect(dynamo).toHaveReceivedCommandTimes(ScanCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(ScanCommand, { TableName: SILO_TABLE, Limit: 1 });
  });

  it('adds the last chunk to the running totals of the earlier ones and fails on a mismatch there', async () => {
    // Prepare: item a was counted on both sides by an earlier chunk; item b differs in the silo
    pool([item('a', 'first'), item('b', 'second')]);
    dynamo.on(QueryCommand, { IndexName: undefined }).resolves({ Items: [item('b', 'second')] });
    dynamo.on(ScanCommand).resolves({ Items: [item('b', 'stale')] });
    const { handler } = await importHandler(load, { ...ENV, VERIFY_CHUNK_ITEMS: '1' });
    const countedA = { count: 1, checksum: checksumOf([CANONICAL_A]), done: false };
    const afterA = { pk: { S: 'TENANT#acme#docs' }, sk: { S: 'a' } };

    // Act
    const verifying = handler({
      tenantId: 'acme',
      siloTable: SILO_TABLE,
      source: { ...countedA, partition: 'TENANT#acme#docs', startKey: afterA },
      target: { ...countedA, partition: null, startKey: afterA },
    });

    // Assess: the source total covers both chunks (a, then b)
    await expect(verifying).rejects.toMatchObject(TARGET_DIFFERS_FROM_A_AND_B);
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      ConsistentRead: true,
      ExclusiveStartKey: afterA,
    });
    expect(dynamo).toHaveReceivedCommandWith(ScanCommand, { ExclusiveStartKey: afterA });
  });
});
