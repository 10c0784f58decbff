// Shared fixtures of the billing integration tests: tables on moto, seeded tenants and counters,
// the Marketplace fake's view of them.
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../../../domain/aws/clients';
import { AdjustmentStore } from '../../../../domain/billing/adjustments';
import type { BillingAlerts } from '../../../../domain/billing/alerts';
import type { BillingRunDeps } from '../../../../domain/billing/billing-run';
import { CountersReader, countersDocumentClient } from '../../../../domain/billing/counters';
import { LedgerRepository } from '../../../../domain/billing/ledger';
import { MarketplaceBillingProvider } from '../../../../domain/billing/marketplace-provider';
import type { BillingProvider } from '../../../../domain/billing/send';
import { defaultConfig } from '../../../../domain/config';
import type { WindowGranularity } from '../../../../domain/keys';
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

export async function createBillingTables(): Promise<void> {
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
 * The start of a billing integration file: moto reset, the billing tables created, a Marketplace fake
 * started (`options`: its seed) and the SDK's Marketplace Metering endpoint pointed at it.
 */
export async function startBillingOnFakeMarketplace(
  options: { seed?: number } = {},
): Promise<MarketplaceFake> {
  useLocalAws();
  await resetLocalAws();
  await createBillingTables();
  const fake = await startMarketplaceFake({ port: 0, ...options });
  process.env.AWS_ENDPOINT_URL_MARKETPLACE_METERING = fake.url;
  return fake;
}

/** The end of a billing integration file: the Marketplace Metering endpoint override removed, the fake stopped. */
export async function stopFakeMarketplace(fake: MarketplaceFake | undefined): Promise<void> {
  delete process.env.AWS_ENDPOINT_URL_MARKETPLACE_METERING;
  await fake?.stop();
}

/**
 * A billing run's dependencies over `ctx`, billing through `provider`. The metering progress is the one
 * the counters table holds (`readMeteringProgress`), or, by default, a job that has passed every hour.
 */
export function billingRunDeps(
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
export function singleAttemptMarketplace(): MarketplaceBillingProvider {
  return new MarketplaceBillingProvider({
    backoff: { baseMs: 5, capMs: 50 },
    clientSettings: { maxAttempts: 1 },
  });
}

/** Gives the tenant's license to the Marketplace fake (a subscribed customer). */
export function registerLicense(fake: MarketplaceFake, t: Tenant): void {
  const m = t.marketplace;
  if (m)
    fake.state.licenses.set(m.licenseArn, {
      customerAwsAccountId: m.customerAwsAccountId,
      productCode: m.productCode,
    });
}

/** The quantity the Marketplace fake holds for the tenant's dimension and hour, if any. */
export function fakeQuantity(
  fake: MarketplaceFake,
  t: Tenant,
  dimension: string,
  hour: Date,
): number | undefined {
  const m = t.marketplace;
  if (!m) return undefined;
  return fake.state.records.get(
    `${m.customerAwsAccountId}|${m.licenseArn}|${dimension}|${hour.toISOString()}`,
  )?.quantity;
}

/** A tenant id for index i: `t` + 5 digits. */
export const tenantIdOf = (i: number) => `tn${String(i).padStart(5, '0')}`;

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
