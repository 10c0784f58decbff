// Shared fixtures of the billing integration tests: tables on moto, seeded tenants and counters,
// the billing run over them, the Marketplace fake's view of them.
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { batchPutDocuments } from '../../../../domain/aws/batch';
import { documentClient, s3ClientConfig } from '../../../../domain/aws/clients';
import { AdjustmentStore } from '../../../../domain/billing/adjustments';
import { type BillingAlerts, MemoryBillingAlerts } from '../../../../domain/billing/alerts';
import { type BillingRunDeps, runBilling } from '../../../../domain/billing/billing-run';
import { CountersReader, countersDocumentClient } from '../../../../domain/billing/counters';
import { LedgerRepository } from '../../../../domain/billing/ledger';
import { MarketplaceBillingProvider } from '../../../../domain/billing/marketplace-provider';
import type { BillingProvider } from '../../../../domain/billing/send';
import { defaultConfig } from '../../../../domain/config';
import { ledgerKey, type WindowGranularity } from '../../../../domain/keys';
import { createTableInput, tableDefinitions, tableName } from '../../../../domain/tables';
import { newTenant, type Tenant } from '../../../../domain/tenant/tenant';
import { type CounterItem, counterItem as windowCounterItem } from '../../../../domain/usage/counters';
import { readMeteringProgress } from '../../../../domain/usage/progress';
import { type MarketplaceFake, startMarketplaceFake } from '../../../../local/marketplace-fake/server';
import { resetLocalAws, useLocalAws } from '../../support';

export const config = defaultConfig;
/** A metering progress past every hour the tests bill (2100). */
const METERING_CAUGHT_UP = new Date('2100-01-01T00:00:00.000Z');
export const tables = {
  catalog: tableName(config, 'catalog'),
  counters: tableName(config, 'counters'),
  ledger: tableName(config, 'billingLedger'),
};

/** The start of a billing integration file without Marketplace: moto reset, the billing tables created. */
export async function startBillingTables(): Promise<void> {
  useLocalAws();
  await resetLocalAws();
  const ddb = new DynamoDBClient({});
  for (const key of ['catalog', 'counters', 'billingLedger'] as const) {
    await ddb.send(new CreateTableCommand(createTableInput(tableDefinitions[key], tableName(config, key))));
  }
}

interface BillingClients {
  docs: DynamoDBDocumentClient;
  counters: CountersReader;
  ledger: LedgerRepository;
  adjustments: AdjustmentStore;
}

export function clients(): BillingClients {
  const docs = documentClient();
  const ledger = new LedgerRepository(docs, tables.ledger);
  return {
    docs,
    counters: new CountersReader(countersDocumentClient(), tables.counters),
    ledger,
    adjustments: new AdjustmentStore(ledger),
  };
}

/**
 * A billing run's dependencies over `ctx`, billing through `provider`. The metering progress is the one
 * the counters table holds (`readMeteringProgress`), or, by default, a job that has passed every hour.
 */
function billingRunDeps(
  ctx: BillingClients,
  alerts: BillingAlerts,
  provider: BillingProvider,
  progress: 'caught-up' | 'counters-table' = 'caught-up',
): BillingRunDeps {
  return {
    config,
    ledger: ctx.ledger,
    adjustments: ctx.adjustments,
    counters: ctx.counters,
    meteringProgress:
      progress === 'caught-up'
        ? async () => METERING_CAUGHT_UP
        : () => readMeteringProgress(ctx.docs, tables.counters),
    alerts,
    provider,
  };
}

/** A provider to the Marketplace fake that makes one attempt per call and backs off briefly (5–50 ms). */
function singleAttemptMarketplace(): MarketplaceBillingProvider {
  return new MarketplaceBillingProvider({
    backoff: { baseMs: 5, capMs: 50 },
    clientSettings: { maxAttempts: 1 },
  });
}

type BillingRunOptions = Parameters<typeof runBilling>[1];

/** How one run of a `BillingHarness` bills: its defaults are the harness's alerts, a caught-up progress and one attempt per call. */
interface BillingRunVia {
  readonly provider?: BillingProvider;
  readonly alerts?: BillingAlerts;
  readonly progress?: 'caught-up' | 'counters-table';
}

/**
 * The billing world of one integration file: the billing tables (clients, seeding, ledger reads), the
 * billing run over them (the alerts it raises) and the Marketplace fake it bills (subscriptions, what it holds).
 */
export class BillingHarness {
  readonly ctx = clients();
  readonly alerts = new MemoryBillingAlerts();
  #fake: MarketplaceFake | undefined;

  /** The Marketplace fake `startFakeMarketplace` started. */
  get fake(): MarketplaceFake {
    if (!this.#fake) throw new Error('no Marketplace fake: call startFakeMarketplace in beforeAll');
    return this.#fake;
  }

  /**
   * The start of a billing integration file: moto reset, the billing tables created, a Marketplace fake
   * started (`options`: its seed) and the SDK's Marketplace Metering endpoint pointed at it.
   */
  async startFakeMarketplace(options: { seed?: number } = {}): Promise<void> {
    await startBillingTables();
    this.#fake = await startMarketplaceFake({ port: 0, ...options });
    process.env.AWS_ENDPOINT_URL_MARKETPLACE_METERING = this.#fake.url;
  }

  /** The end of a billing integration file: the Marketplace Metering endpoint override removed, the fake stopped. */
  async stopFakeMarketplace(): Promise<void> {
    delete process.env.AWS_ENDPOINT_URL_MARKETPLACE_METERING;
    await this.#fake?.stop();
  }

  /** Gives the tenants' licenses to the Marketplace fake (subscribed customers). */
  subscribe(...tenants: readonly Tenant[]): void {
    for (const t of tenants) if (t.marketplace) this.fake.state.subscribe(t.marketplace);
  }

  /** The quantity the Marketplace fake holds for the tenant's dimension and hour, if any. */
  billedQuantity(t: Tenant, dimension: string, hour: Date): number | undefined {
    const m = t.marketplace;
    if (!m) return undefined;
    return this.fake.state.records.get(
      `${m.customerAwsAccountId}|${m.licenseArn}|${dimension}|${hour.toISOString()}`,
    )?.quantity;
  }

  /** Writes items (window totals, progress) into the counters table. */
  async seedCounters(items: readonly Record<string, unknown>[]): Promise<void> {
    await batchPutDocuments(this.ctx.docs, tables.counters, items);
  }

  /** One billing run over the tables (`via`: what differs from the defaults). */
  run(options: BillingRunOptions, via: BillingRunVia = {}) {
    const deps = billingRunDeps(
      this.ctx,
      via.alerts ?? this.alerts,
      via.provider ?? singleAttemptMarketplace(),
      via.progress,
    );
    return runBilling(deps, options);
  }

  /** The ledger entry of the tenant's dimension and hour, if any. */
  async ledgerEntry(
    tenantId: string,
    dimension: string,
    hour: Date,
  ): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.ctx.docs.send(
      new GetCommand({ TableName: tables.ledger, Key: ledgerKey(tenantId, dimension, hour.toISOString()) }),
    );
    return Item;
  }
}

/** The data lake bucket, written as Firehose (raw events) and the Flink job (late rows) write it. */
export class TestLake {
  readonly bucket = 'tenantry-dev-lake';
  readonly s3 = new S3Client(s3ClientConfig());

  async create(): Promise<void> {
    await this.s3.send(new CreateBucketCommand({ Bucket: this.bucket }));
  }

  async put(key: string, body: string | Uint8Array): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body }));
  }
}

/** A tenant id for index i: `t` + 5 digits. */
const tenantIdOf = (i: number) => `tn${String(i).padStart(5, '0')}`;

export function activeTenant(i: number, productCode: string, tier = 'pro'): Tenant {
  const t = newTenant(
    {
      tenantId: tenantIdOf(i),
      name: `Tenant ${i}`,
      tier,
      isolation: tier === 'enterprise' ? 'silo' : 'pool',
      region: 'us-east-1',
      marketplace: {
        customerAwsAccountId: String(200_000_000_000 + i),
        licenseArn: `arn:aws:license-manager::123456789012:license:l-${i.toString(36)}x`,
        productCode,
      },
    },
    new Date('2026-01-01T00:00:00.000Z'),
  );
  return { ...t, status: 'ACTIVE' };
}

/** A window total as Flink writes it (the one definition: domain/usage/counters.ts), one event. */
export function counterItem(
  tenantId: string,
  metric: string,
  granularity: WindowGranularity,
  windowStart: Date,
  windowEnd: Date,
  quantity: string,
): CounterItem {
  return windowCounterItem({
    tenantId,
    metric,
    granularity,
    windowStart,
    windowEnd,
    quantity,
    eventCount: 1,
  });
}
