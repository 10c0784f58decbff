import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  baseClientConfig,
  documentClient,
  kinesisClientConfig,
  s3ClientConfig,
} from '../../../../domain/aws/clients';

afterEach(() => vi.unstubAllEnvs());

describe('baseClientConfig', () => {
  it('retries with the adaptive strategy, 5 attempts unless told otherwise, and sets no endpoint', () => {
    expect(baseClientConfig({ region: 'eu-central-1' })).toEqual({
      region: 'eu-central-1',
      maxAttempts: 5,
      retryMode: 'adaptive',
    });
    expect(baseClientConfig({ region: 'eu-central-1', maxAttempts: 1 }).maxAttempts).toBe(1);
  });

  it('takes the region from AWS_REGION, then AWS_DEFAULT_REGION', () => {
    vi.stubEnv('AWS_REGION', undefined);
    vi.stubEnv('AWS_DEFAULT_REGION', 'ap-southeast-2');
    expect(baseClientConfig().region).toBe('ap-southeast-2');
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    expect(baseClientConfig().region).toBe('eu-west-1');
  });
});

describe('s3ClientConfig', () => {
  it('uses path-style S3 only when a custom endpoint is configured', () => {
    vi.stubEnv('AWS_ENDPOINT_URL', '');
    vi.stubEnv('AWS_ENDPOINT_URL_S3', '');
    expect(s3ClientConfig().forcePathStyle).toBe(false);
    vi.stubEnv('AWS_ENDPOINT_URL_S3', 'http://127.0.0.1:4566');
    expect(s3ClientConfig().forcePathStyle).toBe(true);
    vi.stubEnv('AWS_ENDPOINT_URL_S3', '');
    vi.stubEnv('AWS_ENDPOINT_URL', 'http://127.0.0.1:4566');
    expect(s3ClientConfig().forcePathStyle).toBe(true);
  });
});

describe('kinesisClientConfig', () => {
  it('talks HTTP/1.1 (the node HTTP handler)', () => {
    expect(kinesisClientConfig().requestHandler).toBeInstanceOf(NodeHttpHandler);
  });
});

describe('documentClient', () => {
  it('drops undefined attributes instead of failing on them', () => {
    expect(documentClient({ region: 'us-east-1' }).config.translateConfig?.marshallOptions).toMatchObject({
      removeUndefinedValues: true,
    });
  });
});
