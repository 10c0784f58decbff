// `tenantry usage ID [--day D | --hour H]`: counters per metric, late and rejected events from the lake.
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchPutDocuments } from '../../../../domain/aws/batch';
import { documentClient, s3ClientConfig } from '../../../../domain/aws/clients';
import { defaultConfig } from '../../../../domain/config';
import { lakeBucketName } from '../../../../domain/naming';
import { tableName } from '../../../../domain/tables';
import { newTenant } from '../../../../domain/tenant/tenant';
import { counterItem } from '../../../../domain/usage/counters';
import { provisionLocalControlPlane } from '../../../../local/control-plane';
import { resetLocalAws, useLocalAws } from '../../support';
import { cli, json } from '../support';

const config = defaultConfig;
const H9 = new Date('2026-11-20T09:00:00.000Z');
const H10 = new Date('2026-11-20T10:00:00.000Z');
const H11 = new Date('2026-11-20T11:00:00.000Z');
const bucket = lakeBucketName(config, '123456789012', 'us-east-1');

const hourTotal = (tenantId: string, metric: string, start: Date, quantity: string, eventCount: number) =>
  counterItem({
    tenantId,
    metric,
    granularity: 'HOUR',
    windowStart: start,
    windowEnd: new Date(start.getTime() + 3_600_000),
    quantity,
    eventCount,
  });

beforeAll(async () => {
  useLocalAws();
  await resetLocalAws();
  await provisionLocalControlPlane(config);
  const docs = documentClient();
  for (const tenantId of ['user-a', 'user-b'])
    await docs.send(
      new PutCommand({
        TableName: tableName(config, 'catalog'),
        Item: newTenant({ tenantId, name: tenantId, tier: 'pro', isolation: 'pool', region: 'us-east-1' }),
      }),
    );
  await batchPutDocuments(docs, tableName(config, 'counters'), [
    hourTotal('user-a', 'api.call', H9, '1200', 12),
    hourTotal('user-a', 'api.call', H10, '300.5', 3),
    hourTotal('user-a', 'doc.processed', H10, '7', 7),
    hourTotal('user-b', 'api.call', H10, '999', 9),
  ]);
  const s3 = new S3Client(s3ClientConfig());
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const late = (eventId: string, tenantId: string, eventTime: string) =>
    JSON.stringify({
      eventId,
      tenantId,
      metric: 'api.call',
      quantity: 1,
      eventTime,
      watermarkTime: eventTime,
    });
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'metering/late/part-0.json',
      Body: [
        late('e1', 'user-a', '2026-11-20T10:10:00.000Z'),
        late('e2', 'user-a', '2026-11-20T09:59:00.000Z'),
        late('e3', 'user-b', '2026-11-20T10:20:00.000Z'),
      ].join('\n'),
    }),
  );
  const rejected = (reason: string, line: string, receivedAt: string) =>
    JSON.stringify({ reason, line, receivedAt });
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'metering/rejected/part-0.json',
      Body: [
        rejected(
          'UNKNOWN_METRIC',
          JSON.stringify({ tenantId: 'user-a', metric: 'x' }),
          '2026-11-20T10:01:00.000Z',
        ),
        rejected(
          'UNKNOWN_METRIC',
          JSON.stringify({ tenantId: 'user-a', metric: 'y' }),
          '2026-11-20T10:02:00.000Z',
        ),
        rejected(
          'NEGATIVE_QUANTITY',
          JSON.stringify({ tenantId: 'user-a', quantity: -1 }),
          '2026-11-20T10:03:00.000Z',
        ),
        rejected('MALFORMED', 'not json', '2026-11-20T10:04:00.000Z'),
        rejected(
          'UNKNOWN_METRIC',
          JSON.stringify({ tenantId: 'user-b', metric: 'x' }),
          '2026-11-20T10:05:00.000Z',
        ),
      ].join('\n'),
    }),
  );
});

describe('tenantry usage', () => {
  it('--hour: the hour counters per metric, the late and rejected events of that tenant and hour', async () => {
    const result = await cli('--json', 'usage', 'user-a', '--hour', '2026-11-20T10');
    expect(result.code).toBe(0);
    expect(json(result)).toEqual({
      tenantId: 'user-a',
      from: H10.toISOString(),
      to: H11.toISOString(),
      metrics: [
        { metric: 'api.call', unit: 'request', quantity: '300.5', events: 3 },
        { metric: 'storage.gb', unit: 'GB-hour', quantity: '0', events: 0 },
        { metric: 'doc.processed', unit: 'document', quantity: '7', events: 7 },
      ],
      late: 1,
      rejected: { UNKNOWN_METRIC: 2, NEGATIVE_QUANTITY: 1 },
    });
  });

  it('--day: the day summed over its hours, as a table', async () => {
    const result = await cli('usage', 'user-a', '--day', '2026-11-20');
    expect(result.code).toBe(0);
    expect(result.out[0]).toBe('user-a usage 2026-11-20T00:00:00.000Z → 2026-11-21T00:00:00.000Z');
    expect(result.out.slice(2, 5).map((l) => l.split(/\s+/))).toEqual([
      ['api.call', '1500.5', 'request', '15'],
      ['storage.gb', '0', 'GB-hour', '0'],
      ['doc.processed', '7', 'document', '7'],
    ]);
    expect(result.out.slice(5)).toEqual([
      'late events: 2',
      'rejected events: UNKNOWN_METRIC 2, NEGATIVE_QUANTITY 1',
    ]);
  });

  it('refuses --day and --hour together', async () => {
    const result = await cli('usage', 'user-a', '--day', '2026-11-20', '--hour', '2026-11-20T10');
    expect(result.code).toBe(2);
    expect(result.err[0]).toBe("error: option '--day <day>' cannot be used with option '--hour <hour>'");
  });

  it('refuses a malformed day, naming --day', async () => {
    const result = await cli('usage', 'user-a', '--day', '2026-11-31');
    expect(result.code).toBe(2);
    expect(result.err).toEqual([
      'tenantry: ArgumentError: --day: must be a UTC day like 2026-12-01 (got 2026-11-31)',
    ]);
  });
});
