// EventBridge rule targets on the local environment: Lambda targets are delivered (asynchronously,
// InvocationType Event) to the handler host; Step Functions targets start an execution.
import {
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateStateMachineCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { listInvocations, resetLocalAws, useLocalAws, waitForExecution } from '../support';

const DIAGNOSTIC_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:tenantry-test-local-diagnostic';
// Another deployed name of the same handler: its invocations are told apart by function name.
const MARKER_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:tenantry-marker-local-diagnostic';

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
    // Prepare: a rule for the test source, and a marker rule whose target is another function name
    await events.send(
      new PutRuleCommand({
        Name: 'signup-to-lambda',
        EventPattern: JSON.stringify({ source: ['tenantry.test'] }),
      }),
    );
    await events.send(
      new PutTargetsCommand({ Rule: 'signup-to-lambda', Targets: [{ Id: 'diag', Arn: DIAGNOSTIC_ARN }] }),
    );
    await events.send(
      new PutRuleCommand({ Name: 'marker', EventPattern: JSON.stringify({ source: ['tenantry.marker'] }) }),
    );
    await events.send(new PutTargetsCommand({ Rule: 'marker', Targets: [{ Id: 'm', Arn: MARKER_ARN }] }));

    // Act
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
    const calls = await vi.waitFor(
      async () => {
        const all = await listInvocations();
        if (all.length === 0) throw new Error('no Lambda target invocation yet');
        return all;
      },
      { timeout: 10_000, interval: 100 },
    );
    // a later event's delivery proves the first call's deliveries were all dispatched before it
    await events.send(
      new PutEventsCommand({
        Entries: [{ Source: 'tenantry.marker', DetailType: 'Marker', Detail: JSON.stringify({}) }],
      }),
    );
    const after = await vi.waitFor(
      async () => {
        const all = await listInvocations();
        if (!all.some((c) => c.function === 'tenantry-marker-local-diagnostic')) {
          throw new Error('the marker event was not delivered yet');
        }
        return all;
      },
      { timeout: 10_000, interval: 100 },
    );

    // Assess
    expect(calls[0]).toMatchObject({ function: 'tenantry-test-local-diagnostic', invocationType: 'Event' });
    expect(calls[0]?.error).toBeUndefined();
    expect(after.map((c) => c.function).sort()).toEqual([
      'tenantry-marker-local-diagnostic',
      'tenantry-test-local-diagnostic',
    ]);
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

    const executionArn = await vi.waitFor(
      async () => {
        const list = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
        const started = list.executions?.[0]?.executionArn;
        if (started === undefined) throw new Error('no execution started by EventBridge yet');
        return started;
      },
      { timeout: 10_000, interval: 100 },
    );
    const result = await waitForExecution(sfn, executionArn);
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output as string)).toEqual({ tenantId: 't-9' });
  });
});
