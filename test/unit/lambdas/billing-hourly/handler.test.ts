import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { BatchMeterUsageCommand, MarketplaceMeteringClient } from '@aws-sdk/client-marketplace-metering';
import {
  BatchGetCommand,
  type BatchGetCommandInput,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { functionEnvironment } from '../../../../domain/function-contract';
import { counterKey } from '../../../../domain/keys';
import { newTenant } from '../../../../domain/tenant/tenant';
import { contract } from '../../../../lambdas/billing-hourly/contract';

const ddb = mockClient(DynamoDBDocumentClient);
const marketplace = mockClient(MarketplaceMeteringClient);
const events = mockClient(EventBridgeClient);
const tenant = {
  ...newTenant(
    {
      tenantId: 'tn00001',
      name: 'Tenant 1',
      tier: 'pro',
      isolation: 'pool',
      region: 'us-east-1',
      marketplace: {
        customerAwsAccountId: '200000000001',
        licenseArn: 'arn:aws:license-manager::123456789012:license:l-1x',
        productCode: 'tenantry-pooled',
      },
    },
    new Date('2026-01-01T00:00:00.000Z'),
  ),
  status: 'ACTIVE' as const,
};
const HOUR = '2026-03-10T05:00:00.000Z';
const environment = functionEnvironment(contract, {
  CATALOG_TABLE_NAME: 'catalog',
  COUNTERS_TABLE_NAME: 'counters',
  LEDGER_TABLE_NAME: 'ledger',
  EVENT_BUS_NAME: 'bus',
  BILLING_LOOKBACK_HOURS: '2',
});

async function loadHandler() {
  vi.resetModules();
  return (await import('../../../../lambdas/billing-hourly/handler')).handler;
}

beforeAll(() => vi.useFakeTimers({ now: new Date('2026-03-10T06:15:00.000Z'), toFake: ['Date'] }));
afterAll(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});
beforeEach(() => {
  ddb.reset();
  marketplace.reset();
  events.reset();
  vi.unstubAllEnvs();
});

describe('billing-hourly handler', () => {
  it('bills the last closed hour of every subscribed tenant of the catalog, reading back BILLING_LOOKBACK_HOURS', async () => {
    // Prepare: one ACTIVE tenant with 1,400 API calls in the hour; an empty ledger
    for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb
      .on(QueryCommand, { TableName: 'catalog', ExpressionAttributeValues: { ':status': 'ACTIVE' } })
      .resolves({
        Items: [tenant],
      });
    const ledgerReads: BatchGetCommandInput[] = [];
    ddb.on(BatchGetCommand).callsFake((input: BatchGetCommandInput) => {
      if (input.RequestItems?.counters === undefined) {
        ledgerReads.push(input);
        return { Responses: { ledger: [] } };
      }
      const key = counterKey('tn00001', 'api.call', 'HOUR', HOUR);
      return {
        Responses: {
          counters: [
            {
              ...key,
              tenantId: 'tn00001',
              metric: 'api.call',
              granularity: 'HOUR',
              windowStart: HOUR,
              windowEnd: HOUR,
              quantity: '1400',
            },
          ],
        },
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
    const handler = await loadHandler();
    // Act
    const summary = await handler({ 'detail-type': 'Scheduled Event' });
    // Assess
    expect(summary).toEqual({
      targetHour: HOUR,
      tenants: 1,
      notBillable: [],
      heldBack: [],
      prepared: 3,
      sent: 3,
      accepted: 3,
      duplicate: 0,
      rejected: 0,
      undecided: 0,
      expired: 0,
      carried: 0,
      nearExpiry: 0,
      unitsSent: 1,
    });
    const records = marketplace.commandCalls(BatchMeterUsageCommand)[0]?.args[0].input.UsageRecords ?? [];
    expect(records.map((r) => [r.Dimension, r.Quantity, r.Timestamp?.toISOString()])).toEqual([
      ['ApiCalls', 1, HOUR],
      ['StorageGbHours', 0, HOUR],
      ['DocumentsProcessed', 0, HOUR],
    ]);
    // lookback 2: hours 03:00-05:00 plus 06:00 (a final bill there would close the pair), per dimension
    const cursorKeys = ledgerReads[0]?.RequestItems?.ledger?.Keys ?? [];
    expect(cursorKeys.filter((k) => k.pk === 'tn00001#ApiCalls').map((k) => k.sk)).toEqual([
      '2026-03-10T03:00:00.000Z',
      '2026-03-10T04:00:00.000Z',
      HOUR,
      '2026-03-10T06:00:00.000Z',
    ]);
    expect(ddb.commandCalls(PutCommand).map((c) => c.args[0].input.TableName)).toEqual([
      'ledger',
      'ledger',
      'ledger',
    ]);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('refuses to start without its environment, naming the missing variable', async () => {
    for (const [name, value] of Object.entries(environment)) {
      if (name !== 'LEDGER_TABLE_NAME') vi.stubEnv(name, value);
    }
    vi.stubEnv('LEDGER_TABLE_NAME', undefined);
    await expect(loadHandler()).rejects.toMatchObject({
      name: 'EnvironmentError',
      message: expect.stringContaining('LEDGER_TABLE_NAME'),
    });
  });
});
