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
