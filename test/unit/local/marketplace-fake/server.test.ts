import {
  BatchMeterUsageCommand,
  InvalidCustomerIdentifierException,
  InvalidLicenseException,
  InvalidProductCodeException,
  InvalidTagException,
  InvalidUsageAllocationsException,
  InvalidUsageDimensionException,
  MarketplaceMeteringClient,
  ThrottlingException,
  TimestampOutOfBoundsException,
  type UsageRecord,
} from '@aws-sdk/client-marketplace-metering';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MarketplaceFake, startMarketplaceFake } from '../../../../local/marketplace-fake/server';

const NOW = new Date('2026-03-10T06:15:00.000Z');
const HOUR = new Date('2026-03-10T05:00:00.000Z');
const LICENSE_A = 'arn:aws:license-manager::123456789012:license:l-aaaa';
const LICENSE_B = 'arn:aws:license-manager::123456789012:license:l-bbbb';
const LICENSE_OTHER_PRODUCT = 'arn:aws:license-manager::123456789012:license:l-cccc';

let fake: MarketplaceFake;
let client: MarketplaceMeteringClient;

const usage = (overrides: Partial<UsageRecord> = {}): UsageRecord => ({
  CustomerAWSAccountId: '111111111111',
  LicenseArn: LICENSE_A,
  Dimension: 'ApiCalls',
  Timestamp: HOUR,
  Quantity: 5,
  ...overrides,
});

const meter = (records: UsageRecord[], productCode?: string) =>
  client.send(
    new BatchMeterUsageCommand({
      UsageRecords: records,
      ...(productCode ? { ProductCode: productCode } : {}),
    }),
  );

beforeAll(async () => {
  fake = await startMarketplaceFake({ port: 0 });
  // The real SDK client, pointed at the fake the way every client is: the standard endpoint variable.
  process.env.AWS_ENDPOINT_URL_MARKETPLACE_METERING = fake.url;
  client = new MarketplaceMeteringClient({
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
});
afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_MARKETPLACE_METERING;
  await fake.stop();
});
beforeEach(() => {
  fake.state.reset();
  fake.state.now = () => NOW;
  fake.state.subscribe({
    licenseArn: LICENSE_A,
    customerAwsAccountId: '111111111111',
    productCode: 'prod-a',
  });
  fake.state.subscribe({
    licenseArn: LICENSE_B,
    customerAwsAccountId: '222222222222',
    productCode: 'prod-a',
  });
  fake.state.subscribe({
    licenseArn: LICENSE_OTHER_PRODUCT,
    customerAwsAccountId: '333333333333',
    productCode: 'prod-b',
  });
  fake.state.products.set('prod-a', new Set(['ApiCalls', 'StorageGbHours']));
});

describe('marketplace fake: BatchMeterUsage rules', () => {
  it('is reached through AWS_ENDPOINT_URL_MARKETPLACE_METERING and accepts a valid record', async () => {
    const out = await meter([usage()]);
    expect(out.Results?.[0]?.Status).toBe('Success');
    expect(out.Results?.[0]?.MeteringRecordId).toMatch(/^[0-9a-f-]{36}$/);
    expect(fake.state.records.size).toBe(1);
  });

  it('answers an identical request with the same MeteringRecordId and stores nothing new', async () => {
    const first = await meter([usage()]);
    const second = await meter([usage()]);
    expect(second.Results?.[0]?.MeteringRecordId).toBe(first.Results?.[0]?.MeteringRecordId);
    expect(fake.state.records.size).toBe(1);
  });

  it('answers DuplicateRecord for the same customer+dimension+hour with another quantity', async () => {
    await meter([usage({ Quantity: 5 })]);
    const out = await meter([usage({ Quantity: 6 })]);
    expect(out.Results?.[0]?.Status).toBe('DuplicateRecord');
    expect([...fake.state.records.values()].map((r) => r.quantity)).toEqual([5]);
  });

  it('rejects more than 25 records', async () => {
    const records = Array.from({ length: 26 }, (_, i) =>
      usage({ Dimension: 'ApiCalls', Timestamp: new Date(HOUR.getTime() - i * 60_000) }),
    );
    await expect(meter(records)).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('rejects the WHOLE batch for one timestamp 6 hours old or more, storing nothing', async () => {
    const stale = new Date(NOW.getTime() - 6 * 3_600_000);
    await expect(
      meter([
        usage(),
        usage({ LicenseArn: LICENSE_B, CustomerAWSAccountId: '222222222222', Timestamp: stale }),
      ]),
    ).rejects.toBeInstanceOf(TimestampOutOfBoundsException);
    expect(fake.state.records.size).toBe(0);
  });

  it('rejects a future timestamp', async () => {
    await expect(meter([usage({ Timestamp: new Date(NOW.getTime() + 60_000) })])).rejects.toBeInstanceOf(
      TimestampOutOfBoundsException,
    );
  });

  it('accepts a record up to just under 6 hours after its timestamp, across a month end too', async () => {
    const lastHourOfMarch = new Date('2026-03-31T23:00:00.000Z');
    fake.state.now = () => new Date('2026-04-01T04:59:59.999Z');
    expect((await meter([usage({ Timestamp: lastHourOfMarch })])).Results?.[0]?.Status).toBe('Success');
    fake.state.now = () => new Date('2026-04-01T05:00:00.000Z');
    await expect(
      meter([usage({ Timestamp: lastHourOfMarch, Dimension: 'StorageGbHours' })]),
    ).rejects.toBeInstanceOf(TimestampOutOfBoundsException);
  });

  it('refuses a non-integer quantity', async () => {
    await expect(meter([usage({ Quantity: 1.5 })])).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('refuses CustomerIdentifier, and a missing LicenseArn', async () => {
    await expect(
      meter([{ CustomerIdentifier: 'cust-1', Dimension: 'ApiCalls', Timestamp: HOUR, Quantity: 1 }]),
    ).rejects.toBeInstanceOf(InvalidCustomerIdentifierException);
    await expect(meter([usage({ LicenseArn: undefined })])).rejects.toBeInstanceOf(InvalidLicenseException);
  });

  it('answers CustomerNotSubscribed for a license not granted to that account', async () => {
    const out = await meter([usage({ CustomerAWSAccountId: '999999999999' })]);
    expect(out.Results?.[0]?.Status).toBe('CustomerNotSubscribed');
  });

  it('allows one product per call', async () => {
    await expect(
      meter([usage(), usage({ LicenseArn: LICENSE_OTHER_PRODUCT, CustomerAWSAccountId: '333333333333' })]),
    ).rejects.toBeInstanceOf(InvalidProductCodeException);
    await expect(meter([usage()], 'prod-b')).rejects.toBeInstanceOf(InvalidProductCodeException);
  });

  it('refuses a dimension the product does not define', async () => {
    await expect(meter([usage({ Dimension: 'Gigawatts' })])).rejects.toBeInstanceOf(
      InvalidUsageDimensionException,
    );
  });

  it('requires UsageAllocations to sum to the quantity, with valid tags', async () => {
    await expect(
      meter([usage({ Quantity: 5, UsageAllocations: [{ AllocatedUsageQuantity: 4 }] })]),
    ).rejects.toBeInstanceOf(InvalidUsageAllocationsException);
    await expect(
      meter([
        usage({
          Quantity: 5,
          UsageAllocations: [{ AllocatedUsageQuantity: 5, Tags: [{ Key: 'bad#key', Value: 'v' }] }],
        }),
      ]),
    ).rejects.toBeInstanceOf(InvalidTagException);
    const ok = await meter([
      usage({
        Quantity: 5,
        UsageAllocations: [{ AllocatedUsageQuantity: 2 }, { AllocatedUsageQuantity: 3 }],
      }),
    ]);
    expect(ok.Results?.[0]?.Status).toBe('Success');
  });

  it('injects throttling and unprocessed records on demand', async () => {
    fake.state.faults.throttleNext = 1;
    await expect(meter([usage()])).rejects.toBeInstanceOf(ThrottlingException);
    fake.state.faults.unprocessedNext = 1;
    const out = await meter([usage(), usage({ Dimension: 'StorageGbHours' })]);
    expect(out.UnprocessedRecords).toHaveLength(1);
    expect(out.Results).toHaveLength(1);
    expect(fake.state.records.size).toBe(1);
  });

  it('injects any named exception for the next call', async () => {
    fake.state.faults.errorQueue.push({ name: 'DisabledApiException' });
    await expect(meter([usage()])).rejects.toMatchObject({ name: 'DisabledApiException' });
    expect((await meter([usage()])).Results?.[0]?.Status).toBe('Success');
  });
});
