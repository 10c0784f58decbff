import { describe, expect, it } from 'vitest';
import {
  counterKey,
  keyString,
  pooledPartitionKey,
  tenantKeyPrefix,
  tenantObjectPrefix,
  tenantOfPartitionKey,
} from '../../../domain/keys';

describe('key builders', () => {
  it('builds tenant-scoped keys that a second tenant sharing a name prefix cannot match', () => {
    expect(pooledPartitionKey('acme', 'orders')).toBe('TENANT#acme#orders');
    expect(pooledPartitionKey('acme-eu', 'orders').startsWith(tenantKeyPrefix('acme'))).toBe(false);
    expect(tenantOfPartitionKey('TENANT#acme-eu#orders')).toBe('acme-eu');
    expect(tenantOfPartitionKey('OTHER#acme')).toBeUndefined();
    expect(tenantObjectPrefix('acme')).toBe('acme/');
    expect(counterKey('acme', 'api.call', 'HOUR', '2026-11-28T10:00:00Z')).toEqual({
      pk: 'acme#api.call',
      sk: 'HOUR#2026-11-28T10:00:00Z',
    });
    expect(() => pooledPartitionKey('acme', 'a#b')).toThrow(/collection "a#b"/);
  });
});

describe('keyString', () => {
  it('is the same for the same key and different for keys that only concatenate alike', () => {
    expect(keyString({ pk: 'TENANT#acme#docs', sk: 'a' })).toBe(
      keyString({ sk: 'a', pk: 'TENANT#acme#docs' }),
    );
    expect(keyString({ pk: 'a\u0000b', sk: 'c' })).not.toBe(keyString({ pk: 'a', sk: 'b\u0000c' }));
    expect(keyString({ pk: 'a","b', sk: 'c' })).not.toBe(keyString({ pk: 'a', sk: 'b","c' }));
    expect(keyString({ pk: 'a', sk: 'b' })).not.toBe(keyString({ pk: 'b', sk: 'a' }));
  });
});
