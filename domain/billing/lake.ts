/**
 * Reading the usage lake (S3): the raw events Firehose lands (`raw/dt=YYYY-MM-DD/hour=HH/`, GZIP —
 * the system of record; layout from infra/metering-stack.ts) and the events the Flink job found late
 * (`metering/late/`). Adjustments and reconciliation read both through here.
 */
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { toMicro } from './decimal';
import { BillingDataError } from './errors';

/** The Flink late sink's prefix in the lake (`<lakeUri>/late`). */
export const LATE_SINK_PREFIX = 'metering/late/';

/** Firehose's raw-lake prefix for one UTC hour: `raw/dt=YYYY-MM-DD/hour=HH/`. */
export function rawLakeHourPrefix(hour: Date): string {
  const iso = hour.toISOString();
  return `raw/dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/`;
}

/** Every line of every object under `prefix` (GZIP or plain), objects modified since `since` only. */
export async function readLakeLines(
  s3: S3Client,
  bucket: string,
  prefix: string,
  since?: Date,
): Promise<string[]> {
  const lines: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const object of page.Contents ?? []) {
      if (object.Key === undefined) continue;
      if (since !== undefined && object.LastModified !== undefined && object.LastModified < since) continue;
      const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
      const bytes = Buffer.from((await body.Body?.transformToByteArray()) ?? new Uint8Array());
      // Firehose writes GZIP objects (metering stack); plain JSON lines are read as they are.
      const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
      for (const line of text.split('\n')) if (line.trim() !== '') lines.push(line.trim());
    }
  }
  return lines;
}

/** One row of the Flink late sink. */
export interface LateEvent {
  readonly eventId: string;
  readonly tenantId: string;
  readonly metric: string;
  readonly eventTime: Date;
  readonly quantityMicro: bigint;
}

/** Parses a late-sink JSON line; the quantity is read as its literal text (exact, never a double). */
export function parseLateLine(line: string): LateEvent {
  let row: Record<string, unknown>;
  try {
    row = JSON.parse(line.replace(/"quantity":(-?[0-9][0-9.eE+-]*)/, '"quantity":"$1"')) as Record<
      string,
      unknown
    >;
  } catch (error) {
    throw new BillingDataError(`late-sink line is not JSON: ${line.slice(0, 200)}`, {}, { cause: error });
  }
  const eventTime = new Date(String(row.eventTime));
  if (typeof row.eventId !== 'string' || typeof row.tenantId !== 'string' || typeof row.metric !== 'string') {
    throw new BillingDataError(`late-sink line lacks eventId/tenantId/metric: ${line.slice(0, 200)}`);
  }
  if (Number.isNaN(eventTime.getTime())) {
    throw new BillingDataError(`late-sink line ${row.eventId} has no valid eventTime`);
  }
  return {
    eventId: row.eventId,
    tenantId: row.tenantId,
    metric: row.metric,
    eventTime,
    quantityMicro: toMicro(String(row.quantity), `late event ${row.eventId} quantity`),
  };
}

/** The late events in the lake; only those of objects written since `since`, when given. */
export async function readLateEvents(
  s3: S3Client,
  bucket: string,
  options: { prefix?: string; since?: Date } = {},
): Promise<LateEvent[]> {
  const lines = await readLakeLines(s3, bucket, options.prefix ?? LATE_SINK_PREFIX, options.since);
  return lines.map(parseLateLine);
}
