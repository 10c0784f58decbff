import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
} from '@aws-sdk/client-kinesis';
import { kinesisClientConfig } from '../../../../domain/aws/clients';

/** A usage event as the documents service put it on the stream, with the record's partition key. */
export interface UsageOnStream {
  readonly tenantId: string;
  readonly metric: string;
  readonly partitionKey: string;
}

/** Every usage event on the (local) stream, read from the start of each shard. */
export async function usageOnStream(streamName: string): Promise<UsageOnStream[]> {
  const kinesis = new KinesisClient(kinesisClientConfig());
  const stream = await kinesis.send(new DescribeStreamCommand({ StreamName: streamName }));
  const out: UsageOnStream[] = [];
  for (const shard of stream.StreamDescription?.Shards ?? []) {
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const { Records } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
    for (const record of Records ?? []) {
      const event = JSON.parse(new TextDecoder().decode(record.Data)) as { tenantId: string; metric: string };
      out.push({ tenantId: event.tenantId, metric: event.metric, partitionKey: String(record.PartitionKey) });
    }
  }
  return out;
}
