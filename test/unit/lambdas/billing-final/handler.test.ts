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
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { functionEnvironment } from '../../../../domain/function-contract';
import { contract } from '../../../../lambdas/billing-final/contract';
import {
  BILLING_TABLES_AND_BUS,
  billedTenantCounter,
  mockMarketplaceAcceptsAll,
  mockMeteringProgress,
  pooledProTenant,
} from '../../support/billing';
import { importHandler, useFixedDate } from '../../support/lambda';

const ddb = mockClient(DynamoDBDocumentClient);
const marketplace = mockClient(MarketplaceMeteringClient);
mockClient(EventBridgeClient);
const DAY = '2026-03-10T00:00:00.000Z';
const HOUR = '2026-03-10T06:00:00.000Z';
const load = () => import('../../../../lambdas/billing-final/handler');
let handler: (event: unknown) => Promise<unknown>;

useFixedDate('2026-03-10T06:40:00.000Z');
beforeAll(async () => {
  const environment = functionEnvironment(contract, BILLING_TABLES_AND_BUS);
  handler = (await importHandler(load, environment)).handler;
});
beforeEach(() => {
  ddb.reset();
  marketplace.reset();
});

describe('billing-final handler (offboarding task)', () => {
  it('bills the current partial hour from the day’s running total and closes it by the closing rule', async () => {
    // Prepare: no HOUR row for 06:00 yet; the day's running total says 2,600 API calls
    ddb.on(GetCommand, { TableName: 'catalog' }).resolves({ Item: pooledProTenant('OFFBOARDING') });
    ddb.on(BatchGetCommand).callsFake((input) => ({
      Responses: Object.fromEntries(Object.keys(input.RequestItems).map((t) => [t, []])),
    }));
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(QueryCommand, { TableName: 'counters', ScanIndexForward: false }).callsFake((input) => {
      const metric = String(input.ExpressionAttributeValues[':pk']).split('#')[1] as string;
      if (metric !== 'api.call') return { Items: [] };
      return { Items: [billedTenantCounter(metric, 'CUMULATIVE', DAY, HOUR, '2600')] };
    });
    mockMeteringProgress(ddb, '2026-03-10T06:37:00.000Z');
    ddb.on(PutCommand).resolves({});
    ddb.on(BatchWriteCommand).resolves({});
    mockMarketplaceAcceptsAll(marketplace);
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
    ddb
      .on(GetCommand, { TableName: 'catalog' })
      .resolves({ Item: pooledProTenant('OFFBOARDING', { subscribed: false }) });
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
