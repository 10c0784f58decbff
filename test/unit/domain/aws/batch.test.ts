import { BatchGetItemCommand, BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  batchGetAll,
  batchGetDocuments,
  batchPutDocuments,
  batchWriteAll,
} from '../../../../domain/aws/batch';
import { UnprocessedItemsError } from '../../../../domain/errors';

const noSleep = async () => undefined;
const docs = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const docMock = mockClient(DynamoDBDocumentClient);
const rawMock = mockClient(DynamoDBClient);
const raw = new DynamoDBClient({ region: 'us-east-1' });
const put = (i: number) => ({ PutRequest: { Item: { pk: { S: 'TENANT#acme#docs' }, sk: { S: `i${i}` } } } });

describe('batch helpers (domain/aws/batch.ts)', () => {
  beforeEach(() => {
    docMock.reset();
    rawMock.reset();
  });

  it('puts documents in batches of at most 25 and re-sends UnprocessedItems until all are written', async () => {
    // Prepare: every batch of 25 leaves its last 5 requests unprocessed once.
    const written = new Set<string>();
    const seen = new Set<string>();
    docMock.on(BatchWriteCommand).callsFake((input) => {
      const requests = input.RequestItems.ledger as { PutRequest: { Item: { id: string } } }[];
      const unprocessed = requests.filter((r, i) => i >= 20 && !seen.has(r.PutRequest.Item.id));
      for (const r of requests) seen.add(r.PutRequest.Item.id);
      for (const r of requests) if (!unprocessed.includes(r)) written.add(r.PutRequest.Item.id);
      return { UnprocessedItems: unprocessed.length > 0 ? { ledger: unprocessed } : {} };
    });
    const items = Array.from({ length: 60 }, (_, i) => ({ id: `i${i}` }));

    // Act
    const result = await batchPutDocuments(docs, 'ledger', items, { sleep: noSleep, concurrency: 3 });

    // Assess
    expect([...written].sort()).toEqual(items.map((i) => i.id).sort());
    expect(result.retried).toBe(10); // 5 from each of the two full batches
    for (const call of docMock.commandCalls(BatchWriteCommand)) {
      expect(call.args[0].input.RequestItems?.ledger?.length ?? 0).toBeLessThanOrEqual(25);
    }
  });

  it('gives up on writes only after rounds without progress, with a named error', async () => {
    docMock
      .on(BatchWriteCommand)
      .callsFake((input) => ({ UnprocessedItems: { ledger: input.RequestItems.ledger } }));
    const attempt = batchPutDocuments(docs, 'ledger', [{ id: 'a' }, { id: 'b' }], {
      sleep: noSleep,
      maxAttempts: 3,
    });
    await expect(attempt).rejects.toThrow(UnprocessedItemsError);
    await expect(attempt).rejects.toThrow('2 items still unprocessed in ledger after 3 batch attempts');
    expect(docMock.commandCalls(BatchWriteCommand)).toHaveLength(3);
  });

  it('reads documents in batches of at most 100 and re-reads UnprocessedKeys', async () => {
    // Prepare: the first call leaves one key unprocessed.
    let first = true;
    docMock.on(BatchGetCommand).callsFake((input) => {
      const keys = input.RequestItems.counters.Keys as { pk: string }[];
      const leftOver = first ? keys.slice(-1) : [];
      first = false;
      const served = keys.filter((k) => !leftOver.includes(k)).map((k) => ({ ...k, quantity: '1' }));
      return {
        Responses: { counters: served },
        UnprocessedKeys: leftOver.length ? { counters: { Keys: leftOver } } : {},
      };
    });
    const keys = Array.from({ length: 150 }, (_, i) => ({ pk: `k${i}` }));

    // Act
    const items = await batchGetDocuments(docs, 'counters', keys, { sleep: noSleep });

    // Assess
    expect(items.map((i) => i.pk).sort()).toEqual(keys.map((k) => k.pk).sort());
    const sizes = docMock
      .commandCalls(BatchGetCommand)
      .map((c) => c.args[0].input.RequestItems?.counters?.Keys?.length);
    expect(sizes).toEqual([100, 50, 1]);
  });

  it('asks for strongly consistent reads when told to', async () => {
    rawMock.on(BatchGetItemCommand).resolves({ Responses: { t: [{ pk: { S: 'a' } }] } });
    const items = await batchGetAll(raw, 't', [{ pk: { S: 'a' } }], {
      consistent: true,
    });
    expect(items).toEqual([{ pk: { S: 'a' } }]);
    expect(rawMock.commandCalls(BatchGetItemCommand)[0]?.args[0].input.RequestItems?.t?.ConsistentRead).toBe(
      true,
    );
  });
  it('writes in batches of 25 and retries UnprocessedItems (pooled into new batches) until none remain', async () => {
    // Prepare: the first call of each batch leaves its last 10 requests unprocessed
    const written: string[] = [];
    rawMock
      .on(BatchWriteItemCommand)
      .callsFake((input: { RequestItems: Record<string, ReturnType<typeof put>[]> }) => {
        const requests = input.RequestItems.t ?? [];
        const keep = requests.length === 25 ? requests.slice(0, 15) : requests;
        for (const r of keep) written.push(r.PutRequest.Item.sk.S);
        const rest = requests.slice(keep.length);
        return { UnprocessedItems: rest.length > 0 ? { t: rest } : {} };
      });
    const requests = Array.from({ length: 60 }, (_, i) => put(i));
    // Act
    const result = await batchWriteAll(raw, 't', requests, { sleep: noSleep });
    // Assess
    expect(written.sort()).toEqual(requests.map((r) => r.PutRequest.Item.sk.S).sort());
    expect(result.retried).toBe(20);
    expect(
      rawMock
        .commandCalls(BatchWriteItemCommand)
        .every((c) => (c.args[0].input.RequestItems?.t?.length ?? 0) <= 25),
    ).toBe(true);
  });

  it('never drops items: gives up only after rounds without progress, naming the table and the count', async () => {
    rawMock.on(BatchWriteItemCommand).callsFake((input: { RequestItems: Record<string, unknown[]> }) => ({
      UnprocessedItems: { t: input.RequestItems.t },
    }));
    const attempt = batchWriteAll(raw, 't', [put(1), put(2)], { sleep: noSleep, maxAttempts: 4 });
    await expect(attempt).rejects.toThrow(UnprocessedItemsError);
    await expect(attempt).rejects.toThrow('2 items still unprocessed in t after 4 batch attempts');
    expect(rawMock.commandCalls(BatchWriteItemCommand)).toHaveLength(4);
  });

  it('reads a key named twice once (BatchGetItem rejects duplicate keys in a request)', async () => {
    rawMock.on(BatchGetItemCommand).resolves({ Responses: { t: [{ pk: { S: 'a' } }] } });
    const items = await batchGetAll(raw, 't', [{ pk: { S: 'a' } }, { pk: { S: 'a' } }]);
    expect(items).toEqual([{ pk: { S: 'a' } }]);
    expect(rawMock.commandCalls(BatchGetItemCommand)[0]?.args[0].input.RequestItems?.t?.Keys).toEqual([
      { pk: { S: 'a' } },
    ]);
  });

  it('waits a jittered backoff that grows only while a round makes no progress', async () => {
    // Prepare: round 1 writes one of three, rounds 2 and 3 write nothing, round 4 writes the rest
    const waits: number[] = [];
    let round = 0;
    rawMock.on(BatchWriteItemCommand).callsFake((input: { RequestItems: Record<string, unknown[]> }) => {
      round += 1;
      const requests = input.RequestItems.t ?? [];
      const left = round === 1 ? requests.slice(1) : round < 4 ? requests : [];
      return { UnprocessedItems: left.length > 0 ? { t: left } : {} };
    });
    // Act
    await batchWriteAll(raw, 't', [put(1), put(2), put(3)], {
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    // Assess: ceilings 50 (progress), then 100 and 200 ms (no progress)
    expect(waits).toHaveLength(3);
    [50, 100, 200].forEach((ceiling, i) => {
      expect(waits[i]).toBeGreaterThanOrEqual(0);
      expect(waits[i]).toBeLessThan(ceiling);
    });
  });
});
