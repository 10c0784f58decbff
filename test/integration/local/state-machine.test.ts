// Acceptance test of the local environment: a JSONata state machine on moto's Step Functions
// interpreter, with a DynamoDB task, a Choice, Retry and Catch, and lambda:invoke of a real handler
// run by the local handler host (test/integration/local/fixtures/local-diagnostic/handler.ts).
import {
  CognitoIdentityProviderClient,
  CreateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateStateMachineCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  injectFault,
  listInvocations,
  resetLocalAws,
  setFunctionEnv,
  useLocalAws,
  waitForExecution,
} from '../support';

const TABLE = 'local-acceptance';
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:tenantry-test-local-diagnostic';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/local-acceptance';

const definition = {
  QueryLanguage: 'JSONata',
  StartAt: 'RecordPending',
  States: {
    RecordPending: {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:putItem',
      Arguments: {
        TableName: TABLE,
        Item: {
          pk: { S: "{% 'TENANT#' & $states.input.tenantId %}" },
          status: { S: 'PENDING' },
        },
      },
      Assign: { tenantId: '{% $states.input.tenantId %}', action: '{% $states.input.action %}' },
      Output: '{% $states.input %}',
      Next: 'Diagnose',
    },
    Diagnose: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Arguments: {
        FunctionName: FUNCTION_ARN,
        Payload: { tenantId: '{% $tenantId %}', action: '{% $action %}' },
      },
      Output: '{% $states.result.Payload %}',
      Retry: [
        {
          ErrorEquals: ['Lambda.TooManyRequestsException'],
          IntervalSeconds: 1,
          MaxAttempts: 2,
          BackoffRate: 1,
        },
      ],
      Catch: [
        {
          ErrorEquals: ['TenantRejectedError'],
          Output: '{% {"error": $states.errorOutput.Error} %}',
          Next: 'RecordRejected',
        },
      ],
      Next: 'IsGreeted',
    },
    IsGreeted: {
      Type: 'Choice',
      Choices: [{ Condition: "{% $states.input.greeting = 'hello' %}", Next: 'RecordActive' }],
      Default: 'Misconfigured',
    },
    RecordActive: {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:putItem',
      Arguments: {
        TableName: TABLE,
        Item: { pk: { S: "{% 'TENANT#' & $tenantId %}" }, status: { S: 'ACTIVE' } },
      },
      Output: '{% {"tenantId": $tenantId, "status": "ACTIVE"} %}',
      End: true,
    },
    RecordRejected: {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:putItem',
      Arguments: {
        TableName: TABLE,
        Item: { pk: { S: "{% 'TENANT#' & $tenantId %}" }, status: { S: 'REJECTED' } },
      },
      Output: '{% {"tenantId": $tenantId, "status": "REJECTED", "error": $states.input.error} %}',
      End: true,
    },
    Misconfigured: { Type: 'Fail', Error: 'Misconfigured', Cause: 'the diagnostic handler did not greet' },
  },
};

describe('local AWS: JSONata state machine with DynamoDB and a real Lambda handler', () => {
  let sfn: SFNClient;
  let ddb: DynamoDBClient;
  let stateMachineArn: string;

  beforeAll(async () => {
    useLocalAws();
    await resetLocalAws();
    sfn = new SFNClient({});
    ddb = new DynamoDBClient({});
    await ddb.send(
      new CreateTableCommand({
        TableName: TABLE,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const created = await sfn.send(
      new CreateStateMachineCommand({
        name: 'local-acceptance',
        definition: JSON.stringify(definition),
        roleArn: ROLE_ARN,
      }),
    );
    stateMachineArn = created.stateMachineArn as string;
    await setFunctionEnv('local-diagnostic', { DIAGNOSTIC_GREETING: 'hello' });
  });

  async function run(name: string, input: unknown) {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
    );
    return {
      executionArn: executionArn as string,
      result: await waitForExecution(sfn, executionArn as string),
    };
  }

  async function statusOf(tenantId: string) {
    const item = await ddb.send(
      new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `TENANT#${tenantId}` } } }),
    );
    return item.Item?.status?.S;
  }

  it("runs three executions in a row; the handler's named error is caught by name", async () => {
    const first = await run('acceptance-1', { tenantId: 't-001', action: 'echo' });
    const second = await run('acceptance-2', { tenantId: 't-002', action: 'reject' });
    const third = await run('acceptance-3', { tenantId: 't-003', action: 'echo' });

    expect([first.result.status, second.result.status, third.result.status]).toEqual([
      'SUCCEEDED',
      'SUCCEEDED',
      'SUCCEEDED',
    ]);
    expect(JSON.parse(first.result.output as string)).toEqual({ tenantId: 't-001', status: 'ACTIVE' });
    expect(JSON.parse(second.result.output as string)).toEqual({
      tenantId: 't-002',
      status: 'REJECTED',
      error: 'TenantRejectedError',
    });
    expect(await statusOf('t-001')).toBe('ACTIVE');
    expect(await statusOf('t-002')).toBe('REJECTED');
    expect(await statusOf('t-003')).toBe('ACTIVE');

    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: second.executionArn }));
    const failed = history.events?.find((e) => e.type === 'TaskFailed');
    expect(failed?.taskFailedEventDetails?.error).toBe('TenantRejectedError');
    expect(failed?.taskFailedEventDetails?.cause).toContain('rejected by the diagnostic handler');
  });

  it('fails through the Choice default when the handler runs with a different environment', async () => {
    await setFunctionEnv('local-diagnostic', { DIAGNOSTIC_GREETING: 'bonjour' });
    try {
      const { result } = await run('acceptance-env', { tenantId: 't-004', action: 'echo' });
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('Misconfigured');
    } finally {
      await setFunctionEnv('local-diagnostic', { DIAGNOSTIC_GREETING: 'hello' });
    }
  });

  it('retries a transient Lambda error (one injected fault) and succeeds', async () => {
    const before = (await listInvocations()).length;
    await injectFault({
      function: 'local-diagnostic',
      errorName: 'Lambda.TooManyRequestsException',
      times: 1,
    });

    const { executionArn, result } = await run('acceptance-retry', { tenantId: 't-005', action: 'echo' });

    expect(result.status).toBe('SUCCEEDED');
    expect(await statusOf('t-005')).toBe('ACTIVE');
    const calls = (await listInvocations()).slice(before);
    expect(calls.map((c) => c.error ?? 'ok')).toEqual(['Lambda.TooManyRequestsException', 'ok']);
    expect(calls.every((c) => c.function === 'tenantry-test-local-diagnostic')).toBe(true);
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    const types = history.events?.map((e) => e.type) ?? [];
    expect(types.filter((t) => t === 'TaskFailed')).toHaveLength(1);
  });

  it('fails the execution when the retries are exhausted', async () => {
    await injectFault({
      function: 'local-diagnostic',
      errorName: 'Lambda.TooManyRequestsException',
      times: 3,
    });
    const { result } = await run('acceptance-exhausted', { tenantId: 't-006', action: 'echo' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Lambda.TooManyRequestsException');
    expect(await statusOf('t-006')).toBe('PENDING');
  });
});

describe('local AWS: Step Functions interpreter patches', () => {
  let sfn: SFNClient;

  beforeAll(async () => {
    useLocalAws();
    await resetLocalAws();
    sfn = new SFNClient({});
  });

  async function runDefinition(name: string, def: unknown, input: unknown) {
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({ name, definition: JSON.stringify(def), roleArn: ROLE_ARN }),
    );
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: `${name}-run`, input: JSON.stringify(input) }),
    );
    return waitForExecution(sfn, executionArn as string);
  }

  it('evaluates JSONata with the real engine, including $uuid, $hash, $parse and strings with quotes', async () => {
    const result = await runDefinition(
      'jsonata-functions',
      {
        QueryLanguage: 'JSONata',
        StartAt: 'Compute',
        States: {
          Compute: {
            Type: 'Pass',
            Output:
              "{% {'sum': $sum($states.input.values), 'hash': $hash('abc', 'SHA-256'), 'uuid': $uuid(), 'parsed': $parse($states.input.json), 'quoted': $states.input.quoted} %}",
            End: true,
          },
        },
      },
      { values: [1, 2, 39], json: '{"a":[1,2]}', quoted: 'say "hi" \\ now\n' },
    );
    expect(result.status).toBe('SUCCEEDED');
    const out = JSON.parse(result.output as string);
    expect(out.sum).toBe(42);
    expect(out.hash).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(out.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(out.parsed).toEqual({ a: [1, 2] });
    expect(out.quoted).toBe('say "hi" \\ now\n');
  });

  it('turns a JSONata evaluation error into States.QueryEvaluationError, which a Catch matches', async () => {
    const result = await runDefinition(
      'jsonata-error',
      {
        QueryLanguage: 'JSONata',
        StartAt: 'Bad',
        States: {
          Bad: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Arguments: { FunctionName: FUNCTION_ARN, Payload: "{% {'n': $number('not a number')} %}" },
            Catch: [
              {
                ErrorEquals: ['States.QueryEvaluationError'],
                Output: '{% $states.errorOutput %}',
                Next: 'Caught',
              },
            ],
            End: true,
          },
          Caught: { Type: 'Succeed' },
        },
      },
      {},
    );
    expect(result.status).toBe('SUCCEEDED');
    const out = JSON.parse(result.output as string);
    expect(out.Error).toBe('States.QueryEvaluationError');
    expect(out.Cause).toContain('Unable to cast value to a number');
  });

  it('runs a Task whose Resource is the function ARN itself (no lambda:invoke wrapper)', async () => {
    await setFunctionEnv('local-diagnostic', { DIAGNOSTIC_GREETING: 'direct' });
    const result = await runDefinition(
      'direct-arn',
      {
        QueryLanguage: 'JSONata',
        StartAt: 'Call',
        States: {
          Call: {
            Type: 'Task',
            Resource: FUNCTION_ARN,
            Arguments: { tenantId: '{% $states.input.id %}' },
            End: true,
          },
        },
      },
      { id: 't-direct' },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output as string)).toEqual({
      tenantId: 't-direct',
      greeting: 'direct',
      functionName: 'tenantry-test-local-diagnostic',
    });
  });

  it('fails with Lambda.ResourceNotFoundException for a function with no handler', async () => {
    const result = await runDefinition(
      'missing-function',
      {
        QueryLanguage: 'JSONata',
        StartAt: 'Call',
        States: {
          Call: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Arguments: { FunctionName: 'tenantry-test-no-such-handler', Payload: {} },
            End: true,
          },
        },
      },
      {},
    );
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Lambda.ResourceNotFoundException');
    expect(result.cause).toContain("no handler for function 'tenantry-test-no-such-handler'");
  });

  it('maps aws-sdk:cognitoidentityprovider to cognito-idp and names its errors like AWS', async () => {
    const cognito = new CognitoIdentityProviderClient({});
    const pool = await cognito.send(new CreateUserPoolCommand({ PoolName: 'local-acceptance' }));
    const createUser = {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:cognitoidentityprovider:adminCreateUser',
      Arguments: { UserPoolId: pool.UserPool?.Id, Username: 'alice', MessageAction: 'SUPPRESS' },
    };
    const result = await runDefinition(
      'cognito-names',
      {
        QueryLanguage: 'JSONata',
        StartAt: 'First',
        States: {
          First: { ...createUser, Output: '{% {"created": $states.result.User.Username} %}', Next: 'Again' },
          Again: {
            ...createUser,
            Catch: [
              {
                ErrorEquals: ['CognitoIdentityProvider.UsernameExistsException'],
                Output: '{% {"created": $states.input.created, "second": $states.errorOutput.Error} %}',
                Next: 'Done',
              },
            ],
            End: true,
          },
          Done: { Type: 'Succeed' },
        },
      },
      {},
    );
    expect({ status: result.status, error: result.error, cause: result.cause }).toEqual({
      status: 'SUCCEEDED',
    });
    expect(JSON.parse(result.output as string)).toEqual({
      created: 'alice',
      second: 'CognitoIdentityProvider.UsernameExistsException',
    });
  });
});
