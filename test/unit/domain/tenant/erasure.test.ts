import { describe, expect, it } from 'vitest';
import { nothingRemains } from '../../../../domain/tenant/erasure';

const none = { items: 0, objects: 0, users: 0, collectionTables: 0, siloStack: false, kmsKey: false };

describe('nothingRemains', () => {
  it('is true only when every store is empty and the silo is gone', () => {
    // Prepare / Act / Assess
    expect(nothingRemains(none)).toBe(true);
    expect(nothingRemains({ ...none, items: 1 })).toBe(false);
    expect(nothingRemains({ ...none, objects: 1 })).toBe(false);
    expect(nothingRemains({ ...none, users: 1 })).toBe(false);
    expect(nothingRemains({ ...none, collectionTables: 1 })).toBe(false);
    expect(nothingRemains({ ...none, siloStack: true })).toBe(false);
    expect(nothingRemains({ ...none, kmsKey: true })).toBe(false);
  });
});
