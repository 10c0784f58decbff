import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { functionEnvironment } from '../../../../domain/function-contract';
import { contract } from '../../../../lambdas/reconciliation/contract';
import {
  BILLING_TABLES_AND_BUS,
  mockActiveTenants,
  objectBody,
  pooledProTenant,
} from '../../support/billing';
import { importHandler, useFixedDate } from '../../support/lambda';

const ddb = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);
const events = mockClient(EventBridgeClient);
const load = () => import('../../../../lambdas/reconciliation/handler');
let handler: (event: unknown) => Promise<unknown>;

useFixedDate('2026-04-01T07:00:00.000Z');
beforeAll(async () => {
  const environment = functionEnvironment(contract, {
    ...BILLING_TABLES_AND_BUS,
    LAKE_BUCKET_NAME: 'lake',
    REPORT_BUCKET_NAME: 'reports',
  });
  handler = (await importHandler(load, environment)).handler;
});
beforeEach(() => {
  ddb.reset();
  s3.reset();
  events.reset();
  mockActiveTenants(ddb, [pooledProTenant('ACTIVE')]);
  s3.on(ListObjectsV2Command).resolves({ Contents: [] });
  s3.on(PutObjectCommand).resolves({});
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});

describe('reconciliation handler', () => {
  it('reconciles an on-demand period, writes the report and its summary to the report bucket, and alerts', async () => {
    // Prepare: one raw event of an hour with neither a counter row nor a ledger entry
    s3.on(ListObjectsV2Command, { Bucket: 'lake', Prefix: 'raw/dt=2026-03-10/hour=05/' }).resolves({
      Contents: [{ Key: 'raw/dt=2026-03-10/hour=05/fh-1' }],
    });
    const line = JSON.stringify({
      eventId: 'ev-1',
      tenantId: 'tn00001',
      metric: 'doc.processed',
      quantity: 2,
      timestamp: '2026-03-10T05:10:00.000Z',
    });
    s3.on(GetObjectCommand, { Key: 'raw/dt=2026-03-10/hour=05/fh-1' }).resolves({
      Body: objectBody(`${line}\n`),
    });
    // Act
    const out = await handler({ from: '2026-03-10T05:00:00.000Z', to: '2026-03-10T06:00:00.000Z' });
    // Assess
    const base = 'reports/reconciliation/2026-03-10T05:00:00.000Z_2026-03-10T06:00:00.000Z';
    expect(out).toEqual({
      period: { from: '2026-03-10T05:00:00.000Z', to: '2026-03-10T06:00:00.000Z' },
      discrepancies: 2,
      reportKey: `${base}.json`,
    });
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => [p.Bucket, p.Key, p.ContentType])).toEqual([
      ['reports', `${base}.json`, 'application/json'],
      ['reports', `${base}.txt`, 'text/plain'],
    ]);
    expect(JSON.parse(String(puts[0]?.Body)).discrepancies.map((d: { kind: string }) => d.kind)).toEqual([
      'COUNTER_MISSING',
      'LEDGER_MISSING',
    ]);
    expect(String(puts[1]?.Body)).toContain('2 discrepancies');
    const alert = events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(alert).toMatchObject({
      EventBusName: 'bus',
      Source: 'tenantry.billing',
      DetailType: 'BillingReconciliationDiscrepancies',
    });
  });

  it('reconciles the previous UTC month when the monthly schedule calls it (no period given)', async () => {
    const out = await handler({ 'detail-type': 'Scheduled Event' });
    expect(out).toEqual({
      period: { from: '2026-03-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' },
      discrepancies: 0,
      reportKey: 'reports/reconciliation/2026-03-01T00:00:00.000Z_2026-04-01T00:00:00.000Z.json',
    });
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('rejects a malformed period by name', async () => {
    await expect(handler({ from: 'yesterday' })).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/^invalid reconciliation input: from/),
    });
  });
});
