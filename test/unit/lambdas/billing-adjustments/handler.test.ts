import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { functionEnvironment } from '../../../../domain/function-contract';
import { contract } from '../../../../lambdas/billing-adjustments/contract';
import { mockActiveTenants, objectBody, pooledProTenant } from '../../support/billing';
import { importHandler, useFixedDate } from '../../support/lambda';

const ddb = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);
const lateLine = (eventId: string, eventTime: string) =>
  JSON.stringify({
    eventId,
    tenantId: 'tn00001',
    metric: 'api.call',
    quantity: 300,
    eventTime,
    watermarkTime: eventTime,
  });

const environment = functionEnvironment(contract, {
  CATALOG_TABLE_NAME: 'catalog',
  LEDGER_TABLE_NAME: 'ledger',
  LAKE_BUCKET_NAME: 'lake',
});
const load = () => import('../../../../lambdas/billing-adjustments/handler');

useFixedDate('2026-03-10T06:20:00.000Z');

describe('billing-adjustments handler', () => {
  it('schedules the billable late events of subscribed tenants into the open hour; the one past the window is left out', async () => {
    // Prepare: one late-sink object written in the last 25 hours, with a billable and an expired event
    mockActiveTenants(ddb, [pooledProTenant('ACTIVE')]);
    ddb.on(TransactWriteCommand).resolves({});
    s3.on(ListObjectsV2Command, { Bucket: 'lake', Prefix: 'metering/late/' }).resolves({
      Contents: [{ Key: 'metering/late/part-0', LastModified: new Date('2026-03-10T06:05:00.000Z') }],
    });
    const lines = `${lateLine('late-a', '2026-03-10T05:40:00.000Z')}\n${lateLine('late-old', '2026-03-09T05:30:00.000Z')}\n`;
    s3.on(GetObjectCommand, { Bucket: 'lake', Key: 'metering/late/part-0' }).resolves({
      Body: objectBody(lines),
    });
    const { handler } = await importHandler(load, environment);
    // Act
    const out = await handler({ 'detail-type': 'Scheduled Event' });
    // Assess
    expect(out).toEqual({ lateEvents: 2, billable: 1, scheduled: 1 });
    const [put, slot, check] = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(put?.Put?.Item).toMatchObject({
      tenantId: 'tn00001',
      originalHour: '2026-03-10T05:00:00.000Z',
      eventIds: ['late-a'],
    });
    expect(slot?.Update?.Key).toEqual({ pk: 'tn00001#ApiCalls', sk: 'ADJUSTMENTS#2026-03-10T06:00:00.000Z' });
    expect(check?.ConditionCheck?.Key).toEqual({ pk: 'tn00001#ApiCalls', sk: '2026-03-10T06:00:00.000Z' });
  });
});
