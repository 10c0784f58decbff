/**
 * The one backoff policy for retry loops the SDK's own retry strategy does not cover (DynamoDB's
 * UnprocessedItems, Marketplace's per-record throttling, optimistic-concurrency conflicts, Kinesis
 * partial failures): exponential growth from `baseMs`, capped at `capMs`, with "full jitter" (a
 * uniform delay in [0, ceiling]) so that many clients retrying together spread out instead of
 * colliding again. See the AWS Architecture Blog, "Exponential Backoff And Jitter".
 */
export interface BackoffPolicy {
  /** Ceiling of the first retry's delay, ms. */
  readonly baseMs: number;
  /** Largest delay ever waited, ms. */
  readonly capMs: number;
}

export type Sleep = (ms: number) => Promise<void>;

export const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The ceiling of retry `attempt` (1-based): min(cap, base × 2^(attempt-1)). */
function backoffCeilingMs(policy: BackoffPolicy, attempt: number): number {
  return Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
}

/** The delay before retry `attempt` (1-based), full jitter; `random` in [0, 1). */
export function backoffDelayMs(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  return random() * backoffCeilingMs(policy, attempt);
}
