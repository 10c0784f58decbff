import { KinesisClient } from '@aws-sdk/client-kinesis';
import { kinesisClientConfig } from '../../domain/aws/clients';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { putHeartbeats } from '../../domain/usage/progress';
import { contract } from './contract';

/** Every minute (EventBridge schedule): one heartbeat tick per open shard of the usage stream. */
const env = readFunctionEnv(contract);
const client = new KinesisClient(kinesisClientConfig());

export const handler = contractHandler(contract, async () => {
  const at = new Date();
  const shards = await putHeartbeats(client, env.USAGE_STREAM_ARN, at);
  return { shards, at: at.toISOString() };
});
