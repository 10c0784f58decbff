import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Shared by the lifecycle task handlers: one Powertools logger per function. The tenant id is added
 * per invocation with `appendKeys` and removed with `resetKeys` (never persistent keys).
 */
export function lifecycleLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}

/** Runs `fn` with `tenantId` on every log line of this invocation only. */
export async function withTenant<T>(logger: Logger, tenantId: unknown, fn: () => Promise<T>): Promise<T> {
  if (typeof tenantId === 'string') logger.appendKeys({ tenantId });
  try {
    return await fn();
  } finally {
    logger.resetKeys();
  }
}

/** Lambda's remaining time, with a default when no context is given (tests). */
export interface RemainingTime {
  getRemainingTimeInMillis?: () => number;
}

/** A deadline: true once fewer than `reserveMs` remain of the invocation. */
export function deadlineOf(context: RemainingTime | undefined, reserveMs = 20_000): () => boolean {
  const remaining = context?.getRemainingTimeInMillis;
  if (typeof remaining !== 'function') return () => false;
  return () => remaining.call(context) < reserveMs;
}
