import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
/**
 * Shared by the workflow integration tests: deploys the lifecycle on the local environment (the real
 * definitions, the real handlers), runs executions and reads what they left behind.
 */

import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  GetGroupCommand,
  GroupExistsException,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  type AttributeValue,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  paginateScan,
} from '@aws-sdk/client-dynamodb';
import { ListObjectVersionsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import pg from 'pg';
import { vi } from 'vitest';
import { batchWriteAll } from '../../../domain/aws/batch';
import { documentClient } from '../../../domain/aws/clients';
import { CatalogRepository } from '../../../domain/catalog/repository';
import { defaultConfig, type TenantryConfig } from '../../../domain/config';
import { tenantUserAttributes } from '../../../domain/identity/claims';
import { siloStackName, tenantGroupName } from '../../../domain/keys';
import { ChecksumAccumulator, type ItemTally } from '../../../domain/lifecycle/checksum';
import { siloTableName } from '../../../domain/lifecycle/silo';
import { pooledItem } from '../../../domain/pooled-items';
import type { Tenant } from '../../../domain/tenant/tenant';
import {
  deployLifecycleLocally,
  executionPath,
  type LifecycleEvent,
  type LocalLifecycle,
  localFunctionArn,
  receiveLifecycleEvents,
} from '../../../local/lifecycle';
import { type LocalPlace, localDatabaseName, localPostgresPlaces } from '../../../local/postgres';
import type { State, StateMachineDefinition, TaskState } from '../../../workflows/asl';
import { buildDefinition, type WorkflowName } from '../../../workflows/index';
import { injectFault, resetLocalAws, useLocalAws, waitForExecution } from '../support';

export const config: TenantryConfig = defaultConfig;

export interface Harness {
  readonly life: LocalLifecycle;
  readonly endpoint: string;
  /** The local PostgreSQL server (administrative URL): the pool's and the silos' databases. */
  readonly postgresUrl: string;
  readonly sfn: SFNClient;
  readonly dynamo: DynamoDBClient;
  readonly s3: S3Client;
  readonly cognito: CognitoIdentityProviderClient;
  readonly cfn: CloudFormationClient;
  readonly catalog: CatalogRepository;
  /** Events received since the last call. */
  events(): Promise<LifecycleEvent[]>;
}

/**
 * `offboardingFreezeSeconds`: offboarding's write freeze (default: the local env's 1 s); `config`: the
 * configuration the lifecycle is deployed with (default: `config`; the handlers read TENANTRY_CONFIG).
 */
export async function setupHarness(
  options: { offboardingFreezeSeconds?: number; config?: TenantryConfig } = {},
): Promise<Harness> {
  const aws = useLocalAws();
  await resetLocalAws();
  const { config: deployed = config, ...lifecycleOptions } = options;
  const life = await deployLifecycleLocally({
    config: deployed,
    endpoint: aws.endpoint,
    handlerHostUrl: aws.handlerHostUrl,
    postgresUrl: aws.postgresUrl,
    region: aws.region,
    ...lifecycleOptions,
  });
  const clientConfig = { region: aws.region, endpoint: aws.endpoint };
  return {
    life,
    endpoint: aws.endpoint,
    postgresUrl: aws.postgresUrl,
    sfn: new SFNClient(clientConfig),
    dynamo: new DynamoDBClient(clientConfig),
    s3: new S3Client({ ...clientConfig, forcePathStyle: true }),
    cognito: new CognitoIdentityProviderClient(clientConfig),
    cfn: new CloudFormationClient(clientConfig),
    catalog: new CatalogRepository({
      client: documentClient({ region: aws.region }),
      tableName: life.catalogTable,
    }),
    events: () => receiveLifecycleEvents(aws.endpoint, life.eventsQueueUrl, aws.region),
  };
}

export interface Run {
  readonly executionArn: string;
  readonly status: string;
  readonly output: Record<string, unknown> | null;
  readonly error: string | undefined;
  readonly cause: string | undefined;
  readonly path: string[];
  readonly ms: number;
}

let runCounter = 0;

/** Starts an execution (of a workflow, or a state machine ARN) and waits for its end. */
export async function run(
  h: Harness,
  machine: WorkflowName | string,
  input: unknown,
  timeoutMs = 90_000,
): Promise<Run> {
  return (await start(h, machine, input)).wait(timeoutMs);
}

/** Registers an ACTIVE tenant directly in the catalog (the state a finished onboarding leaves). */
export async function activeTenant(h: Harness, tenantId: string, tier = 'pro'): Promise<Tenant> {
  const isolation = config.tiers.find((t) => t.name === tier)?.isolation ?? 'pool';
  await h.catalog.create({
    tenantId,
    name: `Tenant ${tenantId}`,
    tier,
    isolation,
    region: config.regions.primary,
  });
  return h.catalog.transition(tenantId, 'ACTIVE', { reason: 'test setup' });
}

/** Writes `count` items of the tenant into a table, spread over collections. */
export async function seedItems(
  h: Harness,
  table: string,
  tenantId: string,
  count: number,
  prefix = 'item',
): Promise<void> {
  const collections = ['docs', 'users', 'settings'];
  const items: Record<string, AttributeValue>[] = Array.from({ length: count }, (_, i) =>
    pooledItem(
      tenantId,
      collections[i % collections.length] as string,
      `${prefix}-${String(i).padStart(6, '0')}`,
      {
        n: { N: String(i) },
        body: { S: `payload ${i} of ${tenantId}` },
        tags: { SS: ['a', `t${i % 7}`] },
      },
    ),
  );
  await batchWriteAll(
    h.dynamo,
    table,
    items.map((Item) => ({ PutRequest: { Item } })),
    { concurrency: 4 },
  );
}

/**
 * An item of `owner` (its own partition key, as a tenant session may write it) whose `tenantId`
 * attribute names `victim`: the byTenant index lists it under the victim.
 */
export async function plantForeignItem(h: Harness, owner: string, victim: string): Promise<void> {
  await h.dynamo.send(
    new PutItemCommand({
      TableName: h.life.pooledTable,
      Item: { pk: { S: `TENANT#${owner}#docs` }, sk: { S: `planted-${victim}` }, tenantId: { S: victim } },
    }),
  );
}

export async function plantedItemExists(h: Harness, owner: string, victim: string): Promise<boolean> {
  const { Item } = await h.dynamo.send(
    new GetItemCommand({
      TableName: h.life.pooledTable,
      Key: { pk: { S: `TENANT#${owner}#docs` }, sk: { S: `planted-${victim}` } },
      ConsistentRead: true,
    }),
  );
  return Item !== undefined;
}

/**
 * Ground truth, independent of the code under test (which reads the byTenant index): count and checksum
 * of every item of `table` whose partition key starts with `TENANT#<tenantId>#`, by a consistent Scan.
 */
/**
 * The tenant's rows (tenantry.documents) in a place's database, read as the server's superuser (no
 * RLS: what the database holds); [] when the place has no database.
 */
export async function rowsOf(
  h: Harness,
  place: LocalPlace,
  tenantId: string,
): Promise<{ id: string; title: string; created_at: string }[]> {
  const url = new URL(h.postgresUrl);
  url.pathname = `/${localDatabaseName(place)}`;
  const client = new pg.Client({ connectionString: url.toString() });
  try {
    await client.connect();
  } catch (error) {
    if ((error as { code?: string }).code === '3D000') return []; // no such database
    throw error;
  }
  try {
    const { rows } = await client.query(
      "SELECT id, title, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS created_at FROM tenantry.documents WHERE tenant_id = $1 ORDER BY id",
      [tenantId],
    );
    return rows;
  } finally {
    await client.end();
  }
}

/** Runs one statement in a place's database as the server's superuser (a test's own write, no RLS). */
export async function sqlIn(
  h: Harness,
  place: LocalPlace,
  sql: string,
  params: unknown[] = [],
): Promise<void> {
  const url = new URL(h.postgresUrl);
  url.pathname = `/${localDatabaseName(place)}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/** Inserts `count` rows of the tenant into a place's database (as the superuser; the place must exist). */
export async function seedRows(
  h: Harness,
  place: LocalPlace,
  tenantId: string,
  count: number,
): Promise<void> {
  const places = localPostgresPlaces(h.postgresUrl);
  await places.database(place); // created and migrated, as the stack's cluster would be
  await places.close();
  const url = new URL(h.postgresUrl);
  url.pathname = `/${localDatabaseName(place)}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO tenantry.documents (tenant_id, id, title, created_at)
       SELECT $1, 'row-' || lpad(n::text, 5, '0'), 'row ' || n, timestamptz '2026-01-01 00:00:00.5+00' + n * interval '1 second'
       FROM generate_series(1, $2::int) AS n`,
      [tenantId, count],
    );
  } finally {
    await client.end();
  }
}

export async function tally(h: Harness, table: string, tenantId: string): Promise<ItemTally> {
  const acc = new ChecksumAccumulator();
  const pages = paginateScan(
    { client: h.dynamo },
    {
      TableName: table,
      ConsistentRead: true,
      FilterExpression: 'begins_with(pk, :prefix)',
      ExpressionAttributeValues: { ':prefix': { S: `TENANT#${tenantId}#` } },
    },
  );
  for await (const page of pages) for (const item of page.Items ?? []) acc.add(item);
  return acc.tally();
}

export async function putObjects(h: Harness, keys: readonly string[]): Promise<void> {
  for (const key of keys) {
    await h.s3.send(new PutObjectCommand({ Bucket: h.life.dataBucket, Key: key, Body: `content of ${key}` }));
  }
}

export async function objectKeys(h: Harness, prefix: string): Promise<string[]> {
  const page = await h.s3.send(new ListObjectVersionsCommand({ Bucket: h.life.dataBucket, Prefix: prefix }));
  return [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => v.Key as string);
}

/** The silo stack's status, or 'ABSENT' when CloudFormation no longer knows it. */
export async function stackStatus(h: Harness, tenantId: string): Promise<string> {
  return stackStatusIn(h.cfn, tenantId);
}

/** The tenant's silo stack's status as `cfn` (a region, an account) knows it, or 'ABSENT'. */
export async function stackStatusIn(cfn: CloudFormationClient, tenantId: string): Promise<string> {
  try {
    const { Stacks } = await cfn.send(
      new DescribeStacksCommand({ StackName: siloStackName(config, tenantId) }),
    );
    const status = Stacks?.[0]?.StackStatus ?? 'ABSENT';
    return status === 'DELETE_COMPLETE' ? 'ABSENT' : status;
  } catch (error) {
    if (error instanceof Error && /does not exist/.test(error.message)) return 'ABSENT';
    throw error;
  }
}

/** `name` of the error a call fails with, or 'none'. */
export async function failure(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'none';
  } catch (error) {
    return error instanceof Error ? error.name : String(error);
  }
}

export async function tableExists(h: Harness, table: string): Promise<boolean> {
  try {
    await h.dynamo.send(new DescribeTableCommand({ TableName: table }));
    return true;
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return false;
    throw error;
  }
}

export const siloTable = (tenantId: string) => siloTableName(config, tenantId);

export async function groupExists(h: Harness, tenantId: string): Promise<boolean> {
  try {
    await h.cognito.send(
      new GetGroupCommand({ UserPoolId: h.life.userPoolId, GroupName: `tenant-${tenantId}` }),
    );
    return true;
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return false;
    throw error;
  }
}

/** The user's custom:tenantId, or null when the user does not exist. */
export async function userTenant(h: Harness, username: string): Promise<string | null> {
  try {
    const user = await h.cognito.send(
      new AdminGetUserCommand({ UserPoolId: h.life.userPoolId, Username: username }),
    );
    return user.UserAttributes?.find((a) => a.Name === tenantUserAttributes.tenantId)?.Value ?? '';
  } catch (error) {
    if (error instanceof Error && error.name === 'UserNotFoundException') return null;
    throw error;
  }
}

/** The user's custom:tier, or null when the user does not exist. */
export async function userTier(h: Harness, username: string): Promise<string | null> {
  try {
    const user = await h.cognito.send(
      new AdminGetUserCommand({ UserPoolId: h.life.userPoolId, Username: username }),
    );
    return user.UserAttributes?.find((a) => a.Name === tenantUserAttributes.tier)?.Value ?? '';
  } catch (error) {
    if (error instanceof Error && error.name === 'UserNotFoundException') return null;
    throw error;
  }
}

/**
 * A confirmed user of the tenant as onboarding leaves one: `custom:tenantId`, `custom:tier`, member of
 * the tenant's group (created if missing), with a permanent password.
 */
export async function tenantUser(
  h: Harness,
  tenantId: string,
  email: string,
  tier: string,
  password = 'Local-Passw0rd!',
): Promise<void> {
  const UserPoolId = h.life.userPoolId;
  const GroupName = tenantGroupName(tenantId);
  try {
    await h.cognito.send(new CreateGroupCommand({ UserPoolId, GroupName }));
  } catch (error) {
    if (!(error instanceof GroupExistsException)) throw error;
  }
  await h.cognito.send(
    new AdminCreateUserCommand({
      UserPoolId,
      Username: email,
      MessageAction: 'SUPPRESS',
      UserAttributes: [
        { Name: 'email', Value: email },
        { Name: tenantUserAttributes.tenantId, Value: tenantId },
        { Name: tenantUserAttributes.tier, Value: tier },
      ],
    }),
  );
  await h.cognito.send(
    new AdminSetUserPasswordCommand({ UserPoolId, Username: email, Password: password, Permanent: true }),
  );
  await h.cognito.send(new AdminAddUserToGroupCommand({ UserPoolId, Username: email, GroupName }));
}

/**
 * A copy of a workflow whose Task state(s) `stateNames` fail with `errorName` (non-retryable unless the
 * name is in their Retry). Lambda tasks keep their payload and only call a function name the handler
 * host's fault book answers with the error; service-integration tasks (Cognito, CloudFormation,
 * EventBridge) are replaced by such a call. Every other state, Retry and Catch is the real definition.
 */
export async function machineWithFault(
  h: Harness,
  workflow: WorkflowName,
  stateNames: string | readonly string[],
  errorName = 'InjectedFault',
  definitionConfig: TenantryConfig = config,
): Promise<string> {
  const definition = structuredClone(buildDefinition(workflow, definitionConfig)) as StateMachineDefinition;
  const states = definition.States as Record<string, TaskState>;
  const names = typeof stateNames === 'string' ? [stateNames] : stateNames;
  for (const stateName of names) {
    const state = states[stateName];
    if (state?.Type !== 'Task') throw new Error(`${workflow} has no Task state named ${stateName}`);
    // `<anything>-<folder>` resolves to an existing handler folder; the fault fires before it runs.
    const functionName = `fault-${stateName.toLowerCase().replace(/[^a-z0-9]/g, '')}-tenant-transition`;
    const arn = localFunctionArn('us-east-1', functionName);
    const isLambda = state.Resource === 'arn:aws:states:::lambda:invoke';
    const args = state.Arguments as Record<string, unknown>;
    states[stateName] = {
      ...state,
      Resource: 'arn:aws:states:::lambda:invoke',
      Arguments: isLambda ? { ...args, FunctionName: arn } : { FunctionName: arn, Payload: {} },
    } as TaskState;
    await injectFault({
      function: functionName,
      errorName,
      errorMessage: `fault injected into ${workflow}/${stateName}`,
      times: 1000,
    });
  }
  return h.life.createStateMachine(
    `${workflow}-fault-${names.join('-').replace(/[^A-Za-z0-9-]/g, '')}-${Date.now()}`.slice(0, 80),
    definition,
  );
}

export function eventsOf(
  events: readonly LifecycleEvent[],
  detailType: string,
  tenantId: string,
): LifecycleEvent[] {
  return events.filter((e) => e.detailType === detailType && e.detail.tenantId === tenantId);
}

export { forwardTaskStates, taskStates } from './states';

/**
 * A copy of a workflow with a Wait of `seconds` inserted after `afterState` (a pause a test uses to act
 * between two steps, e.g. write to the pool after the copy was verified). Every other state is the
 * real definition. The pause state is named `TestPause`.
 */
export async function machineWithPause(
  h: Harness,
  workflow: WorkflowName,
  afterState: string,
  seconds: number,
): Promise<string> {
  const definition = structuredClone(buildDefinition(workflow, config)) as StateMachineDefinition;
  const states = definition.States as Record<string, State & { Next?: string }>;
  const state = states[afterState];
  if (state === undefined || typeof state.Next !== 'string') {
    throw new Error(`${workflow} has no state ${afterState} with a Next`);
  }
  states.TestPause = { Type: 'Wait', Seconds: seconds, Next: state.Next } as State;
  state.Next = 'TestPause';
  return h.life.createStateMachine(
    `${workflow}-pause-${afterState.replace(/[^A-Za-z0-9]/g, '')}-${Date.now()}`.slice(0, 80),
    definition,
  );
}

/** Starts an execution without waiting for it; `wait()` waits for its end like `run`. */
export async function start(
  h: Harness,
  machine: WorkflowName | string,
  input: unknown,
  name = `test-${Date.now()}-${++runCounter}`,
): Promise<{ executionArn: string; wait: (timeoutMs?: number) => Promise<Run> }> {
  const started = Date.now();
  const arn = machine.startsWith('arn:') ? machine : h.life.stateMachineArns[machine as WorkflowName];
  const { executionArn } = await h.sfn.send(
    new StartExecutionCommand({ stateMachineArn: arn, name, input: JSON.stringify(input) }),
  );
  const id = executionArn as string;
  return {
    executionArn: id,
    wait: async (timeoutMs = 90_000) => {
      const out = await waitForExecution(h.sfn, id, timeoutMs);
      return {
        executionArn: id,
        status: out.status as string,
        output: out.output ? (JSON.parse(out.output) as Record<string, unknown>) : null,
        error: out.error,
        cause: out.cause,
        path: await executionPath(h.sfn, id),
        ms: Date.now() - started,
      };
    },
  };
}

/** Waits until the execution has entered `state` (polls its history). */
export async function waitForState(h: Harness, executionArn: string, state: string, timeoutMs = 60_000) {
  await vi.waitFor(
    async () => {
      const path = await executionPath(h.sfn, executionArn);
      if (!path.includes(state)) throw new Error(`${executionArn} did not reach ${state} (path: ${path})`);
    },
    { timeout: timeoutMs, interval: 200 },
  );
}

/**
 * Clients acting in `accountId` with its deployment role assumed there (the test's view of a tenant
 * account, not the code's), in `region`; IAM is global (us-east-1).
 */
export async function clientsInAccount(
  endpoint: string,
  accountId: string,
  region: string,
  deploymentRoleName: string,
) {
  const sts = new STSClient({ region, endpoint });
  const { Credentials: c } = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${accountId}:role/${deploymentRoleName}`,
      RoleSessionName: 'account-test',
    }),
  );
  const credentials = {
    accessKeyId: c?.AccessKeyId as string,
    secretAccessKey: c?.SecretAccessKey as string,
    sessionToken: c?.SessionToken as string,
  };
  const settings = { region, endpoint, credentials };
  return {
    dynamo: new DynamoDBClient(settings),
    kms: new KMSClient(settings),
    cfn: new CloudFormationClient(settings),
    iam: new IAMClient({ ...settings, region: 'us-east-1' }),
    lambda: new LambdaClient(settings),
    quotas: new ServiceQuotasClient(settings),
  };
}

/**
 * moto's Organizations switches (local/moto/launcher.py `patch_organizations_limits`): a CreateAccount
 * that stays IN_PROGRESS for N reads, a spent CloseAccount quota. `{}` turns them off (so does
 * moto-api/reset).
 */
export async function setOrganizationsSwitches(
  h: Harness,
  switches: { create_account_pending_reads?: number; close_account_quota_exceeded?: boolean },
): Promise<void> {
  const res = await fetch(`${h.endpoint}/moto-api/config`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ organizations: switches }),
  });
  if (!res.ok) throw new Error(`moto config: HTTP ${res.status}: ${await res.text()}`);
}

/**
 * moto's Lambda concurrency quota switch (local/moto/launcher.py `patch_lambda_concurrency_quota`): the
 * quota GetAccountSettings reports and CloudFormation enforces, per account id or `default` for any
 * other account. `{}` turns it off (so does moto-api/reset).
 */
export async function setLambdaConcurrency(
  h: Harness,
  quota: { default?: number; limits?: Record<string, number> },
): Promise<void> {
  const res = await fetch(`${h.endpoint}/moto-api/config`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ lambda_concurrency: quota }),
  });
  if (!res.ok) throw new Error(`moto config: HTTP ${res.status}: ${await res.text()}`);
}
