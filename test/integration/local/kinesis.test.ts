// Kinesis on the local environment: local/moto/launcher.py serialises moto's record append, which
// otherwise lets two concurrent PutRecords calls take one sequence number (the second record replacing
// the first, without an error). Every record put must be readable once, as on Kinesis.
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { beforeAll, describe, expect, it } from 'vitest';
import { kinesisClientConfig } from '../../../domain/aws/clients';
import { resetLocalAws, useLocalAws } from '../support';

const STREAM = 'concurrent-puts';
const CALLS = 24;
const RECORDS_PER_CALL = 100;

describe('local AWS: Kinesis', () => {
  let kinesis: KinesisClient;

  beforeAll(async () => {
    useLocalAws();
    await resetLocalAws();
    kinesis = new KinesisClient(kinesisClientConfig());
    await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 1 }));
  });

  it('keeps every record of concurrent PutRecords calls on one shard, each once', async () => {
    // Prepare
    const encoder = new TextEncoder();
    const call = (c: number) =>
      new PutRecordsCommand({
        StreamName: STREAM,
        Records: Array.from({ length: RECORDS_PER_CALL }, (_, r) => ({
          PartitionKey: 'one-shard',
          Data: encoder.encode(`${c}-${r}`),
        })),
      });

    // Act: all calls at once
    const answers = await Promise.all(Array.from({ length: CALLS }, (_, c) => kinesis.send(call(c))));
    const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: STREAM }));
    let iterator = (
      await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: STREAM,
          ShardId: Shards?.[0]?.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      )
    ).ShardIterator;
    const read: string[] = [];
    while (iterator) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      read.push(...(page.Records ?? []).map((r) => new TextDecoder().decode(r.Data)));
      iterator = (page.Records ?? []).length === 0 ? undefined : page.NextShardIterator;
    }

    // Assess
    expect(answers.map((a) => a.FailedRecordCount ?? 0)).toEqual(Array(CALLS).fill(0));
    expect(read).toHaveLength(CALLS * RECORDS_PER_CALL);
    expect(new Set(read).size).toBe(CALLS * RECORDS_PER_CALL);
  });
});
