import type { MarketplaceIdentity } from '../tenant/tenant';

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

/** Identity of a record at the provider: customer + license + dimension + hour. */
export function recordIdentity(r: {
  customerAwsAccountId: string;
  licenseArn: string;
  dimension: string;
  hour: Date;
}): string {
  return `${r.customerAwsAccountId}|${r.licenseArn}|${r.dimension}|${r.hour.toISOString()}`;
}

export const MAX_RECORDS_PER_CALL = 25;

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
