import type { TenantryConfig } from '../config';
import { TtlCache } from './ttl-cache';

/**
 * The plan-limit hook: billing supplies the real check (near-real-time cumulative totals against
 * the tier's daily limits). The authorizer asks it per request through a short cache.
 */
export type UsageLimitResult = { readonly exceeded: boolean; readonly metric?: string };
export type UsageLimitCheck = (tenantId: string, tier: string) => Promise<UsageLimitResult>;

/** Default until billing's check is wired: never over the limit. */
export const allowAllUsage: UsageLimitCheck = async () => ({ exceeded: false });

/**
 * How long the authorizer caches a plan-limit answer: half a cumulative metering step. API Gateway's
 * authorizer result cache takes at most the other half (identity stack), so a counter that crosses
 * the limit turns into 429s within one step. The one definition, used by the authorizer's default
 * and the identity stack's USAGE_CACHE_SECONDS.
 */
export function planLimitCacheSeconds(config: TenantryConfig): number {
  return Math.max(1, Math.floor(stepSeconds(config) / 2));
}

/**
 * The longest API Gateway authorizer result cache the identity stack accepts: what is left of one
 * metering step after the plan-limit cache, so a plan-limit crossing answers 429 within one step.
 */
export function maxAuthorizerResultCacheSeconds(config: TenantryConfig): number {
  return stepSeconds(config) - planLimitCacheSeconds(config);
}

/** The authorizer result cache the identity stack uses unless told otherwise. */
export function defaultAuthorizerResultCacheSeconds(config: TenantryConfig): number {
  return Math.min(60, maxAuthorizerResultCacheSeconds(config));
}

/** How long the authorizer caches a catalog entry (the pre-token trigger keeps its own setting). */
export const AUTHORIZER_CATALOG_CACHE_SECONDS = 30;

/** One cumulative metering step, in seconds: how often the near-real-time counters change. */
export function stepSeconds(config: TenantryConfig): number {
  return config.metering.cumulativeStepMinutes * 60;
}

/** Caches a check's answers per tenant and tier for `ttlSeconds`. */
export function cachedUsageLimitCheck(
  check: UsageLimitCheck,
  ttlSeconds: number,
  now: () => number = Date.now,
): UsageLimitCheck {
  const cache = new TtlCache<UsageLimitResult>({ ttlMs: ttlSeconds * 1000, now });
  return (tenantId, tier) => cache.get(`${tenantId}|${tier}`, () => check(tenantId, tier));
}
