// The seed's scale, one hour, through the whole local path: Quillstream's 1,400 tenants (750 starter,
// 500 pro, 138 business, 12 enterprise; one pro tenant at 11× the average pro API volume), three
// metrics → verified request contexts (the authorizer, moto STS) → the emitter → Kinesis (moto) → the
// generated SQL's aws profile on a local Flink (parallelism 1, one shard) → DynamoDB counters (moto)
// → the hourly billing run → the Marketplace fake → the ledger; then the margin report from the
// metered HOUR counters. A counting proxy between Flink and moto counts the DynamoDB item writes the
// job really issued (BatchWriteItem PutRequests, retries included). Writes bench/results/pipeline.json.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { baseClientConfig, documentClient } from '../domain/aws/clients';
import { AdjustmentStore } from '../domain/billing/adjustments';
import { MemoryBillingAlerts } from '../domain/billing/alerts';
import { runBilling } from '../domain/billing/billing-run';
import { CountersReader, countersDocumentClient } from '../domain/billing/counters';
import { LedgerRepository } from '../domain/billing/ledger';
import { marginReport } from '../domain/billing/margin';
import { MarketplaceBillingProvider } from '../domain/billing/marketplace-provider';
import { defaultConfig as config } from '../domain/config';
import type { TenantRequest } from '../domain/identity/request-context';
import { allowAllUsage } from '../domain/identity/usage-limit';
import { siloTableName } from '../domain/lifecycle/silo';
import { createTableInput, tableDefinitions, tableName } from '../domain/tables';
import { newTenant, type Tenant } from '../domain/tenant/tenant';
import type { UsageEvent } from '../domain/usage/event';
import { readMeteringProgress } from '../domain/usage/progress';
import { prng } from '../flink/events';
import { toUnits } from '../flink/reference';
import { startLocalAws } from '../local/env';
import { startMarketplaceFake } from '../local/marketplace-fake/server';
import {
  emitUsageLines,
  localAuthorizer,
  localUsageStream,
  runMeteringOnKinesis,
  scanCounters,
  verifiedRequest,
} from '../local/metering-pipeline';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const HOUR_MS = 3_600_000;
const HOUR = new Date('2026-03-10T10:00:00.000Z');
/** Billing's clock: the hour, the watermark delay and the grace have passed. */
const NOW = new Date('2026-03-10T11:15:00.000Z');
/** Emission slices: W < watermark delay (120 s), so reordering inside a slice never makes an event late. */
const SLICE_MS = 60_000;
const HEAVY = 'qs-pro-heavy';

/** Per tier, per hour: API events (mean calls per event), bursts (active minutes), docs events (mean docs), GB-hours. */
const MIX = {
  starter: { count: 750, apiEvents: 10, apiMean: 17, bursts: 3, docEvents: 1, docMean: 3, gbHours: 5 },
  pro: { count: 500, apiEvents: 20, apiMean: 190, bursts: 6, docEvents: 3, docMean: 4, gbHours: 40 },
  business: { count: 138, apiEvents: 80, apiMean: 312, bursts: 20, docEvents: 10, docMean: 37, gbHours: 900 },
  enterprise: {
    count: 12,
    apiEvents: 420,
    apiMean: 500,
    bursts: 60,
    docEvents: 50,
    docMean: 75,
    gbHours: 20_000,
  },
} as const;

const random = prng(2026);

// --- the tenants ---------------------------------------------------------------------------------
const tenants: Tenant[] = [];
for (const [tier, mix] of Object.entries(MIX)) {
  for (let i = 0; i < mix.count; i++) {
    const n = tenants.length;
    const tenantId = tier === 'pro' && i === 0 ? HEAVY : `qs-${tier}-${i}`;
    const t = newTenant(
      {
        tenantId,
        name: tenantId,
        tier,
        isolation: tier === 'enterprise' ? 'silo' : 'pool',
        region: 'us-east-1',
        marketplace: {
          customerAwsAccountId: String(400_000_000_000 + n),
          licenseArn: `arn:aws:license-manager::123456789012:license:l-qs${n.toString(36)}`,
          productCode: tier === 'enterprise' ? 'tenantry-enterprise' : 'tenantry-pooled',
        },
      },
      new Date('2026-01-01T00:00:00.000Z'),
    );
    const silo =
      tier === 'enterprise'
        ? {
            silo: {
              stackId: `stack-${tenantId}`,
              tableName: siloTableName(config, tenantId),
              tableArn: `arn:aws:dynamodb:us-east-1:123456789012:table/${siloTableName(config, tenantId)}`,
              kmsKeyArn: `arn:aws:kms:us-east-1:123456789012:key/${tenantId}`,
            },
          }
        : {};
    tenants.push({ ...t, ...silo, status: 'ACTIVE' });
  }
}

// --- one hour of usage: each tenant active in `bursts` random minutes ----------------------------
const slices: UsageEvent[][][] = Array.from({ length: HOUR_MS / SLICE_MS }, () => []);
const expected = new Map<string, bigint>(); // tenant|metric → micro-units, summed here, not by the pipeline
let events = 0;
for (const t of tenants) {
  const mix = MIX[t.tier as keyof typeof MIX];
  const apiEvents = t.tenantId === HEAVY ? 11 * mix.apiEvents : mix.apiEvents;
  const minutes = Array.from({ length: mix.bursts }, () => Math.floor(random() * slices.length));
  const own: UsageEvent[] = [];
  const add = (metric: string, quantity: number, i: number) => {
    const minute = minutes[i % minutes.length] as number;
    const ts = new Date(HOUR.getTime() + minute * SLICE_MS + Math.floor(random() * (SLICE_MS - 1)));
    own.push({
      eventId: `${t.tenantId}-${metric}-${i}`,
      tenantId: t.tenantId,
      metric,
      quantity,
      timestamp: ts.toISOString(),
    });
    const key = `${t.tenantId}|${metric}`;
    expected.set(key, (expected.get(key) ?? 0n) + toUnits(String(quantity)));
  };
  for (let i = 0; i < apiEvents; i++) add('api.call', 1 + Math.floor(random() * (2 * mix.apiMean - 1)), i);
  for (let i = 0; i < mix.docEvents; i++)
    add('doc.processed', 1 + Math.floor(random() * (2 * mix.docMean - 1)), i);
  add('storage.gb', t.tenantId === HEAVY ? 2_100 : mix.gbHours, 0);
  // One request per tenant and minute, its events in time order.
  own.sort((a, b) => a.timestamp.localeCompare(b.timestamp));
  for (const e of own) {
    const slice = slices[Math.floor((Date.parse(e.timestamp) - HOUR.getTime()) / SLICE_MS)] as UsageEvent[][];
    const run = slice.find((r) => r[0]?.tenantId === e.tenantId);
    if (run) run.push(e);
    else slice.push([e]);
  }
  events += own.length;
}

// --- the local environment, with a proxy that counts the job's DynamoDB item writes -------------
const stage: Record<string, number> = {};
const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
  const started = Date.now();
  try {
    return await work();
  } finally {
    stage[name] = Date.now() - started;
    console.log(`${name}: ${stage[name]} ms`); // progress: a stage's figure even if a later one fails
  }
};
const aws = await startLocalAws({ applyToProcessEnv: true });
const moto = new URL(aws.endpoint);
const writes = { batchWriteItem: 0, putRequests: 0 };
const proxy = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (String(req.headers['x-amz-target'] ?? '').endsWith('.BatchWriteItem')) {
      writes.batchWriteItem += 1;
      const items = (JSON.parse(body.toString()) as { RequestItems: Record<string, unknown[]> }).RequestItems;
      for (const list of Object.values(items)) writes.putRequests += list.length;
    }
    const upstream = request(
      { host: moto.hostname, port: moto.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    upstream.end(body);
  });
});
await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

try {
  const tables = {
    counters: tableName(config, 'counters'),
    ledger: tableName(config, 'billingLedger'),
  };
  const ddb = new DynamoDBClient(baseClientConfig());
  for (const [key, name] of [
    ['counters', tables.counters],
    ['billingLedger', tables.ledger],
  ] as const) {
    await ddb.send(new CreateTableCommand(createTableInput(tableDefinitions[key], name)));
  }
  const { kinesis, streamArn, emitter } = await localUsageStream({
    config,
    region: aws.region,
    streamName: 'quillstream-usage',
    now: () => NOW,
  });

  // 1. A verified request context per tenant (the authorizer's ALLOW; moto STS vends the credentials).
  const byId = new Map(tenants.map((t) => [t.tenantId, t]));
  const authorizer = localAuthorizer({
    config,
    region: aws.region,
    tenants: async (id) => byId.get(id),
    usageLimit: allowAllUsage, // plan limits are not part of this measurement
  });
  const requests = new Map<string, TenantRequest>();
  await timed('authorize', async () => {
    for (const t of tenants)
      requests.set(t.tenantId, verifiedRequest(await authorizer.decide(t.tenantId, t.tier)));
  });

  // 2. Emit: minute by minute, each tenant's requests of the minute concurrently (8 at a time).
  let putCalls = 0;
  await timed('emit', async () => {
    for (const slice of slices) {
      for (let i = 0; i < slice.length; i += 8) {
        await Promise.all(
          slice.slice(i, i + 8).map(async (run) => {
            putCalls += 1;
            await emitUsageLines(
              emitter,
              run.map((e) => JSON.stringify(e)),
              async (tenantId) => requests.get(tenantId) as TenantRequest,
            );
          }),
        );
      }
    }
  });

  // 3. Kinesis → Flink → counters (the JVM's start and the drain included).
  const run = await timed('kinesisFlinkCounters', () =>
    runMeteringOnKinesis({
      config,
      kinesis,
      region: aws.region,
      endpoint: proxyUrl,
      streamArn,
      countersTable: tables.counters,
      dir: mkdtempSync(join(tmpdir(), 'tenantry-bench-pipeline-')),
      now: NOW.toISOString(),
      timeoutMs: 1_800_000,
      jvmFlags: ['-XX:TieredStopAtLevel=4'],
    }),
  );
  const docs = documentClient();
  const rows = await scanCounters(docs, tables.counters);
  const hourRows = rows.filter((r) => r.granularity === 'HOUR');
  const mismatches = [...expected].filter(([key, micro]) => {
    const row = hourRows.find((r) => `${r.tenantId}|${r.metric}` === key);
    return row === undefined || toUnits(String(row.quantity)) !== micro;
  }).length;

  // 4. Billing of the hour through the Marketplace fake.
  const fake = await startMarketplaceFake({ port: 0 });
  fake.state.now = () => NOW;
  for (const t of tenants) if (t.marketplace) fake.state.subscribe(t.marketplace);
  process.env.AWS_ENDPOINT_URL_MARKETPLACE_METERING = fake.url;
  const calls = new Map<string, { calls: number; records: number }>();
  const ledger = new LedgerRepository(docs, tables.ledger);
  const counters = new CountersReader(countersDocumentClient(), tables.counters);
  const summary = await timed('billing', () =>
    runBilling(
      {
        config,
        ledger,
        adjustments: new AdjustmentStore(ledger),
        counters,
        meteringProgress: () => readMeteringProgress(docs, tables.counters),
        alerts: new MemoryBillingAlerts(),
        provider: new MarketplaceBillingProvider({
          onCall: (productCode, size) => {
            const c = calls.get(productCode) ?? { calls: 0, records: 0 };
            calls.set(productCode, { calls: c.calls + 1, records: c.records + size });
          },
        }),
      },
      { now: NOW, tenants },
    ),
  );
  await fake.stop();

  // 5. The margin report from the metered hour.
  const margins = await timed('marginReport', async () => {
    const period = { from: HOUR, to: new Date(HOUR.getTime() + HOUR_MS) };
    return marginReport(config, counters, tenants, period, { granularity: 'HOUR', generatedAt: NOW });
  });
  const heavyApi = margins.tenants.filter((r) => r.flags.includes('HEAVY_API_CALL')).map((r) => r.tenantId);
  const worstPro = margins.tenants
    .filter((r) => r.tier === 'pro')
    .sort((a, b) => a.marginUsd - b.marginUsd)[0];

  const result = {
    date: new Date().toISOString(),
    machine: `${process.env.HOSTNAME ?? 'local'}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
    scenario: {
      tenants: tenants.length,
      byTier: Object.fromEntries(Object.entries(MIX).map(([tier, m]) => [tier, m.count])),
      heavy: `${HEAVY}: 11× the pro API events`,
      metrics: config.metrics.length,
      hour: HOUR.toISOString(),
      events,
      shards: 1,
      parallelism: 1,
    },
    emit: { records: events, putRecordsCalls: putCalls },
    kinesisFlinkCounters: {
      ms: run.durationMs,
      eventsPerSecond: Math.round(events / (run.durationMs / 1000)),
      rows: {
        hour: hourRows.length,
        day: rows.filter((r) => r.granularity === 'DAY').length,
        cumulative: rows.filter((r) => r.granularity === 'CUMULATIVE').length,
      },
      hourTotalsMismatches: mismatches,
      dynamoWrites: {
        batchWriteItemCalls: writes.batchWriteItem,
        itemWrites: writes.putRequests,
        itemWritesPerMillionEvents: Math.round((writes.putRequests / events) * 1_000_000),
      },
    },
    billing: {
      targetHour: summary.targetHour,
      records: summary.sent,
      accepted: summary.accepted,
      batchMeterUsage: Object.fromEntries(
        [...calls].map(([product, c]) => [
          product,
          { calls: c.calls, records: c.records, minimum: Math.ceil(c.records / 25) },
        ]),
      ),
    },
    marginReport: {
      heavyApiFlagged: heavyApi,
      worstProMargin: worstPro?.tenantId,
      flagged: margins.flagged.length,
    },
    wallMs: stage,
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/pipeline.json', `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  proxy.close();
  await aws.stop();
}
