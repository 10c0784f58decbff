import { LIFECYCLE_EVENT_SOURCE, type LifecycleDetailType } from '../domain/lifecycle/events';
import { SILO_TENANT_TAG, siloStackOutputs, siloStackParameters } from '../domain/lifecycle/silo';
import type { Catcher, Jsonata, JsonTemplate, Retrier, State, TaskState } from './asl';

/**
 * Building blocks shared by the lifecycle state machines: deployment-specific values as definition
 * substitutions, Retry policies per integration, and task/fragment builders.
 */

/** Definition substitutions (`${Name}` in the ASL): filled by CDK (infra/lifecycle-stack.ts) or the local env. */
export const substitutionNames = [
  'LifecycleValidateFunctionArn',
  'TenantCatalogFunctionArn',
  'TenantTransitionFunctionArn',
  'TenantDataCopyFunctionArn',
  'TenantDataVerifyFunctionArn',
  'TenantDataPurgeFunctionArn',
  'TenantIdentityPurgeFunctionArn',
  'SiloDeprovisionFunctionArn',
  'BillingFinalFunctionArn',
  'UserPoolId',
  'EventBusName',
  'SiloTemplateUrl',
  'SiloDeploymentRoleArn',
  'TenantAccessRoleArn',
  'DataMoverRoleArns',
  /** Promotion's write freeze after MIGRATING, seconds: `writeFreezeSeconds(config)` (domain/lifecycle/write-freeze.ts). */
  'WriteFreezeSeconds',
] as const;
export type SubstitutionName = (typeof substitutionNames)[number];
export type Substitutions = Record<SubstitutionName, string>;

export const sub = (name: SubstitutionName): string => `\${${name}}`;

/** The Lambda task functions and the substitution carrying each one's ARN. */
export const lambdaFunctions = {
  validate: 'LifecycleValidateFunctionArn',
  catalog: 'TenantCatalogFunctionArn',
  transition: 'TenantTransitionFunctionArn',
  copy: 'TenantDataCopyFunctionArn',
  verify: 'TenantDataVerifyFunctionArn',
  purge: 'TenantDataPurgeFunctionArn',
  identityPurge: 'TenantIdentityPurgeFunctionArn',
  siloDeprovision: 'SiloDeprovisionFunctionArn',
  billingFinal: 'BillingFinalFunctionArn',
} as const satisfies Record<string, SubstitutionName>;
export type LambdaFunction = keyof typeof lambdaFunctions;

/** Handler folder (`lambdas/<folder>/handler.ts`) of each task function. */
export const lambdaFolders: Record<LambdaFunction, string> = {
  validate: 'lifecycle-validate',
  catalog: 'tenant-catalog',
  transition: 'tenant-transition',
  copy: 'tenant-data-copy',
  verify: 'tenant-data-verify',
  purge: 'tenant-data-purge',
  identityPurge: 'tenant-identity-purge',
  siloDeprovision: 'silo-deprovision',
  billingFinal: 'billing-final',
};

const backoff = {
  IntervalSeconds: 1,
  BackoffRate: 2,
  MaxAttempts: 3,
  MaxDelaySeconds: 20,
  JitterStrategy: 'FULL',
} as const;

/**
 * Transient errors per integration. Domain errors (ValidationError, IllegalTransitionError,
 * TenantAlreadyExistsError, DataVerificationError, …) are never retried: retrying cannot fix them.
 */
export const transientErrors = {
  lambda: [
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
    'Lambda.ClientExecutionTimeoutException',
    // thrown by the handlers (SDK and domain errors that a retry can fix)
    'ConcurrentModificationError',
    'UnprocessedItemsError',
    'ProvisionedThroughputExceededException',
    'ThrottlingException',
    'TooManyRequestsException',
    'RequestLimitExceeded',
    'InternalServerError',
    'ServiceUnavailable',
    'TimeoutError',
  ],
  cognito: [
    'CognitoIdentityProvider.TooManyRequestsException',
    'CognitoIdentityProvider.InternalErrorException',
  ],
  cloudformation: ['CloudFormation.ThrottlingException', 'CloudFormation.CloudFormationException'],
  events: [
    'EventBridge.InternalException',
    'EventBridge.ThrottlingException',
    'EventBridge.EventBridgeException',
  ],
} as const;
export type Integration = keyof typeof transientErrors;

export function retry(integration: Integration): Retrier[] {
  return [{ ErrorEquals: [...transientErrors[integration]], ...backoff }];
}

/** The `$failure` record every Catch assigns: which state failed, the error name and its cause. */
export function failureExpr(state: string): Jsonata {
  // A Lambda error's Cause is the runtime's JSON ({errorType, errorMessage, trace}): keep the message.
  return `{% ($c := $string($states.errorOutput.Cause); $m := $substring($c, 0, 1) = '{' ? $parse($c).errorMessage : $c; {'state': '${state}', 'error': $states.errorOutput.Error, 'cause': $substring($exists($m) ? $m : $c, 0, 600)}) %}`;
}

export function catchAll(
  state: string,
  next: string,
  assign: Record<string, JsonTemplate> = {},
  errors: readonly string[] = ['States.ALL'],
): Catcher {
  return { ErrorEquals: [...errors], Next: next, Assign: { failure: failureExpr(state), ...assign } };
}

/** A catch-all that keeps `$failure` as it is (used on failure paths, where the first error is the story). */
export function catchKeep(next: string): Catcher {
  return { ErrorEquals: ['States.ALL'], Next: next };
}

type Flow = { Next: string } | { End: true };

export interface TaskOptions {
  readonly flow: Flow;
  /** Catchers tried in order; a final catch-all should be among them. */
  readonly catch: readonly Catcher[];
  readonly assign?: Record<string, JsonTemplate>;
  readonly output?: JsonTemplate;
  readonly comment?: string;
}

function task(
  resource: string,
  args: JsonTemplate,
  integration: Integration,
  options: TaskOptions,
): TaskState {
  const state: Record<string, unknown> = {
    Type: 'Task',
    Resource: resource,
    Arguments: args,
    Retry: retry(integration),
    Catch: options.catch,
    ...options.flow,
  };
  if (options.comment !== undefined) state.Comment = options.comment;
  if (options.assign !== undefined) state.Assign = options.assign;
  if (options.output !== undefined) state.Output = options.output;
  return state as unknown as TaskState;
}

/** A Lambda task (`lambda:invoke`); its output is the function's result unless `output` says otherwise. */
export function lambdaTask(fn: LambdaFunction, payload: JsonTemplate, options: TaskOptions): TaskState {
  return task(
    'arn:aws:states:::lambda:invoke',
    { FunctionName: sub(lambdaFunctions[fn]), Payload: payload },
    'lambda',
    { output: '{% $states.result.Payload %}', ...options },
  );
}

/** An AWS SDK integration task (`aws-sdk:<service>:<action>`). */
export function sdkTask(
  service: 'cognitoidentityprovider' | 'cloudformation',
  action: string,
  args: JsonTemplate,
  options: TaskOptions,
): TaskState {
  return task(
    `arn:aws:states:::aws-sdk:${service}:${action}`,
    args,
    service === 'cloudformation' ? 'cloudformation' : 'cognito',
    options,
  );
}

/** Emits one lifecycle event on the control-plane bus (`events:putEvents`). */
export function emitEvent(
  detailType: LifecycleDetailType,
  detail: JsonTemplate,
  options: TaskOptions,
): TaskState {
  return task(
    'arn:aws:states:::events:putEvents',
    {
      Entries: [
        {
          EventBusName: sub('EventBusName'),
          Source: LIFECYCLE_EVENT_SOURCE,
          DetailType: detailType,
          Detail: detail,
        },
      ],
    },
    'events',
    options,
  );
}

/** `$states.context.Execution.Id`: the execution ARN recorded on every catalog change. */
export const EXECUTION_ARN: Jsonata = '{% $states.context.Execution.Id %}';

export interface StackFragmentOptions {
  /** JSONata (without braces) for the stack name, the tenant id and the tier. */
  readonly stackName: string;
  readonly tenantId: string;
  readonly tier: string;
  readonly pollSeconds: number;
  readonly maxPolls: number;
  /** Where to go when the stack is CREATE_COMPLETE (`$stack` holds DescribeStacks' stack). */
  readonly onReady: string;
  /** Where to go on any failure (`$failure` is assigned). */
  readonly onFailure: string;
}

/**
 * Silo provisioning: CreateStack from the silo template (synthesized from infra/silo-stack.ts), then a
 * bounded DescribeStacks/Wait loop. A stack that already exists (a retried CreateStack) is polled, not
 * re-created; a stack that ends in any other status than CREATE_COMPLETE, or is still in progress after
 * `maxPolls`, is a failure.
 */
export function siloProvisioningStates(o: StackFragmentOptions): Record<string, State> {
  return {
    CreateSiloStack: sdkTask(
      'cloudformation',
      'createStack',
      {
        StackName: `{% ${o.stackName} %}`,
        TemplateURL: sub('SiloTemplateUrl'),
        RoleARN: sub('SiloDeploymentRoleArn'),
        Parameters: [
          { ParameterKey: siloStackParameters.tenantId, ParameterValue: `{% ${o.tenantId} %}` },
          { ParameterKey: siloStackParameters.tier, ParameterValue: `{% ${o.tier} %}` },
          {
            ParameterKey: siloStackParameters.tenantAccessRoleArn,
            ParameterValue: sub('TenantAccessRoleArn'),
          },
          { ParameterKey: siloStackParameters.dataMoverRoleArns, ParameterValue: sub('DataMoverRoleArns') },
        ],
        Tags: [{ Key: SILO_TENANT_TAG, Value: `{% ${o.tenantId} %}` }],
      },
      {
        flow: { Next: 'DescribeSiloStack' },
        assign: { stackPolls: 0 },
        catch: [
          {
            ErrorEquals: ['CloudFormation.AlreadyExistsException'],
            Next: 'DescribeSiloStack',
            Assign: { stackPolls: 0 },
          },
          catchAll('CreateSiloStack', o.onFailure),
        ],
        comment: 'A stack left by an earlier attempt is polled, not re-created.',
      },
    ),
    DescribeSiloStack: sdkTask(
      'cloudformation',
      'describeStacks',
      { StackName: `{% ${o.stackName} %}` },
      {
        flow: { Next: 'SiloStackReady?' },
        assign: { stack: '{% $states.result.Stacks[0] %}' },
        catch: [catchAll('DescribeSiloStack', o.onFailure)],
      },
    ),
    'SiloStackReady?': {
      Type: 'Choice',
      Choices: [
        { Condition: "{% $stack.StackStatus = 'CREATE_COMPLETE' %}", Next: o.onReady },
        {
          Condition: `{% $stack.StackStatus = 'CREATE_IN_PROGRESS' and $stackPolls < ${o.maxPolls} %}`,
          Next: 'WaitForSiloStack',
        },
      ],
      Default: 'SiloStackNotCreated',
    },
    WaitForSiloStack: {
      Type: 'Wait',
      Seconds: o.pollSeconds,
      Assign: { stackPolls: '{% $stackPolls + 1 %}' },
      Next: 'DescribeSiloStack',
    },
    SiloStackNotCreated: {
      Type: 'Pass',
      Assign: {
        failure:
          "{% {'state': 'DescribeSiloStack', 'error': 'SiloStackNotCreated', 'cause': 'stack ' & $stack.StackName & ' is ' & $stack.StackStatus & ($stack.StackStatusReason ? ': ' & $stack.StackStatusReason : '') & ' after ' & $string($stackPolls) & ' polls'} %}",
      },
      Next: o.onFailure,
    },
  };
}

/** JSONata for the silo references from `$stack` (DescribeStacks' stack). */
export const SILO_FROM_STACK =
  `{'stackId': $stack.StackId, ` +
  `'tableName': $stack.Outputs[OutputKey='${siloStackOutputs.tableName}'].OutputValue, ` +
  `'kmsKeyArn': $stack.Outputs[OutputKey='${siloStackOutputs.kmsKeyArn}'].OutputValue}`;

export interface TeardownFragmentOptions {
  readonly prefix: string;
  /** JSONata for the stack name. */
  readonly stackName: string;
  readonly pollSeconds: number;
  readonly maxPolls: number;
  readonly next: string;
  /** Where to go when the teardown fails or times out. */
  readonly onFailure: string;
  /**
   * How a failure is recorded: 'failure' assigns `$failure` (forward paths); 'append:<var>' appends it to
   * the list variable `<var>` and keeps `$failure` (compensation paths, where the first error is the story).
   */
  readonly record: 'failure' | `append:${string}`;
}

/**
 * Silo teardown (enter at `<prefix>SiloTeardown`; `$keyDeletionDate` is set when the key was scheduled
 * for deletion): the `silo-deprovision` task schedules deletion of the silo's KMS key (pending window
 * from config) and deletes the stack; it is repeated after a Wait until the stack is gone (bounded).
 */
export function siloTeardownStates(o: TeardownFragmentOptions): Record<string, State> {
  const entry = `${o.prefix}SiloTeardown`;
  const call = `${o.prefix}DeleteSilo`;
  const check = `${o.prefix}SiloGone?`;
  const wait = `${o.prefix}WaitForSiloDeletion`;
  const timeout = `${o.prefix}SiloNotDeleted`;
  const record = (expr: string): Record<string, JsonTemplate> =>
    o.record === 'failure'
      ? { failure: `{% ${expr} %}` }
      : { [o.record.slice(7)]: `{% $append($${o.record.slice(7)}, [${expr}]) %}` };
  return {
    [entry]: { Type: 'Pass', Assign: { teardownPolls: 0, keyDeletionDate: null }, Next: call },
    [call]: lambdaTask(
      'siloDeprovision',
      { stackName: `{% ${o.stackName} %}` },
      {
        flow: { Next: check },
        assign: {
          teardown: '{% $states.result.Payload %}',
          keyDeletionDate:
            '{% $exists($states.result.Payload.keyDeletionDate) and $states.result.Payload.keyDeletionDate != null ? $states.result.Payload.keyDeletionDate : $keyDeletionDate %}',
        },
        catch: [
          {
            ErrorEquals: ['States.ALL'],
            Next: o.onFailure,
            Assign: record(failureExpr(call).slice(3, -3)),
          },
        ],
      },
    ),
    [check]: {
      Type: 'Choice',
      Choices: [
        { Condition: "{% $teardown.status = 'ABSENT' %}", Next: o.next },
        { Condition: `{% $teardownPolls < ${o.maxPolls} %}`, Next: wait },
      ],
      Default: timeout,
    },
    [wait]: {
      Type: 'Wait',
      Seconds: o.pollSeconds,
      Assign: { teardownPolls: '{% $teardownPolls + 1 %}' },
      Next: call,
    },
    [timeout]: {
      Type: 'Pass',
      Assign: record(
        `{'state': '${call}', 'error': 'SiloNotDeleted', 'cause': 'stack ' & ${o.stackName} & ' still ' & $teardown.status & ' after ' & $string($teardownPolls) & ' polls'}`,
      ),
      Next: o.onFailure,
    },
  };
}
