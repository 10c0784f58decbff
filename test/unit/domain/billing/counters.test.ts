import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CountersReader, parseCounter } from '../../../../domain/billing/counters';
import { defaultConfig } from '../../../../domain/config';
import { counterKey, type WindowGranularity } from '../../../../domain/keys';

const ddb = mockClient(DynamoDBDocumentClient);
const counters = new CountersReader(
  DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
  'counters',
);
const row = (
  tenantId: string,
  metric: string,
  granularity: WindowGranularity,
  start: string,
  quantity: unknown,
) => ({
  ...counterKey(tenantId, metric, granularity, start),
  tenantId,
  metric,
  granularity,
  windowStart: start,
  windowEnd: start,
  quantity,
});
const HOUR = new Date('2026-03-10T06:00:00.000Z');
beforeEach(() => ddb.reset());

describe('counters rows', () => {
  it('reads a quantity exactly, however the sink wrote it (string, number, wrapped number)', () => {
    expect(
      parseCounter(row('tn00001', 'api.call', 'HOUR', HOUR.toISOString(), '1234.567')).quantityMicro,
    ).toBe(1_234_567_000n);
    expect(parseCounter(row('tn00001', 'api.call', 'HOUR', HOUR.toISOString(), 2)).quantityMicro).toBe(
      2_000_000n,
    );
    expect(
      parseCounter(
        row('tn00001', 'api.call', 'HOUR', HOUR.toISOString(), { value: '12345678901234567.123456' }),
      ).quantityMicro,
    ).toBe(12_345_678_901_234_567_123_456n);
  });

  it('names a malformed row by its key', () => {
    expect(() => parseCounter({ pk: 'tn00001#api.call', sk: 'HOUR#x' })).toThrow(
      /^counters item tn00001#api\.call\/HOUR#x is malformed/,
    );
  });
});

describe('usage of an hour', () => {
  const pairs = [
    { tenantId: 'tn00001', metric: 'api.call' },
    { tenantId: 'tn00002', metric: 'api.call' },
  ];

  it('reads the HOUR rows in one batch; a pair without a row has no usage', async () => {
    ddb.on(BatchGetCommand).resolves({
      Responses: { counters: [row('tn00001', 'api.call', 'HOUR', HOUR.toISOString(), '1400')] },
    });
    const usage = await counters.usageAt(pairs, HOUR);
    expect(usage).toEqual([1_400_000_000n, 0n]);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it('for the partial hour of a final bill: the day’s running total minus the day’s HOUR rows', async () => {
    // Prepare: tn00002 has no HOUR row for 06:00; today's running total is 1,700, the 05:00 row 1,400
    ddb.on(BatchGetCommand).resolves({
      Responses: { counters: [row('tn00001', 'api.call', 'HOUR', HOUR.toISOString(), '10')] },
    });
    ddb.on(QueryCommand, { ScanIndexForward: false }).resolves({
      Items: [row('tn00002', 'api.call', 'CUMULATIVE', '2026-03-10T00:00:00.000Z', '1700')],
    });
    ddb.on(QueryCommand, { KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to' }).resolves({
      Items: [row('tn00002', 'api.call', 'HOUR', '2026-03-10T05:00:00.000Z', '1400')],
    });
    // Act
    const usage = await counters.usageAt(pairs, HOUR, true);
    // Assess
    expect(usage).toEqual([10_000_000n, 300_000_000n]);
    expect(ddb.commandCalls(QueryCommand).map((c) => c.args[0].input.ExpressionAttributeValues)).toEqual([
      { ':pk': 'tn00002#api.call', ':prefix': 'CUMULATIVE#' },
      {
        ':pk': 'tn00002#api.call',
        ':from': 'HOUR#2026-03-10T00:00:00.000Z',
        ':to': 'HOUR#2026-03-10T05:59:59.999Z',
      },
    ]);
  });

  it('ignores a running total of another day', async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: { counters: [] } });
    ddb.on(QueryCommand).resolves({
      Items: [row('tn00001', 'api.call', 'CUMULATIVE', '2026-03-09T00:00:00.000Z', '99999')],
    });
    expect(await counters.usageAt(pairs.slice(0, 1), HOUR, true)).toEqual([0n]);
  });
});

describe('DAY totals of a period (the margin report)', () => {
  it('sums every page of the DAY rows per tenant and metric', async () => {
    const starts: unknown[] = [];
    ddb.on(QueryCommand).callsFake((input) => {
      starts.push(input.ExclusiveStartKey);
      const metric = String(input.ExpressionAttributeValues[':pk']).split('#')[1] as string;
      return input.ExclusiveStartKey === undefined
        ? {
            Items: [row('tn00001', metric, 'DAY', '2026-03-01T00:00:00.000Z', '1.5')],
            LastEvaluatedKey: { pk: 'p', sk: 's' },
          }
        : { Items: [row('tn00001', metric, 'DAY', '2026-03-02T00:00:00.000Z', '2.25')] };
    });
    const totals = await counters.dailyTotals(['tn00001'], defaultConfig.metrics, {
      from: new Date('2026-03-01T00:00:00.000Z'),
      to: new Date('2026-03-03T00:00:00.000Z'),
    });
    expect(Object.fromEntries(totals.get('tn00001') ?? [])).toEqual({
      'api.call': 3_750_000n,
      'storage.gb': 3_750_000n,
      'doc.processed': 3_750_000n,
    });
    expect(starts).toEqual([
      undefined,
      { pk: 'p', sk: 's' },
      undefined,
      { pk: 'p', sk: 's' },
      undefined,
      { pk: 'p', sk: 's' },
    ]);
  });

  it('sums the HOUR rows of a period of hours when asked for that granularity', async () => {
    // Prepare
    const keys: unknown[] = [];
    ddb.on(QueryCommand).callsFake((input) => {
      keys.push([input.ExpressionAttributeValues[':from'], input.ExpressionAttributeValues[':to']]);
      const metric = String(input.ExpressionAttributeValues[':pk']).split('#')[1] as string;
      return { Items: [row('tn00001', metric, 'HOUR', '2026-03-01T10:00:00.000Z', '0.5')] };
    });
    // Act
    const totals = await counters.dailyTotals(
      ['tn00001'],
      defaultConfig.metrics.slice(0, 1),
      { from: new Date('2026-03-01T10:00:00.000Z'), to: new Date('2026-03-01T11:00:00.000Z') },
      'HOUR',
    );
    // Assess: one hour's HOUR row, read by its HOUR key range
    expect(Object.fromEntries(totals.get('tn00001') ?? [])).toEqual({ 'api.call': 500_000n });
    expect(keys).toEqual([['HOUR#2026-03-01T10:00:00.000Z', 'HOUR#2026-03-01T10:59:59.999Z']]);
  });
});
