import type { TenantryConfig } from './schema';

/**
 * The default configuration: the tiers and metrics of the reference scenario (a document-analysis
 * B2B SaaS). Starter and pro are pooled, business is pooled with higher limits and its documents in a
 * table per tenant, enterprise is siloed.
 * Unit costs are the fully loaded cost of serving one unit; they feed the margin report.
 */
export const defaultConfig: TenantryConfig = {
  naming: { product: 'tenantry', stage: 'dev' },
  regions: { primary: 'us-east-1', siloAllowed: ['us-east-1', 'eu-central-1'] },
  metrics: [
    {
      name: 'api.call',
      unit: 'request',
      aggregation: 'sum',
      maxQuantityPerEvent: 1_000,
      billing: { dimension: 'ApiCalls', quantityPerUnit: 1_000 },
      unitCostUsd: 0.000_02,
    },
    {
      name: 'storage.gb',
      unit: 'GB-hour',
      aggregation: 'sum',
      maxQuantityPerEvent: 100_000,
      billing: { dimension: 'StorageGbHours', quantityPerUnit: 1 },
      unitCostUsd: 0.000_65,
    },
    {
      name: 'doc.processed',
      unit: 'document',
      aggregation: 'sum',
      maxQuantityPerEvent: 10_000,
      billing: { dimension: 'DocumentsProcessed', quantityPerUnit: 1 },
      unitCostUsd: 0.004,
    },
  ],
  tiers: [
    {
      name: 'starter',
      isolation: 'pool',
      monthlyPriceUsd: 49,
      baseCostUsdPerMonth: 2,
      api: { rateLimit: 50, burstLimit: 100, quotaPerDay: 10_000 },
      dailyLimits: { 'api.call': 10_000, 'storage.gb': 240, 'doc.processed': 200 },
    },
    {
      name: 'pro',
      isolation: 'pool',
      monthlyPriceUsd: 290,
      baseCostUsdPerMonth: 5,
      api: { rateLimit: 75, burstLimit: 150, quotaPerDay: 100_000 },
      dailyLimits: { 'api.call': 100_000, 'storage.gb': 60_000, 'doc.processed': 2_000 },
    },
    {
      name: 'business',
      isolation: 'pool',
      monthlyPriceUsd: 2_400,
      baseCostUsdPerMonth: 60,
      api: { rateLimit: 100, burstLimit: 200, quotaPerDay: 1_000_000 },
      dailyLimits: { 'api.call': 1_000_000, 'storage.gb': 240_000, 'doc.processed': 20_000 },
      // The documents service's collection (lambdas/documents): each business tenant's own table.
      dedicatedCollections: ['documents'],
    },
    {
      name: 'enterprise',
      isolation: 'silo',
      monthlyPriceUsd: 45_000,
      baseCostUsdPerMonth: 4_000,
      api: { rateLimit: 500, burstLimit: 1_000, quotaPerDay: 10_000_000 },
      dailyLimits: { 'api.call': 10_000_000, 'storage.gb': 2_400_000, 'doc.processed': 200_000 },
      siloCompute: { reservedConcurrency: 50 },
      // Its own Aurora cluster: 0.5 ACU idle floor (answers at once), up to 8 ACU under load.
      siloDatabase: { mode: 'dedicated', minCapacity: 0.5, maxCapacity: 8 },
    },
  ],
  metering: {
    watermarkDelaySeconds: 120,
    // Platform-stamped events (synced clocks): 30 s of skew leaves 90 s in flight (flink/README.md).
    maxFutureSkewSeconds: 30,
    maxEventAgeDays: 30,
    dedupHorizonHours: 48,
    cumulativeStepMinutes: 1,
    idleTimeoutSeconds: 60,
    flink: { runtime: 'FLINK-1_20', parallelism: 2, parallelismPerKpu: 1 },
    kinesis: { shards: 2 },
  },
  billing: { graceMinutes: 10, acceptanceWindowHours: 6, alertAgeHours: 4, progressAlertMinutes: 15 },
  lifecycle: {
    kmsPendingWindowDays: 7,
    stackPollSeconds: 5,
    stackMaxPolls: 120,
    eventArchiveRetentionDays: 30,
  },
  observability: {
    alarmPeriodMinutes: 5,
    authorizerErrors: 5,
    workflowFailures: 1,
    flinkBehindSeconds: 600,
  },
};
