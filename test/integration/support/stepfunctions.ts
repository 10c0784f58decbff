import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { vi } from 'vitest';

/** Polls DescribeExecution until the execution leaves RUNNING (moto runs each execution on a thread). */
export function waitForExecution(
  sfn: SFNClient,
  executionArn: string,
  timeoutMs = 30_000,
): Promise<DescribeExecutionCommandOutput> {
  return vi.waitFor(
    async () => {
      const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (out.status === 'RUNNING') throw new Error(`execution ${executionArn} still RUNNING`);
      return out;
    },
    { timeout: timeoutMs, interval: 100 },
  );
}
