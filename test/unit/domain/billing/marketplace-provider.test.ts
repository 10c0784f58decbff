import {
  BatchMeterUsageCommand,
  type BatchMeterUsageCommandInput,
  DisabledApiException,
  InternalServiceErrorException,
  InvalidCustomerIdentifierException,
  InvalidLicenseException,
  InvalidProductCodeException,
  InvalidTagException,
  InvalidUsageAllocationsException,
  InvalidUsageDimensionException,
  MarketplaceMeteringClient,
  MarketplaceMeteringServiceException,
  ThrottlingException,
  TimestampOutOfBoundsException,
  type UsageRecord,
} from '@aws-sdk/client-marketplace-metering';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DuplicateMeteringIdentityError } from '../../../../domain/billing/errors';
import { batchByProduct, MarketplaceBillingProvider } from '../../../../domain/billing/marketplace-provider';
import type { MeteringRecord } from '../../../../domain/billing/send';

const HOUR = new Date('2026-03-10T05:00:00.000Z');
const mock = mockClient(MarketplaceMeteringClient);

function record(i: number, overrides: Partial<MeteringRecord> = {}): MeteringRecord {
  return {
    tenantId: `tenant-${String(i).padStart(3, '0')}`,
    dimension: 'ApiCalls',
    hour: HOUR,
    quantity: i,
    customer: {
      customerAwsAccountId: String(100_000_000_000 + i),
      licenseArn: `arn:aws:license-manager::123456789012:license:l-${i}`,
      productCode: 'prod-a',
    },
    ...overrides,
  };
}

/** Echo every record as accepted (the shape Marketplace answers with). */
function acceptAll(input: BatchMeterUsageCommandInput) {
  return {
    Results: (input.UsageRecords ?? []).map((r: UsageRecord, i: number) => ({
      UsageRecord: r,
      Status: 'Success' as const,
      MeteringRecordId: `mr-${r.CustomerAWSAccountId}-${i}`,
    })),
    UnprocessedRecords: [],
  };
}

function provider() {
  return new MarketplaceBillingProvider({
    client: new MarketplaceMeteringClient({ region: 'us-east-1', maxAttempts: 1 }),
    maxRounds: 3,
    sleep: async () => {},
  });
}

const opts = { $metadata: {}, message: 'injected' };

beforeEach(() => mock.reset());
afterEach(() => vi.restoreAllMocks());

describe('batching', () => {
  const batchRecord = (i: number, productCode: string): MeteringRecord =>
    record(i, { customer: { customerAwsAccountId: '123456789012', licenseArn: `l-${i}`, productCode } });

  it('cuts each product into batches of at most 25, never mixing products', () => {
    const records = [
      ...Array.from({ length: 60 }, (_, i) => batchRecord(i, 'prod-a')),
      ...Array.from({ length: 26 }, (_, i) => batchRecord(100 + i, 'prod-b')),
    ];
    const batches = batchByProduct(records);
    expect(batches.map((b) => [b.productCode, b.records.length])).toEqual([
      ['prod-a', 25],
      ['prod-a', 25],
      ['prod-a', 10],
      ['prod-b', 25],
      ['prod-b', 1],
    ]);
  });

  it('refuses a batch size above 25', () => {
    expect(() => batchByProduct([], 26)).toThrow(/\[1, 25\]/);
  });
});

describe('MarketplaceBillingProvider: request shape', () => {
  it('sends CustomerAWSAccountId + LicenseArn (no CustomerIdentifier, no ProductCode), integer quantity, allocations summing to it', async () => {
    mock.on(BatchMeterUsageCommand).callsFake(acceptAll);
    const outcomes = await provider().submit([record(7)]);
    expect(outcomes).toEqual([
      { kind: 'accepted', record: record(7), meteringRecordId: 'mr-100000000007-0' },
    ]);
    expect(mock).toHaveReceivedCommandWith(BatchMeterUsageCommand, {
      UsageRecords: [
        {
          CustomerAWSAccountId: '100000000007',
          LicenseArn: 'arn:aws:license-manager::123456789012:license:l-7',
          Dimension: 'ApiCalls',
          Timestamp: HOUR,
          Quantity: 7,
          UsageAllocations: [{ AllocatedUsageQuantity: 7, Tags: [{ Key: 'tenantId', Value: 'tenant-007' }] }],
        },
      ],
    });
    const input = mock.commandCalls(BatchMeterUsageCommand)[0]?.args[0].input;
    expect(input?.ProductCode).toBeUndefined();
    expect(input?.UsageRecords?.[0]?.CustomerIdentifier).toBeUndefined();
  });

  it('sends 60 records of one product and 3 of another in 3 + 1 calls of at most 25', async () => {
    mock.on(BatchMeterUsageCommand).callsFake(acceptAll);
    const other = (i: number) => record(i, { customer: { ...record(i).customer, productCode: 'prod-b' } });
    const outcomes = await provider().submit([
      ...Array.from({ length: 60 }, (_, i) => record(i)),
      other(100),
      other(101),
      other(102),
    ]);
    const sizes = mock.commandCalls(BatchMeterUsageCommand).map((c) => c.args[0].input.UsageRecords?.length);
    expect(sizes).toEqual([25, 25, 10, 3]);
    expect(outcomes.filter((o) => o.kind === 'accepted')).toHaveLength(63);
  });

  it('refuses a non-integer quantity before calling', async () => {
    await expect(provider().submit([record(1, { quantity: 1.5 })])).rejects.toThrow(/non-negative integer/);
    expect(mock).not.toHaveReceivedCommand(BatchMeterUsageCommand);
  });

  it('refuses two records of one customer + license + dimension + hour (two tenants on one license), naming both tenants, before calling', async () => {
    // Prepare: tenant-shared uses tenant-002's Marketplace customer and license
    const shared = record(9, { tenantId: 'tenant-shared', customer: record(2).customer });
    // Act
    const attempt = provider().submit([record(1), record(2), shared]);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(DuplicateMeteringIdentityError);
    await expect(attempt).rejects.toThrow(
      /tenants tenant-002 and tenant-shared share the Marketplace identity/,
    );
    await expect(attempt).rejects.toMatchObject({
      firstTenantId: 'tenant-002',
      secondTenantId: 'tenant-shared',
      context: { dimension: 'ApiCalls', hour: HOUR.toISOString(), customerAwsAccountId: '100000000002' },
    });
    expect(mock).not.toHaveReceivedCommand(BatchMeterUsageCommand);
  });

  it('accepts one customer + license with distinct dimensions or hours (distinct identities)', async () => {
    mock.on(BatchMeterUsageCommand).callsFake(acceptAll);
    const outcomes = await provider().submit([
      record(1),
      record(1, { dimension: 'StorageGbHours' }),
      record(1, { hour: new Date(HOUR.getTime() + 3_600_000) }),
    ]);
    expect(outcomes.map((o) => o.kind)).toEqual(['accepted', 'accepted', 'accepted']);
  });
});

describe('MarketplaceBillingProvider: per-record results', () => {
  it('maps Success, DuplicateRecord and CustomerNotSubscribed, and a record missing from the answer', async () => {
    mock.on(BatchMeterUsageCommand).callsFake((input: BatchMeterUsageCommandInput) => {
      const [a, b, c] = input.UsageRecords ?? [];
      return {
        Results: [
          { UsageRecord: a, Status: 'Success', MeteringRecordId: 'mr-a' },
          { UsageRecord: b, Status: 'DuplicateRecord' },
          { UsageRecord: c, Status: 'CustomerNotSubscribed' },
        ],
      };
    });
    const outcomes = await provider().submit([record(1), record(2), record(3), record(4)]);
    expect(
      outcomes.map((o) => [o.record.tenantId, o.kind, 'reason' in o ? o.reason : o.meteringRecordId]),
    ).toEqual([
      ['tenant-001', 'accepted', 'mr-a'],
      ['tenant-002', 'duplicate', 'DuplicateRecord'],
      ['tenant-003', 'rejected', 'CustomerNotSubscribed'],
      ['tenant-004', 'retryable', 'MissingFromResponse'],
    ]);
  });

  it('resends only UnprocessedRecords until accepted', async () => {
    mock
      .on(BatchMeterUsageCommand)
      .callsFakeOnce((input: BatchMeterUsageCommandInput) => {
        const [a, b, c] = input.UsageRecords ?? [];
        return {
          Results: [{ UsageRecord: a, Status: 'Success', MeteringRecordId: 'mr-a' }],
          UnprocessedRecords: [b, c],
        };
      })
      .callsFake(acceptAll);
    const outcomes = await provider().submit([record(1), record(2), record(3)]);
    expect(outcomes.every((o) => o.kind === 'accepted')).toBe(true);
    const sent = mock
      .commandCalls(BatchMeterUsageCommand)
      .map((c) => c.args[0].input.UsageRecords?.map((r) => r.Quantity));
    expect(sent).toEqual([
      [1, 2, 3],
      [2, 3],
    ]);
  });

  it('reports records still unprocessed after maxRounds as retryable (never dropped)', async () => {
    mock.on(BatchMeterUsageCommand).callsFake((input: BatchMeterUsageCommandInput) => ({
      Results: [],
      UnprocessedRecords: input.UsageRecords,
    }));
    const outcomes = await provider().submit([record(1), record(2)]);
    expect(outcomes.map((o) => [o.kind, 'reason' in o ? o.reason : ''])).toEqual([
      ['retryable', 'UnprocessedRecords'],
      ['retryable', 'UnprocessedRecords'],
    ]);
    expect(mock).toHaveReceivedCommandTimes(BatchMeterUsageCommand, 3);
  });
});

describe('MarketplaceBillingProvider: every BatchMeterUsage exception', () => {
  it.each([
    ['ThrottlingException', () => new ThrottlingException(opts)],
    ['InternalServiceErrorException', () => new InternalServiceErrorException(opts)],
  ])('%s: retried with backoff; accepted when the service recovers', async (_name, make) => {
    mock.on(BatchMeterUsageCommand).rejectsOnce(make()).callsFake(acceptAll);
    const outcomes = await provider().submit([record(1), record(2)]);
    expect(outcomes.map((o) => o.kind)).toEqual(['accepted', 'accepted']);
    expect(mock).toHaveReceivedCommandTimes(BatchMeterUsageCommand, 2);
  });

  it('waits between rounds by the one backoff policy (full jitter under a ceiling that doubles, capped)', async () => {
    // Prepare: three throttled rounds, then accepted; the jitter draw fixed at one half of the ceiling
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const waits: number[] = [];
    mock
      .on(BatchMeterUsageCommand)
      .rejectsOnce(new ThrottlingException(opts))
      .rejectsOnce(new ThrottlingException(opts))
      .rejectsOnce(new ThrottlingException(opts))
      .callsFake(acceptAll);
    const throttled = new MarketplaceBillingProvider({
      client: new MarketplaceMeteringClient({ region: 'us-east-1', maxAttempts: 1 }),
      maxRounds: 5,
      backoff: { baseMs: 100, capMs: 250 },
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    // Act
    const outcomes = await throttled.submit([record(1)]);
    // Assess: ceilings 100, 200, then capped at 250; half of each
    expect(outcomes.map((o) => o.kind)).toEqual(['accepted']);
    expect(waits).toEqual([50, 100, 125]);
  });

  it.each([
    ['ThrottlingException', () => new ThrottlingException(opts)],
    ['InternalServiceErrorException', () => new InternalServiceErrorException(opts)],
  ])('%s: still failing after maxRounds → retryable, left PENDING for the next run', async (name, make) => {
    mock.on(BatchMeterUsageCommand).rejects(make());
    const outcomes = await provider().submit([record(1)]);
    expect(outcomes).toEqual([{ kind: 'retryable', record: record(1), reason: name }]);
    expect(mock).toHaveReceivedCommandTimes(BatchMeterUsageCommand, 3);
  });

  it.each([
    ['TimestampOutOfBoundsException', () => new TimestampOutOfBoundsException(opts)],
    ['InvalidCustomerIdentifierException', () => new InvalidCustomerIdentifierException(opts)],
    ['InvalidLicenseException', () => new InvalidLicenseException(opts)],
    ['InvalidUsageAllocationsException', () => new InvalidUsageAllocationsException(opts)],
    ['InvalidTagException', () => new InvalidTagException(opts)],
    ['InvalidUsageDimensionException', () => new InvalidUsageDimensionException(opts)],
  ])('%s from one bad record: the batch is bisected, only that record is rejected', async (name, make) => {
    // The service rejects any call that contains tenant-003's record (one bad record fails the batch).
    mock.on(BatchMeterUsageCommand).callsFake((input: BatchMeterUsageCommandInput) => {
      if ((input.UsageRecords ?? []).some((r) => r.Quantity === 3)) throw make();
      return acceptAll(input);
    });
    const outcomes = await provider().submit([1, 2, 3, 4, 5].map((i) => record(i)));
    const byTenant = Object.fromEntries(
      outcomes.map((o) => [o.record.tenantId, [o.kind, 'reason' in o ? o.reason : 'ok']]),
    );
    expect(byTenant).toEqual({
      'tenant-001': ['accepted', 'ok'],
      'tenant-002': ['accepted', 'ok'],
      'tenant-003': ['rejected', name],
      'tenant-004': ['accepted', 'ok'],
      'tenant-005': ['accepted', 'ok'],
    });
    // [1..5] fails → [1,2,3] fails → [1,2] ok, [3] rejected; [4,5] ok
    expect(mock).toHaveReceivedCommandTimes(BatchMeterUsageCommand, 5);
  });

  it.each([
    ['DisabledApiException', () => new DisabledApiException(opts)],
    ['InvalidProductCodeException', () => new InvalidProductCodeException(opts)],
    [
      'UnknownServiceError',
      () =>
        new MarketplaceMeteringServiceException({
          name: 'UnknownServiceError',
          $fault: 'server',
          $metadata: {},
        }),
    ],
  ])('%s (the whole call): every record stays undecided, one call, no bisection', async (name, make) => {
    mock.on(BatchMeterUsageCommand).rejects(make());
    const outcomes = await provider().submit([record(1), record(2), record(3)]);
    expect(outcomes.map((o) => [o.kind, 'reason' in o ? o.reason : ''])).toEqual([
      ['retryable', name],
      ['retryable', name],
      ['retryable', name],
    ]);
    expect(mock).toHaveReceivedCommandTimes(BatchMeterUsageCommand, 1);
  });
});

describe('coverage of the API contract', () => {
  it('the tests above cover exactly the exceptions the SDK documents for BatchMeterUsage', async () => {
    const { readFileSync } = await import('node:fs');
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    const pkg = require.resolve('@aws-sdk/client-marketplace-metering/package.json');
    const dts = readFileSync(
      pkg.replace('package.json', 'dist-types/commands/BatchMeterUsageCommand.d.ts'),
      'utf8',
    );
    const documented = [...dts.matchAll(/@throws \{@link (\w+)\}/g)].map((m) => m[1]).sort();
    expect(documented).toEqual([
      'DisabledApiException',
      'InternalServiceErrorException',
      'InvalidCustomerIdentifierException',
      'InvalidLicenseException',
      'InvalidProductCodeException',
      'InvalidTagException',
      'InvalidUsageAllocationsException',
      'InvalidUsageDimensionException',
      'MarketplaceMeteringServiceException',
      'ThrottlingException',
      'TimestampOutOfBoundsException',
    ]);
  });
});
