/**
 * Demo step of the tenant lifecycle: deploys the three state machines on the local environment and
 * runs them for real — a pooled onboarding started by a signup event, a silo onboarding, a promotion of
 * the pooled tenant (with its items) to a silo, and an offboarding — printing each execution's path of
 * states and the resulting catalog record.
 *
 * Called by demo/main.ts: `await lifecycleDemo(ctx)` (ctx: DemoContext). Extras (optional):
 * `{ items?: number }` — how many items the pooled tenant holds before its promotion (default 500).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { sleep } from '../domain/aws/backoff';
import { batchWriteAll } from '../domain/aws/batch';
import { baseClientConfig, documentClient } from '../domain/aws/clients';
import { CatalogRepository } from '../domain/catalog/repository';
import { SIGNUP_DETAIL_TYPE, SIGNUP_EVENT_SOURCE } from '../domain/lifecycle/events';
import {
  offboardingExecutionName,
  onboardingExecutionName,
  promotionExecutionName,
} from '../domain/lifecycle/execution-name';
import { pooledItem } from '../domain/pooled-items';
import type { Tenant } from '../domain/tenant/tenant';
import {
  deployLifecycleLocally,
  executionPath,
  type LocalLifecycle,
  receiveLifecycleEvents,
} from '../local/lifecycle';
import type { WorkflowName } from '../workflows/index';
import type { DemoContext } from './context';

export interface LifecycleDemoExtras {
  /** Items the pooled tenant holds before its promotion (default 500). */
  readonly items?: number;
}

export interface LifecycleDemoResult {
  readonly lifecycle: LocalLifecycle;
  readonly executions: readonly { workflow: WorkflowName; tenantId: string; status: string; ms: number }[];
}

const POOL_TENANT = 'lifecycle-harbor';
const SILO_TENANT = 'lifecycle-rhein';

export async function lifecycleDemo(
  ctx: DemoContext,
  extras: LifecycleDemoExtras = {},
): Promise<LifecycleDemoResult> {
  const { config, log, aws } = ctx;
  const items = extras.items ?? 500;
  const clientConfig = { ...baseClientConfig({ region: aws.region }), endpoint: aws.endpoint };
  const sfn = new SFNClient(clientConfig);
  const started = Date.now();
  const lifecycle = await deployLifecycleLocally({
    config,
    endpoint: aws.endpoint,
    handlerHostUrl: aws.handlerHostUrl,
    postgresUrl: aws.postgresUrl,
    region: aws.region,
  });
  log(
    `state machines ${Object.values(lifecycle.stateMachineArns)
      .map((a) => a.split(':').pop())
      .join(', ')} deployed in ${Date.now() - started} ms`,
  );
  log(`silo template (from infra/silo-stack.ts) at ${lifecycle.templateUrl}`);
  const catalog = new CatalogRepository({
    client: documentClient({ region: aws.region }),
    tableName: lifecycle.catalogTable,
  });
  const executions: { workflow: WorkflowName; tenantId: string; status: string; ms: number }[] = [];

  const report = async (workflow: WorkflowName, tenantId: string, executionArn: string, t0: number) => {
    const out = await executionEnd(sfn, executionArn);
    const ms = Date.now() - t0;
    executions.push({ workflow, tenantId, status: out.status as string, ms });
    log(
      `${workflow} ${tenantId}: ${out.status} in ${ms} ms${out.error ? ` (${out.error}: ${out.cause})` : ''}`,
    );
    log(`  path: ${(await executionPath(sfn, executionArn)).join(' → ')}`);
    const tenant = await catalog.find(tenantId);
    if (tenant) log(`  catalog: ${describeTenant(tenant)}`);
  };
  const start = async (workflow: WorkflowName, tenantId: string, input: unknown) => {
    const t0 = Date.now();
    // Promotion and offboarding runs are named per tenant and catalog version (execution-name.ts):
    // a second concurrent start for the same tenant collides on the name.
    const version = (await catalog.find(tenantId))?.version ?? 0;
    const name =
      workflow === 'promotion'
        ? promotionExecutionName(tenantId, version)
        : workflow === 'offboarding'
          ? offboardingExecutionName(tenantId, version)
          : `demo-${workflow}-${tenantId}-${Date.now()}`;
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: lifecycle.stateMachineArns[workflow],
        name,
        input: JSON.stringify(input),
      }),
    );
    await report(workflow, tenantId, executionArn as string, t0);
  };

  // 0. the demo's sample tenants, one per tier, onboarded through the workflow (the enterprise one
  //    into its own silo stack)
  for (const tenant of ctx.tenants) {
    const t = Date.now();
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: lifecycle.stateMachineArns.onboarding,
        name: `demo-onboarding-${tenant.tenantId}-${t}`,
        input: JSON.stringify({
          tenantId: tenant.tenantId,
          name: tenant.name,
          tier: tenant.tier,
          adminEmail: `admin@${tenant.tenantId}.example`,
        }),
      }),
    );
    const out = await executionEnd(sfn, executionArn as string);
    if (out.status !== 'SUCCEEDED') {
      throw new Error(
        `onboarding of ${tenant.tenantId} ended ${out.status}: ${out.error ?? ''} ${out.cause ?? ''}`,
      );
    }
    const record = await catalog.get(tenant.tenantId);
    log(
      `sample ${tenant.tenantId.padEnd(16)} ${tenant.name.padEnd(22)} onboarded in ${Date.now() - t} ms: ${describeTenant(record)}`,
    );
  }

  // 1. pooled onboarding, started the production way: a signup event on the control-plane bus
  const signup = {
    tenantId: POOL_TENANT,
    name: 'Harbor & Vance LLP',
    tier: 'pro',
    adminEmail: 'it@harbor-vance.example',
  };
  const t0 = Date.now();
  await new EventBridgeClient(clientConfig).send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: lifecycle.eventBusName,
          Source: SIGNUP_EVENT_SOURCE,
          DetailType: SIGNUP_DETAIL_TYPE,
          Detail: JSON.stringify(signup),
        },
      ],
    }),
  );
  log(
    `signup event for ${POOL_TENANT} published → signup-starter → onboarding (${onboardingExecutionName(signup)})`,
  );
  const executionArn = await waitForExecutionNamed(
    sfn,
    lifecycle.stateMachineArns.onboarding,
    onboardingExecutionName(signup),
  );
  await report('onboarding', POOL_TENANT, executionArn, t0);

  // 2. silo onboarding: a dedicated CloudFormation stack (table + KMS key) for the tenant
  await start('onboarding', SILO_TENANT, {
    tenantId: SILO_TENANT,
    name: 'Rheinbank AG',
    tier: 'enterprise',
    adminEmail: 'ops@rheinbank.example',
    region: 'eu-central-1',
  });

  // 3. promotion of the pooled tenant with its data
  await seed(new DynamoDBClient(clientConfig), lifecycle.pooledTable, POOL_TENANT, items);
  log(`${POOL_TENANT} holds ${items} items in the pooled table; promoting it to enterprise (silo)`);
  await start('promotion', POOL_TENANT, { tenantId: POOL_TENANT, targetTier: 'enterprise' });

  // 4. offboarding of the silo tenant: users, stack (table), key (pending deletion), objects, tombstone
  const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
  for (const key of ['statements/2026-10.pdf', 'statements/2026-11.pdf']) {
    await s3.send(
      new PutObjectCommand({ Bucket: lifecycle.dataBucket, Key: `${SILO_TENANT}/${key}`, Body: 'demo' }),
    );
  }
  await start('offboarding', SILO_TENANT, { tenantId: SILO_TENANT, reason: 'contract ended' });

  const events = await receiveLifecycleEvents(aws.endpoint, lifecycle.eventsQueueUrl, aws.region);
  log(
    `lifecycle events on the bus: ${events.map((e) => `${e.detailType}(${String(e.detail.tenantId)})`).join(', ')}`,
  );
  return { lifecycle, executions };
}

function describeTenant(t: Tenant): string {
  const silo = t.silo ? ` silo table ${t.silo.tableName}` : '';
  // Placement changes (tier, isolation, silo references) are audited with from = to.
  const moves = t.history.filter((h) => h.from !== h.to).map((h) => h.to);
  const placements = t.history.length - moves.length;
  const audit = placements > 0 ? ` (+${placements} placement change${placements > 1 ? 's' : ''})` : '';
  return `${t.status} tier=${t.tier} isolation=${t.isolation}${silo} v${t.version} history ${moves.join('→')}${audit}`;
}

/** The execution's description once it has left RUNNING (polled every 200 ms). */
async function executionEnd(sfn: SFNClient, executionArn: string): Promise<DescribeExecutionCommandOutput> {
  for (;;) {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (out.status !== 'RUNNING') return out;
    await sleep(200);
  }
}

async function waitForExecutionNamed(sfn: SFNClient, stateMachineArn: string, name: string): Promise<string> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const { executions } = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
    const found = executions?.find((e) => e.name === name);
    if (found?.executionArn) return found.executionArn;
    await sleep(200);
  }
  throw new Error(
    `no onboarding execution named ${name} started within 60 s (is the signup rule delivering?)`,
  );
}

async function seed(dynamo: DynamoDBClient, table: string, tenantId: string, count: number): Promise<void> {
  const collections = ['matters', 'documents', 'invoices'];
  const requests = Array.from({ length: count }, (_, n) => ({
    PutRequest: {
      Item: pooledItem(tenantId, collections[n % collections.length] as string, String(n).padStart(6, '0'), {
        title: { S: `record ${n}` },
      }),
    },
  }));
  await batchWriteAll(dynamo, table, requests);
}
