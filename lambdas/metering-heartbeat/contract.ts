import { z } from 'zod';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';

export const contract = defineFunction({
  name: 'metering-heartbeat',
  description:
    'Every minute: puts a heartbeat tick on every open shard of the usage stream, so the metering job ' +
    'advances its watermark and publishes its progress through idle periods.',
  env: { USAGE_STREAM_ARN: envVar.arn() },
  /** The EventBridge schedule's event; its content is not used. */
  input: z.object({}).loose(),
  output: z.object({ shards: z.number().int().nonnegative(), at: z.iso.datetime() }),
  timeoutSeconds: 30,
  memoryMb: 256,
  grants: {
    /** The usage stream: its open shards, and one tick on each. */
    putHeartbeats: { actions: ['kinesis:ListShards', 'kinesis:PutRecords'] },
  },
});
