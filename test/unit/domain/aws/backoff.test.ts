import { describe, expect, it } from 'vitest';
import { backoffDelayMs, sleep } from '../../../../domain/aws/backoff';

const policy = { baseMs: 50, capMs: 1_000 };

describe('backoffDelayMs', () => {
  it('has a ceiling that doubles from the base with each attempt and never exceeds the cap', () => {
    // Act: random → 1 yields the ceiling itself
    const ceilings = [1, 2, 3, 4, 5, 6, 30].map((attempt) => backoffDelayMs(policy, attempt, () => 1));
    // Assess
    expect(ceilings).toEqual([50, 100, 200, 400, 800, 1_000, 1_000]);
  });

  it('treats an attempt below 1 as the first', () => {
    expect(backoffDelayMs(policy, 0, () => 1)).toBe(50);
  });

  it('is a uniform share of the ceiling (full jitter): 0 at random 0, near the ceiling at random → 1', () => {
    expect(backoffDelayMs(policy, 3, () => 0)).toBe(0);
    expect(backoffDelayMs(policy, 3, () => 0.5)).toBe(100);
    expect(backoffDelayMs(policy, 3, () => 0.999)).toBeCloseTo(199.8);
    expect(backoffDelayMs(policy, 12, () => 0.5)).toBe(500);
  });

  it('stays within [0, ceiling) with the default random source', () => {
    const delays = Array.from({ length: 200 }, () => backoffDelayMs(policy, 4));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(400);
  });
});

describe('sleep', () => {
  it('resolves after the given time has passed', async () => {
    const started = performance.now();
    await sleep(20);
    expect(performance.now() - started).toBeGreaterThanOrEqual(19);
  });
});
