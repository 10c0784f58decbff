import { describe, expect, it } from 'vitest';
import { toMicro } from '../../../../domain/billing/decimal';
import { roundClosing, roundHour } from '../../../../domain/billing/rounding';

describe('rounding rule: floor, remainder carried', () => {
  it('bills whole units and carries the remainder to the next hour', () => {
    // Prepare: 1 unit = 1000 calls; 2,500 calls this hour, 300 carried in
    const hour = roundHour({
      usageMicro: toMicro('2500'),
      carryInMicro: toMicro('300'),
      perUnitMicro: toMicro('1000'),
    });
    // Assess: 2,800 calls = 2 units + 800 carried
    expect(hour.units).toBe(2n);
    expect(hour.carryOutMicro).toBe(toMicro('800'));
  });

  it('never invents a unit for a fraction, and never loses it', () => {
    const perUnitMicro = toMicro('1');
    const a = roundHour({ usageMicro: toMicro('0.4'), carryInMicro: 0n, perUnitMicro });
    const b = roundHour({ usageMicro: toMicro('0.4'), carryInMicro: a.carryOutMicro, perUnitMicro });
    const c = roundHour({ usageMicro: toMicro('0.4'), carryInMicro: b.carryOutMicro, perUnitMicro });
    expect([a.units, b.units, c.units]).toEqual([0n, 0n, 1n]);
    expect(c.carryOutMicro).toBe(toMicro('0.2'));
  });

  it('over a day bills exactly the day total rounded once (24 fractional hours, fixed data)', () => {
    // Prepare: hourly storage in GB-hours with fractions; the day total is 24 × 10.35 = 248.4
    const perUnitMicro = toMicro('1');
    let carry = 0n;
    let billed = 0n;
    // Act
    for (let h = 0; h < 24; h++) {
      const r = roundHour({ usageMicro: toMicro('10.35'), carryInMicro: carry, perUnitMicro });
      billed += r.units;
      carry = r.carryOutMicro;
    }
    // Assess: floor(248.4) = 248, 0.4 carried
    expect(billed).toBe(248n);
    expect(carry).toBe(toMicro('0.4'));
  });

  it('holds Σ units = floor(Σ usage / perUnit) for random days (property)', () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (let trial = 0; trial < 500; trial++) {
      const perUnit = [1, 1000, 0.5, 7][trial % 4] as number;
      const perUnitMicro = toMicro(perUnit);
      const hours = Array.from({ length: 24 }, () => Math.floor(rand() * 5_000_000_000)); // micro-units
      let carry = 0n;
      let billed = 0n;
      for (const u of hours) {
        const r = roundHour({ usageMicro: BigInt(u), carryInMicro: carry, perUnitMicro });
        expect(r.carryOutMicro >= 0n && r.carryOutMicro < perUnitMicro).toBe(true);
        billed += r.units;
        carry = r.carryOutMicro;
      }
      // Expected value computed independently in floating-free integer arithmetic on the raw data.
      const total = hours.reduce((s, u) => s + u, 0);
      const expected = Math.floor(total / (perUnit * 1_000_000));
      expect(billed).toBe(BigInt(expected));
      expect(carry).toBe(BigInt(total) - BigInt(expected) * perUnitMicro);
    }
  });

  it('closes the last period by rounding half-up once and records the adjustment', () => {
    const perUnitMicro = toMicro('1000');
    const up = roundClosing({ usageMicro: toMicro('1200'), carryInMicro: toMicro('300'), perUnitMicro });
    expect(up).toEqual({ units: 2n, carryOutMicro: 0n, closingAdjustmentMicro: toMicro('500') });
    const down = roundClosing({ usageMicro: toMicro('1100'), carryInMicro: toMicro('300'), perUnitMicro });
    expect(down).toEqual({ units: 1n, carryOutMicro: 0n, closingAdjustmentMicro: -toMicro('400') });
  });

  it('rejects a carry outside [0, perUnit)', () => {
    expect(() =>
      roundHour({ usageMicro: 0n, carryInMicro: toMicro('1000'), perUnitMicro: toMicro('1000') }),
    ).toThrow(/carryInMicro/);
  });
});
