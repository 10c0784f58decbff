import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../domain/config';
import { ValidationError } from '../../../../domain/errors';
import { UsageEmitError, UsageEmitter } from '../../../../domain/usage/emitter';

const kinesis = mockClient(KinesisClient);
const now = new Date('2026-11-20T12:00:00.000Z');
const event = (i: number, tenantId = 'tacme') => ({
  eventId: `e-${i}`,
  tenantId,
  metric: 'api.call',
  quantity: 1,
  timestamp: '2026-11-20T11:59:00.000Z',
});
const emitter = (maxAttempts = 3) =>
  new UsageEmitter({
    client: new KinesisClient({ region: 'us-east-1' }),
    streamName: 'tenantry-dev-usage',
    config: defaultConfig,
    maxAttempts,
    sleep: async () => undefined,
    now: () => now,
  });

describe('UsageEmitter', () => {
  beforeEach(() => kinesis.reset());

  it('batches at most 500 records per PutRecords, tenant as partition key', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedRecordCount: 0,
      Records: input.Records.map(() => ({ SequenceNumber: '1', ShardId: 's' })),
    }));
    const events = Array.from({ length: 1_201 }, (_, i) => event(i, i % 2 ? 'tacme' : 'tbeta'));
    await expect(emitter().emit(events)).resolves.toBe(1_201);
    const sizes = kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input.Records?.length);
    expect(sizes).toEqual([500, 500, 201]);
    const first = kinesis.commandCalls(PutRecordsCommand)[0]?.args[0].input.Records?.[1];
    expect(first?.PartitionKey).toBe('tacme');
  });

  it('retries only the failed records', async () => {
    kinesis
      .on(PutRecordsCommand)
      .resolvesOnce({
        FailedRecordCount: 1,
        Records: [
          { SequenceNumber: '1', ShardId: 's' },
          { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' },
        ],
      })
      .resolvesOnce({ FailedRecordCount: 0, Records: [{ SequenceNumber: '2', ShardId: 's' }] });
    await emitter().emit([event(1), event(2)]);
    const retried = kinesis.commandCalls(PutRecordsCommand)[1]?.args[0].input.Records ?? [];
    expect(retried.map((r) => JSON.parse(new TextDecoder().decode(r.Data)).eventId)).toEqual(['e-2']);
  });

  it('never drops silently: records still failing after the last attempt are in the error', async () => {
    kinesis.on(PutRecordsCommand).resolves({
      FailedRecordCount: 1,
      Records: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }],
    });
    const error = await emitter(2)
      .emit([event(1)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageEmitError);
    expect((error as UsageEmitError).failed.map((f) => [f.event.eventId, f.errorCode])).toEqual([
      ['e-1', 'InternalFailure'],
    ]);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(2);
  });

  it('waits a jittered, growing backoff before each retry (at most 100 ms, then 200 ms, …)', async () => {
    // Prepare: every attempt fails
    kinesis.on(PutRecordsCommand).resolves({
      FailedRecordCount: 1,
      Records: [{ ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' }],
    });
    const waits: number[] = [];
    const recording = new UsageEmitter({
      client: new KinesisClient({ region: 'us-east-1' }),
      streamName: 'tenantry-dev-usage',
      config: defaultConfig,
      maxAttempts: 4,
      sleep: async (ms) => {
        waits.push(ms);
      },
      now: () => now,
    });
    // Act
    await expect(recording.emit([event(1)])).rejects.toThrow(UsageEmitError);
    // Assess: one wait before each of the 3 retries, each within its ceiling
    expect(waits).toHaveLength(3);
    [100, 200, 400].forEach((ceiling, i) => {
      expect(waits[i]).toBeGreaterThanOrEqual(0);
      expect(waits[i]).toBeLessThan(ceiling);
    });
  });

  it('retries a batch whose whole call failed, then succeeds', async () => {
    // Prepare: the first PutRecords call fails outright (after the SDK's own retries).
    kinesis
      .on(PutRecordsCommand)
      .rejectsOnce(
        Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' }),
      )
      .resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '1' }, { SequenceNumber: '2' }] });

    // Act / Assess
    await expect(emitter().emit([event(1), event(2)])).resolves.toBe(2);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(2);
  });

  it('names this batch and every later, unattempted event when a batch cannot be written', async () => {
    // Prepare: 501 events = 2 batches; every call fails.
    kinesis.on(PutRecordsCommand).rejects(Object.assign(new Error('network down'), { name: 'TimeoutError' }));
    const events = Array.from({ length: 501 }, (_, i) => event(i));

    // Act
    const error = (await emitter(2)
      .emit(events)
      .catch((e: unknown) => e)) as UsageEmitError;

    // Assess
    expect(error).toBeInstanceOf(UsageEmitError);
    expect(error.failed).toHaveLength(501);
    expect(error.failed.filter((f) => f.errorCode === 'TimeoutError')).toHaveLength(500);
    expect(error.failed.filter((f) => f.errorCode === 'NotAttempted').map((f) => f.event.eventId)).toEqual([
      'e-500',
    ]);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(2);
  });

  it('rejects an invalid event before sending anything', async () => {
    await expect(emitter().emit([event(1), { ...event(2), tenantId: 'Bad Tenant' }])).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });
});
