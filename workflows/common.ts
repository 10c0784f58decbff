import type { z } from 'zod';
import { LIFECYCLE_EVENT_SOURCE, type LifecycleDetailType } from '../domain/lifecycle/events';
import { contract as billingFinalContract } from '../lambdas/billing-final/contract';
import { contract as validateContract } from '../lambdas/lifecycle-validate/contract';
import { contract as siloDeprovisionContract } from '../lambdas/silo-deprovision/contract';
import { contract as siloStackContract } from '../lambdas/silo-stack/contract';
import { contract as accountContract } from '../lambdas/tenant-account/contract';
import { contract as catalogContract } from '../lambdas/tenant-catalog/contract';
import { contract as collectionsContract } from '../lambdas/tenant-collections/contract';
import { contract as copyContract, type copyCursorSchema } from '../lambdas/tenant-data-copy/contract';
import { contract as purgeContract, type purgeCursorSchema } from '../lambdas/tenant-data-purge/contract';
import { contract as verifyContract, type verifyCursorSchema } from '../lambdas/tenant-data-verify/contract';
import {
  type erasureCursorSchema,
  contract as erasureVerifyContract,
} from '../lambdas/tenant-erasure-verify/contract';
import { contract as identityPurgeContract } from '../lambdas/tenant-identity-purge/contract';
import { contract as rowsContract, type rowsCursorSchema } from '../lambdas/tenant-rows/contract';
import { contract as transitionContract } from '../lambdas/tenant-transition/contract';
import {
  type userTierCursorSchema,
  contract as userTiersContract,
} from '../lambdas/tenant-user-tiers/contract';
import {
  type Catcher,
  type Jsonata,
  type JsonTemplate,
  jsonata,
  jsonataObject,
  jsonataString,
  type Retrier,
  type State,
  type TaskState,
} from './asl';

/**
 * Building blocks shared by the lifecycle state machines: deployment-specific values as definition
 * substitutions, Retry policies per integration, the failure catcher, and task/fragment builders.
 */

/** The Lambda task functions: key → function name (its `lambdas/<name>/` folder, its contract's name). */
export const lambdaFunctions = {
  validate: validateContract.name,
  catalog: catalogContract.name,
  collections: collectionsContract.name,
  transition: transitionContract.name,
  copy: copyContract.name,
  verify: verifyContract.name,
  purge: purgeContract.name,
  /** A tenant's PostgreSQL rows between the pooled and its silo database. */
  rows: rowsContract.name,
  erasureVerify: erasureVerifyContract.name,
  identityPurge: identityPurgeContract.name,
  userTiers: userTiersContract.name,
  siloStack: siloStackContract.name,
  siloDeprovision: siloDeprovisionContract.name,
  /** A tenant's own AWS account (isolation `account`): deployed only when `accounts` is configured. */
  account: accountContract.name,
  /** The billing part's final-bill task, input `{ tenantId }`. */
  billingFinal: billingFinalContract.name,
} as const satisfies Record<string, string>;
export type LambdaFunction = keyof typeof lambdaFunctions;

/** The definition substitution carrying a task function's ARN. */
type FunctionArnSubstitution = `${string}FunctionArn`;

/** `tenant-data-copy` → `TenantDataCopyFunctionArn`. */
function functionArnSubstitution(fn: LambdaFunction): FunctionArnSubstitution {
  const pascal = lambdaFunctions[fn]
    .split('-')
    .map((word) => `${word.charAt(0).toUpperCase()}${word.slice(1)}`)
    .join('');
  return `${pascal}FunctionArn`;
}

/** The ARN substitutions of every task function, given where each one is deployed. */
export function functionArnSubstitutions(
  arnOf: (fn: LambdaFunction) => string,
): Record<FunctionArnSubstitution, string> {
  return Object.fromEntries(
    (Object.keys(lambdaFunctions) as LambdaFunction[]).map((fn) => [functionArnSubstitution(fn), arnOf(fn)]),
  );
}

/** The other definition substitutions. */
const valueSubstitutionNames = [
  'UserPoolId',
  'EventBusName',
  /** Promotion's write freeze after MIGRATING, seconds: `writeFreezeSeconds(config)` (domain/lifecycle/write-freeze.ts). */
  'WriteFreezeSeconds',
  /** Offboarding's freeze after OFFBOARDING, seconds: `offboardingFreezeSeconds(config)` (same file). */
  'OffboardingFreezeSeconds',
] as const;

/** Definition substitutions (`${Name}` in the ASL): filled by CDK (infra/lifecycle-stack.ts) or the local env. */
export const substitutionNames: readonly SubstitutionName[] = [
  ...(Object.keys(lambdaFunctions) as LambdaFunction[]).map(functionArnSubstitution),
  ...valueSubstitutionNames,
];
export type SubstitutionName = FunctionArnSubstitution | (typeof valueSubstitutionNames)[number];
export type Substitutions = Record<FunctionArnSubstitution, string> &
  Record<(typeof valueSubstitutionNames)[number], string>;

export const sub = (name: SubstitutionName): string => `\${${name}}`;

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
  events: [
    'EventBridge.InternalException',
    'EventBridge.ThrottlingException',
    'EventBridge.EventBridgeException',
  ],
} as const;
type Integration = keyof typeof transientErrors;

function retry(integration: Integration): Retrier[] {
  return [{ ErrorEquals: [...transientErrors[integration]], ...backoff }];
}

/**
 * How a failure is recorded: `'failure'` assigns `$failure` (the failure the run reports); `{ appendTo }`
 * appends it to that list variable and keeps `$failure` (compensation paths, where the first error is
 * the story); `'keep'` records nothing (the states that report the failure already recorded).
 */
export type FailureLog = 'failure' | 'keep' | { readonly appendTo: string };

/** JSONata of a failure record; `error` and `cause` are JSONata expressions. */
export function failureRecord(state: string, error: string, cause: string): string {
  return jsonataObject({ state: jsonataString(state), error, cause });
}

/** The failure record of the error a Catch of `state` caught. */
function caughtFailure(state: string): string {
  // A Lambda error's Cause is the runtime's JSON ({errorType, errorMessage, trace}): keep the message.
  const cause = '$substring($exists($m) ? $m : $c, 0, 600)';
  return `($c := $string($states.errorOutput.Cause); $m := $substring($c, 0, 1) = '{' ? $parse($c).errorMessage : $c; ${failureRecord(state, '$states.errorOutput.Error', cause)})`;
}

/** The Assign recording a failure (`record`: JSONata of a failure record) as `log` says. */
export function recordFailure(log: FailureLog, record: string): Record<string, Jsonata> {
  if (log === 'keep') return {};
  if (log === 'failure') return { failure: jsonata(record) };
  return { [log.appendTo]: jsonata(`$append($${log.appendTo}, [${record}])`) };
}

interface CatchOptions {
  /** The errors caught; default every error. */
  readonly errors?: readonly string[];
  /** Default `'failure'`. */
  readonly log?: FailureLog;
  /** More variables to assign. */
  readonly assign?: Record<string, JsonTemplate>;
}

/** The catcher of a failure in `state`: goes to `next`, recording the failure as `options.log` says. */
export function catchFailure(state: string, next: string, options: CatchOptions = {}): Catcher {
  const { errors = ['States.ALL'], log = 'failure', assign = {} } = options;
  const recorded = { ...recordFailure(log, caughtFailure(state)), ...assign };
  return Object.keys(recorded).length === 0
    ? { ErrorEquals: [...errors], Next: next }
    : { ErrorEquals: [...errors], Next: next, Assign: recorded };
}

type Flow = { Next: string } | { End: true };

interface TaskOptions {
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

/** A Lambda task's result: the function's output. */
export const LAMBDA_RESULT: Jsonata = '{% $states.result.Payload %}';

/** A Lambda task (`lambda:invoke`); its output is the function's result unless `output` says otherwise. */
export function lambdaTask(fn: LambdaFunction, payload: JsonTemplate, options: TaskOptions): TaskState {
  return task(
    'arn:aws:states:::lambda:invoke',
    { FunctionName: sub(functionArnSubstitution(fn)), Payload: payload },
    'lambda',
    { output: LAMBDA_RESULT, ...options },
  );
}

/** The chunked task functions: each takes a cursor and returns the next one. */
interface CursorSchemas {
  readonly copy: typeof copyCursorSchema;
  readonly purge: typeof purgeCursorSchema;
  readonly verify: typeof verifyCursorSchema;
  readonly rows: typeof rowsCursorSchema;
  readonly erasureVerify: typeof erasureCursorSchema;
  readonly userTiers: typeof userTierCursorSchema;
}
type ChunkedFunction = keyof CursorSchemas;
type Cursor<F extends ChunkedFunction> = z.input<CursorSchemas[F]>;
/**
 * A loop's start: the identifying fields of the function's cursor, each a JSONata expression. Its
 * position and counters (defaulted by the contract, then carried by each chunk's output) are not built here.
 */
type StartCursor<F extends ChunkedFunction> = {
  readonly [K in keyof Omit<
    Cursor<F>,
    | 'startKey'
    | 'nextToken'
    | 'copied'
    | 'purged'
    | 'users'
    | 'updated'
    | 'source'
    | 'target'
    | 'afterKey'
    | 'rows'
    | 'done'
  >]: string;
};

interface ChunkLoopOptions<F extends ChunkedFunction> {
  /** The Pass starting the loop, the chunk Task and the Choice on `done`. */
  readonly states: readonly [start: string, chunk: string, more: string];
  /** The variable holding the cursor: the start, then each chunk's output. */
  readonly cursor: string;
  readonly start: StartCursor<F>;
  /** Where to go once a chunk's output says `done`. */
  readonly next: string;
  /** The chunk task's catcher, given the task's name. */
  readonly catch: (state: string) => Catcher;
  /** More variables the starting Pass assigns. */
  readonly assign?: Record<string, JsonTemplate>;
  readonly startComment?: string;
  readonly chunkComment?: string;
}

/**
 * A chunked loop over a tenant's data: a Pass assigns the start cursor (the identifying fields only;
 * the function's contract defaults the position and counters), the Task runs one chunk and keeps its
 * output, the next cursor, which the Choice loops on until it says `done`.
 */
export function chunkLoop<F extends ChunkedFunction>(fn: F, o: ChunkLoopOptions<F>): Record<string, State> {
  const [start, chunk, more] = o.states;
  return {
    [start]: {
      Type: 'Pass',
      ...(o.startComment === undefined ? {} : { Comment: o.startComment }),
      Assign: { ...o.assign, [o.cursor]: jsonata(jsonataObject(o.start)) },
      Next: chunk,
    },
    [chunk]: lambdaTask(fn, jsonata(`$${o.cursor}`), {
      flow: { Next: more },
      assign: { [o.cursor]: LAMBDA_RESULT },
      catch: [o.catch(chunk)],
      ...(o.chunkComment === undefined ? {} : { comment: o.chunkComment }),
    }),
    [more]: {
      Type: 'Choice',
      Choices: [{ Condition: jsonata(`$${o.cursor}.done`), Next: o.next }],
      Default: chunk,
    },
  };
}

/** An AWS SDK integration task (`aws-sdk:<service>:<action>`). */
export function sdkTask(
  service: 'cognitoidentityprovider',
  action: string,
  args: JsonTemplate,
  options: TaskOptions,
): TaskState {
  return task(`arn:aws:states:::aws-sdk:${service}:${action}`, args, 'cognito', options);
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

/**
 * Payloads of an account tenant's tasks (`$plan.tenantId`, the account id at `accountId`): a
 * `tenant-account` action in that account, and the catalog's record of the account's status.
 */
export function accountPayloads(accountId: Jsonata) {
  const tenantId: Jsonata = '{% $plan.tenantId %}';
  return {
    inAccount: (action: string) => ({ action, tenantId, accountId }),
    recordStatus: (accountStatus: string) => ({
      action: 'record-account',
      tenantId,
      accountId,
      accountStatus,
      executionArn: EXECUTION_ARN,
    }),
  };
}

interface FailedEndOptions {
  readonly detailType: LifecycleDetailType;
  readonly tenantId: Jsonata;
  readonly stage: JsonTemplate;
  /** More detail fields (after the failure's). */
  readonly detail?: Record<string, JsonTemplate>;
  /** The run's error when it differs from the Fail state's name (two paths ending with one error). */
  readonly error?: string;
}

/**
 * A failed run's end: `emit` reports `$failure` in a failure event (a failure to emit is not recorded:
 * `$failure` is the story), then the run fails with the error `fail`, the failure as its cause.
 */
export function failedEnd(emit: string, fail: string, o: FailedEndOptions): Record<string, State> {
  return {
    [emit]: emitEvent(
      o.detailType,
      {
        tenantId: o.tenantId,
        stage: o.stage,
        failedState: '{% $failure.state %}',
        error: '{% $failure.error %}',
        cause: '{% $failure.cause %}',
        ...o.detail,
        executionArn: EXECUTION_ARN,
      },
      { flow: { Next: fail }, catch: [catchFailure(emit, fail, { log: 'keep' })] },
    ),
    [fail]: {
      Type: 'Fail',
      Error: o.error ?? fail,
      Cause: "{% $failure.state & ': ' & $failure.error & ': ' & $failure.cause %}",
    },
  };
}

/** The tenant id a run was started for (before Validate planned it). */
export const INPUT_TENANT_ID: Jsonata = '{% $states.context.Execution.Input.tenantId %}';

interface StackFragmentOptions {
  /** JSONata for the tenant id, the tier and the tenant's region. */
  readonly tenantId: string;
  readonly tier: string;
  readonly region: string;
  readonly pollSeconds: number;
  readonly maxPolls: number;
  /** Where to go when the stack is CREATE_COMPLETE (`$stack` holds the `silo-stack` task's answer). */
  readonly onReady: string;
  /** Where to go on any failure (`$failure` is assigned). */
  readonly onFailure: string;
  /** JSONata for the tenant's own account id, or null (isolation `account`; absent: never in an account). */
  readonly accountId?: string;
}

/**
 * A silo task's payload: `fields` (field → JSONata) and, when `accountId` (JSONata) is given and not
 * null, the account the silo lives in and `inAccount` (more fields, only there).
 */
function siloPayload(
  fields: Readonly<Record<string, string>>,
  accountId: string | undefined,
  inAccount: Readonly<Record<string, string>> = {},
): JsonTemplate {
  if (accountId === undefined)
    return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, jsonata(v)]));
  const account = jsonataObject({ accountId, ...inAccount });
  return jsonata(`$merge([${jsonataObject(fields)}, ${accountId} ? ${account} : {}])`);
}

/**
 * Silo provisioning in the tenant's region: the `silo-stack` task creates the stack from the silo
 * template (synthesized from infra/silo-stack.ts) with a CloudFormation client of that region, then a
 * bounded describe/Wait loop polls it (no function waits on CloudFormation; the poll's answer, not the
 * create's, decides). A stack that already exists
 * (a retried create) is polled, not re-created; a stack that ends in any other status than
 * CREATE_COMPLETE, or is still in progress after `maxPolls`, is a failure.
 */
export function siloProvisioningStates(o: StackFragmentOptions): Record<string, State> {
  const target = { tenantId: o.tenantId, region: o.region };
  return {
    CreateSiloStack: lambdaTask(
      'siloStack',
      // In an account, the reservation `CheckConcurrency` decided (workflows/account.ts).
      siloPayload({ action: jsonataString('create'), ...target, tier: o.tier }, o.accountId, {
        reserveConcurrency: '$reserveConcurrency',
      }),
      {
        flow: { Next: 'DescribeSiloStack' },
        assign: { stackPolls: 0 },
        catch: [catchFailure('CreateSiloStack', o.onFailure)],
        comment: "In the tenant's region; a stack left by an earlier attempt is polled, not re-created.",
      },
    ),
    DescribeSiloStack: lambdaTask(
      'siloStack',
      siloPayload({ action: jsonataString('describe'), ...target }, o.accountId),
      {
        flow: { Next: 'SiloStackReady?' },
        assign: { stack: LAMBDA_RESULT },
        catch: [catchFailure('DescribeSiloStack', o.onFailure)],
      },
    ),
    'SiloStackReady?': {
      Type: 'Choice',
      Choices: [
        { Condition: "{% $stack.status = 'CREATE_COMPLETE' %}", Next: o.onReady },
        {
          Condition: jsonata(`$stack.status = 'CREATE_IN_PROGRESS' and $stackPolls < ${o.maxPolls}`),
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
      Assign: recordFailure(
        'failure',
        failureRecord(
          'DescribeSiloStack',
          "'SiloStackNotCreated'",
          "'stack ' & $stack.stackName & ' is ' & $stack.status & ($stack.statusReason ? ': ' & $stack.statusReason : '') & ' after ' & $string($stackPolls) & ' polls'",
        ),
      ),
      Next: o.onFailure,
    },
  };
}

/** JSONata for the silo references (the stack's outputs) from `$stack`, the `silo-stack` task's answer. */
export const SILO_FROM_STACK = '$stack.silo';

/** JSONata: the pooled database as a tenant-rows place. */
export const POOL_ROWS = "{'place': 'pool'}";
/**
 * JSONata: the silo database of `silo` (silo references: the stack's outputs) as a tenant-rows place;
 * the ARNs are absent where the template has no cluster (local), `account` (JSONata) for a silo in the
 * tenant's own account.
 */
export function siloRows(silo: string, account?: string): string {
  const inAccount = account === undefined ? '' : `, 'account': ${account}`;
  return `{'place': 'silo', 'clusterArn': ${silo}.databaseClusterArn, 'secretArn': ${silo}.databaseSecretArn${inAccount}}`;
}

interface TeardownFragmentOptions {
  readonly prefix: string;
  /** JSONata for the stack name and the tenant's region (where the stack is). */
  readonly stackName: string;
  readonly region: string;
  readonly pollSeconds: number;
  readonly maxPolls: number;
  readonly next: string;
  /** Where to go when the teardown fails or times out. */
  readonly onFailure: string;
  /** How a failure is recorded: `$failure` on forward paths, appended to a list on compensation paths. */
  readonly log: Exclude<FailureLog, 'keep'>;
  /** JSONata for the tenant's own account id, or null (isolation `account`; absent: never in an account). */
  readonly accountId?: string;
}

/**
 * Silo teardown (enter at `<prefix>SiloTeardown`; `$keyDeletionDate` is set when the key was scheduled
 * for deletion): the `silo-deprovision` task schedules deletion of the silo's KMS key (pending window
 * from config) and deletes the stack, in the tenant's region; it is repeated after a Wait until the
 * stack is gone (bounded).
 */
export function siloTeardownStates(o: TeardownFragmentOptions): Record<string, State> {
  const entry = `${o.prefix}SiloTeardown`;
  const call = `${o.prefix}DeleteSilo`;
  const check = `${o.prefix}SiloGone?`;
  const wait = `${o.prefix}WaitForSiloDeletion`;
  const timeout = `${o.prefix}SiloNotDeleted`;
  return {
    [entry]: { Type: 'Pass', Assign: { teardownPolls: 0, keyDeletionDate: null }, Next: call },
    [call]: lambdaTask(
      'siloDeprovision',
      siloPayload({ stackName: o.stackName, region: o.region }, o.accountId),
      {
        flow: { Next: check },
        assign: {
          teardown: LAMBDA_RESULT,
          keyDeletionDate:
            '{% $exists($states.result.Payload.keyDeletionDate) and $states.result.Payload.keyDeletionDate != null ? $states.result.Payload.keyDeletionDate : $keyDeletionDate %}',
        },
        catch: [catchFailure(call, o.onFailure, { log: o.log })],
      },
    ),
    [check]: {
      Type: 'Choice',
      Choices: [
        { Condition: "{% $teardown.status = 'ABSENT' %}", Next: o.next },
        { Condition: jsonata(`$teardownPolls < ${o.maxPolls}`), Next: wait },
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
      Assign: recordFailure(
        o.log,
        failureRecord(
          call,
          "'SiloNotDeleted'",
          `'stack ' & ${o.stackName} & ' still ' & $teardown.status & ' after ' & $string($teardownPolls) & ' polls'`,
        ),
      ),
      Next: o.onFailure,
    },
  };
}
