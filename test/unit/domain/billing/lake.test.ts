import { gzipSync } from 'node:zlib';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  parseLateLine,
  rawLakeHourPrefix,
  readLakeLines,
  readLateEvents,
} from '../../../../domain/billing/lake';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'us-east-1' });
/** An object body as the SDK hands it out (only the method the lake reader uses). */
const body = (bytes: Buffer | string) =>
  ({
    transformToByteArray: async () => new Uint8Array(Buffer.from(bytes)),
  }) as unknown as GetObjectCommandOutput['Body'];
beforeEach(() => s3Mock.reset());

describe('late-sink lines', () => {
  const line = (quantity: string) =>
    `{"eventId":"e1","tenantId":"tn00001","metric":"api.call","quantity":${quantity},"eventTime":"2026-03-10T05:40:00.000Z","watermarkTime":"2026-03-10T06:05:00.000Z"}`;

  it('reads the quantity exactly (micro-units, never through a double)', () => {
    expect(parseLateLine(line('0.100001'))).toMatchObject({
      eventId: 'e1',
      tenantId: 'tn00001',
      metric: 'api.call',
      quantityMicro: 100001n,
    });
    expect(parseLateLine(line('123456789.123456')).quantityMicro).toBe(123456789123456n);
  });

  it('names what is wrong with a malformed line', () => {
    expect(() => parseLateLine('not json')).toThrow(/late-sink line is not JSON/);
    expect(() => parseLateLine('{"eventId":"e1","metric":"api.call","quantity":1}')).toThrow(
      /lacks eventId\/tenantId\/metric/,
    );
    expect(() =>
      parseLateLine('{"eventId":"e1","tenantId":"t","metric":"m","quantity":1,"eventTime":"later"}'),
    ).toThrow(/e1 has no valid eventTime/);
  });
});

describe('reading the lake', () => {
  it('names the Firehose prefix of an hour', () => {
    expect(rawLakeHourPrefix(new Date('2026-03-10T05:00:00.000Z'))).toBe('raw/dt=2026-03-10/hour=05/');
  });

  it('reads every page of the listing, GZIP and plain objects alike, blank lines left out', async () => {
    // Prepare: two listing pages; one GZIP object (as Firehose writes), one plain
    const tokens: (string | undefined)[] = [];
    s3Mock.on(ListObjectsV2Command, { Bucket: 'lake', Prefix: 'raw/' }).callsFake((input) => {
      tokens.push(input.ContinuationToken);
      return input.ContinuationToken === undefined
        ? { Contents: [{ Key: 'raw/a.gz' }], NextContinuationToken: 'page-2', IsTruncated: true }
        : { Contents: [{ Key: 'raw/b' }] };
    });
    s3Mock.on(GetObjectCommand, { Key: 'raw/a.gz' }).resolves({ Body: body(gzipSync('{"n":1}\n{"n":2}\n')) });
    s3Mock.on(GetObjectCommand, { Key: 'raw/b' }).resolves({ Body: body('{"n":3}\n\n  \n') });
    // Act
    const lines = await readLakeLines(s3, 'lake', 'raw/');
    // Assess
    expect(lines).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
    expect(tokens).toEqual([undefined, 'page-2']);
  });

  it('reads only the late-sink objects written since the given time', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: 'metering/late/old', LastModified: new Date('2026-03-09T04:00:00.000Z') },
        { Key: 'metering/late/new', LastModified: new Date('2026-03-10T06:00:00.000Z') },
      ],
    });
    s3Mock.on(GetObjectCommand, { Key: 'metering/late/new' }).resolves({
      Body: body(
        '{"eventId":"n1","tenantId":"tn00001","metric":"api.call","quantity":2,"eventTime":"2026-03-10T05:40:00.000Z"}\n',
      ),
    });
    const events = await readLateEvents(s3, 'lake', { since: new Date('2026-03-09T06:00:00.000Z') });
    expect(events.map((e) => [e.eventId, e.quantityMicro])).toEqual([['n1', 2_000_000n]]);
    expect(s3Mock.commandCalls(ListObjectsV2Command)[0]?.args[0].input.Prefix).toBe('metering/late/');
    expect(s3Mock.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).toEqual([
      'metering/late/new',
    ]);
  });
});
