// DynamoDB on the local environment, where local/moto/launcher.py replaces moto's whole-table work:
// TransactWriteItems snapshots only the items a transaction names (moto copied whole tables); a Query
// (base table or index) reads only its partition and a Scan page starts at its ExclusiveStartKey found
// by bisection (moto listed and sorted the whole table for every page and walked to the start key).
// The results must stay DynamoDB's: all-or-nothing transactions, a Query's partition in key order
// (numbers by value), Limit counted before the filter, pages that resume exactly where the last stopped.
import { CreateTableCommand, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  paginateScan,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { resetLocalAws, useLocalAws } from '../support';

const RANGE_TABLE = 'transactions-range';
const HASH_TABLE = 'transactions-hash';
const INDEXED_TABLE = 'reads-indexed';
const BY_GROUP = 'byGroup';

/** Every page of a paginated read: the items' keys, each page's Count and ScannedCount. */
async function readPages(
  pages: AsyncIterable<{ Items?: Record<string, unknown>[]; Count?: number; ScannedCount?: number }>,
) {
  const keys: string[] = [];
  const counts: number[] = [];
  const scanned: number[] = [];
  for await (const page of pages) {
    keys.push(...(page.Items ?? []).map((item) => `${item.pk}/${item.sk}`));
    counts.push(page.Count ?? 0);
    scanned.push(page.ScannedCount ?? 0);
  }
  return { keys, counts, scanned };
}

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
    await ddb.send(
      new CreateTableCommand({
        TableName: INDEXED_TABLE,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'group', AttributeType: 'S' },
          { AttributeName: 'rank', AttributeType: 'N' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: BY_GROUP,
            KeySchema: [
              { AttributeName: 'group', KeyType: 'HASH' },
              { AttributeName: 'rank', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
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

  describe('index Query and Scan', () => {
    // Written out of key order: 24 items in group g1 (ranks -3.5 … 20, numbers — ordered by value, not
    // as text), 12 in g2, 6 without a rank (not in the index) and 6 without a group.
    const g1Ranks = [
      7, -3.5, 20, 0, 11, 2.25, 9, 15, -1, 4, 13, 18, 1, 6, 10, 3, 17, 8, 12, 5, 19, 14, 16, 2,
    ];
    const g1ByRank = [...g1Ranks].sort((a, b) => a - b).map((rank) => `g1#${rank}`);
    const key = (rank: number) => ({ pk: `p${Math.abs(Math.round(rank)) % 3}`, sk: `g1#${rank}` });

    beforeAll(async () => {
      for (const [i, rank] of g1Ranks.entries()) {
        await docs.send(
          new PutCommand({
            TableName: INDEXED_TABLE,
            Item: { ...key(rank), group: 'g1', rank, odd: i % 2 === 1 },
          }),
        );
      }
      for (let i = 0; i < 12; i += 1) {
        await docs.send(
          new PutCommand({
            TableName: INDEXED_TABLE,
            Item: { pk: `p${i % 3}`, sk: `g2#${i}`, group: 'g2', rank: i },
          }),
        );
      }
      for (let i = 0; i < 6; i += 1) {
        await docs.send(
          new PutCommand({
            TableName: INDEXED_TABLE,
            Item: { pk: `p${i % 3}`, sk: `unranked#${i}`, group: 'g1' },
          }),
        );
        await docs.send(
          new PutCommand({
            TableName: INDEXED_TABLE,
            Item: { pk: `p${i % 3}`, sk: `ungrouped#${i}`, rank: i },
          }),
        );
      }
    });

    const queryGroup = (
      request: { ScanIndexForward?: boolean; range?: string; filter?: boolean },
      pageSize: number,
    ) =>
      readPages(
        paginateQuery(
          { client: docs, pageSize },
          {
            TableName: INDEXED_TABLE,
            IndexName: BY_GROUP,
            KeyConditionExpression: `#group = :group${request.range ?? ''}`,
            ExpressionAttributeNames: { '#group': 'group', ...(request.range ? { '#rank': 'rank' } : {}) },
            ExpressionAttributeValues: {
              ':group': 'g1',
              ...(request.range ? { ':low': 0, ':high': 12 } : {}),
              ...(request.filter ? { ':odd': true } : {}),
            },
            ...(request.filter ? { FilterExpression: 'odd = :odd' } : {}),
            ScanIndexForward: request.ScanIndexForward,
          },
        ),
      );

    it('an index Query reads its index partition only, in index key order (numbers by value), both directions, page by page', async () => {
      // Act
      const forward = await queryGroup({}, 5);
      const backward = await queryGroup({ ScanIndexForward: false }, 5);
      const oneByOne = await queryGroup({}, 1);

      // Assess: g1's 24 ranked items exactly once each; g2, unranked and ungrouped items never
      expect(forward.keys.map((k) => k.split('/')[1])).toEqual(g1ByRank);
      expect(backward.keys.map((k) => k.split('/')[1])).toEqual([...g1ByRank].reverse());
      expect(oneByOne.keys).toEqual(forward.keys);
      expect(forward.counts.slice(0, 4)).toEqual([5, 5, 5, 5]); // pages of Limit items until the last
      expect(forward.counts.reduce((a, b) => a + b, 0)).toBe(24);
    });

    it('an index Query applies its range condition as part of the key, and Limit before the filter', async () => {
      // Act: ranks 0 ≤ rank ≤ 12, pages of 4, only the items with odd = true kept
      const ranged = await queryGroup({ range: ' AND #rank BETWEEN :low AND :high' }, 4);
      const filtered = await queryGroup({ range: ' AND #rank BETWEEN :low AND :high', filter: true }, 4);
      const lowToHigh = g1ByRank.filter((k) => {
        const rank = Number(k.slice(3));
        return rank >= 0 && rank <= 12;
      });

      // Assess: the 14 ranks of [0, 12] in order; ScannedCount counts what the key condition matched (Limit
      // applies to it), Count what the filter kept
      expect(ranged.keys.map((k) => k.split('/')[1])).toEqual(lowToHigh);
      expect(lowToHigh).toHaveLength(14);
      const oddOf = (sk: string) => g1Ranks.indexOf(Number(sk.slice(3))) % 2 === 1;
      expect(filtered.keys.map((k) => k.split('/')[1])).toEqual(lowToHigh.filter(oddOf));
      expect(filtered.scanned.reduce((a, b) => a + b, 0)).toBe(14);
      expect(Math.max(...filtered.scanned)).toBe(4);
      expect(filtered.counts.reduce((a, b) => a + b, 0)).toBe(lowToHigh.filter(oddOf).length);
    });

    it('a Scan returns every item exactly once, page after page from each ExclusiveStartKey, Limit before the filter', async () => {
      // Act
      const all = await readPages(
        paginateScan({ client: docs, pageSize: 7 }, { TableName: INDEXED_TABLE, ConsistentRead: true }),
      );
      const ungrouped = await readPages(
        paginateScan(
          { client: docs, pageSize: 7 },
          {
            TableName: INDEXED_TABLE,
            ConsistentRead: true,
            FilterExpression: 'attribute_not_exists(#group)',
            ExpressionAttributeNames: { '#group': 'group' },
          },
        ),
      );

      // Assess: 48 items, none twice, none missed; pages of 7 read; the filter keeps the 6 ungrouped
      const expected = [
        ...g1Ranks.map((rank) => `${key(rank).pk}/${key(rank).sk}`),
        ...Array.from({ length: 12 }, (_, i) => `p${i % 3}/g2#${i}`),
        ...Array.from({ length: 6 }, (_, i) => `p${i % 3}/unranked#${i}`),
        ...Array.from({ length: 6 }, (_, i) => `p${i % 3}/ungrouped#${i}`),
      ];
      expect([...all.keys].sort()).toEqual([...expected].sort());
      expect(all.counts.slice(0, 6)).toEqual([7, 7, 7, 7, 7, 7]);
      expect([...ungrouped.keys].sort()).toEqual(expected.filter((k) => k.includes('ungrouped')).sort());
      expect(ungrouped.scanned.reduce((a, b) => a + b, 0)).toBe(48);
    });
  });
});
