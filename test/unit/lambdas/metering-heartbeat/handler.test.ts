import { KinesisClient, ListShardsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { functionEnvironment } from '../../../../domain/function-contract';
import { contract } from '../../../../lambdas/metering-heartbeat/contract';
import { expectColdStartToRequire, importHandler, useFixedDate } from '../../support/lambda';

const kinesis = mockClient(KinesisClient);
const STREAM = 'arn:aws:kinesis:us-east-1:123456789012:stream/tenantry-dev-usage';
const environment = functionEnvironment(contract, { USAGE_STREAM_ARN: STREAM });
/** An open shard whose hash key range starts at `startingHashKey`. */
const shard = (shardId: string, startingHashKey: string) => ({
  ShardId: shardId,
  HashKeyRange: { StartingHashKey: startingHashKey, EndingHashKey: `${startingHashKey}99` },
  SequenceNumberRange: { StartingSequenceNumber: '1' },
});
const load = () => import('../../../../lambdas/metering-heartbeat/handler');

useFixedDate('2026-03-10T06:15:00.000Z');
beforeEach(() => {
  kinesis.reset();
  vi.unstubAllEnvs();
});

describe('metering-heartbeat handler', () => {
  it('puts one tick stamped now on every open shard, across ListShards pages', async () => {
    // Prepare: three open shards over two pages
    kinesis
      .on(ListShardsCommand, { StreamARN: STREAM })
      .resolves({
        Shards: [shard('s-0', '0'), shard('s-1', '100')],
        NextToken: 'page-2',
      })
      .on(ListShardsCommand, { NextToken: 'page-2' })
      .resolves({
        Shards: [shard('s-2', '200')],
      });
    kinesis.on(PutRecordsCommand).resolves({ FailedRecordCount: 0, Records: [] });
    const { handler } = await importHandler(load, environment);

    // Act
    const out = await handler({ 'detail-type': 'Scheduled Event' });

    // Assess
    expect(out).toEqual({ shards: 3, at: '2026-03-10T06:15:00.000Z' });
    expect(kinesis.commandCalls(ListShardsCommand)[0]?.args[0].input).toEqual({
      StreamARN: STREAM,
      ShardFilter: { Type: 'AT_LATEST' },
    });
    const puts = kinesis.commandCalls(PutRecordsCommand);
    expect(puts).toHaveLength(1);
    const records = puts[0]?.args[0].input.Records ?? [];
    expect(records.map((r) => [r.ExplicitHashKey, new TextDecoder().decode(r.Data)])).toEqual([
      ['0', '{"heartbeat":true,"timestamp":"2026-03-10T06:15:00.000Z"}'],
      ['100', '{"heartbeat":true,"timestamp":"2026-03-10T06:15:00.000Z"}'],
      ['200', '{"heartbeat":true,"timestamp":"2026-03-10T06:15:00.000Z"}'],
    ]);
  });

  it('fails with a named error when the stream refuses a tick', async () => {
    // Prepare
    kinesis.on(ListShardsCommand).resolves({
      Shards: [shard('s-0', '0')],
    });
    kinesis
      .on(PutRecordsCommand)
      .resolves({ FailedRecordCount: 1, Records: [{ ErrorCode: 'InternalFailure' }] });
    const { handler } = await importHandler(load, environment);

    // Act / Assess
    await expect(handler({})).rejects.toMatchObject({
      name: 'HeartbeatRejectedError',
      message: `1 heartbeat tick(s) stamped 2026-03-10T06:15:00.000Z refused by ${STREAM}`,
    });
  });

  it('needs the stream ARN at cold start', async () => {
    await expectColdStartToRequire(load, environment, 'USAGE_STREAM_ARN');
  });
});
