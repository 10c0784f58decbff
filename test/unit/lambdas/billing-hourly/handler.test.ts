import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { BatchMeterUsageCommand, MarketplaceMeteringClient } from '@aws-sdk/client-marketplace-metering';
import {
  BatchGetCommand,
  type BatchGetCommandInput,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { functionEnvironment } from '../../../../domain/function-contract';
import { contract } from '../../../../lambdas/billing-hourly/contract';
import {
  BILLING_TABLES_AND_BUS,
  billedTenantCounter,
  mockActiveTenants,
  mockMarketplaceAcceptsAll,
  mockMeteringProgress,
  pooledProTenant,
} from '../../support/billing';
import { expectColdStartToRequire, importHandler, useFixedDate } from '../../support/lambda';

const ddb = mockClient(DynamoDBDocumentClient);
const marketplace = mockClient(MarketplaceMeteringClient);
const events = mockClient(EventBridgeClient);
const HOUR = '2026-03-10T05:00:00.000Z';
const environment = functionEnvironment(contract, { ...BILLING_TABLES_AND_BUS, BILLING_LOOKBACK_HOURS: '2' });
const load = () => import('../../../../lambdas/billing-hourly/handler');

useFixedDate('2026-03-10T06:15:00.000Z');
beforeEach(() => {
  ddb.reset();
  marketplace.reset();
  events.reset();
  vi.unstubAllEnvs();
});

describe('billing-hourly handler', () => {
  it('bills the last closed hour of every subscribed tenant of the catalog, reading back BILLING_LOOKBACK_HOURS', async () => {
    // Prepare: one ACTIVE tenant with 1,400 API calls in the hour; an empty ledger
    mockActiveTenants(ddb, [pooledProTenant('ACTIVE')]);
    mockMeteringProgress(ddb, '2026-03-10T06:13:00.000Z');
    const ledgerReads: BatchGetCommandInput[] = [];
    ddb.on(BatchGetCommand).callsFake((input: BatchGetCommandInput) => {
      if (input.RequestItems?.counters === undefined) {
        ledgerReads.push(input);
        return { Responses: { ledger: [] } };
      }
      return { Responses: { counters: [billedTenantCounter('api.call', 'HOUR', HOUR, HOUR, '1400')] } };
    });
    ddb.on(PutCommand).resolves({});
    ddb.on(BatchWriteCommand).resolves({});
    mockMarketplaceAcceptsAll(marketplace);
    const { handler } = await importHandler(load, environment);
    // Act
    const summary = await handler({ 'detail-type': 'Scheduled Event' });
    // Assess
    expect(summary).toEqual({
      targetHour: HOUR,
      meteringProgress: '2026-03-10T06:13:00.000Z',
      hoursWaiting: 0,
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
    // Prepare / Act / Assess
    await expectColdStartToRequire(load, environment, 'LEDGER_TABLE_NAME');
  });
});
