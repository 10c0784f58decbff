import { createHash } from 'node:crypto';
import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../../domain/lifecycle/checksum';
import { PurgeRefusedError } from '../../../../domain/lifecycle/errors';
import {
  type ChunkOptions,
  copyTenantChunk,
  countTenantItems,
  pooledTable,
  purgeTenantChunk,
  purgeVerifiedTenantChunk,
  restoreTenantChunk,
  type StartKey,
  siloTable,
  TALLY_START,
  type TallyPosition,
  type TenantTable,
  tallyTenantChunk,
} from '../../../../domain/lifecycle/tenant-items';

const dynamo = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'us-east-1' });
const noSleep = async () => undefined;

const item = (sk: string, body = 'x') => ({
  pk: { S: 'TENANT#acme#docs' },
  sk: { S: sk },
  tenantId: { S: 'acme' },
  body: { S: body },
});
const key = (sk: string) => ({ pk: { S: 'TENANT#acme#docs' }, sk: { S: sk } });
const cursorAfter = (sk: string) => ({ tenantId: { S: 'acme' }, ...key(sk) });

/**
 * The index answers the given pages in order; each Query's input is copied when it is sent (the SDK
 * paginator re-uses one input object, so the recorded calls alone would all show the last cursor).
 */
function indexPages(...pages: { Items: ReturnType<typeof item>[]; LastEvaluatedKey?: object }[]) {
  const sent: QueryCommandInput[] = [];
  let next = 0;
  dynamo.on(QueryCommand).callsFake((input: QueryCommandInput) => {
    sent.push(structuredClone(input));
    return pages[next++] ?? { Items: [] };
  });
  return sent;
}

const writtenKeys = () =>
  dynamo
    .commandCalls(BatchWriteItemCommand)
    .flatMap((c) => Object.values(c.args[0].input.RequestItems ?? {}).flat())
    .map((r) => (r.PutRequest?.Item ?? r.DeleteRequest?.Key)?.sk?.S);

/** A chunk of acme's pooled items copied to the silo table, from `startKey`. */
const copyFromPool = (startKey: StartKey, options: ChunkOptions = {}) =>
  copyTenantChunk(client, pooledTable('pool'), 'silo', 'acme', startKey, { sleep: noSleep, ...options });

beforeEach(() => dynamo.reset());

describe('copyTenantChunk', () => {
  it('copies page by page from the byTenant index, each page from the previous cursor', async () => {
    // Prepare
    const sent = indexPages(
      { Items: [item('i1')], LastEvaluatedKey: cursorAfter('i1') },
      { Items: [item('i2')] },
    );
    dynamo.on(BatchWriteItemCommand).resolves({});
    // Act
    const result = await copyFromPool(null);
    // Assess
    expect(result).toEqual({ handled: 2, foreign: 0, nextKey: null, retried: 0 });
    expect(sent[0]).toMatchObject({
      TableName: 'pool',
      IndexName: 'byTenant',
      KeyConditionExpression: '#tenant = :tenant',
      ExpressionAttributeNames: { '#tenant': 'tenantId' },
      ExpressionAttributeValues: { ':tenant': { S: 'acme' } },
    });
    expect(sent.map((input) => input.ExclusiveStartKey)).toEqual([undefined, cursorAfter('i1')]);
    expect(writtenKeys()).toEqual(['i1', 'i2']);
    expect(dynamo.commandCalls(ScanCommand)).toHaveLength(0);
  });

  it('stops after the page that reaches maxItems and resumes exactly after it: nothing skipped or copied twice', async () => {
    // Prepare: three pages of two; a chunk of at most 3 items ends after the second page
    const pages = [
      { Items: [item('a'), item('b')], LastEvaluatedKey: cursorAfter('b') },
      { Items: [item('c'), item('d')], LastEvaluatedKey: cursorAfter('d') },
      { Items: [item('e'), item('f')] },
    ];
    const sent = indexPages(...pages);
    dynamo.on(BatchWriteItemCommand).resolves({});
    // Act
    const first = await copyFromPool(null, { maxItems: 3, pageSize: 2 });
    const second = await copyFromPool(first.nextKey, { maxItems: 3, pageSize: 2 });
    // Assess
    expect(first).toMatchObject({ handled: 4, nextKey: cursorAfter('d') });
    expect(second).toMatchObject({ handled: 2, nextKey: null });
    expect(sent.map((input) => [input.Limit, input.ExclusiveStartKey])).toEqual([
      [2, undefined],
      [2, cursorAfter('b')],
      [2, cursorAfter('d')],
    ]);
    expect(writtenKeys()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it("stops after the current page when the deadline is near, returning that page's cursor", async () => {
    // Prepare
    const sent = indexPages(
      { Items: [item('a')], LastEvaluatedKey: cursorAfter('a') },
      { Items: [item('b')] },
    );
    dynamo.on(BatchWriteItemCommand).resolves({});
    // Act
    const result = await copyFromPool(null, { deadline: () => true });
    // Assess: one page read, no read ahead
    expect(result).toMatchObject({ handled: 1, nextKey: cursorAfter('a') });
    expect(sent).toHaveLength(1);
    expect(writtenKeys()).toEqual(['a']);
  });

  it('reads a silo table with a consistent Scan', async () => {
    dynamo.on(ScanCommand).resolves({ Items: [item('i1')] });
    dynamo.on(BatchWriteItemCommand).resolves({});
    await copyTenantChunk(client, siloTable('silo'), 'pool', 'acme', null, { sleep: noSleep });
    expect(dynamo.commandCalls(ScanCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'silo',
      ConsistentRead: true,
    });
    expect(dynamo.commandCalls(QueryCommand)).toHaveLength(0);
  });
});

describe('copyTenantChunk and purgeTenantChunk', () => {
  it("never copy or purge an item listed for the tenant whose partition key is another tenant's", async () => {
    // Prepare: tenant evil wrote an item under its own key labelled tenantId=acme
    const planted = { pk: { S: 'TENANT#evil#docs' }, sk: { S: 'x' }, tenantId: { S: 'acme' } };
    const lookalike = { pk: { S: 'TENANT#acme-two#docs' }, sk: { S: 'y' }, tenantId: { S: 'acme' } };
    dynamo.on(QueryCommand).resolves({ Items: [item('i1'), planted, lookalike] });
    dynamo.on(BatchWriteItemCommand).resolves({});
    // Act
    const copied = await copyFromPool(null);
    const purged = await purgeTenantChunk(client, pooledTable('pool'), 'acme', null, { sleep: noSleep });
    // Assess
    expect(copied).toMatchObject({ handled: 1, foreign: 2 });
    expect(purged).toMatchObject({ handled: 1, foreign: 2 });
    const writes = dynamo
      .commandCalls(BatchWriteItemCommand)
      .flatMap((c) => Object.values(c.args[0].input.RequestItems ?? {}).flat());
    expect(writes).toEqual([{ PutRequest: { Item: item('i1') } }, { DeleteRequest: { Key: key('i1') } }]);
  });
});

describe('purgeVerifiedTenantChunk (promotion purge)', () => {
  function tables(pool: ReturnType<typeof item>[], silo: ReturnType<typeof item>[]) {
    dynamo.on(QueryCommand).resolves({ Items: pool });
    dynamo.on(BatchGetItemCommand).callsFake((input) => {
      const table = Object.keys(input.RequestItems)[0] as string;
      const source = table === 'pooled' ? pool : silo;
      const wanted = new Set(input.RequestItems[table].Keys.map((k: ReturnType<typeof key>) => k.sk.S));
      return { Responses: { [table]: source.filter((i) => wanted.has(i.sk.S)) } };
    });
    dynamo.on(BatchWriteItemCommand).resolves({});
  }

  it('deletes items whose silo copy is identical', async () => {
    tables([item('a', '1'), item('b', '2')], [item('a', '1'), item('b', '2')]);
    const result = await purgeVerifiedTenantChunk(client, pooledTable('pooled'), 'silo', 'acme', null);
    expect(result).toEqual({ handled: 2, foreign: 0, nextKey: null });
    const deletes = dynamo.commandCalls(BatchWriteItemCommand)[0]?.args[0].input.RequestItems?.pooled;
    expect(deletes).toEqual([{ DeleteRequest: { Key: key('a') } }, { DeleteRequest: { Key: key('b') } }]);
  });

  it('an item written after the copy (no silo copy) or changed since: nothing of the page is deleted', async () => {
    tables([item('a', '1'), item('late', 'new'), item('b', 'changed')], [item('a', '1'), item('b', '2')]);
    const purge = purgeVerifiedTenantChunk(client, pooledTable('pooled'), 'silo', 'acme', null);
    await expect(purge).rejects.toThrow(PurgeRefusedError);
    await expect(
      purgeVerifiedTenantChunk(client, pooledTable('pooled'), 'silo', 'acme', null),
    ).rejects.toThrow('1 items have no silo copy and 1 differ from it');
    expect(dynamo.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
  });

  it('compares the consistent base-table value, not the index projection', async () => {
    // the index still shows the old value; the base table has a newer one the silo does not
    dynamo.on(QueryCommand).resolves({ Items: [item('a', 'old')] });
    dynamo
      .on(BatchGetItemCommand, { RequestItems: { pooled: { Keys: [key('a')], ConsistentRead: true } } })
      .resolves({ Responses: { pooled: [item('a', 'newer')] } });
    dynamo
      .on(BatchGetItemCommand, { RequestItems: { silo: { Keys: [key('a')], ConsistentRead: true } } })
      .resolves({ Responses: { silo: [item('a', 'old')] } });
    await expect(
      purgeVerifiedTenantChunk(client, pooledTable('pooled'), 'silo', 'acme', null),
    ).rejects.toThrow(PurgeRefusedError);
    expect(dynamo.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
  });

  it('counts only the items it deleted toward the chunk and resumes after the last page it handled', async () => {
    // Prepare: page 1 holds a and b (b already purged by an earlier, retried chunk), page 2 holds c
    const pool = [item('a'), item('c')];
    const sent = indexPages(
      { Items: [item('a'), item('b')], LastEvaluatedKey: cursorAfter('b') },
      { Items: [item('c')] },
    );
    dynamo.on(BatchGetItemCommand).callsFake((input) => {
      const table = Object.keys(input.RequestItems)[0] as string;
      const wanted = new Set(input.RequestItems[table].Keys.map((k: ReturnType<typeof key>) => k.sk.S));
      return { Responses: { [table]: pool.filter((i) => wanted.has(i.sk.S)) } };
    });
    dynamo.on(BatchWriteItemCommand).resolves({});
    // Act
    const result = await purgeVerifiedTenantChunk(client, pooledTable('pooled'), 'silo', 'acme', null, {
      maxItems: 1,
    });
    // Assess
    expect(result).toEqual({ handled: 1, foreign: 0, nextKey: cursorAfter('b') });
    expect(sent).toHaveLength(1);
    expect(writtenKeys()).toEqual(['a']);
  });
});

describe('restoreTenantChunk (rollback restore)', () => {
  it('puts back the purged items and never overwrites an item the pool still holds', async () => {
    dynamo.on(ScanCommand).resolves({ Items: [item('a', '1'), item('b', 'old')] });
    dynamo.on(PutItemCommand).resolves({});
    dynamo
      .on(PutItemCommand, { Item: item('b', 'old') })
      .rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    const result = await restoreTenantChunk(client, siloTable('silo'), 'pooled', 'acme', null);
    expect(result).toEqual({ handled: 1, kept: 1, foreign: 0, nextKey: null });
    for (const call of dynamo.commandCalls(PutItemCommand)) {
      expect(call.args[0].input).toMatchObject({
        TableName: 'pooled',
        ConditionExpression: 'attribute_not_exists(#pk)',
      });
    }
  });

  it('counts kept items toward the chunk budget', async () => {
    // Prepare: two pages; the first page's only item is still in the pool
    dynamo
      .on(ScanCommand)
      .resolvesOnce({ Items: [item('a')], LastEvaluatedKey: key('a') })
      .resolvesOnce({ Items: [item('b')] });
    dynamo
      .on(PutItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    // Act
    const result = await restoreTenantChunk(client, siloTable('silo'), 'pooled', 'acme', null, {
      maxItems: 1,
    });
    // Assess
    expect(result).toEqual({ handled: 0, kept: 1, foreign: 0, nextKey: key('a') });
    expect(dynamo.commandCalls(ScanCommand)).toHaveLength(1);
  });
});

const START: TallyPosition = {
  partition: null,
  startKey: null,
  count: 0,
  checksum: '0'.repeat(16),
  done: false,
};

/** The rule, written out independently: sum mod 2^64 of each canonical item's first 8 SHA-256 bytes. */
function checksumOf(items: readonly Record<string, unknown>[]) {
  let sum = 0n;
  for (const i of items) {
    sum = (sum + createHash('sha256').update(canonicalJson(i)).digest().readBigUInt64BE(0)) % (1n << 64n);
  }
  return { count: items.length, checksum: sum.toString(16).padStart(16, '0') };
}

describe('tallyTenantChunk', () => {
  it("tallies consistently: lists the tenant's partitions through the index, reads each from the base table", async () => {
    // Prepare: the index lists docs (one stale value) and users, and a planted partition of another tenant
    const fresh = { ...item('i1'), v: { N: '2' } };
    const user = { pk: { S: 'TENANT#acme#users' }, sk: { S: 'u1' } };
    dynamo
      .on(QueryCommand, { IndexName: 'byTenant' })
      .resolvesOnce({ Items: [{ pk: { S: 'TENANT#acme#docs' } }] })
      .resolvesOnce({ Items: [{ pk: { S: 'TENANT#acme#users' } }] })
      .resolvesOnce({ Items: [{ pk: { S: 'TENANT#evil#docs' } }] })
      .resolvesOnce({ Items: [] });
    dynamo
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': { S: 'TENANT#acme#docs' } } })
      .resolves({ Items: [fresh] });
    dynamo
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': { S: 'TENANT#acme#users' } } })
      .resolves({ Items: [user] });
    // Act
    const chunk = await tallyTenantChunk(client, pooledTable('pool'), 'acme', START);
    // Assess
    expect(chunk).toEqual({
      position: { ...checksumOf([fresh, user]), partition: null, startKey: null, done: true },
      read: 2,
      foreign: 1,
      sample: ['TENANT#acme#docs/i1', 'TENANT#acme#users/u1'],
    });
    const inputs = dynamo.commandCalls(QueryCommand).map((c) => c.args[0].input);
    const index = inputs.filter((i) => i.IndexName === 'byTenant');
    expect(index.map((i) => [i.Limit, i.ExpressionAttributeValues?.[':after']?.S])).toEqual([
      [1, undefined],
      [1, 'TENANT#acme#docs'],
      [1, 'TENANT#acme#users'],
      [1, 'TENANT#evil#docs'],
    ]);
    const base = inputs.filter((i) => i.IndexName === undefined);
    expect(base.map((i) => [i.ExpressionAttributeValues?.[':pk']?.S, i.ConsistentRead])).toEqual([
      ['TENANT#acme#docs', true],
      ['TENANT#acme#users', true],
    ]);
  });

  it('reads every page of a silo table, counting foreign items apart', async () => {
    // Prepare
    const planted = { pk: { S: 'TENANT#evil#docs' }, sk: { S: 'x' } };
    dynamo
      .on(ScanCommand)
      .resolvesOnce({ Items: [item('a'), planted], LastEvaluatedKey: key('a') })
      .resolvesOnce({ Items: [item('b')] });
    // Act
    const chunk = await tallyTenantChunk(client, siloTable('silo'), 'acme', START);
    // Assess
    expect(chunk).toEqual({
      position: { ...checksumOf([item('a'), item('b')]), partition: null, startKey: null, done: true },
      read: 3,
      foreign: 1,
      sample: ['TENANT#acme#docs/a', 'TENANT#acme#docs/b'],
    });
    expect(dynamo.commandCalls(ScanCommand)).toHaveLength(2);
    expect(dynamo.commandCalls(ScanCommand)[0]?.args[0].input).toMatchObject({ ConsistentRead: true });
  });

  describe('in chunks', () => {
    type Item = Record<string, AttributeValue>;
    const collections = ['docs', 'settings', 'users'];
    /** 10 items of acme over three partitions, in key order (the order a consistent Query reads them). */
    const acmeItems: Item[] = Array.from({ length: 10 }, (_, i) => ({
      pk: { S: `TENANT#acme#${collections[i % 3]}` },
      sk: { S: `item-${String(i).padStart(2, '0')}` },
      tenantId: { S: 'acme' },
      n: { N: String(i) },
    })).sort((x, y) => (x.pk.S + x.sk.S < y.pk.S + y.sk.S ? -1 : 1));
    const sameKey = (x: Item, y: Item | undefined) => x.pk?.S === y?.pk?.S && x.sk?.S === y?.sk?.S;
    /** A page as DynamoDB answers it: from after ExclusiveStartKey, at most Limit items. */
    function page(items: readonly Item[], input: { ExclusiveStartKey?: Item; Limit?: number }) {
      const from = input.ExclusiveStartKey
        ? items.findIndex((i) => sameKey(i, input.ExclusiveStartKey)) + 1
        : 0;
      const end = from + (input.Limit ?? items.length);
      const last = items[Math.min(end, items.length) - 1];
      return {
        Items: items.slice(from, end),
        ...(end < items.length && last ? { LastEvaluatedKey: { pk: last.pk, sk: last.sk } } : {}),
      };
    }
    /** The pooled table (index and base table) holding `pool`, and a silo table holding `silo`. */
    function tables(pool: readonly Item[], silo: readonly Item[]) {
      dynamo.on(QueryCommand).callsFake((input: QueryCommandInput) => {
        if (input.IndexName === 'byTenant') {
          const after = input.ExpressionAttributeValues?.[':after']?.S ?? '';
          const next = [...new Set(pool.map((i) => i.pk?.S as string))].sort().find((pk) => pk > after);
          return { Items: next === undefined ? [] : [{ pk: { S: next } }] };
        }
        const pk = input.ExpressionAttributeValues?.[':pk']?.S;
        return page(
          pool.filter((i) => i.pk?.S === pk),
          input,
        );
      });
      dynamo.on(ScanCommand).callsFake((input) => page(silo, input));
    }
    /** Calls tallyTenantChunk until done, as the workflow loop does; the position passes through JSON. */
    async function tallyInChunks(table: TenantTable, maxItems: number, pageSize?: number) {
      let position = START;
      const reads: number[] = [];
      while (!position.done) {
        const chunk = await tallyTenantChunk(client, table, 'acme', position, { maxItems, pageSize });
        reads.push(chunk.read);
        position = JSON.parse(JSON.stringify(chunk.position)) as TallyPosition;
      }
      return { position, reads };
    }

    it.each([
      [1, undefined],
      [3, undefined],
      [4, 2],
      [7, 3],
    ])(
      'chunks of at most %i items (pages of %s) give the single-pass result on both sides',
      async (maxItems, pageSize) => {
        // Prepare: the silo holds the same items in another order (a Scan's order is not the key order)
        tables(acmeItems, [...acmeItems].reverse());
        const expected = checksumOf(acmeItems);
        // Act
        const pool = await tallyInChunks(pooledTable('pool'), maxItems, pageSize);
        const silo = await tallyInChunks(siloTable('silo'), maxItems, pageSize);
        const single = await tallyTenantChunk(client, pooledTable('pool'), 'acme', START, { maxItems: 100 });
        // Assess
        expect(expected.count).toBe(10);
        expect(single.position).toMatchObject({ ...expected, done: true });
        expect(pool.position).toMatchObject({ ...expected, done: true });
        expect(silo.position).toMatchObject({ ...expected, done: true });
        for (const side of [pool, silo]) {
          expect(side.reads.length).toBeGreaterThanOrEqual(Math.ceil(10 / maxItems));
          expect(Math.max(...side.reads)).toBeLessThanOrEqual(maxItems);
          expect(side.reads.reduce((x, y) => x + y, 0)).toBe(10);
        }
      },
    );

    it.each([0, 5, 9])(
      'catches one changed silo item (the %ith) in whichever chunk reads it',
      async (changed) => {
        // Prepare: chunks of 3 items; the silo copy of one item differs
        const silo = acmeItems.map((i, at) => (at === changed ? { ...i, n: { N: '999' } } : i));
        tables(acmeItems, silo);
        // Act
        const pool = await tallyInChunks(pooledTable('pool'), 3);
        const copy = await tallyInChunks(siloTable('silo'), 3);
        // Assess
        expect(copy.reads).toHaveLength(4);
        expect(copy.position.count).toBe(pool.position.count);
        expect(copy.position.checksum).not.toBe(pool.position.checksum);
        expect(copy.position).toMatchObject(checksumOf(silo));
      },
    );

    it('countTenantItems counts every item of the tenant from the start of a tally', async () => {
      // Prepare: acme's ten items over three partitions
      tables(acmeItems, []);
      // Act
      const count = await countTenantItems(client, pooledTable('pool'), 'acme');
      // Assess
      expect(TALLY_START).toEqual(START);
      expect(count).toBe(10);
    });
  });
});
