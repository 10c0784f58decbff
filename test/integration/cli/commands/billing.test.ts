// `tenantry bill | reconcile | margin` against the billing tables on moto and the Marketplace fake.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3ClientConfig } from '../../../../domain/aws/clients';
import { addHours, hourStart, latestClosedHour } from '../../../../domain/billing/windows';
import { lakeBucketName } from '../../../../domain/naming';
import { progressItem } from '../../../../domain/usage/progress';
import { activeTenant, BillingHarness, config, counterItem, tables } from '../../domain/billing/support';
import { cli, json } from '../support';

const billing = new BillingHarness();
const { ctx } = billing;
const tenant = activeTenant(7001, 'tenantry-pooled');
const now = new Date();
const hour = latestClosedHour(config, now);
const hourArg = hour.toISOString().slice(0, 13);
const month = hour.toISOString().slice(0, 7);

beforeAll(async () => {
  await billing.startFakeMarketplace();
  billing.subscribe(tenant);
  await ctx.docs.send(new PutCommand({ TableName: tables.catalog, Item: tenant }));
  // 2,500 API calls in the hour; the day's DAY row for the margin
  const day = new Date(Date.UTC(hour.getUTCFullYear(), hour.getUTCMonth(), hour.getUTCDate()));
  await billing.seedCounters([
    counterItem(tenant.tenantId, 'api.call', 'HOUR', hour, addHours(hour, 1), '2500'),
    counterItem(tenant.tenantId, 'api.call', 'DAY', day, addHours(day, 24), '2500'),
    // the metering job has closed every hour up to now: billing does not wait for it
    progressItem(now),
  ]);
});

afterAll(async () => {
  await billing.stopFakeMarketplace();
});

describe('tenantry bill', () => {
  it('--dry-run shows the hour per tenant and dimension, sends and writes nothing', async () => {
    // Act
    const result = await cli('--json', 'bill', '--hour', hourArg, '--dry-run');

    // Assess
    expect(result.code).toBe(0);
    expect(json<{ records: unknown[] }>(result).records).toEqual([
      { tenantId: tenant.tenantId, dimension: 'ApiCalls', usage: '2500' },
      { tenantId: tenant.tenantId, dimension: 'StorageGbHours', usage: '0' },
      { tenantId: tenant.tenantId, dimension: 'DocumentsProcessed', usage: '0' },
    ]);
    expect(billing.fake.state.calls).toHaveLength(0);
    expect((await ctx.docs.send(new ScanCommand({ TableName: tables.ledger }))).Items).toEqual([]);
  });

  it('bills the hour through Marketplace: 2,500 calls → 2 units, a rerun sends nothing', async () => {
    // Act
    const first = await cli('bill', '--hour', hourArg);
    const again = await cli('--json', 'bill', '--hour', hourArg);

    // Assess
    expect(first.code).toBe(0);
    expect(first.out[0]).toBe(`billed up to ${hour.toISOString()} for 1 tenant(s)`);
    expect(first.out[1]).toBe('  prepared 3 · sent 3 · accepted 3 · duplicate 0');
    expect(billing.billedQuantity(tenant, 'ApiCalls', hour)).toBe(2);
    expect(again.code).toBe(0);
    expect(json(again)).toMatchObject({ prepared: 0, sent: 0 });
  });

  it.each([
    ['2026-13-01T00', 'must be a UTC hour like 2026-12-01T13 (got 2026-13-01T00)'],
    ['yesterday', 'must be a UTC hour like 2026-12-01T13 (got yesterday)'],
  ])('refuses --hour %s, naming the argument, and bills nothing', async (value, message) => {
    const calls = billing.fake.state.calls.length;
    const result = await cli('bill', '--hour', value);
    expect(result.code).toBe(2);
    expect(result.err).toEqual([`tenantry: ArgumentError: --hour: ${message}`]);
    expect(billing.fake.state.calls.length).toBe(calls);
  });

  it('refuses an hour that is not closed yet, and bills nothing', async () => {
    const calls = billing.fake.state.calls.length;
    const open = hourStart(now).toISOString().slice(0, 13);
    const result = await cli('bill', '--hour', open);
    expect(result.code).toBe(2);
    expect(result.err[0]).toContain(`--hour: ${hourStart(now).toISOString()} is not closed yet`);
    expect(billing.fake.state.calls.length).toBe(calls);
  });
});

describe('tenantry reconcile', () => {
  it('finds the counted hour that has no raw events in the lake and exits 1', async () => {
    // Prepare: the lake bucket the default resolves to (local account), empty
    const bucket = lakeBucketName(config, '123456789012', 'us-east-1');
    await new S3Client(s3ClientConfig()).send(new CreateBucketCommand({ Bucket: bucket }));

    // Act
    const result = await cli('--json', 'reconcile', '--month', month);

    // Assess
    expect(result.code).toBe(1);
    const report = json<{
      discrepancies: { kind: string; tenantId: string; metric: string; hour: string }[];
    }>(result);
    // The counters and the ledger hold the hour; the system of record (the raw lake) does not.
    expect(report.discrepancies.map((d) => [d.kind, d.tenantId, d.metric, d.hour])).toEqual([
      ['COUNTER_UNEXPECTED', tenant.tenantId, 'api.call', hour.toISOString()],
      ['LEDGER_QUANTITY_MISMATCH', tenant.tenantId, 'api.call', hour.toISOString()],
      ['LEDGER_USAGE_MISMATCH', tenant.tenantId, 'api.call', hour.toISOString()],
    ]);
  });

  it('refuses a malformed month, naming --month', async () => {
    const result = await cli('reconcile', '--month', '2026-1');
    expect(result.code).toBe(2);
    expect(result.err).toEqual([
      'tenantry: ArgumentError: --month: must be a month like 2026-11 (got 2026-1)',
    ]);
  });
});

describe('tenantry margin', () => {
  it('reports the month per tenant and writes the HTML page', async () => {
    // Prepare
    const html = join(mkdtempSync(join(tmpdir(), 'tenantry-margin-')), 'margin.html');

    // Act
    const result = await cli('--json', 'margin', '--month', month, '--html', html);

    // Assess
    expect(result.code).toBe(0);
    const report = json<{ tenants: { tenantId: string; usage: Record<string, { quantity: number }> }[] }>(
      result,
    );
    expect(report.tenants.map((t) => [t.tenantId, t.usage['api.call']?.quantity])).toEqual([
      [tenant.tenantId, 2500],
    ]);
    expect(existsSync(html)).toBe(true);
    expect(readFileSync(html, 'utf8')).toContain(tenant.tenantId);
  });
});
