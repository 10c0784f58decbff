import { type CounterItem, counterItem } from '../../../domain/usage/counters';
import { progressItem } from '../../../domain/usage/progress';
// Fixtures of the billing handlers' unit tests: the billed tenant, the names of the resources the
// handlers are given, and the mocked answers of the catalog, Marketplace and the lake.

import type { MarketplaceMeteringClient } from '@aws-sdk/client-marketplace-metering';
import { BatchMeterUsageCommand } from '@aws-sdk/client-marketplace-metering';
import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { LedgerEntry } from '../../../domain/billing/ledger';
import { METERING_PROGRESS_PK, type WindowGranularity } from '../../../domain/keys';
import type { TenantStatus } from '../../../domain/tenant/status';
import { newTenant, type Tenant } from '../../../domain/tenant/tenant';

/** The id of the billed tenant of these fixtures. */
const BILLED_TENANT_ID = 'tn00001';

/**
 * The billed tenant: pooled, tier pro, in us-east-1, created 2026-01-01, in `status`; subscribed through
 * Marketplace (customer account, license, the pooled product) unless `subscribed` is false.
 */
export function pooledProTenant(status: TenantStatus, { subscribed = true } = {}): Tenant {
  const marketplace = {
    customerAwsAccountId: '200000000001',
    licenseArn: 'arn:aws:license-manager::123456789012:license:l-1x',
    productCode: 'tenantry-pooled',
  };
  const created = newTenant(
    {
      tenantId: BILLED_TENANT_ID,
      name: 'Tenant 1',
      tier: 'pro',
      isolation: 'pool',
      region: 'us-east-1',
      ...(subscribed ? { marketplace } : {}),
    },
    new Date('2026-01-01T00:00:00.000Z'),
  );
  return { ...created, status };
}

/**
 * The names given to the tables and the bus that billing-hourly, billing-final and reconciliation all
 * read (each test passes them through its own contract's `functionEnvironment`).
 */
export const BILLING_TABLES_AND_BUS = {
  CATALOG_TABLE_NAME: 'catalog',
  COUNTERS_TABLE_NAME: 'counters',
  LEDGER_TABLE_NAME: 'ledger',
  EVENT_BUS_NAME: 'bus',
} as const;

/** Mocks the catalog table ('catalog') to list `tenants` as its ACTIVE tenants; every other query finds nothing. */
export function mockActiveTenants(ddb: AwsClientStub<DynamoDBDocumentClient>, tenants: Tenant[]): void {
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb
    .on(QueryCommand, { TableName: 'catalog', ExpressionAttributeValues: { ':status': 'ACTIVE' } })
    .resolves({ Items: tenants });
}

/** Mocks the counters table ('counters') to hold the metering progress `passedAt`: the job has passed it. */
export function mockMeteringProgress(ddb: AwsClientStub<DynamoDBDocumentClient>, passedAt: string): void {
  ddb
    .on(QueryCommand, { TableName: 'counters', ExpressionAttributeValues: { ':pk': METERING_PROGRESS_PK } })
    .resolves({ Items: [progressItem(new Date(passedAt))] });
}

/** Mocks Marketplace to accept every usage record of every BatchMeterUsage call (record ids mr-0, mr-1, …). */
export function mockMarketplaceAcceptsAll(marketplace: AwsClientStub<MarketplaceMeteringClient>): void {
  marketplace.on(BatchMeterUsageCommand).callsFake((input) => ({
    Results: input.UsageRecords.map((r: unknown, i: number) => ({
      UsageRecord: r,
      Status: 'Success',
      MeteringRecordId: `mr-${i}`,
    })),
  }));
}

/** The body of an S3 object holding `text`, as GetObject returns it. */
export function objectBody(text: string): GetObjectCommandOutput['Body'] {
  return {
    transformToByteArray: async () => new Uint8Array(Buffer.from(text)),
  } as unknown as GetObjectCommandOutput['Body'];
}

/** A row of the counters table: the billed tenant's `quantity` of `metric` in one window. */
export function billedTenantCounter(
  metric: string,
  granularity: WindowGranularity,
  windowStart: string,
  windowEnd: string,
  quantity: string,
): CounterItem {
  return counterItem({
    tenantId: BILLED_TENANT_ID,
    metric,
    granularity,
    windowStart: new Date(windowStart),
    windowEnd: new Date(windowEnd),
    quantity,
    eventCount: 1,
  });
}

/**
 * A ledger entry of tenant `tn0000<tenant>`'s ApiCalls in `hour`: PENDING, `tenant` units, no usage or
 * carry, never sent (`fields`: what differs).
 */
export function ledgerEntryOf(tenant: number, hour: string, fields: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    pk: `tn0000${tenant}#ApiCalls`,
    sk: hour,
    tenantId: `tn0000${tenant}`,
    dimension: 'ApiCalls',
    metric: 'api.call',
    hour,
    status: 'PENDING',
    units: tenant,
    usageMicro: '0',
    carryInMicro: '0',
    carryOutMicro: '0',
    closingAdjustmentMicro: '0',
    perUnitMicro: '1000000000',
    customerAwsAccountId: `20000000000${tenant}`,
    licenseArn: `l-${tenant}`,
    productCode: 'tenantry-pooled',
    final: false,
    attempts: 0,
    createdAt: '',
    updatedAt: '',
    ...fields,
  };
}
