import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { contract } from '../../../../lambdas/tenant-data-copy/contract';
import { expectColdStartToRequire, importHandler } from '../../support/lambda';

const POOLED_TABLE = 'tenantry-dev-pooled-data';
/** Tenant acme's silo table: `<product>-<stage>-silo-data-<tenantId>` with the default config. */
const SILO_TABLE = 'tenantry-dev-silo-data-acme';
/** Tenant acme's dedicated documents table (a business tier). */
const COLLECTION_TABLE = 'tenantry-dev-collection-acme.documents';
const ENV = { POOLED_TABLE_NAME: POOLED_TABLE, COPY_CHUNK_ITEMS: undefined };
const load = () => import('../../../../lambdas/tenant-data-copy/handler');
const dynamo = mockClient(DynamoDBClient);

/** A pooled item of `owner` (its partition key) listed under acme's `tenantId`. */
function item(sk: string, owner = 'acme') {
  return {
    pk: { S: `TENANT#${owner}#docs` },
    sk: { S: sk },
    tenantId: { S: 'acme' },
    body: { S: `body of ${sk}` },
  };
}
const startKey = (sk: string) => ({ tenantId: { S: 'acme' }, pk: { S: 'TENANT#acme#docs' }, sk: { S: sk } });

beforeEach(() => dynamo.reset());
afterEach(() => vi.unstubAllEnvs());

/** The copy of acme's items from the pool into its silo table, from the start. */
const POOL_TO_SILO = { tenantId: 'acme', direction: 'pool-to-silo', siloTable: SILO_TABLE };

/** The pooled table holds acme's items in two pages (item a, then item b); every batch write succeeds. */
function mockTwoPagesOfAcme() {
  dynamo
    .on(QueryCommand)
    .resolvesOnce({ Items: [item('a')], LastEvaluatedKey: startKey('a') })
    .resolves({ Items: [item('b')] });
  dynamo.on(BatchWriteItemCommand).resolves({});
}

describe('tenant-data-copy cold start', () => {
  it('fails the import naming POOLED_TABLE_NAME when it is not set', async () => {
    // Prepare / Act / Assess
    await expectColdStartToRequire(load, ENV, 'POOLED_TABLE_NAME');
  });

  it('fails the import naming COPY_CHUNK_ITEMS when it is below one batch', async () => {
    // Prepare / Act
    const loading = importHandler(load, { ...ENV, COPY_CHUNK_ITEMS: '10' });

    // Assess
    await expect(loading).rejects.toMatchObject({
      name: 'EnvironmentError',
      message: expect.stringMatching(/^invalid environment: COPY_CHUNK_ITEMS: /),
    });
  });
});

describe('tenant-data-copy handler', () => {
  it('rejects an unknown direction, naming the field and the function', async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);

    // Act
    const copying = handler({ tenantId: 'acme', direction: 'sideways', siloTable: SILO_TABLE });

    // Assess
    await expect(copying).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/^invalid tenant-data-copy input: direction: /),
    });
    expect(dynamo).not.toHaveReceivedAnyCommand();
  });

  it.each(['pool-to-silo', 'silo-to-pool'])(
    "refuses a silo table that is not the tenant's own (%s)",
    async (direction) => {
      // Prepare
      const { handler } = await importHandler(load, ENV);

      // Act
      const copying = handler({ tenantId: 'acme', direction, siloTable: 'tenantry-dev-silo-data-globex' });

      // Assess
      await expect(copying).rejects.toMatchObject({
        name: 'ValidationError',
        message:
          'invalid tenant-data-copy input: siloTable: "tenantry-dev-silo-data-globex" is not the silo table ' +
          'of this tenant (tenantry-dev-silo-data-acme)',
      });
      expect(dynamo).not.toHaveReceivedAnyCommand();
    },
  );

  it("starts from the identifying fields alone and copies the tenant's own items to its silo", async () => {
    // Prepare
    dynamo.on(QueryCommand).resolves({ Items: [item('a'), item('planted', 'globex'), item('b')] });
    dynamo.on(BatchWriteItemCommand).resolves({});
    const { handler } = await importHandler(load, ENV);

    // Act
    const cursor = await handler(POOL_TO_SILO);

    // Assess
    expect(cursor).toEqual({
      tenantId: 'acme',
      direction: 'pool-to-silo',
      siloTable: SILO_TABLE,
      collections: [],
      table: 1,
      startKey: null,
      copied: 2,
      done: true,
    });
    expect(contract.output.safeParse(cursor).success).toBe(true);
    expect(dynamo).toHaveReceivedCommandTimes(QueryCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      TableName: POOLED_TABLE,
      IndexName: 'byTenant',
      KeyConditionExpression: '#tenant = :tenant',
      ExpressionAttributeNames: { '#tenant': 'tenantId' },
      ExpressionAttributeValues: { ':tenant': { S: 'acme' } },
      Limit: 2_500,
    });
    expect(dynamo.commandCalls(QueryCommand)[0]?.args[0].input.ExclusiveStartKey).toBeUndefined();
    expect(dynamo).toHaveReceivedCommandTimes(BatchWriteItemCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(BatchWriteItemCommand, {
      RequestItems: {
        [SILO_TABLE]: [{ PutRequest: { Item: item('a') } }, { PutRequest: { Item: item('b') } }],
      },
    });
    expect(dynamo).not.toHaveReceivedCommand(ScanCommand);
  });

  it('continues from the cursor and stops at the chunk budget, not done while pages remain', async () => {
    // Prepare
    const page = Array.from({ length: 25 }, (_, i) => item(`k${String(i).padStart(2, '0')}`));
    dynamo.on(QueryCommand).resolves({ Items: page, LastEvaluatedKey: startKey('k24') });
    dynamo.on(BatchWriteItemCommand).resolves({});
    const { handler } = await importHandler(load, { ...ENV, COPY_CHUNK_ITEMS: '25' });

    // Act
    const cursor = await handler({
      tenantId: 'acme',
      direction: 'pool-to-silo',
      siloTable: SILO_TABLE,
      startKey: startKey('j99'),
      copied: 30,
      done: false,
    });

    // Assess
    expect(cursor).toEqual({
      tenantId: 'acme',
      direction: 'pool-to-silo',
      siloTable: SILO_TABLE,
      collections: [],
      table: 0,
      startKey: startKey('k24'),
      copied: 55,
      done: false,
    });
    expect(contract.output.safeParse(cursor).success).toBe(true);
    expect(dynamo).toHaveReceivedCommandTimes(QueryCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      TableName: POOLED_TABLE,
      ExclusiveStartKey: startKey('j99'),
      Limit: 25,
    });
    expect(dynamo).toHaveReceivedCommandTimes(BatchWriteItemCommand, 1);
  });

  it('stops after a page when the invocation is close to its timeout', async () => {
    // Prepare
    mockTwoPagesOfAcme();
    const { handler } = await importHandler(load, ENV);
    const nearlyOut = { getRemainingTimeInMillis: () => 5_000 };

    // Act
    const cursor = await handler(POOL_TO_SILO, nearlyOut);

    // Assess
    expect(cursor).toMatchObject({ startKey: startKey('a'), copied: 1, done: false });
    expect(dynamo).toHaveReceivedCommandTimes(QueryCommand, 1);
  });

  it('reads the next pages while time and budget remain, then reports done', async () => {
    // Prepare
    mockTwoPagesOfAcme();
    const { handler } = await importHandler(load, ENV);
    const plentyLeft = { getRemainingTimeInMillis: () => 250_000 };

    // Act
    const cursor = await handler(POOL_TO_SILO, plentyLeft);

    // Assess
    expect(cursor).toMatchObject({ startKey: null, copied: 2, done: true });
    expect(dynamo).toHaveReceivedCommandTimes(QueryCommand, 2);
    expect(dynamo).toHaveReceivedNthCommandWith(QueryCommand, 2, { ExclusiveStartKey: startKey('a') });
  });

  it('restores silo items to the pool without overwriting an item the pool still holds', async () => {
    // Prepare
    dynamo.on(ScanCommand).resolves({ Items: [item('a'), item('b')] });
    dynamo.on(PutItemCommand).resolves({});
    dynamo
      .on(PutItemCommand, { Item: item('b') })
      .rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    const { handler } = await importHandler(load, ENV);

    // Act
    const cursor = await handler({ tenantId: 'acme', direction: 'silo-to-pool', siloTable: SILO_TABLE });

    // Assess
    expect(cursor).toEqual({
      tenantId: 'acme',
      direction: 'silo-to-pool',
      siloTable: SILO_TABLE,
      collections: [],
      table: 1,
      startKey: null,
      copied: 1,
      done: true,
    });
    expect(dynamo).toHaveReceivedCommandWith(ScanCommand, {
      TableName: SILO_TABLE,
      ConsistentRead: true,
      Limit: 2_500,
    });
    expect(dynamo).toHaveReceivedCommandTimes(PutItemCommand, 2);
    for (const sk of ['a', 'b']) {
      expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
        TableName: POOLED_TABLE,
        Item: item(sk),
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'pk' },
      });
    }
    expect(dynamo).not.toHaveReceivedCommand(QueryCommand);
    expect(dynamo).not.toHaveReceivedCommand(BatchWriteItemCommand);
  });

  it("to a silo, copies the pooled items and then the business tenant's collection table, same keys", async () => {
    // Prepare: acme's documents table holds one document; the pool one item
    const doc = { ...item('d1'), pk: { S: 'TENANT#acme#documents' } };
    dynamo.on(QueryCommand).resolves({ Items: [item('a')] });
    dynamo.on(ScanCommand).resolves({ Items: [doc] });
    dynamo.on(BatchWriteItemCommand).resolves({});
    const { handler } = await importHandler(load, ENV);

    // Act
    const cursor = await handler({ ...POOL_TO_SILO, collections: ['documents'] });

    // Assess: both sources walked (table 2 of 2 done), each item written unchanged to the silo
    expect(cursor).toMatchObject({ table: 2, startKey: null, copied: 2, done: true });
    expect(dynamo).toHaveReceivedCommandWith(ScanCommand, {
      TableName: COLLECTION_TABLE,
      ConsistentRead: true,
    });
    expect(dynamo).toHaveReceivedNthCommandWith(BatchWriteItemCommand, 1, {
      RequestItems: { [SILO_TABLE]: [{ PutRequest: { Item: item('a') } }] },
    });
    expect(dynamo).toHaveReceivedNthCommandWith(BatchWriteItemCommand, 2, {
      RequestItems: { [SILO_TABLE]: [{ PutRequest: { Item: doc } }] },
    });
  });

  it('restores a silo to the pool and the collection tables: a documents item goes back to its own table', async () => {
    // Prepare
    const doc = { ...item('d1'), pk: { S: 'TENANT#acme#documents' } };
    dynamo.on(ScanCommand).resolves({ Items: [item('a'), doc] });
    dynamo.on(PutItemCommand).resolves({});
    const { handler } = await importHandler(load, ENV);

    // Act
    const cursor = await handler({
      tenantId: 'acme',
      direction: 'silo-to-pool',
      siloTable: SILO_TABLE,
      collections: ['documents'],
    });

    // Assess
    expect(cursor).toMatchObject({ copied: 2, done: true });
    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, { TableName: POOLED_TABLE, Item: item('a') });
    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, { TableName: COLLECTION_TABLE, Item: doc });
  });

  it('moves a collection from its pooled partition (consistent Query by key) to its own table, never overwriting', async () => {
    // Prepare
    const doc = { ...item('d1'), pk: { S: 'TENANT#acme#documents' } };
    dynamo.on(QueryCommand).resolves({ Items: [doc] });
    dynamo.on(PutItemCommand).resolves({});
    const { handler } = await importHandler(load, ENV);

    // Act
    const cursor = await handler({
      tenantId: 'acme',
      direction: 'pool-to-collections',
      collections: ['documents'],
    });

    // Assess
    expect(cursor).toEqual({
      tenantId: 'acme',
      direction: 'pool-to-collections',
      siloTable: null,
      collections: ['documents'],
      table: 1,
      startKey: null,
      copied: 1,
      done: true,
    });
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      TableName: POOLED_TABLE,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: 'TENANT#acme#documents' } },
      ConsistentRead: true,
    });
    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: COLLECTION_TABLE,
      Item: doc,
      ConditionExpression: 'attribute_not_exists(#pk)',
    });
    expect(dynamo).not.toHaveReceivedCommand(BatchWriteItemCommand);
  });

  it.each([
    ['pool-to-collections', SILO_TABLE, `siloTable: "${SILO_TABLE}": pool-to-collections stays in the pool`],
    ['pool-to-silo', null, 'siloTable: null: pool-to-silo needs'],
  ])(
    'refuses %s with siloTable %s, naming the field and the value',
    async (direction, siloTable, message) => {
      // Prepare
      const { handler } = await importHandler(load, ENV);

      // Act
      const copying = handler({ tenantId: 'acme', direction, siloTable, collections: ['documents'] });

      // Assess
      await expect(copying).rejects.toMatchObject({
        name: 'ValidationError',
        message: expect.stringContaining(`invalid tenant-data-copy input: ${message}`),
      });
      expect(dynamo).not.toHaveReceivedAnyCommand();
    },
  );
});
