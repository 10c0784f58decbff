// EventBridge rule targets on the local environment: Lambda targets are delivered (asynchronously,
// InvocationType Event) to the handler host; Step Functions targets start an execution.
import {
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateStateMachineCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, it } from 'vitest';
import { listInvocations, resetLocalAws, useLocalAws, waitForExecution } from '../support';

async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('local AWS: EventBridge targets', () => {
  let events: EventBridgeClient;
  let sfn: SFNClient;

  beforeAll(async () => {
    useLocalAws();
    await resetLocalAws();
    events = new EventBridgeClient({});
    sfn = new SFNClient({});
  });

  it('delivers a matching event to a Lambda target through the handler host, and not a non-matching one', async () => {
    await events.send(
      new PutRuleCommand({
        Name: 'signup-to-lambda',
        EventPattern: JSON.stringify({ source: ['tenantry.test'] }),
      }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: 'signup-to-lambda',
        Targets: [
          {
            Id: 'diag',
            Arn: 'arn:aws:lambda:us-east-1:123456789012:function:tenantry-test-local-diagnostic',
          },
        ],
      }),
    );

    const put = await events.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'other.source', DetailType: 'Ignored', Detail: JSON.stringify({ tenantId: 't-x' }) },
          {
            Source: 'tenantry.test',
            DetailType: 'TenantSignedUp',
            Detail: JSON.stringify({ tenantId: 't-1' }),
          },
        ],
      }),
    );
    expect(put.FailedEntryCount).toBe(0);

    const calls = await eventually(async () => {
      const all = await listInvocations();
      return all.length > 0 ? all : undefined;
    }, 'the Lambda target invocation');
    await new Promise((r) => setTimeout(r, 300)); // a wrongly-delivered second event would show up by now
    const after = await listInvocations();
    expect(after).toHaveLength(1);
    expect(calls[0]).toMatchObject({ function: 'tenantry-test-local-diagnostic', invocationType: 'Event' });
    expect(calls[0]?.error).toBeUndefined();
  });

  it('starts a Step Functions execution for a state machine target', async () => {
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({
        name: 'from-eventbridge',
        roleArn: 'arn:aws:iam::123456789012:role/x',
        definition: JSON.stringify({
          QueryLanguage: 'JSONata',
          StartAt: 'Echo',
          States: { Echo: { Type: 'Pass', Output: '{% $states.input.detail %}', End: true } },
        }),
      }),
    );
    await events.send(
      new PutRuleCommand({
        Name: 'signup-to-sfn',
        EventPattern: JSON.stringify({ 'detail-type': ['ToSfn'] }),
      }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: 'signup-to-sfn',
        Targets: [{ Id: 'sm', Arn: stateMachineArn as string }],
      }),
    );

    await events.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'tenantry.sfn', DetailType: 'ToSfn', Detail: JSON.stringify({ tenantId: 't-9' }) },
        ],
      }),
    );

    const executionArn = await eventually(async () => {
      const list = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
      return list.executions?.[0]?.executionArn;
    }, 'an execution started by EventBridge');
    const result = await waitForExecution(sfn, executionArn);
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output as string)).toEqual({ tenantId: 't-9' });
  });
});
