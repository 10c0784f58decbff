import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type AdjustmentEntry,
  AdjustmentStore,
  adjustmentId,
  type NewAdjustment,
  planAdjustments,
  type ScheduleResult,
  scheduleLateAdjustments,
} from '../../../../domain/billing/adjustments';
import { type LateEvent, parseLateLine } from '../../../../domain/billing/lake';
import { defaultConfig } from '../../../../domain/config';

const NOW = new Date('2026-03-10T06:20:00.000Z');
const late = (eventId: string, tenantId: string, metric: string, at: string, quantity: string): LateEvent =>
  parseLateLine(
    `{"eventId":"${eventId}","tenantId":"${tenantId}","metric":"${metric}","quantity":${quantity},"eventTime":"${at}","watermarkTime":"${at}"}`,
  );

describe('adjustment planning', () => {
  it('derives the id from tenant, dimension, original hour and the event set, whatever the order', () => {
    const a = adjustmentId('tn00001', 'ApiCalls', '2026-03-10T05:00:00.000Z', ['b', 'a']);
    expect(adjustmentId('tn00001', 'ApiCalls', '2026-03-10T05:00:00.000Z', ['a', 'b'])).toBe(a);
    expect(adjustmentId('tn00001', 'ApiCalls', '2026-03-10T05:00:00.000Z', ['a'])).not.toBe(a);
    expect(adjustmentId('tn00002', 'ApiCalls', '2026-03-10T05:00:00.000Z', ['a', 'b'])).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{24}$/);
  });

  it('groups billable late usage per tenant, metric and original hour; leaves out covered, unbillable, unbilled and unknown', () => {
    const events = [
      late('a', 'tn00001', 'api.call', '2026-03-10T05:40:00.000Z', '300'),
      late('b', 'tn00001', 'api.call', '2026-03-10T05:50:00.000Z', '350.5'),
      late('b', 'tn00001', 'api.call', '2026-03-10T05:50:00.000Z', '350.5'), // same event twice
      late('c', 'tn00001', 'api.call', '2026-03-10T04:10:00.000Z', '7'), // another original hour
      late('d', 'tn00001', 'storage.gb', '2026-03-10T05:10:00.000Z', '0.25'),
      late('covered', 'tn00001', 'api.call', '2026-03-10T05:45:00.000Z', '1000'),
      late('old', 'tn00001', 'api.call', '2026-03-09T05:59:00.000Z', '5'), // past the window
      late('other', 'tn00009', 'api.call', '2026-03-10T05:40:00.000Z', '5'), // tenant not billed
      late('unknown', 'tn00001', 'no.such.metric', '2026-03-10T05:40:00.000Z', '5'),
    ];
    const drafts = planAdjustments(defaultConfig, events, {
      now: NOW,
      billedTenantIds: new Set(['tn00001']),
      covered: new Set(['tn00001#covered']),
    });
    expect(drafts.map((d) => [d.dimension, d.originalHour, d.eventIds, d.usageMicro])).toEqual([
      ['ApiCalls', '2026-03-10T04:00:00.000Z', ['c'], 7_000_000n],
      ['ApiCalls', '2026-03-10T05:00:00.000Z', ['a', 'b'], 650_500_000n],
      ['StorageGbHours', '2026-03-10T05:00:00.000Z', ['d'], 250_000n],
    ]);
    expect(drafts[1]?.adjustmentId).toBe(
      adjustmentId('tn00001', 'ApiCalls', '2026-03-10T05:00:00.000Z', ['a', 'b']),
    );
  });
});

/** An in-memory stand-in for the ledger's adjustment items. */
function memoryStore(existing: AdjustmentEntry[], preparedHours: string[]) {
  const written: NewAdjustment[] = [];
  const store = {
    existing: async (tenantId: string, dimension: string) =>
      [
        ...existing,
        ...written.map((w) => ({ ...w, pk: '', sk: '', kind: 'ADJUSTMENT' as const, createdAt: '' })),
      ].filter((a) => a.tenantId === tenantId && a.dimension === dimension),
    schedule: async (a: NewAdjustment): Promise<ScheduleResult> => {
      if (preparedHours.includes(a.targetHour)) return 'hour-prepared';
      if ([...existing, ...written].some((w) => w.adjustmentId === a.adjustmentId)) return 'exists';
      written.push(a);
      return 'scheduled';
    },
  };
  return { adjustments: store as unknown as AdjustmentStore, written };
}

describe('scheduling adjustments', () => {
  const events = [
    late('a', 'tn00001', 'api.call', '2026-03-10T05:40:00.000Z', '300'),
    late('b', 'tn00001', 'api.call', '2026-03-10T05:50:00.000Z', '350'),
  ];
  const billed = new Set(['tn00001']);

  it('schedules into the open hour, and a rerun schedules nothing (idempotent)', async () => {
    const { adjustments, written } = memoryStore([], []);
    const first = await scheduleLateAdjustments({ config: defaultConfig, adjustments }, events, {
      now: NOW,
      billedTenantIds: billed,
    });
    const again = await scheduleLateAdjustments({ config: defaultConfig, adjustments }, events, {
      now: new Date('2026-03-10T07:20:00.000Z'),
      billedTenantIds: billed,
    });
    expect(first.scheduled.map((a) => [a.targetHour, a.originalHour, a.eventIds, a.usageMicro])).toEqual([
      ['2026-03-10T06:00:00.000Z', '2026-03-10T05:00:00.000Z', ['a', 'b'], '650000000'],
    ]);
    expect(again.scheduled).toEqual([]);
    expect(written).toHaveLength(1);
    expect(again.byEvent.get('tn00001#a')?.adjustmentId).toBe(first.scheduled[0]?.adjustmentId);
  });

  it('adjusts only the events an earlier adjustment does not cover', async () => {
    const { adjustments } = memoryStore([], []);
    await scheduleLateAdjustments({ config: defaultConfig, adjustments }, events.slice(0, 1), {
      now: NOW,
      billedTenantIds: billed,
    });
    const second = await scheduleLateAdjustments({ config: defaultConfig, adjustments }, events, {
      now: NOW,
      billedTenantIds: billed,
    });
    expect(second.scheduled.map((a) => [a.eventIds, a.usageMicro])).toEqual([[['b'], '350000000']]);
  });

  it('moves to the next hour when the open hour is already prepared (a final bill), and writes nothing on a dry run', async () => {
    const { adjustments } = memoryStore([], ['2026-03-10T06:00:00.000Z']);
    const dry = await scheduleLateAdjustments({ config: defaultConfig, adjustments }, events, {
      now: NOW,
      billedTenantIds: billed,
      dryRun: true,
    });
    expect(dry.scheduled).toEqual([]);
    const out = await scheduleLateAdjustments({ config: defaultConfig, adjustments }, events, {
      now: NOW,
      billedTenantIds: billed,
    });
    expect(out.scheduled.map((a) => a.targetHour)).toEqual(['2026-03-10T07:00:00.000Z']);
  });
});

describe('AdjustmentStore: the adjustment items of the ledger table', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const repo = new AdjustmentStore({
    client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    tableName: 'ledger',
  });
  const adjustment = {
    adjustmentId: 'abc',
    tenantId: 'tn00001',
    dimension: 'ApiCalls',
    metric: 'api.call',
    originalHour: '2026-03-10T05:00:00.000Z',
    targetHour: '2026-03-10T06:00:00.000Z',
    eventIds: ['a'],
    usageMicro: '300000000',
  };
  const cancelled = (codes: string[]) =>
    new TransactionCanceledException({
      $metadata: {},
      message: 'cancelled',
      CancellationReasons: codes.map((Code) => ({ Code })),
    });
  beforeEach(() => ddb.reset());

  it('puts the ADJUSTMENT entry if absent, appends it to the target hour slot, only while that hour has no entry', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    expect(await repo.schedule(adjustment)).toBe('scheduled');
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items[0]?.Put?.Item).toMatchObject({
      pk: 'tn00001#ApiCalls',
      sk: 'ADJUSTMENT#2026-03-10T05:00:00.000Z#abc',
      kind: 'ADJUSTMENT',
      eventIds: ['a'],
    });
    expect(items[0]?.Put?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(items[1]?.Update?.Key).toEqual({
      pk: 'tn00001#ApiCalls',
      sk: 'ADJUSTMENTS#2026-03-10T06:00:00.000Z',
    });
    expect(items[2]?.ConditionCheck).toMatchObject({
      Key: { pk: 'tn00001#ApiCalls', sk: '2026-03-10T06:00:00.000Z' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('answers exists / hour-prepared from the cancellation reasons, and rethrows anything else', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['ConditionalCheckFailed', 'None', 'None']))
      .rejectsOnce(cancelled(['None', 'None', 'ConditionalCheckFailed']))
      .rejectsOnce(cancelled(['None', 'TransactionConflict', 'None']));
    expect(await repo.schedule(adjustment)).toBe('exists');
    expect(await repo.schedule(adjustment)).toBe('hour-prepared');
    await expect(repo.schedule(adjustment)).rejects.toBeInstanceOf(TransactionCanceledException);
  });

  it('reads every page of the existing ADJUSTMENT items of a tenant and dimension', async () => {
    const item = (id: string) => ({
      pk: 'tn00001#ApiCalls',
      sk: `ADJUSTMENT#2026-03-10T05:00:00.000Z#${id}`,
      kind: 'ADJUSTMENT',
      ...adjustment,
      adjustmentId: id,
      createdAt: '2026-03-10T06:20:00.000Z',
    });
    const starts: unknown[] = [];
    ddb.on(QueryCommand).callsFake((input) => {
      starts.push(input.ExclusiveStartKey);
      return input.ExclusiveStartKey === undefined
        ? { Items: [item('a1')], LastEvaluatedKey: { pk: 'tn00001#ApiCalls', sk: 'x' } }
        : { Items: [item('a2')] };
    });
    const found = await repo.existing('tn00001', 'ApiCalls');
    expect(found.map((a) => a.adjustmentId)).toEqual(['a1', 'a2']);
    expect(starts).toEqual([undefined, { pk: 'tn00001#ApiCalls', sk: 'x' }]);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': 'tn00001#ApiCalls', ':prefix': 'ADJUSTMENT#' },
      ConsistentRead: true,
    });
  });

  it('sums the slot of each pair at the target hour, in the order of the pairs; none for a pair without one', async () => {
    ddb.on(BatchGetCommand).resolves({
      Responses: {
        ledger: [
          {
            pk: 'tn00001#ApiCalls',
            sk: 'ADJUSTMENTS#2026-03-10T06:00:00.000Z',
            adjustments: [
              { adjustmentId: 'a1', usageMicro: '300000000' },
              { adjustmentId: 'a2', usageMicro: '50000000' },
            ],
          },
        ],
      },
    });
    const slots = await repo.slotsAt(
      [
        { tenantId: 'tn00001', dimension: 'ApiCalls' },
        { tenantId: 'tn00002', dimension: 'ApiCalls' },
      ],
      '2026-03-10T06:00:00.000Z',
    );
    expect(slots).toEqual([{ adjustmentIds: ['a1', 'a2'], usageMicro: 350_000_000n }, undefined]);
    expect(ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.ledger?.Keys).toEqual([
      { pk: 'tn00001#ApiCalls', sk: 'ADJUSTMENTS#2026-03-10T06:00:00.000Z' },
      { pk: 'tn00002#ApiCalls', sk: 'ADJUSTMENTS#2026-03-10T06:00:00.000Z' },
    ]);
  });
});
