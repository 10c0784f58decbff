import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChecksumAccumulator, canonicalJson } from '../../../../domain/lifecycle/checksum';

describe('ChecksumAccumulator', () => {
  it('is independent of order and attribute order, and sensitive to any value or type change', () => {
    const a = { pk: { S: 'TENANT#a#x' }, sk: { S: '1' }, n: { N: '1' } };
    const b = { sk: { S: '2' }, pk: { S: 'TENANT#a#x' }, n: { N: '2' } };
    const one = new ChecksumAccumulator();
    one.add(a);
    one.add(b);
    const two = new ChecksumAccumulator();
    two.add({ n: b.n, pk: b.pk, sk: b.sk });
    two.add(a);
    const changed = new ChecksumAccumulator();
    changed.add(a);
    changed.add({ ...b, n: { S: '2' } });
    expect(one.tally()).toEqual(two.tally());
    expect(one.tally().count).toBe(2);
    expect(changed.tally().checksum).not.toBe(one.tally().checksum);
    expect(canonicalJson({ b: 1, a: [2, { d: 1, c: 2 }] })).toBe('{"a":[2,{"c":2,"d":1}],"b":1}');
  });
});

describe('ChecksumAccumulator across chunks', () => {
  const items = Array.from({ length: 10 }, (_, i) => ({
    pk: { S: 'TENANT#a#docs' },
    sk: { S: `item-${i}` },
    n: { N: String(i) },
  }));
  /** The rule, written out independently: sum mod 2^64 of each canonical item's first 8 SHA-256 bytes. */
  const singlePass = (all: readonly Record<string, unknown>[]) => {
    let sum = 0n;
    for (const item of all) {
      sum =
        (sum + createHash('sha256').update(canonicalJson(item)).digest().readBigUInt64BE(0)) % (1n << 64n);
    }
    return { count: all.length, checksum: sum.toString(16).padStart(16, '0') };
  };
  /** Each chunk in a fresh call that resumes the previous call's tally, as the verify chunks do. */
  const chunked = (all: readonly Record<string, unknown>[], size: number) => {
    let tally = { count: 0, checksum: '0'.repeat(16) };
    for (let offset = 0; offset < all.length; offset += size) {
      const acc = ChecksumAccumulator.resume(tally);
      for (const item of all.slice(offset, offset + size)) acc.add(item);
      tally = acc.tally();
    }
    return tally;
  };

  it.each([1, 3, 4, 10])('in chunks of %i equals a single pass over the same items', (size) => {
    // Prepare
    const expected = singlePass(items);
    // Act
    const tally = chunked(items, size);
    // Assess
    expect(expected.count).toBe(10);
    expect(tally).toEqual(expected);
  });

  it.each([0, 4, 9])('catches one changed item (index %i) in whichever chunk reads it', (changed) => {
    // Prepare: chunks of 4 (items 0-3, 4-7, 8-9); one item's value differs in the copy
    const copy = items.map((item, i) => (i === changed ? { ...item, n: { N: '999' } } : item));
    const original = chunked(items, 4);
    // Act
    const tally = chunked(copy, 4);
    // Assess
    expect(tally.count).toBe(original.count);
    expect(tally.checksum).not.toBe(original.checksum);
    expect(tally).toEqual(singlePass(copy));
  });
});
