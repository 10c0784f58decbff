/**
 * A local fake of AWS Marketplace Metering's BatchMeterUsage (moto's rejects every record and crashes
 * on CustomerAWSAccountId). Speaks the real wire protocol (AWS JSON 1.1, target
 * `AWSMPMeteringService.BatchMeterUsage`), so the real SDK client talks to it through
 * `AWS_ENDPOINT_URL_MARKETPLACE_METERING`. Rules enforced, as documented for the real API:
 *  - 1..25 UsageRecords per call (else ValidationException), body < 1 MB;
 *  - one product per call: every record's license must belong to the same product, and to the
 *    request's ProductCode when one is given (else InvalidProductCodeException);
 *  - integer Quantity in [0, 2147483647] (else ValidationException);
 *  - CustomerAWSAccountId (12 digits) + LicenseArn; CustomerIdentifier is refused for this (new)
 *    integration (InvalidCustomerIdentifierException), a missing/unknown-format LicenseArn is
 *    InvalidLicenseException; a license not entitled to the account → result CustomerNotSubscribed;
 *  - Timestamp not in the future and less than 6 hours old ("Usage records aren't accepted 6 hours
 *    or more after an event", BatchMeterUsage API reference; this also ends a month's usage before
 *    06:00 UTC on the 1st): ONE bad timestamp rejects the WHOLE batch (TimestampOutOfBoundsException,
 *    an API exception, not a per-record status; there is no "InvalidUsageDateException");
 *  - Dimension must be one of the product's dimensions (InvalidUsageDimensionException);
 *  - UsageAllocations: ≤ 2500, summing to Quantity (InvalidUsageAllocationsException), ≤ 5 tags of
 *    valid keys/values each (InvalidTagException);
 *  - identical record (customer+license+dimension+hour, same quantity) → Success with the SAME
 *    MeteringRecordId (idempotent); same key, different quantity → DuplicateRecord;
 *  - injectable: ThrottlingException (rate or next N calls), UnprocessedRecords (rate or next N),
 *    any exception for the next call (e.g. DisabledApiException, InternalServiceErrorException).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { prng } from '../../flink/events';

export interface Entitlement {
  readonly customerAwsAccountId: string;
  readonly productCode: string;
}

export interface StoredRecord {
  readonly productCode: string;
  readonly customerAwsAccountId: string;
  readonly licenseArn: string;
  readonly dimension: string;
  readonly timestamp: string;
  readonly quantity: number;
  readonly meteringRecordId: string;
  readonly allocations: unknown[] | undefined;
}

export interface CallLog {
  readonly at: string;
  readonly productCode: string | undefined;
  readonly records: number;
  /** The timestamps of the call's records as received (ISO), accepted or not. */
  readonly timestamps: readonly string[];
  readonly outcome: string;
}

export interface FakeFaults {
  /** Probability (0..1) that a call fails with ThrottlingException. */
  throttleRate: number;
  /** Probability (0..1) that a valid record is returned in UnprocessedRecords. */
  unprocessedRate: number;
  /** The next N calls fail with ThrottlingException. */
  throttleNext: number;
  /** The next N valid records are returned unprocessed. */
  unprocessedNext: number;
  /** Exceptions thrown by the next calls, in order ({name, status?}). */
  errorQueue: { name: string; message?: string; status?: number }[];
}

export interface MarketplaceFakeState {
  /** licenseArn → entitlement. Unknown licenses get CustomerNotSubscribed. */
  readonly licenses: Map<string, Entitlement>;
  /** productCode → allowed dimensions (a product not listed accepts any dimension). */
  readonly products: Map<string, Set<string>>;
  /** Accepted records by identity `account|license|dimension|timestampIso`. */
  readonly records: Map<string, StoredRecord>;
  readonly calls: CallLog[];
  readonly faults: FakeFaults;
  /** The fake's clock (timestamps are validated against it). */
  now: () => Date;
  /** Counts of records by result status across all calls. */
  readonly statusCounts: Record<string, number>;
  /** Entitles the customer account to the license (a subscribed customer, as a tenant's Marketplace identity names it). */
  subscribe(identity: Entitlement & { readonly licenseArn: string }): void;
  reset(): void;
}

export interface MarketplaceFake {
  readonly url: string;
  readonly state: MarketplaceFakeState;
  stop(): Promise<void>;
}

class FakeError extends Error {
  public constructor(
    public readonly type: string,
    message: string,
    public readonly status = 400,
  ) {
    super(message);
  }
}

const MAX_RECORDS = 25;
const MAX_BODY = 1024 * 1024;
const HOUR = 3_600_000;
const LICENSE_ARN = /^arn:aws[a-z-]*:license-manager::\d{12}:license:l-[0-9a-z]+$/;
const TAG_KEY = /^[a-zA-Z0-9+ \-=._:\\/@]{1,100}$/;
const TAG_VALUE = /^[a-zA-Z0-9+ \-=._:\\/@]{1,256}$/;

function createFakeState(seed = 42): MarketplaceFakeState {
  // deterministic fault injection
  const random = prng(seed);
  const state: MarketplaceFakeState & { random: () => number } = {
    licenses: new Map(),
    products: new Map(),
    records: new Map(),
    calls: [],
    faults: { throttleRate: 0, unprocessedRate: 0, throttleNext: 0, unprocessedNext: 0, errorQueue: [] },
    now: () => new Date(),
    statusCounts: {},
    random,
    subscribe({ licenseArn, customerAwsAccountId, productCode }) {
      state.licenses.set(licenseArn, { customerAwsAccountId, productCode });
    },
    reset() {
      state.records.clear();
      state.calls.length = 0;
      Object.assign(state.faults, {
        throttleRate: 0,
        unprocessedRate: 0,
        throttleNext: 0,
        unprocessedNext: 0,
        errorQueue: [],
      });
      for (const key of Object.keys(state.statusCounts)) delete state.statusCounts[key];
    },
  };
  return state;
}

/** Starts the fake on 127.0.0.1 (`port` 0 = any free port). */
export async function startMarketplaceFake(
  options: { port?: number; seed?: number; state?: MarketplaceFakeState } = {},
): Promise<MarketplaceFake> {
  const state = options.state ?? createFakeState(options.seed);
  const server = createServer((req, res) => {
    handle(state, req, res).catch((error: unknown) => {
      send(res, 500, { __type: 'InternalServiceErrorException', message: String(error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function handle(state: MarketplaceFakeState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    chunks.push(chunk as Buffer);
  }
  const target = String(req.headers['x-amz-target'] ?? '');
  let productCode: string | undefined;
  let count = 0;
  let timestamps: string[] = [];
  try {
    if (req.method !== 'POST' || target !== 'AWSMPMeteringService.BatchMeterUsage') {
      throw new FakeError(
        'UnknownOperationException',
        `the fake serves only BatchMeterUsage (got ${target || req.method})`,
      );
    }
    if (size >= MAX_BODY)
      throw new FakeError('ValidationException', 'request body must be smaller than 1 MB');
    let body: { UsageRecords?: unknown; ProductCode?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new FakeError('SerializationException', 'body is not JSON');
    }
    productCode = typeof body.ProductCode === 'string' ? body.ProductCode : undefined;
    count = Array.isArray(body.UsageRecords) ? body.UsageRecords.length : 0;
    timestamps = receivedTimestamps(body.UsageRecords);
    const result = batchMeterUsage(state, body);
    state.calls.push({
      at: state.now().toISOString(),
      productCode: result.productCode,
      records: count,
      timestamps,
      outcome: 'ok',
    });
    send(res, 200, result.body);
  } catch (error) {
    if (!(error instanceof FakeError)) throw error;
    state.calls.push({
      at: state.now().toISOString(),
      productCode,
      records: count,
      timestamps,
      outcome: error.type,
    });
    res.setHeader('x-amzn-ErrorType', error.type);
    send(res, error.status, { __type: error.type, message: error.message });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

interface WireRecord {
  Timestamp?: unknown;
  CustomerIdentifier?: unknown;
  CustomerAWSAccountId?: unknown;
  LicenseArn?: unknown;
  Dimension?: unknown;
  Quantity?: unknown;
  UsageAllocations?: unknown;
}

function batchMeterUsage(
  state: MarketplaceFakeState,
  body: { UsageRecords?: unknown; ProductCode?: unknown },
): { productCode: string | undefined; body: unknown } {
  const injected = state.faults.errorQueue.shift();
  if (injected)
    throw new FakeError(
      injected.name,
      injected.message ?? `injected ${injected.name}`,
      injected.status ?? (injected.name === 'InternalServiceErrorException' ? 500 : 400),
    );
  const random = (state as MarketplaceFakeState & { random: () => number }).random;
  if (state.faults.throttleNext > 0) {
    state.faults.throttleNext--;
    throw new FakeError('ThrottlingException', 'Rate exceeded (injected)');
  }
  if (state.faults.throttleRate > 0 && random() < state.faults.throttleRate) {
    throw new FakeError('ThrottlingException', 'Rate exceeded (injected)');
  }
  const records = body.UsageRecords;
  if (!Array.isArray(records) || records.length === 0 || records.length > MAX_RECORDS) {
    throw new FakeError(
      'ValidationException',
      `1 validation error detected: 'usageRecords' must have length between 1 and ${MAX_RECORDS} (got ${Array.isArray(records) ? records.length : 'none'})`,
    );
  }
  const now = state.now();
  // Whole-batch validation first: any failure rejects every record.
  const products = new Set<string>();
  const parsed = (records as WireRecord[]).map((r, i) => {
    if (typeof r.Dimension !== 'string' || r.Dimension.length === 0) {
      throw new FakeError('ValidationException', `usageRecords.${i}.dimension is required`);
    }
    const quantity = r.Quantity ?? 0;
    if (
      typeof quantity !== 'number' ||
      !Number.isInteger(quantity) ||
      quantity < 0 ||
      quantity > 2_147_483_647
    ) {
      throw new FakeError(
        'ValidationException',
        `usageRecords.${i}.quantity must be an integer in [0, 2147483647] (got ${String(quantity)})`,
      );
    }
    if (r.CustomerIdentifier !== undefined) {
      throw new FakeError(
        'InvalidCustomerIdentifierException',
        'CustomerIdentifier is not supported for this product: use CustomerAWSAccountId and LicenseArn',
      );
    }
    if (typeof r.CustomerAWSAccountId !== 'string' || !/^\d{12}$/.test(r.CustomerAWSAccountId)) {
      throw new FakeError(
        'InvalidCustomerIdentifierException',
        `usageRecords.${i}: CustomerAWSAccountId must be a 12-digit account id`,
      );
    }
    if (typeof r.LicenseArn !== 'string' || !LICENSE_ARN.test(r.LicenseArn)) {
      throw new FakeError('InvalidLicenseException', `usageRecords.${i}: LicenseArn is missing or malformed`);
    }
    if (typeof r.Timestamp !== 'number' || !Number.isFinite(r.Timestamp)) {
      throw new FakeError('ValidationException', `usageRecords.${i}.timestamp is required`);
    }
    const timestamp = new Date(r.Timestamp * 1000);
    if (!timestampAccepted(timestamp, now)) {
      throw new FakeError(
        'TimestampOutOfBoundsException',
        `usageRecords.${i}: timestamp ${timestamp.toISOString()} is outside the accepted window at ${now.toISOString()}`,
      );
    }
    const license = state.licenses.get(r.LicenseArn);
    const entitled = license !== undefined && license.customerAwsAccountId === r.CustomerAWSAccountId;
    if (license !== undefined) products.add(license.productCode);
    const allocations = r.UsageAllocations;
    if (allocations !== undefined) validateAllocations(allocations, quantity, i);
    return {
      raw: r,
      dimension: r.Dimension,
      quantity,
      timestamp,
      account: r.CustomerAWSAccountId,
      licenseArn: r.LicenseArn,
      productCode: license?.productCode,
      entitled,
      allocations: allocations as unknown[] | undefined,
    };
  });
  const requestProduct = typeof body.ProductCode === 'string' ? body.ProductCode : undefined;
  if (products.size > 1) {
    throw new FakeError(
      'InvalidProductCodeException',
      `records span ${products.size} products (${[...products].join(', ')}): one product per call`,
    );
  }
  const productCode = requestProduct ?? [...products][0];
  if (requestProduct !== undefined && products.size === 1 && !products.has(requestProduct)) {
    throw new FakeError(
      'InvalidProductCodeException',
      `ProductCode ${requestProduct} does not match the records' licenses`,
    );
  }
  for (const [i, r] of parsed.entries()) {
    const allowed = r.productCode === undefined ? undefined : state.products.get(r.productCode);
    if (allowed !== undefined && !allowed.has(r.dimension)) {
      throw new FakeError(
        'InvalidUsageDimensionException',
        `usageRecords.${i}: dimension ${r.dimension} is not defined for product ${r.productCode}`,
      );
    }
  }
  const results: unknown[] = [];
  const unprocessed: unknown[] = [];
  for (const r of parsed) {
    if (
      state.faults.unprocessedNext > 0 ||
      (state.faults.unprocessedRate > 0 && random() < state.faults.unprocessedRate)
    ) {
      if (state.faults.unprocessedNext > 0) state.faults.unprocessedNext--;
      unprocessed.push(r.raw);
      count(state, 'Unprocessed');
      continue;
    }
    if (!r.entitled || r.productCode === undefined) {
      results.push({ UsageRecord: r.raw, Status: 'CustomerNotSubscribed' });
      count(state, 'CustomerNotSubscribed');
      continue;
    }
    const id = `${r.account}|${r.licenseArn}|${r.dimension}|${r.timestamp.toISOString()}`;
    const existing = state.records.get(id);
    if (existing !== undefined) {
      if (existing.quantity === r.quantity) {
        results.push({ UsageRecord: r.raw, MeteringRecordId: existing.meteringRecordId, Status: 'Success' });
        count(state, 'Success');
      } else {
        results.push({ UsageRecord: r.raw, Status: 'DuplicateRecord' });
        count(state, 'DuplicateRecord');
      }
      continue;
    }
    const stored: StoredRecord = {
      productCode: r.productCode,
      customerAwsAccountId: r.account,
      licenseArn: r.licenseArn,
      dimension: r.dimension,
      timestamp: r.timestamp.toISOString(),
      quantity: r.quantity,
      meteringRecordId: randomUUID(),
      allocations: r.allocations,
    };
    state.records.set(id, stored);
    results.push({ UsageRecord: r.raw, MeteringRecordId: stored.meteringRecordId, Status: 'Success' });
    count(state, 'Success');
  }
  return { productCode, body: { Results: results, UnprocessedRecords: unprocessed } };
}

function count(state: MarketplaceFakeState, status: string): void {
  state.statusCounts[status] = (state.statusCounts[status] ?? 0) + 1;
}

function receivedTimestamps(records: unknown): string[] {
  if (!Array.isArray(records)) return [];
  return records
    .map((r: WireRecord) => r.Timestamp)
    .filter((t): t is number => typeof t === 'number' && Number.isFinite(t))
    .map((t) => new Date(t * 1000).toISOString());
}

/** Marketplace refuses a record 6 hours or more after its timestamp. */
const ACCEPTANCE_MS = 6 * HOUR;

/** Not in the future; less than 6 hours old. */
function timestampAccepted(timestamp: Date, now: Date): boolean {
  const age = now.getTime() - timestamp.getTime();
  return age >= 0 && age < ACCEPTANCE_MS;
}

function validateAllocations(value: unknown, quantity: number, i: number): void {
  if (!Array.isArray(value) || value.length === 0 || value.length > 2500) {
    throw new FakeError('InvalidUsageAllocationsException', `usageRecords.${i}: 1 to 2500 UsageAllocations`);
  }
  let sum = 0;
  for (const allocation of value as { AllocatedUsageQuantity?: unknown; Tags?: unknown }[]) {
    const q = allocation.AllocatedUsageQuantity;
    if (typeof q !== 'number' || !Number.isInteger(q) || q < 0) {
      throw new FakeError(
        'InvalidUsageAllocationsException',
        `usageRecords.${i}: AllocatedUsageQuantity must be a non-negative integer`,
      );
    }
    sum += q;
    const tags = allocation.Tags ?? [];
    if (!Array.isArray(tags) || tags.length > 5)
      throw new FakeError('InvalidTagException', `usageRecords.${i}: at most 5 tags per allocation`);
    for (const tag of tags as { Key?: unknown; Value?: unknown }[]) {
      if (
        typeof tag.Key !== 'string' ||
        !TAG_KEY.test(tag.Key) ||
        typeof tag.Value !== 'string' ||
        !TAG_VALUE.test(tag.Value)
      ) {
        throw new FakeError('InvalidTagException', `usageRecords.${i}: invalid tag ${JSON.stringify(tag)}`);
      }
    }
  }
  if (sum !== quantity) {
    throw new FakeError(
      'InvalidUsageAllocationsException',
      `usageRecords.${i}: allocations sum to ${sum}, quantity is ${quantity}`,
    );
  }
}
