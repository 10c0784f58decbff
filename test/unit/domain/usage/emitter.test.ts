import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../domain/config';
import { ValidationError } from '../../../../domain/errors';
import { type TenantRequest, tenantRequestFrom } from '../../../../domain/identity/request-context';
import { UsageEmitError, UsageEmitter } from '../../../../domain/usage/emitter';
import { UnverifiedUsageRequestError, UsageTenantMismatchError } from '../../../../domain/usage/errors';

const kinesis = mockClient(KinesisClient);
const now = new Date('2026-11-20T12:00:00.000Z');
const event = (i: number) => ({
  eventId: `e-${i}`,
  metric: 'api.call',
  quantity: 1,
  timestamp: '2026-11-20T11:59:00.000Z',
});
/** A request as pooled compute receives it after the tenant authorizer allowed it. */
const requestOf = (tenantId: string): TenantRequest =>
  tenantRequestFrom({
    requestContext: {
      authorizer: {
        tenantId,
        tier: 'pro',
        route: 'pool',
        accessLevel: 'read-write',
        tenantAccessKeyId: 'ASIAEXAMPLE',
        tenantSecretAccessKey: 'secret',
        tenantSessionToken: 'token',
        tenantCredentialsExpiration: '2026-11-20T12:15:00.000Z',
      },
    },
  });
const acme = requestOf('tacme');
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

  it("names the stream by its ARN when given one (a tenant account's function reaches the platform's stream)", async () => {
    // Prepare
    kinesis.on(PutRecordsCommand).resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '1' }] });
    const streamArn = 'arn:aws:kinesis:us-east-1:123456789012:stream/tenantry-dev-usage';
    const byArn = new UsageEmitter({
      client: new KinesisClient({ region: 'us-east-1' }),
      streamName: 'tenantry-dev-usage',
      streamArn,
      config: defaultConfig,
      now: () => now,
    });

    // Act
    await byArn.emit(acme, [event(1)]);
    await emitter().emit(acme, [event(2)]);

    // Assess
    const [arnCall, nameCall] = kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input);
    expect([arnCall?.StreamARN, arnCall?.StreamName]).toEqual([streamArn, undefined]);
    expect([nameCall?.StreamARN, nameCall?.StreamName]).toEqual([undefined, 'tenantry-dev-usage']);
  });

  it('batches at most 500 records per PutRecords, tenant as partition key', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedRecordCount: 0,
      Records: input.Records.map(() => ({ SequenceNumber: '1', ShardId: 's' })),
    }));
    const events = Array.from({ length: 1_201 }, (_, i) => event(i));
    await expect(emitter().emit(acme, events)).resolves.toBe(1_201);
    const sizes = kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input.Records?.length);
    expect(sizes).toEqual([500, 500, 201]);
    const second = kinesis.commandCalls(PutRecordsCommand)[0]?.args[0].input.Records?.[1];
    expect(second?.PartitionKey).toBe('tacme');
    expect(JSON.parse(new TextDecoder().decode(second?.Data))).toEqual({ ...event(1), tenantId: 'tacme' });
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
    await emitter().emit(acme, [event(1), event(2)]);
    const retried = kinesis.commandCalls(PutRecordsCommand)[1]?.args[0].input.Records ?? [];
    expect(retried.map((r) => JSON.parse(new TextDecoder().decode(r.Data)).eventId)).toEqual(['e-2']);
  });

  it('never drops silently: records still failing after the last attempt are in the error', async () => {
    kinesis.on(PutRecordsCommand).resolves({
      FailedRecordCount: 1,
      Records: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }],
    });
    const error = await emitter(2)
      .emit(acme, [event(1)])
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
    await expect(recording.emit(acme, [event(1)])).rejects.toThrow(UsageEmitError);
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
    await expect(emitter().emit(acme, [event(1), event(2)])).resolves.toBe(2);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(2);
  });

  it('names this batch and every later, unattempted event when a batch cannot be written', async () => {
    // Prepare: 501 events = 2 batches; every call fails.
    kinesis.on(PutRecordsCommand).rejects(Object.assign(new Error('network down'), { name: 'TimeoutError' }));
    const events = Array.from({ length: 501 }, (_, i) => event(i));

    // Act
    const error = (await emitter(2)
      .emit(acme, events)
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
    await expect(emitter().emit(acme, [event(1), { ...event(2), quantity: -1 }])).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it("refuses an event naming another tenant than the request's, before sending anything", async () => {
    // Prepare: a verified request of tacme; the second event claims tbeta
    const events = [event(1), { ...event(2), tenantId: 'tbeta' }];

    // Act
    const error = await emitter()
      .emit(acme, events)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(UsageTenantMismatchError);
    expect((error as UsageTenantMismatchError).context).toEqual({
      requestTenantId: 'tacme',
      eventTenantId: 'tbeta',
      eventId: 'e-2',
    });
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it("accepts an event that names the request's own tenant", async () => {
    kinesis.on(PutRecordsCommand).resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '1' }] });
    await expect(emitter().emit(acme, [{ ...event(1), tenantId: 'tacme' }])).resolves.toBe(1);
  });

  it('refuses a request context that did not come from the authorizer hand-off', async () => {
    // Prepare: the same shape as a verified request, built by hand with a free tenant id
    const forged = { ...acme, tenantId: 'tbeta' } as TenantRequest;

    // Act
    const error = await emitter()
      .emit(forged, [event(1)])
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(UnverifiedUsageRequestError);
    expect((error as UnverifiedUsageRequestError).context).toEqual({ claimedTenantId: 'tbeta' });
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });
});
