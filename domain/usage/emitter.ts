import { type KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { type BackoffPolicy, backoffDelayMs, sleep as realSleep, type Sleep } from '../aws/backoff';
import type { TenantryConfig } from '../config';
import { TenantryError } from '../errors';
import { isVerifiedTenantRequest, type TenantRequest } from '../identity/request-context';
import { UnverifiedUsageRequestError, UsageTenantMismatchError } from './errors';
import { parseUsageEvent, type UsageEvent } from './event';

/**
 * The application plane's usage client (the contract: domain/usage/README.md). It runs in the
 * platform's service roles, never with tenant credentials, and emits usage for the tenant of a
 * verified request context (`tenantRequestFrom`) only: the tenant of every event is the request's.
 * It validates each event with the shared schema (a bad event throws before anything is sent) and
 * writes to Kinesis Data Streams with the tenant as partition key, in PutRecords batches of at most
 * 500, retrying failed records. Never a silent drop: records still failing after the last attempt are
 * returned in the error.
 */
const MAX_RECORDS_PER_PUT = 500;

/**
 * Failed records are mostly a shard's write throughput exceeded for a moment: the first retry waits
 * up to 100 ms, each later one doubles that, up to 2 s.
 */
const FAILED_RECORDS_BACKOFF: BackoffPolicy = { baseMs: 100, capMs: 2_000 };

export class UsageEmitError extends TenantryError {
  constructor(
    message: string,
    readonly failed: readonly { event: UsageEvent; errorCode: string; errorMessage: string }[],
  ) {
    super(message, { failedCount: failed.length, firstErrorCode: failed[0]?.errorCode });
  }
}

export interface UsageEmitterOptions {
  readonly client: KinesisClient;
  readonly streamName: string;
  /** The stream's ARN: when given, PutRecords names the stream by it (a stream of another account). */
  readonly streamArn?: string;
  readonly config: TenantryConfig;
  /** PutRecords attempts per batch (default 5). */
  readonly maxAttempts?: number;
  readonly sleep?: Sleep;
  readonly now?: () => Date;
}

/** What a service reports: a usage event without its tenant, or naming the request's own tenant. */
export type UsageRecord = Omit<UsageEvent, 'tenantId'> & { readonly tenantId?: string };

export class UsageEmitter {
  constructor(private readonly options: UsageEmitterOptions) {}

  /**
   * Validates then sends usage of the request's tenant; resolves with the number of records written.
   * Refuses (before sending anything) a request context `tenantRequestFrom` did not build, and an
   * event naming another tenant.
   */
  async emit(request: TenantRequest, usage: readonly UsageRecord[]): Promise<number> {
    if (!isVerifiedTenantRequest(request)) throw new UnverifiedUsageRequestError(String(request.tenantId));
    const tenantId = request.tenantId;
    const now = this.options.now?.() ?? new Date();
    const valid = usage.map((record) => {
      if (record.tenantId !== undefined && record.tenantId !== tenantId) {
        throw new UsageTenantMismatchError(tenantId, String(record.tenantId), String(record.eventId));
      }
      return parseUsageEvent({ ...record, tenantId }, { config: this.options.config, now });
    });
    for (let i = 0; i < valid.length; i += MAX_RECORDS_PER_PUT) {
      try {
        await this.sendBatch(valid.slice(i, i + MAX_RECORDS_PER_PUT));
      } catch (error) {
        // Name every event that is not known to be written: this batch's failures and every later
        // batch. Resending them is safe: the metering job deduplicates on (tenantId, eventId).
        if (!(error instanceof UsageEmitError)) throw error;
        const notAttempted = valid.slice(i + MAX_RECORDS_PER_PUT).map((event) => ({
          event,
          errorCode: 'NotAttempted',
          errorMessage: 'an earlier batch failed',
        }));
        throw new UsageEmitError(`${error.message}; ${notAttempted.length} later record(s) not attempted`, [
          ...error.failed,
          ...notAttempted,
        ]);
      }
    }
    return valid.length;
  }

  private async sendBatch(batch: UsageEvent[]): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    const sleep = this.options.sleep ?? realSleep;
    let pending = batch;
    let lastFailures: { event: UsageEvent; errorCode: string; errorMessage: string }[] = [];
    for (let attempt = 1; attempt <= maxAttempts && pending.length > 0; attempt++) {
      if (attempt > 1) await sleep(backoffDelayMs(FAILED_RECORDS_BACKOFF, attempt - 1));
      const records: PutRecordsRequestEntry[] = pending.map((event) => ({
        PartitionKey: event.tenantId,
        Data: new TextEncoder().encode(JSON.stringify(event)),
      }));
      let results: { ErrorCode?: string; ErrorMessage?: string }[];
      try {
        const response = await this.options.client.send(
          new PutRecordsCommand({
            ...(this.options.streamArn === undefined
              ? { StreamName: this.options.streamName }
              : { StreamARN: this.options.streamArn }),
            Records: records,
          }),
        );
        results = response.Records ?? [];
      } catch (error) {
        // The whole call failed after the SDK's own retries (throttling, network): every record of
        // this attempt is unwritten; retry them all, and report them if attempts run out.
        const { name, message } = error as Error;
        lastFailures = pending.map((event) => ({ event, errorCode: name, errorMessage: message }));
        continue;
      }
      if (results.length !== pending.length) {
        throw new UsageEmitError(
          `PutRecords answered ${results.length} results for ${pending.length} records`,
          pending.map((event) => ({
            event,
            errorCode: 'UnknownOutcome',
            errorMessage: 'result count mismatch',
          })),
        );
      }
      lastFailures = [];
      const retry: UsageEvent[] = [];
      results.forEach((result, i) => {
        const event = pending[i] as UsageEvent;
        if (result.ErrorCode) {
          retry.push(event);
          lastFailures.push({ event, errorCode: result.ErrorCode, errorMessage: result.ErrorMessage ?? '' });
        }
      });
      pending = retry;
    }
    if (pending.length > 0) {
      throw new UsageEmitError(
        `${pending.length} usage record(s) not accepted by ${this.options.streamName} after ${maxAttempts} attempts (first: ${lastFailures[0]?.errorCode})`,
        lastFailures,
      );
    }
  }
}
