import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { BatchMeterUsageCommand, MarketplaceMeteringClient } from '@aws-sdk/client-marketplace-metering';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { functionEnvironment } from '../../../../domain/function-contract';
import { newTenant } from '../../../../domain/tenant/tenant';
import { counterItem } from '../../../../domain/usage/counters';
import { contract } from '../../../../lambdas/billing-final/contract';

const ddb = mockClient(DynamoDBDocumentClient);
const marketplace = mockClient(MarketplaceMeteringClient);
mockClient(EventBridgeClient);
const identity = {
  customerAwsAccountId: '200000000001',
  licenseArn: 'arn:aws:license-manager::123456789012:license:l-1x',
  productCode: 'tenantry-pooled',
};
const tenant = (marketplaceIdentity = true) => ({
  ...newTenant(
    {
      tenantId: 'tn00001',
      name: 'Tenant 1',
      tier: 'pro',
      isolation: 'pool',
      region: 'us-east-1',
      ...(marketplaceIdentity ? { marketplace: identity } : {}),
    },
    new Date('2026-01-01T00:00:00.000Z'),
  ),
  status: 'OFFBOARDING' as const,
});
const DAY = '2026-03-10T00:00:00.000Z';
const HOUR = '2026-03-10T06:00:00.000Z';
let handler: (event: unknown) => Promise<unknown>;

beforeAll(async () => {
  vi.useFakeTimers({ now: new Date('2026-03-10T06:40:00.000Z'), toFake: ['Date'] });
  const environment = functionEnvironment(contract, {
    CATALOG_TABLE_NAME: 'catalog',
    COUNTERS_TABLE_NAME: 'counters',
    LEDGER_TABLE_NAME: 'ledger',
    EVENT_BUS_NAME: 'bus',
  });
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
  handler = (await import('../../../../lambdas/billing-final/handler')).handler;
});
afterAll(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});
beforeEach(() => {
  ddb.reset();
  marketplace.reset();
});

describe('billing-final handler (offboarding task)', () => {
  it('bills the current partial hour from the day’s running total and closes it by the closing rule', async () => {
    // Prepare: no HOUR row for 06:00 yet; the day's running total says 2,600 API calls
    ddb.on(GetCommand, { TableName: 'catalog' }).resolves({ Item: tenant() });
    ddb.on(BatchGetCommand).callsFake((input) => ({
      Responses: Object.fromEntries(Object.keys(input.RequestItems).map((t) => [t, []])),
    }));
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(QueryCommand, { TableName: 'counters', ScanIndexForward: false }).callsFake((input) => {
      const metric = String(input.ExpressionAttributeValues[':pk']).split('#')[1] as string;
      if (metric !== 'api.call') return { Items: [] };
      return {
        Items: [
          counterItem({
            tenantId: 'tn00001',
            metric,
            granularity: 'CUMULATIVE',
            windowStart: new Date(DAY),
            windowEnd: new Date(HOUR),
            quantity: '2600',
            eventCount: 1,
          }),
        ],
      };
    });
    ddb.on(PutCommand).resolves({});
    ddb.on(BatchWriteCommand).resolves({});
    marketplace.on(BatchMeterUsageCommand).callsFake((input) => ({
      Results: input.UsageRecords.map((r: unknown, i: number) => ({
        UsageRecord: r,
        Status: 'Success',
        MeteringRecordId: `mr-${i}`,
      })),
    }));
    // Act
    const out = await handler({ tenantId: 'tn00001' });
    // Assess: 2,600 calls → 2.6 units, rounded half-up once to 3; the entries are final
    expect(out).toMatchObject({
      tenantId: 'tn00001',
      billed: true,
      targetHour: HOUR,
      prepared: 3,
      accepted: 3,
      unitsSent: 3,
    });
    const records = marketplace.commandCalls(BatchMeterUsageCommand)[0]?.args[0].input.UsageRecords ?? [];
    expect(records.map((r) => [r.Dimension, r.Quantity])).toEqual([
      ['ApiCalls', 3],
      ['StorageGbHours', 0],
      ['DocumentsProcessed', 0],
    ]);
    const pending = ddb.commandCalls(PutCommand).map((c) => c.args[0].input.Item);
    expect(pending.map((e) => [e?.dimension, e?.final, e?.closingAdjustmentMicro])).toEqual([
      ['ApiCalls', true, '400000000'],
      ['StorageGbHours', true, '0'],
      ['DocumentsProcessed', true, '0'],
    ]);
  });

  it('answers a tenant without a Marketplace identity without billing', async () => {
    ddb.on(GetCommand, { TableName: 'catalog' }).resolves({ Item: tenant(false) });
    expect(await handler({ tenantId: 'tn00001' })).toEqual({
      tenantId: 'tn00001',
      billed: false,
      reason: 'no Marketplace identity',
    });
    expect(marketplace.commandCalls(BatchMeterUsageCommand)).toHaveLength(0);
  });

  it('rejects an input without a valid tenant id, naming the field, before reading anything', async () => {
    await expect(handler({ tenant: 'x' })).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/^invalid billing-final input: tenantId/),
    });
    expect(ddb.calls()).toHaveLength(0);
  });
});
