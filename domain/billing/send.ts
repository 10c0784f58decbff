/**
 * Step 4 of the billing run — send: every PENDING entry (new, or left by an earlier run: crash,
 * throttling) goes to the billing provider unchanged, unless it is past Marketplace's acceptance
 * deadline (then it is EXPIRED, never sent); entries close to the deadline raise the near-expiry alert.
 * Defines what a billing provider receives and answers (marketplace-provider.ts is the AWS one).
 */
import type { TenantryConfig } from '../config';
import type { MarketplaceIdentity } from '../tenant/tenant';
import type { BillingAlerts } from './alerts';
import { BillingDataError } from './errors';
import { entryKey, type LedgerEntry } from './ledger';
import { acceptanceDeadline, hourIso, isNearExpiry } from './windows';

/** One integer quantity of one dimension for one tenant and one hour: what a billing provider receives. */
export interface MeteringRecord {
  readonly tenantId: string;
  readonly dimension: string;
  /** Start of the billed UTC hour (the record's timestamp). */
  readonly hour: Date;
  /** Integer dimension units (≥ 0; zero records are sent for subscribed tenants without usage). */
  readonly quantity: number;
  readonly customer: MarketplaceIdentity;
}

/** What became of one record at the provider. */
export type RecordOutcome =
  | { readonly kind: 'accepted'; readonly record: MeteringRecord; readonly meteringRecordId: string }
  /** The provider already holds a different quantity for this customer+dimension+hour. */
  | { readonly kind: 'duplicate'; readonly record: MeteringRecord; readonly reason: string }
  /** Definitively refused (not subscribed, invalid license, bad timestamp...): never resend as is. */
  | { readonly kind: 'rejected'; readonly record: MeteringRecord; readonly reason: string }
  /** Not decided (throttled, service error, unprocessed after retries): send again later, unchanged. */
  | { readonly kind: 'retryable'; readonly record: MeteringRecord; readonly reason: string };

/** Submits integer usage records to a billing system and reports every record's outcome. */
export interface BillingProvider {
  readonly name: string;
  submit(records: readonly MeteringRecord[]): Promise<RecordOutcome[]>;
}

/** Do not send a record this close to its acceptance deadline (clock skew, request time). */
const DEADLINE_SAFETY_MS = 5 * 60_000;

/** Marketplace still accepts, at `now`, the record of `hour` (with a safety margin), and it is not in the future. */
export function isSendable(config: TenantryConfig, hour: Date, now: Date): boolean {
  return acceptanceDeadline(config, hour).getTime() - DEADLINE_SAFETY_MS > now.getTime() && hour <= now;
}

export interface SendResult {
  /** Past the acceptance deadline: not sent. */
  readonly expired: LedgerEntry[];
  readonly sent: LedgerEntry[];
  /** The provider's answer for each sent entry. */
  readonly answers: { readonly entry: LedgerEntry; readonly outcome: RecordOutcome }[];
  /** Sent entries `billing.alertAgeHours` old or older. */
  readonly nearExpiry: number;
}

export async function sendPending(
  deps: { config: TenantryConfig; provider: BillingProvider; alerts: BillingAlerts },
  pending: readonly LedgerEntry[],
  now: Date,
): Promise<SendResult> {
  const expired: LedgerEntry[] = [];
  const sent: LedgerEntry[] = [];
  for (const entry of pending) {
    if (!isSendable(deps.config, new Date(entry.hour), now)) {
      expired.push(entry);
      continue;
    }
    sent.push(entry);
  }
  const near = sent.filter((e) => isNearExpiry(deps.config, new Date(e.hour), now));
  if (near.length > 0) {
    const hours = [...new Set(near.map((e) => e.hour))];
    await deps.alerts.emit({ type: 'BillingRecordsNearExpiry', detail: { records: near.length, hours } });
  }
  const outcomes = sent.length === 0 ? [] : await deps.provider.submit(sent.map(toRecord));
  const byKey = new Map(sent.map((e) => [entryKey(e.tenantId, e.dimension, e.hour), e]));
  const answers = outcomes.map((outcome) => {
    const { record } = outcome;
    const entry = byKey.get(entryKey(record.tenantId, record.dimension, hourIso(record.hour)));
    if (entry === undefined) {
      throw new BillingDataError(`provider answered for a record it was not sent: ${record.tenantId}`, {
        tenantId: record.tenantId,
        dimension: record.dimension,
      });
    }
    return { entry, outcome };
  });
  return { expired, sent, answers, nearExpiry: near.length };
}

function toRecord(entry: LedgerEntry): MeteringRecord {
  return {
    tenantId: entry.tenantId,
    dimension: entry.dimension,
    hour: new Date(entry.hour),
    quantity: entry.units,
    customer: {
      customerAwsAccountId: entry.customerAwsAccountId,
      licenseArn: entry.licenseArn,
      productCode: entry.productCode,
    },
  };
}
