import { describe, expect, it } from 'vitest';
import { fromMicro, toMicro } from '../../../../domain/billing/decimal';

describe('decimal quantities', () => {
  it('parses decimal strings and numbers exactly into micro-units', () => {
    expect(toMicro('12.5')).toBe(12_500_000n);
    expect(toMicro('0.000001')).toBe(1n);
    expect(toMicro(0.1)).toBe(100_000n);
    expect(toMicro('1000')).toBe(1_000_000_000n);
    expect(toMicro('3.140000')).toBe(3_140_000n);
    expect(fromMicro(12_500_000n)).toBe('12.5');
    expect(fromMicro(1n)).toBe('0.000001');
  });

  it('refuses what it cannot represent exactly instead of rounding', () => {
    expect(() => toMicro('0.0000001')).toThrow(/more than 6 decimal places/);
    expect(() => toMicro('-1')).toThrow(/not a non-negative decimal/);
    expect(() => toMicro('1e3')).toThrow(/not a non-negative decimal/);
  });
});
