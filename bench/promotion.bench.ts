// A promotion of a pooled tenant holding 100,000 items on the local environment (moto + the handler
// host running the real task handlers, the real promotion definition; chunks of LOCAL_CHUNK_ITEMS):
// the time and items/s of the copy (PrepareCopy → PrepareVerify) and of the verification
// (PrepareVerify → SwitchCatalog), from the execution history's timestamps. The baseline, in the same
// run against the same moto: a bare loop of sequential 25-item BatchWriteItem calls writing the same
// items into a fresh table of the silo's key schema. Asserts the promotion succeeded and the silo
// table holds every item. Writes bench/results/promotion.json. BENCH_ITEMS (default 100000).
import { mkdirSync, writeFileSync } from 'node:fs';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  paginateScan,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  paginateGetExecutionHistory,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { sleep } from '../domain/aws/backoff';
import { BATCH_WRITE_LIMIT, batchWriteAll } from '../domain/aws/batch';
import { documentClient } from '../domain/aws/clients';
import { CatalogRepository } from '../domain/catalog/repository';
import { defaultConfig } from '../domain/config';
import { promotionExecutionName } from '../domain/lifecycle/execution-name';
import { siloTableName } from '../domain/lifecycle/silo';
import { pooledItem } from '../domain/pooled-items';
import { createTableInput, siloTableDefinition } from '../domain/tables';
import { startLocalAws } from '../local/env';
import { deployLifecycleLocally } from '../local/lifecycle';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const ITEMS = Number(process.env.BENCH_ITEMS ?? 100_000);
const TENANT = 'bench-large';
const LOCAL_CHUNK_ITEMS = 1_000;
const config = defaultConfig;

const aws = await startLocalAws({ applyToProcessEnv: true });
try {
  const clientConfig = { region: aws.region, endpoint: aws.endpoint };
  const dynamo = new DynamoDBClient(clientConfig);
  const sfn = new SFNClient(clientConfig);
  const life = await deployLifecycleLocally({
    config,
    endpoint: aws.endpoint,
    handlerHostUrl: aws.handlerHostUrl,
    postgresUrl: aws.postgresUrl,
    region: aws.region,
  });
  // The local handler host stops a call after 60 s (Lambda allows these tasks 300 s) and a moto page can
  // take longer than the 20 s deadline reserve on a loaded machine: chunks of one page each.
  const chunkEnv = {
    'tenant-data-copy': { POOLED_TABLE_NAME: life.pooledTable, COPY_CHUNK_ITEMS: String(LOCAL_CHUNK_ITEMS) },
    'tenant-data-verify': {
      POOLED_TABLE_NAME: life.pooledTable,
      VERIFY_CHUNK_ITEMS: String(LOCAL_CHUNK_ITEMS),
    },
    'tenant-data-purge': {
      POOLED_TABLE_NAME: life.pooledTable,
      TENANT_DATA_BUCKET_NAME: life.dataBucket,
      PURGE_CHUNK_ITEMS: String(LOCAL_CHUNK_ITEMS),
    },
  };
  for (const [fn, variables] of Object.entries(chunkEnv)) {
    const res = await fetch(`${aws.handlerHostUrl}/__tenantry/functions/${life.functionName(fn)}/env`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(variables),
    });
    if (!res.ok) throw new Error(`handler host: setting the environment of ${fn}: HTTP ${res.status}`);
  }
  const catalog = new CatalogRepository({
    client: documentClient({ region: aws.region }),
    tableName: life.catalogTable,
  });
  await catalog.create({
    tenantId: TENANT,
    name: 'Bench',
    tier: 'pro',
    isolation: 'pool',
    region: aws.region,
  });
  const tenant = await catalog.transition(TENANT, 'ACTIVE', { reason: 'bench setup' });

  const collections = ['docs', 'users', 'settings', 'orders'];
  const items: Record<string, AttributeValue>[] = Array.from({ length: ITEMS }, (_, i) =>
    pooledItem(TENANT, collections[i % collections.length] as string, `item-${String(i).padStart(7, '0')}`, {
      n: { N: String(i) },
      body: { S: `payload ${i} of ${TENANT}: ${'x'.repeat(100)}` },
    }),
  );
  const seedStarted = performance.now();
  await batchWriteAll(
    dynamo,
    life.pooledTable,
    items.map((Item) => ({ PutRequest: { Item } })),
    { concurrency: 4 },
  );
  const seedMs = performance.now() - seedStarted;

  // Baseline: a bare BatchWriteItem loop, one call at a time, over the same items.
  const baselineTable = 'bench-baseline-batch-write';
  await dynamo.send(new CreateTableCommand(createTableInput(siloTableDefinition, baselineTable)));
  const baselineStarted = performance.now();
  for (let offset = 0; offset < items.length; offset += BATCH_WRITE_LIMIT) {
    let requests = items.slice(offset, offset + BATCH_WRITE_LIMIT).map((Item) => ({ PutRequest: { Item } }));
    while (requests.length > 0) {
      const out = await dynamo.send(
        new BatchWriteItemCommand({ RequestItems: { [baselineTable]: requests } }),
      );
      requests = (out.UnprocessedItems?.[baselineTable] ?? []) as typeof requests;
    }
  }
  const baselineMs = performance.now() - baselineStarted;

  // The promotion.
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: life.stateMachineArns.promotion,
      name: promotionExecutionName(TENANT, tenant.version),
      input: JSON.stringify({ tenantId: TENANT, targetTier: 'enterprise' }),
    }),
  );
  let execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  while (execution.status === 'RUNNING') {
    await sleep(1_000);
    execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  }
  if (execution.status !== 'SUCCEEDED') {
    throw new Error(`promotion ${execution.status}: ${execution.error}: ${execution.cause}`);
  }
  const entered = new Map<string, number>();
  const chunks = { CopyChunk: 0, VerifyChunk: 0, PurgePoolChunk: 0 };
  for await (const page of paginateGetExecutionHistory(
    { client: sfn },
    { executionArn: executionArn as string },
  )) {
    for (const event of page.events ?? []) {
      const name = event.stateEnteredEventDetails?.name;
      if (name === undefined || event.timestamp === undefined) continue;
      if (!entered.has(name)) entered.set(name, event.timestamp.getTime());
      if (name in chunks) chunks[name as keyof typeof chunks] += 1;
    }
  }
  const between = (from: string, to: string) => {
    const [a, b] = [entered.get(from), entered.get(to)];
    if (a === undefined || b === undefined) throw new Error(`the execution did not enter ${from} and ${to}`);
    return b - a;
  };
  const copyMs = between('PrepareCopy', 'PrepareVerify');
  const verifyMs = between('PrepareVerify', 'SwitchCatalog');

  let inSilo = 0;
  const silo = siloTableName(config, TENANT);
  for await (const page of paginateScan(
    { client: dynamo },
    { TableName: silo, ConsistentRead: true, Select: 'COUNT' },
  )) {
    inSilo += page.Count ?? 0;
  }
  if (inSilo !== ITEMS) throw new Error(`the silo table ${silo} holds ${inSilo} items, expected ${ITEMS}`);

  const perSecond = (ms: number) => Math.round(ITEMS / (ms / 1000));
  const result = {
    scenario: `promotion of one pooled tenant holding ${ITEMS} items (${collections.length} partitions) on moto; copy/verify/purge chunks of ${LOCAL_CHUNK_ITEMS} items`,
    promotion: { status: execution.status, totalMs: between('Validate', 'Promoted'), chunks },
    copy: { ms: copyMs, itemsPerSecond: perSecond(copyMs) },
    verify: { ms: verifyMs, itemsPerSecond: perSecond(verifyMs) },
    baselineBareBatchWriteItem: { ms: Math.round(baselineMs), itemsPerSecond: perSecond(baselineMs) },
    copyToBaselineRatio: Number((perSecond(copyMs) / perSecond(baselineMs)).toFixed(3)),
    seedBatchWriteAllConcurrency4: { ms: Math.round(seedMs), itemsPerSecond: perSecond(seedMs) },
    itemsInSilo: inSilo,
    node: process.version,
    at: new Date().toISOString(),
  };
  console.log(JSON.stringify(result, null, 2));
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/promotion.json', `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await aws.stop();
}
