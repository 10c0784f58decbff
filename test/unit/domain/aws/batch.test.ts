import { BatchGetItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { batchGetAll, batchGetDocuments, batchPutDocuments } from '../../../../domain/aws/batch';
import { UnprocessedItemsError } from '../../../../domain/errors';

const noSleep = async () => undefined;
const docs = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const docMock = mockClient(DynamoDBDocumentClient);
const rawMock = mockClient(DynamoDBClient);

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
    const items = await batchGetAll(new DynamoDBClient({ region: 'us-east-1' }), 't', [{ pk: { S: 'a' } }], {
      consistent: true,
    });
    expect(items).toEqual([{ pk: { S: 'a' } }]);
    expect(rawMock.commandCalls(BatchGetItemCommand)[0]?.args[0].input.RequestItems?.t?.ConsistentRead).toBe(
      true,
    );
  });
});
