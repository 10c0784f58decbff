import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type SFNClient,
} from '@aws-sdk/client-sfn';

/** Poll DescribeExecution until the execution leaves RUNNING (moto runs each execution on a thread). */
export async function waitForExecution(
  sfn: SFNClient,
  executionArn: string,
  timeoutMs = 30_000,
): Promise<DescribeExecutionCommandOutput> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (out.status !== 'RUNNING') return out;
    if (Date.now() > deadline) {
      throw new Error(`execution ${executionArn} still RUNNING after ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
