import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { counterItem, counterItemSchema, writeCounters } from '../../../../domain/usage/counters';

const ddb = mockClient(DynamoDBDocumentClient);
beforeEach(() => ddb.reset());

describe('counters item', () => {
  it('keys a window total by tenant and metric, then granularity and window start, with its TTL', () => {
    // Act
    const item = counterItem({
      tenantId: 'tacme',
      metric: 'api.call',
      granularity: 'CUMULATIVE',
      windowStart: new Date('2026-11-20T00:00:00.000Z'),
      windowEnd: new Date('2026-11-20T10:01:00.000Z'),
      quantity: '12.5',
      eventCount: 3,
    });

    // Assess: expiresAt = window end (1795168860) + 35 days of a running total
    expect(item).toEqual({
      pk: 'tacme#api.call',
      sk: 'CUMULATIVE#2026-11-20T00:00:00.000Z',
      tenantId: 'tacme',
      metric: 'api.call',
      granularity: 'CUMULATIVE',
      windowStart: '2026-11-20T00:00:00.000Z',
      windowEnd: '2026-11-20T10:01:00.000Z',
      quantity: '12.5',
      eventCount: 3,
      expiresAt: 1_795_168_860 + 35 * 86_400,
    });
  });

  it('reads back what it writes, and the numbers the DynamoDB sink writes', () => {
    // Prepare
    const item = counterItem({
      tenantId: 'tacme',
      metric: 'doc.processed',
      granularity: 'HOUR',
      windowStart: new Date('2026-11-20T10:00:00.000Z'),
      windowEnd: new Date('2026-11-20T11:00:00.000Z'),
      quantity: '2',
      eventCount: 2,
    });

    // Act
    const roundTrip = counterItemSchema.parse(item);
    const fromSink = counterItemSchema.parse({
      ...item,
      quantity: { value: '2.000000' },
      eventCount: { value: '2' },
      expiresAt: { value: String(item.expiresAt) },
    });

    // Assess
    expect(roundTrip).toEqual(item);
    expect(fromSink).toEqual({ ...item, quantity: '2.000000' });
  });

  it('writes items as whole-item puts into the counters table', async () => {
    // Prepare
    ddb.on(BatchWriteCommand).resolves({});
    const item = counterItem({
      tenantId: 'tacme',
      metric: 'api.call',
      granularity: 'DAY',
      windowStart: new Date('2026-11-20T00:00:00.000Z'),
      windowEnd: new Date('2026-11-21T00:00:00.000Z'),
      quantity: '7',
      eventCount: 7,
    });

    // Act
    await writeCounters(
      DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
      'counters',
      [item],
    );

    // Assess
    expect(ddb.commandCalls(BatchWriteCommand).map((c) => c.args[0].input.RequestItems)).toEqual([
      { counters: [{ PutRequest: { Item: item } }] },
    ]);
  });
});
