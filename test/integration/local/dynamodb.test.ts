// DynamoDB on the local environment, where local/moto/launcher.py replaces moto's whole-table work:
// TransactWriteItems snapshots only the items a transaction names (moto copied whole tables), and a
// base-table Query reads only its partition (moto listed and sorted the whole table). The results
// must stay DynamoDB's: all-or-nothing transactions, a Query's partition in key order, pages.
import { CreateTableCommand, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { resetLocalAws, useLocalAws } from '../support';

const RANGE_TABLE = 'transactions-range';
const HASH_TABLE = 'transactions-hash';

describe('local AWS: DynamoDB', () => {
  let docs: DynamoDBDocumentClient;

  const get = async (TableName: string, Key: Record<string, string>) =>
    (await docs.send(new GetCommand({ TableName, Key, ConsistentRead: true }))).Item;

  beforeAll(async () => {
    useLocalAws();
    await resetLocalAws();
    const ddb = new DynamoDBClient({});
    docs = DynamoDBDocumentClient.from(ddb);
    await ddb.send(
      new CreateTableCommand({
        TableName: RANGE_TABLE,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
    await ddb.send(
      new CreateTableCommand({
        TableName: HASH_TABLE,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
  });

  it('a cancelled transaction leaves every named item as it was, in both tables', async () => {
    // Prepare: an item to update, one to delete, one whose condition fails; one new item to put
    await docs.send(new PutCommand({ TableName: RANGE_TABLE, Item: { pk: 'a', sk: '1', n: 1 } }));
    await docs.send(new PutCommand({ TableName: RANGE_TABLE, Item: { pk: 'a', sk: '2', n: 2 } }));
    await docs.send(new PutCommand({ TableName: HASH_TABLE, Item: { id: 'guard', open: false } }));

    // Act: the last operation's condition fails after the first three were applied
    const write = docs.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: RANGE_TABLE,
              Key: { pk: 'a', sk: '1' },
              UpdateExpression: 'SET n = :n',
              ExpressionAttributeValues: { ':n': 10 },
            },
          },
          { Delete: { TableName: RANGE_TABLE, Key: { pk: 'a', sk: '2' } } },
          { Put: { TableName: HASH_TABLE, Item: { id: 'new', n: 3 } } },
          {
            ConditionCheck: {
              TableName: HASH_TABLE,
              Key: { id: 'guard' },
              ConditionExpression: '#open = :yes',
              ExpressionAttributeNames: { '#open': 'open' },
              ExpressionAttributeValues: { ':yes': true },
            },
          },
        ],
      }),
    );

    // Assess
    await expect(write).rejects.toBeInstanceOf(TransactionCanceledException);
    expect(await get(RANGE_TABLE, { pk: 'a', sk: '1' })).toEqual({ pk: 'a', sk: '1', n: 1 });
    expect(await get(RANGE_TABLE, { pk: 'a', sk: '2' })).toEqual({ pk: 'a', sk: '2', n: 2 });
    expect(await get(HASH_TABLE, { id: 'new' })).toBeUndefined();
  });

  it('a transaction whose conditions hold applies every operation', async () => {
    // Prepare: the guard opens
    await docs.send(new PutCommand({ TableName: HASH_TABLE, Item: { id: 'guard', open: true } }));

    // Act
    await docs.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: RANGE_TABLE,
              Key: { pk: 'a', sk: '1' },
              UpdateExpression: 'SET n = :n',
              ExpressionAttributeValues: { ':n': 10 },
            },
          },
          { Delete: { TableName: RANGE_TABLE, Key: { pk: 'a', sk: '2' } } },
          { Put: { TableName: HASH_TABLE, Item: { id: 'new', n: 3 } } },
          {
            ConditionCheck: {
              TableName: HASH_TABLE,
              Key: { id: 'guard' },
              ConditionExpression: '#open = :yes',
              ExpressionAttributeNames: { '#open': 'open' },
              ExpressionAttributeValues: { ':yes': true },
            },
          },
        ],
      }),
    );

    // Assess
    expect(await get(RANGE_TABLE, { pk: 'a', sk: '1' })).toEqual({ pk: 'a', sk: '1', n: 10 });
    expect(await get(RANGE_TABLE, { pk: 'a', sk: '2' })).toBeUndefined();
    expect(await get(HASH_TABLE, { id: 'new' })).toEqual({ id: 'new', n: 3 });
  });

  it('a Query reads its partition only, in key order, both directions, page by page', async () => {
    // Prepare: three partitions of ten items each, written out of order
    for (const sk of ['07', '02', '09', '00', '05', '01', '08', '03', '06', '04']) {
      for (const pk of ['p1', 'p2', 'p3']) {
        await docs.send(new PutCommand({ TableName: RANGE_TABLE, Item: { pk, sk, n: Number(sk) } }));
      }
    }
    const query = async (ScanIndexForward: boolean) => {
      const sks: string[] = [];
      const pages = paginateQuery(
        { client: docs, pageSize: 3 },
        {
          TableName: RANGE_TABLE,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': 'p2', ':from': '02', ':to': '08' },
          ScanIndexForward,
          ConsistentRead: true,
        },
      );
      let count = 0;
      for await (const page of pages) {
        count += 1;
        sks.push(...(page.Items ?? []).map((item) => `${item.pk}/${item.sk}`));
      }
      return { sks, count };
    };

    // Act
    const forward = await query(true);
    const backward = await query(false);

    // Assess
    const expected = ['02', '03', '04', '05', '06', '07', '08'].map((sk) => `p2/${sk}`);
    expect(forward.sks).toEqual(expected);
    expect(backward.sks).toEqual([...expected].reverse());
    expect(forward.count).toBeGreaterThanOrEqual(3); // pages of at most 3 items
  });
});
