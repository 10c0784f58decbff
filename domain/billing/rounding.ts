/**
 * THE ROUNDING RULE (integer Marketplace units from exact decimal usage).
 *
 * Per (tenant, dimension) the ledger keeps a carried remainder `carry` (micro-units, 0 ≤ carry < perUnit).
 * For each billed hour with exact usage `u` (micro-units):
 *
 *     units    = floor((carry + u) / perUnit)
 *     carryOut = (carry + u) − units × perUnit
 *
 * So nothing is ever invented (floor) and nothing is lost (the remainder moves to the next hour).
 * By induction, after any run of hours starting from carry c0:
 *
 *     Σ units = floor((c0 + Σ u) / perUnit)     and     carryOut = (c0 + Σ u) mod perUnit
 *
 * i.e. the total billed over a day (or any span) equals the exact sum rounded once (floor), and
 * for a tenant whose day starts with no carry it is exactly floor(day total / perUnit).
 *
 * Closing (offboarding's final bill): the last carried remainder is rounded half-up once, and the
 * difference (positive or negative, |d| ≤ perUnit/2) is recorded on the final ledger entry as
 * `closingAdjustmentMicro`, so the books show exactly what the final rounding did.
 */

interface RoundingInput {
  readonly usageMicro: bigint;
  readonly carryInMicro: bigint;
  readonly perUnitMicro: bigint;
}

interface RoundingResult {
  readonly units: bigint;
  readonly carryOutMicro: bigint;
  /** Only on closing: units billed beyond (+) or short of (−) the exact amount, in micro-units. */
  readonly closingAdjustmentMicro: bigint;
}

function check({ usageMicro, carryInMicro, perUnitMicro }: RoundingInput): void {
  if (perUnitMicro <= 0n) throw new RangeError(`perUnitMicro must be positive (got ${perUnitMicro})`);
  if (usageMicro < 0n) throw new RangeError(`usageMicro must not be negative (got ${usageMicro})`);
  if (carryInMicro < 0n || carryInMicro >= perUnitMicro) {
    throw new RangeError(`carryInMicro must be in [0, ${perUnitMicro}) (got ${carryInMicro})`);
  }
}

/** One ordinary hour: floor, carry the remainder. */
export function roundHour(input: RoundingInput): RoundingResult {
  check(input);
  const total = input.carryInMicro + input.usageMicro;
  const units = total / input.perUnitMicro; // bigint division truncates = floor for non-negatives
  return { units, carryOutMicro: total - units * input.perUnitMicro, closingAdjustmentMicro: 0n };
}

/** The final hour of a subscription: round the whole remaining amount half-up; carry ends at 0. */
export function roundClosing(input: RoundingInput): RoundingResult {
  check(input);
  const total = input.carryInMicro + input.usageMicro;
  const floor = total / input.perUnitMicro;
  const remainder = total - floor * input.perUnitMicro;
  const units = remainder * 2n >= input.perUnitMicro ? floor + 1n : floor;
  return { units, carryOutMicro: 0n, closingAdjustmentMicro: units * input.perUnitMicro - total };
}
