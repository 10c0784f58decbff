/**
 * The AWS Marketplace billing provider: BatchMeterUsage with `CustomerAWSAccountId` + `LicenseArn`
 * (CustomerIdentifier is deprecated), ≤ 25 records per call, one product per call.
 *
 * Error handling, by what the API can answer (every exception class the SDK exports for the call):
 * - per-record results: `Success` → accepted; `DuplicateRecord` → duplicate; `CustomerNotSubscribed`
 *   → rejected; records missing from the answer → retryable;
 * - `UnprocessedRecords` and `ThrottlingException` (after the SDK's own adaptive retries) are retried
 *   here with the project's backoff policy (domain/aws/backoff.ts: exponential, capped, full jitter),
 *   up to `maxRounds`, then reported retryable (they stay PENDING in the ledger and go out unchanged
 *   next run);
 * - `InternalServiceErrorException` → retryable;
 * - errors one record can cause for the whole batch (`TimestampOutOfBoundsException` — one bad
 *   timestamp rejects the batch —, `InvalidCustomerIdentifierException`, `InvalidLicenseException`,
 *   `InvalidUsageAllocationsException`, `InvalidTagException`, `InvalidUsageDimensionException`):
 *   the batch is bisected until the offending records are isolated; they alone are rejected;
 * - errors of the whole call (`DisabledApiException`, `InvalidProductCodeException`, anything
 *   unknown): every record of the batch is reported retryable with the error name (operator action
 *   needed; the ledger keeps them PENDING and the expiry alert fires if it lasts).
 */
import {
  BatchMeterUsageCommand,
  type BatchMeterUsageCommandOutput,
  InternalServiceErrorException,
  InvalidCustomerIdentifierException,
  InvalidLicenseException,
  InvalidTagException,
  InvalidUsageAllocationsException,
  InvalidUsageDimensionException,
  MarketplaceMeteringClient,
  ThrottlingException,
  TimestampOutOfBoundsException,
  type UsageRecord,
} from '@aws-sdk/client-marketplace-metering';
import { type BackoffPolicy, backoffDelayMs, type Sleep, sleep } from '../aws/backoff';
import { baseClientConfig, type ClientSettings } from '../aws/clients';
import { DuplicateMeteringIdentityError } from './errors';
import type { BillingProvider, MeteringRecord, RecordOutcome } from './send';

/** Errors a single record can cause: bisect the batch to find it. */
const RECORD_LEVEL_ERRORS = [
  TimestampOutOfBoundsException,
  InvalidCustomerIdentifierException,
  InvalidLicenseException,
  InvalidUsageAllocationsException,
  InvalidTagException,
  InvalidUsageDimensionException,
] as const;
/** Transient errors: retry with backoff, then leave for the next run. */
const TRANSIENT_ERRORS = [ThrottlingException, InternalServiceErrorException] as const;
/** Errors of the call itself: nothing to isolate; keep PENDING and alert. */
// Errors of the call itself (DisabledApiException, InvalidProductCodeException) and unknown ones:
// nothing to isolate; every record stays PENDING and the expiry alert fires if it lasts.

const MAX_RECORDS_PER_CALL = 25;

/** Groups records by product (one product per call) and cuts each group into batches of ≤ 25. */
export function batchByProduct(
  records: readonly MeteringRecord[],
  maxPerCall = MAX_RECORDS_PER_CALL,
): { productCode: string; records: MeteringRecord[] }[] {
  if (!Number.isInteger(maxPerCall) || maxPerCall < 1 || maxPerCall > MAX_RECORDS_PER_CALL) {
    throw new RangeError(`maxPerCall must be an integer in [1, ${MAX_RECORDS_PER_CALL}] (got ${maxPerCall})`);
  }
  const byProduct = new Map<string, MeteringRecord[]>();
  for (const record of records) {
    const list = byProduct.get(record.customer.productCode) ?? [];
    list.push(record);
    byProduct.set(record.customer.productCode, list);
  }
  const batches: { productCode: string; records: MeteringRecord[] }[] = [];
  for (const [productCode, list] of [...byProduct.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    for (let i = 0; i < list.length; i += maxPerCall) {
      batches.push({ productCode, records: list.slice(i, i + maxPerCall) });
    }
  }
  return batches;
}

interface MarketplaceProviderOptions {
  readonly client?: MarketplaceMeteringClient;
  readonly clientSettings?: ClientSettings;
  /** Rounds of our own retry for UnprocessedRecords / throttling after SDK retries. Default 6. */
  readonly maxRounds?: number;
  /** Delay between rounds (domain/aws/backoff.ts). Default: 200 ms doubling, capped at 5 s. */
  readonly backoff?: BackoffPolicy;
  /**
   * Send `ProductCode` at request level. Off by default: with `LicenseArn` the license identifies the
   * product, and AWS warns that ProductCode + LicenseArn for one customer in one hour bills twice.
   */
  readonly sendProductCode?: boolean;
  /** Tag each record's usage allocation with the tenant id (allocations always sum to the quantity). */
  readonly tagAllocations?: boolean;
  readonly sleep?: Sleep;
  /** Called once per BatchMeterUsage call (for metrics and tests). */
  readonly onCall?: (productCode: string, size: number) => void;
}

const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 200, capMs: 5_000 };

export class MarketplaceBillingProvider implements BillingProvider {
  public readonly name = 'aws-marketplace';
  private readonly client: MarketplaceMeteringClient;
  private readonly maxRounds: number;
  private readonly backoffPolicy: BackoffPolicy;
  private readonly sendProductCode: boolean;
  private readonly tagAllocations: boolean;
  private readonly sleep: Sleep;
  private readonly onCall: ((productCode: string, size: number) => void) | undefined;

  public constructor(options: MarketplaceProviderOptions = {}) {
    this.client = options.client ?? new MarketplaceMeteringClient(baseClientConfig(options.clientSettings));
    this.maxRounds = options.maxRounds ?? 6;
    this.backoffPolicy = options.backoff ?? DEFAULT_BACKOFF;
    this.sendProductCode = options.sendProductCode ?? false;
    this.tagAllocations = options.tagAllocations ?? true;
    this.sleep = options.sleep ?? sleep;
    this.onCall = options.onCall;
  }

  /**
   * Sends every record and reports one outcome per record. Throws before sending anything when a
   * quantity is not a non-negative integer, or when two records share an identity (customer +
   * license + dimension + hour: `DuplicateMeteringIdentityError`) — outcomes are matched to records
   * by that identity, and Marketplace keeps one record per identity.
   */
  public async submit(records: readonly MeteringRecord[]): Promise<RecordOutcome[]> {
    const seen = new Map<string, MeteringRecord>();
    for (const r of records) {
      if (!Number.isSafeInteger(r.quantity) || r.quantity < 0) {
        throw new RangeError(`record ${r.tenantId}/${r.dimension}: quantity must be a non-negative integer`);
      }
      const identity = identityOf(r);
      const first = seen.get(identity);
      if (first !== undefined) {
        throw new DuplicateMeteringIdentityError(first.tenantId, r.tenantId, {
          customerAwsAccountId: r.customer.customerAwsAccountId,
          licenseArn: r.customer.licenseArn,
          dimension: r.dimension,
          hour: r.hour.toISOString(),
        });
      }
      seen.set(identity, r);
    }
    const outcomes: RecordOutcome[] = [];
    for (const batch of batchByProduct(records)) {
      outcomes.push(...(await this.submitBatch(batch.productCode, batch.records)));
    }
    return outcomes;
  }

  /** One product, ≤ 25 records: retry unprocessed/throttled, bisect record-level errors. */
  private async submitBatch(productCode: string, batch: MeteringRecord[]): Promise<RecordOutcome[]> {
    const outcomes: RecordOutcome[] = [];
    let pending = batch;
    for (let round = 1; pending.length > 0; round++) {
      let output: BatchMeterUsageCommandOutput;
      try {
        output = await this.call(productCode, pending);
      } catch (error) {
        if (isOneOf(error, TRANSIENT_ERRORS)) {
          if (round >= this.maxRounds) {
            outcomes.push(...pending.map((record) => retryable(record, errorName(error))));
            return outcomes;
          }
          await this.backoff(round);
          continue;
        }
        if (isOneOf(error, RECORD_LEVEL_ERRORS)) {
          if (pending.length === 1) {
            outcomes.push(rejected(pending[0] as MeteringRecord, errorName(error)));
            return outcomes;
          }
          const middle = Math.ceil(pending.length / 2);
          outcomes.push(...(await this.submitBatch(productCode, pending.slice(0, middle))));
          outcomes.push(...(await this.submitBatch(productCode, pending.slice(middle))));
          return outcomes;
        }
        // Call-level or unknown: nothing can be isolated; keep them for the next run.
        outcomes.push(...pending.map((record) => retryable(record, errorName(error))));
        return outcomes;
      }
      const byIdentity = new Map(pending.map((record) => [identityOf(record), record]));
      for (const result of output.Results ?? []) {
        const key = result.UsageRecord === undefined ? undefined : identityOfUsage(result.UsageRecord);
        const record = key === undefined ? undefined : byIdentity.get(key);
        if (record === undefined || key === undefined) continue;
        byIdentity.delete(key);
        if (result.Status === 'Success' && result.MeteringRecordId) {
          outcomes.push({ kind: 'accepted', record, meteringRecordId: result.MeteringRecordId });
        } else if (result.Status === 'DuplicateRecord') {
          outcomes.push({ kind: 'duplicate', record, reason: 'DuplicateRecord' });
        } else {
          outcomes.push(rejected(record, result.Status ?? 'UnknownStatus'));
        }
      }
      const unprocessed = new Set((output.UnprocessedRecords ?? []).map(identityOfUsage));
      pending = [...byIdentity.entries()].filter(([key]) => unprocessed.has(key)).map(([, r]) => r);
      // Records neither answered nor listed as unprocessed: undecided, resend next run.
      for (const [key, record] of byIdentity) {
        if (!unprocessed.has(key)) outcomes.push(retryable(record, 'MissingFromResponse'));
      }
      if (pending.length > 0) {
        if (round >= this.maxRounds) {
          outcomes.push(...pending.map((record) => retryable(record, 'UnprocessedRecords')));
          return outcomes;
        }
        await this.backoff(round);
      }
    }
    return outcomes;
  }

  private call(productCode: string, records: MeteringRecord[]): Promise<BatchMeterUsageCommandOutput> {
    this.onCall?.(productCode, records.length);
    return this.client.send(
      new BatchMeterUsageCommand({
        ...(this.sendProductCode ? { ProductCode: productCode } : {}),
        UsageRecords: records.map((record) => this.toUsageRecord(record)),
      }),
    );
  }

  private toUsageRecord(record: MeteringRecord): UsageRecord {
    const usage: UsageRecord = {
      CustomerAWSAccountId: record.customer.customerAwsAccountId,
      LicenseArn: record.customer.licenseArn,
      Dimension: record.dimension,
      Timestamp: record.hour,
      Quantity: record.quantity,
    };
    if (this.tagAllocations && record.quantity > 0) {
      usage.UsageAllocations = [
        { AllocatedUsageQuantity: record.quantity, Tags: [{ Key: 'tenantId', Value: record.tenantId }] },
      ];
    }
    return usage;
  }

  private backoff(round: number): Promise<void> {
    return this.sleep(backoffDelayMs(this.backoffPolicy, round));
  }
}

/** Identity of a record at Marketplace: customer + license + dimension + hour (one record each). */
function recordIdentity(r: {
  customerAwsAccountId: string;
  licenseArn: string;
  dimension: string;
  hour: Date;
}): string {
  return `${r.customerAwsAccountId}|${r.licenseArn}|${r.dimension}|${r.hour.toISOString()}`;
}

function identityOf(record: MeteringRecord): string {
  return recordIdentity({
    customerAwsAccountId: record.customer.customerAwsAccountId,
    licenseArn: record.customer.licenseArn,
    dimension: record.dimension,
    hour: record.hour,
  });
}

function identityOfUsage(usage: UsageRecord): string {
  return recordIdentity({
    customerAwsAccountId: usage.CustomerAWSAccountId ?? '',
    licenseArn: usage.LicenseArn ?? '',
    dimension: usage.Dimension ?? '',
    hour: usage.Timestamp instanceof Date ? usage.Timestamp : new Date(usage.Timestamp ?? 0),
  });
}

function retryable(record: MeteringRecord, reason: string): RecordOutcome {
  return { kind: 'retryable', record, reason };
}

function rejected(record: MeteringRecord, reason: string): RecordOutcome {
  return { kind: 'rejected', record, reason };
}

function isOneOf(error: unknown, classes: readonly (abstract new (...args: never[]) => Error)[]): boolean {
  return classes.some((cls) => error instanceof cls);
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'UnknownError';
}
