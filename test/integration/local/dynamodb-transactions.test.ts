// TransactWriteItems on the local environment: local/moto/launcher.py snapshots only the items a
// transaction names (moto copies whole tables). The outcome must stay all-or-nothing, as on DynamoDB.
import { CreateTableCommand, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { resetLocalAws, useLocalAws } from '../support';

const RANGE_TABLE = 'transactions-range';
const HASH_TABLE = 'transactions-hash';

describe('local AWS: DynamoDB TransactWriteItems', () => {
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
});
