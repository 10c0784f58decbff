// Billing throughput through the local Marketplace fake: one hour of 1,400 tenants × 3 dimensions
// (4,200 records) submitted by the Marketplace provider (identity checks, per-product batching,
// outcome matching, retry bookkeeping) against a baseline in the same run — a bare BatchMeterUsage
// loop over the same records pre-cut into 25-record calls, same SDK client, same fake, no ledger.
// Also the pure cost of the rounding rule + batching for those records. Writes bench/results/billing.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { BatchMeterUsageCommand, MarketplaceMeteringClient } from '@aws-sdk/client-marketplace-metering';
import { batchByProduct, MarketplaceBillingProvider } from '../domain/billing/marketplace-provider';
import { roundHour } from '../domain/billing/rounding';
import type { MeteringRecord } from '../domain/billing/send';
import { defaultConfig } from '../domain/config';
import { startMarketplaceFake } from '../local/marketplace-fake/server';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const TENANTS = 1_400;
const ROUNDS = 5;
const PRODUCTS = ['tenantry-pooled', 'tenantry-enterprise'];
const dimensions = defaultConfig.metrics.map((m) => m.billing.dimension);
const HOUR_MS = 3_600_000;
const base = Date.UTC(2026, 2, 10, 0, 0, 0);

const fake = await startMarketplaceFake({ port: 0, seed: 1 });
const client = new MarketplaceMeteringClient({
  region: 'us-east-1',
  endpoint: fake.url,
  credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  maxAttempts: 1,
});
const customer = (i: number) => ({
  customerAwsAccountId: String(200_000_000_000 + i),
  licenseArn: `arn:aws:license-manager::123456789012:license:l-${i.toString(36)}x`,
  productCode: i < TENANTS - 12 ? (PRODUCTS[0] as string) : (PRODUCTS[1] as string),
});
for (let i = 0; i < TENANTS; i++) fake.state.subscribe(customer(i));
for (const p of PRODUCTS) fake.state.products.set(p, new Set(dimensions));

/** One hour of records; each measured run uses its own hour (fresh records, no idempotent replays). */
function recordsAt(hourIndex: number): MeteringRecord[] {
  const hour = new Date(base + hourIndex * HOUR_MS);
  return Array.from({ length: TENANTS }, (_, i) =>
    dimensions.map((dimension, d) => ({
      tenantId: `tn${String(i).padStart(5, '0')}`,
      dimension,
      hour,
      quantity: (i + d) % 7,
      customer: customer(i),
    })),
  ).flat();
}

const provider = new MarketplaceBillingProvider({ client, sleep: async () => {} });
async function viaProvider(records: MeteringRecord[]): Promise<number> {
  const outcomes = await provider.submit(records);
  return outcomes.filter((o) => o.kind === 'accepted').length;
}
async function rawLoop(records: MeteringRecord[]): Promise<number> {
  let accepted = 0;
  for (const batch of batchByProduct(records)) {
    const out = await client.send(
      new BatchMeterUsageCommand({
        UsageRecords: batch.records.map((r) => ({
          CustomerAWSAccountId: r.customer.customerAwsAccountId,
          LicenseArn: r.customer.licenseArn,
          Dimension: r.dimension,
          Timestamp: r.hour,
          Quantity: r.quantity,
        })),
      }),
    );
    accepted += (out.Results ?? []).filter((x) => x.Status === 'Success').length;
  }
  return accepted;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
async function measure(fn: (records: MeteringRecord[]) => Promise<number>, hourOffset: number) {
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    fake.state.now = () => new Date(base + (hourOffset + r) * HOUR_MS + 30 * 60_000);
    const records = recordsAt(hourOffset + r);
    const started = performance.now();
    const accepted = await fn(records);
    const ms = performance.now() - started;
    if (accepted !== records.length) throw new Error(`only ${accepted}/${records.length} accepted`);
    rates.push(records.length / (ms / 1000));
  }
  return { recordsPerSecond: Math.round(median(rates)), rounds: rates.map(Math.round) };
}

// Warm-up (JIT, sockets).
fake.state.now = () => new Date(base + 1 * HOUR_MS + 30 * 60_000);
await rawLoop(recordsAt(0));
await viaProvider(recordsAt(1));
const raw = await measure(rawLoop, 2);
const viaProv = await measure(viaProvider, 2 + ROUNDS);

// Pure CPU: the rounding rule for every (tenant, dimension) and the per-product batching.
const perUnit = 1_000_000_000n;
const pureRounds = 50;
const records = recordsAt(100);
const started = performance.now();
for (let r = 0; r < pureRounds; r++) {
  let carry = 0n;
  for (const rec of records)
    carry = roundHour({
      usageMicro: BigInt(rec.quantity) * 123_456_789n,
      carryInMicro: carry,
      perUnitMicro: perUnit,
    }).carryOutMicro;
  batchByProduct(records);
}
const pureMs = performance.now() - started;

const calls = PRODUCTS.map((p) => Math.ceil(records.filter((r) => r.customer.productCode === p).length / 25));
const result = {
  scenario: `${TENANTS} tenants × ${dimensions.length} dimensions = ${records.length} records per hour, ${ROUNDS} rounds each (median)`,
  callsPerHour: Object.fromEntries(PRODUCTS.map((p, i) => [p, calls[i]])),
  baselineRawBatchMeterUsage: raw,
  marketplaceProvider: viaProv,
  providerToBaselineRatio: Number((viaProv.recordsPerSecond / raw.recordsPerSecond).toFixed(3)),
  pureRoundingAndBatching: {
    recordsPerSecond: Math.round((records.length * pureRounds) / (pureMs / 1000)),
    msPerHourOf4200Records: Number((pureMs / pureRounds).toFixed(3)),
  },
  node: process.version,
  at: new Date().toISOString(),
};
console.log(JSON.stringify(result, null, 2));
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/billing.json', `${JSON.stringify(result, null, 2)}\n`);
await fake.stop();
