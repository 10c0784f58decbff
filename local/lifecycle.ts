/**
 * Deploys the lifecycle onto the local environment (moto + handler host) exactly as the CDK app wires
 * it on AWS: the control-plane tables and bus (local/control-plane.ts), a Cognito user pool with the
 * tenant attributes, the tenant data bucket, the silo template uploaded to S3 (synthesized from
 * infra/silo-stack.ts; the `silo-stack` task creates each silo from it in the tenant's region — moto keeps
 * regions apart), each task function's environment, the three state machines from the real
 * definitions with definition substitutions, the signup rule → signup-starter, and a queue receiving
 * every lifecycle event (for tests and the demo to read). Used by test/integration/workflows and demo/.
 */
import {
  CognitoIdentityProviderClient,
  CreateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { baseClientConfig, s3ClientConfig } from '../domain/aws/clients';
import { resourceName, type TenantryConfig } from '../domain/config';
import {
  type FunctionContract,
  type FunctionEnvironment,
  functionEnvironment,
} from '../domain/function-contract';
import { LIFECYCLE_EVENT_SOURCE, signupEventPattern } from '../domain/lifecycle/events';
import { siloDeploymentRoleName } from '../domain/lifecycle/silo';
import { contract as billingFinalContract } from '../lambdas/billing-final/contract';
import { contract as validateContract } from '../lambdas/lifecycle-validate/contract';
import { contract as signupStarterContract } from '../lambdas/signup-starter/contract';
import { contract as siloDeprovisionContract } from '../lambdas/silo-deprovision/contract';
import { contract as siloStackContract } from '../lambdas/silo-stack/contract';
import { contract as accountContract } from '../lambdas/tenant-account/contract';
import { contract as catalogContract } from '../lambdas/tenant-catalog/contract';
import { contract as collectionsContract } from '../lambdas/tenant-collections/contract';
import { contract as copyContract } from '../lambdas/tenant-data-copy/contract';
import { contract as purgeContract } from '../lambdas/tenant-data-purge/contract';
import { contract as verifyContract } from '../lambdas/tenant-data-verify/contract';
import { contract as erasureVerifyContract } from '../lambdas/tenant-erasure-verify/contract';
import { contract as identityPurgeContract } from '../lambdas/tenant-identity-purge/contract';
import { contract as rowsContract } from '../lambdas/tenant-rows/contract';
import { contract as transitionContract } from '../lambdas/tenant-transition/contract';
import { contract as userTiersContract } from '../lambdas/tenant-user-tiers/contract';
import type { StateMachineDefinition } from '../workflows/asl';
import { functionArnSubstitutions, lambdaFunctions, type Substitutions } from '../workflows/common';
import {
  buildDefinition,
  stateMachineName,
  substitute,
  type WorkflowName,
  workflowNames,
} from '../workflows/index';
import { publishSiloServiceCode } from './silo-code';

export const LOCAL_ACCOUNT = '123456789012';

export interface LocalLifecycleOptions {
  readonly config: TenantryConfig;
  /** moto endpoint (http://127.0.0.1:<port>). */
  readonly endpoint: string;
  readonly handlerHostUrl: string;
  /** The local PostgreSQL server (local/postgres.ts): the tenant-rows function's databases. */
  readonly postgresUrl: string;
  readonly region?: string;
  /** Function (deployed name) answering `billing-final`; default `<product>-<stage>-billing-final`. */
  readonly billingFinalFunction?: string;
  /**
   * The promotion's write freeze (`${WriteFreezeSeconds}`). Default 1: the local lifecycle has no API
   * Gateway in front of it, so no authorizer cache to outlast; deployed stacks use
   * `writeFreezeSeconds(config)` (domain/lifecycle/write-freeze.ts).
   */
  readonly writeFreezeSeconds?: number;
  /**
   * Offboarding's freeze (`${OffboardingFreezeSeconds}`). Default 1, for the same reason; deployed stacks
   * use `offboardingFreezeSeconds(config)` (15 minutes and more). A test modelling credentials that
   * live N seconds sets N plus its margin.
   */
  readonly offboardingFreezeSeconds?: number;
}

export interface LocalLifecycle {
  readonly stateMachineArns: Record<WorkflowName, string>;
  readonly substitutions: Substitutions;
  readonly userPoolId: string;
  readonly eventBusName: string;
  readonly catalogTable: string;
  readonly pooledTable: string;
  readonly dataBucket: string;
  readonly templateUrl: string;
  readonly eventsQueueUrl: string;
  readonly signupStarterFunction: string;
  /** Deployed function name of a task function. */
  functionName(folder: string): string;
  /** Creates another state machine from a (possibly modified) definition with the same substitutions. */
  createStateMachine(name: string, definition: StateMachineDefinition): Promise<string>;
}

const LOCAL_SILO_TEMPLATE_KEY = 'silo/silo-tenant.template.json';

/**
 * The silo template the local lifecycle creates silos from. moto's CloudFormation reads a TemplateURL
 * from its own S3 when the host is `localhost` (path style), in every region (as on AWS, where
 * CloudFormation in any region of the partition reads the bucket).
 */
export function localSiloTemplateUrl(config: TenantryConfig, endpoint: string): string {
  return `${endpoint.replace('127.0.0.1', 'localhost')}/${resourceName(config, 'templates')}/${LOCAL_SILO_TEMPLATE_KEY}`;
}

export function localFunctionArn(region: string, name: string): string {
  return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${name}`;
}

export async function deployLifecycleLocally(options: LocalLifecycleOptions): Promise<LocalLifecycle> {
  const { config, endpoint, handlerHostUrl } = options;
  const region = options.region ?? 'us-east-1';
  const clientConfig = { ...baseClientConfig({ region }), endpoint };
  const functionName = (folder: string) => resourceName(config, folder);

  const { provisionLocalControlPlane } = await import('./control-plane');
  const plane = await provisionLocalControlPlane(config);
  const catalogTable = plane.tables.catalog;
  const pooledTable = plane.tables.pooled;

  const cognito = new CognitoIdentityProviderClient(clientConfig);
  const pool = await cognito.send(
    new CreateUserPoolCommand({
      PoolName: resourceName(config, 'users'),
      UsernameAttributes: ['email'],
      Schema: [
        {
          Name: 'tenantId',
          AttributeDataType: 'String',
          Mutable: false,
          StringAttributeConstraints: { MaxLength: '40' },
        },
        {
          Name: 'tier',
          AttributeDataType: 'String',
          Mutable: true,
          StringAttributeConstraints: { MaxLength: '20' },
        },
      ],
    }),
  );
  const userPoolId = pool.UserPool?.Id as string;

  const s3 = new S3Client({ ...s3ClientConfig({ region }), endpoint, forcePathStyle: true });
  const dataBucket = resourceName(config, 'tenant-data');
  const templateBucket = resourceName(config, 'templates');
  for (const bucket of [dataBucket, templateBucket]) {
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (error) {
      // another part of the local deployment (or an earlier run) created it
      if (!(error instanceof Error && /BucketAlready(OwnedByYou|Exists)/.test(error.name))) throw error;
    }
  }
  const { siloTemplateBuild } = await import('../infra/silo-stack');
  const { POOLED_DATABASE_NAME } = await import('../infra/pooled-plane-stack');
  // moto cannot create Aurora: locally the silo function's PostgreSQL is PGlite in process.
  const silo = siloTemplateBuild(config, 'in-process');
  const accountTemplateUrl = await publishSiloServiceCode(s3, config, LOCAL_ACCOUNT, silo, endpoint);
  const templateKey = LOCAL_SILO_TEMPLATE_KEY;
  await s3.send(
    new PutObjectCommand({
      Bucket: templateBucket,
      Key: templateKey,
      Body: JSON.stringify(silo.template),
      ContentType: 'application/json',
    }),
  );
  const templateUrl = localSiloTemplateUrl(config, endpoint);

  const substitutions: Substitutions = {
    ...functionArnSubstitutions((fn) =>
      localFunctionArn(
        region,
        fn === 'billingFinal'
          ? (options.billingFinalFunction ?? functionName(lambdaFunctions.billingFinal))
          : functionName(lambdaFunctions[fn]),
      ),
    ),
    UserPoolId: userPoolId,
    EventBusName: plane.eventBusName,
    WriteFreezeSeconds: String(options.writeFreezeSeconds ?? 1),
    OffboardingFreezeSeconds: String(options.offboardingFreezeSeconds ?? 1),
  };

  const sfn = new SFNClient(clientConfig);
  const roleArn = `arn:aws:iam::${LOCAL_ACCOUNT}:role/${resourceName(config, 'lifecycle-state-machines')}`;
  const createStateMachine = async (name: string, definition: StateMachineDefinition) => {
    const out = await sfn.send(
      new CreateStateMachineCommand({
        name,
        roleArn,
        definition: substitute(JSON.stringify(definition), substitutions),
      }),
    );
    return out.stateMachineArn as string;
  };
  const stateMachineArns = {} as Record<WorkflowName, string>;
  for (const name of workflowNames) {
    stateMachineArns[name] = await createStateMachine(
      stateMachineName(config, name),
      buildDefinition(name, config),
    );
  }

  // Each task function's environment, typed by its contract (as infra/lifecycle-stack.ts sets it).
  const catalogEnv = { CATALOG_TABLE_NAME: catalogTable };
  const pooledEnv = { POOLED_TABLE_NAME: pooledTable };
  const envs = [
    functionEnv(validateContract, catalogEnv),
    functionEnv(catalogContract, catalogEnv),
    functionEnv(collectionsContract, catalogEnv),
    functionEnv(transitionContract, catalogEnv),
    functionEnv(copyContract, pooledEnv),
    functionEnv(verifyContract, pooledEnv),
    functionEnv(purgeContract, { ...pooledEnv, TENANT_DATA_BUCKET_NAME: dataBucket }),
    // The places' databases are on the local PostgreSQL server; the Data API's ARNs are never used here.
    functionEnv(rowsContract, {
      POOLED_DATABASE_CLUSTER_ARN: `arn:aws:rds:${region}:${LOCAL_ACCOUNT}:cluster:${resourceName(config, 'pooled-db')}`,
      POOLED_DATABASE_SECRET_ARN: `arn:aws:secretsmanager:${region}:${LOCAL_ACCOUNT}:secret:${resourceName(config, 'pooled-db-admin')}`,
      DATABASE_NAME: POOLED_DATABASE_NAME,
      LOCAL_POSTGRES_URL: options.postgresUrl,
    }),
    functionEnv(erasureVerifyContract, {
      ...pooledEnv,
      TENANT_DATA_BUCKET_NAME: dataBucket,
      USER_POOL_ID: userPoolId,
    }),
    functionEnv(identityPurgeContract, { USER_POOL_ID: userPoolId }),
    functionEnv(userTiersContract, { USER_POOL_ID: userPoolId, ...catalogEnv }),
    functionEnv(siloStackContract, {
      SILO_TEMPLATE_URL: templateUrl,
      SILO_DEPLOYMENT_ROLE_ARN: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${siloDeploymentRoleName(config)}`,
      TENANT_ACCESS_ROLE_ARN: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${resourceName(config, 'tenant-runtime')}`,
      PLATFORM_ACCOUNT_ID: LOCAL_ACCOUNT,
      ROUTER_ROLE_ARN: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${functionName('documents-router')}`,
      ACCOUNT_TEMPLATE_URL: accountTemplateUrl,
      DATA_MOVER_ROLE_ARNS: (['copy', 'verify', 'purge'] as const)
        .map((fn) => `arn:aws:iam::${LOCAL_ACCOUNT}:role/${functionName(lambdaFunctions[fn])}`)
        .join(','),
    }),
    functionEnv(siloDeprovisionContract, {}),
    functionEnv(accountContract, {
      AUTHORIZER_ROLE_ARN: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${functionName('authorizer')}`,
      TENANT_DATA_BUCKET_NAME: dataBucket,
      PROBE_ROLE_ARN: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${functionName(lambdaFunctions.account)}`,
    }),
    functionEnv(signupStarterContract, { ONBOARDING_STATE_MACHINE_ARN: stateMachineArns.onboarding }),
    functionEnv(billingFinalContract, {
      CATALOG_TABLE_NAME: catalogTable,
      COUNTERS_TABLE_NAME: plane.tables.counters,
      LEDGER_TABLE_NAME: plane.tables.billingLedger,
      EVENT_BUS_NAME: plane.eventBusName,
    }),
  ];
  for (const { name, variables } of envs) {
    await hostControl(
      handlerHostUrl,
      'PUT',
      `/__tenantry/functions/${encodeURIComponent(name)}/env`,
      variables,
    );
  }

  const events = new EventBridgeClient(clientConfig);
  const signupStarterFunction = functionName('signup-starter');
  await events.send(
    new PutRuleCommand({
      Name: resourceName(config, 'signup-to-onboarding'),
      EventBusName: plane.eventBusName,
      EventPattern: JSON.stringify(signupEventPattern),
    }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: resourceName(config, 'signup-to-onboarding'),
      EventBusName: plane.eventBusName,
      Targets: [{ Id: 'signup-starter', Arn: localFunctionArn(region, signupStarterFunction) }],
    }),
  );
  const queueName = resourceName(config, 'lifecycle-events');
  const queue = (await sqs(endpoint, region, 'CreateQueue', { QueueName: queueName })) as {
    QueueUrl: string;
  };
  await events.send(
    new PutRuleCommand({
      Name: resourceName(config, 'lifecycle-events-to-queue'),
      EventBusName: plane.eventBusName,
      EventPattern: JSON.stringify({ source: [LIFECYCLE_EVENT_SOURCE] }),
    }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: resourceName(config, 'lifecycle-events-to-queue'),
      EventBusName: plane.eventBusName,
      Targets: [{ Id: 'queue', Arn: `arn:aws:sqs:${region}:${LOCAL_ACCOUNT}:${queueName}` }],
    }),
  );

  return {
    stateMachineArns,
    substitutions,
    userPoolId,
    eventBusName: plane.eventBusName,
    catalogTable,
    pooledTable,
    dataBucket,
    templateUrl,
    eventsQueueUrl: queue.QueueUrl,
    signupStarterFunction,
    functionName,
    createStateMachine,
  };
}

export interface LifecycleEvent {
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
}

/** Drains the lifecycle events received so far (the queue behind the `tenantry.lifecycle` rule). */
export async function receiveLifecycleEvents(
  endpoint: string,
  queueUrl: string,
  region = 'us-east-1',
): Promise<LifecycleEvent[]> {
  const events: LifecycleEvent[] = [];
  for (;;) {
    const out = (await sqs(endpoint, region, 'ReceiveMessage', {
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
    })) as { Messages?: { Body: string; ReceiptHandle: string }[] };
    const messages = out.Messages ?? [];
    if (messages.length === 0) return events;
    for (const m of messages) {
      const body = JSON.parse(m.Body) as { 'detail-type': string; detail: Record<string, unknown> };
      events.push({ detailType: body['detail-type'], detail: body.detail });
      await sqs(endpoint, region, 'DeleteMessage', { QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle });
    }
  }
}

/** SQS's JSON protocol over fetch (the project does not ship an SQS client; only the local env needs one). */
async function sqs(
  endpoint: string,
  region: string,
  action: string,
  body: Record<string, unknown>,
): Promise<unknown> {
  const res = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': `AmazonSQS.${action}`,
      Authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${region}/sqs/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`local SQS ${action}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : {};
}

/** A function's environment for the handler host, typed against its contract. */
function functionEnv<C extends FunctionContract>(contract: C, values: FunctionEnvironment<C>) {
  return { name: contract.name, variables: functionEnvironment(contract, values) };
}

async function hostControl(hostUrl: string, method: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${hostUrl}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`handler host ${method} ${path}: HTTP ${res.status} ${await res.text()}`);
}

/** The names of the states an execution entered, in order (its path). */
export async function executionPath(
  sfn: import('@aws-sdk/client-sfn').SFNClient,
  executionArn: string,
): Promise<string[]> {
  const { GetExecutionHistoryCommand } = await import('@aws-sdk/client-sfn');
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }),
    );
    for (const e of page.events ?? []) {
      if (e.type?.endsWith('StateEntered') && e.stateEnteredEventDetails?.name)
        names.push(e.stateEnteredEventDetails.name);
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return names;
}
