import { describe, expect, it } from 'vitest';
import { envVar, readEnv } from '../../../domain/env';
import { EnvironmentError } from '../../../domain/errors';

const shape = { CATALOG_TABLE: envVar.name(), BUS_ARN: envVar.arn(), CACHE_SECONDS: envVar.seconds(60) };

describe('readEnv', () => {
  it('returns typed values with defaults applied', () => {
    const env = readEnv(shape, {
      CATALOG_TABLE: 'catalog',
      BUS_ARN: 'arn:aws:events:us-east-1:123456789012:event-bus/tenantry',
    });
    expect(env).toEqual({
      CATALOG_TABLE: 'catalog',
      BUS_ARN: 'arn:aws:events:us-east-1:123456789012:event-bus/tenantry',
      CACHE_SECONDS: 60,
    });
  });

  it('names every missing or malformed variable without echoing values', () => {
    // Act
    let error: unknown;
    try {
      readEnv(shape, { BUS_ARN: 'secret-looking-value', CACHE_SECONDS: '-5' });
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(EnvironmentError);
    const message = (error as Error).message;
    expect(message).toContain('CATALOG_TABLE: is required but not set');
    expect(message).toContain('BUS_ARN: must be an ARN');
    expect(message).toContain('CACHE_SECONDS');
    expect(message).not.toContain('secret-looking-value');
  });
});
