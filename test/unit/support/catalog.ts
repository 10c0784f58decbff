// Catalog fixtures for tests that mock the catalog table: records as it holds them, the tenant a
// creation asks for, and the answer to a write whose condition fails.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

const CREATED_AT = '2026-01-05T10:00:00.000Z';
const ACTIVATED_AT = '2026-01-05T10:05:00.000Z';

/** Tenant acme's onboarding history: PENDING, then ACTIVE five minutes later, each entry naming `executionArn` when given. */
export function acmeOnboardingHistory(executionArn?: string) {
  const by = executionArn === undefined ? {} : { executionArn };
  return [
    { from: null, to: 'PENDING', at: CREATED_AT, ...by },
    { from: 'PENDING', to: 'ACTIVE', at: ACTIVATED_AT, ...by },
  ];
}

/**
 * Tenant acme's catalog record: a pooled starter tenant in us-east-1, ACTIVE since its onboarding, at
 * `version`. `overrides` replace whole fields (status, tier, history, silo, …).
 */
export function activeAcmeRecord(version: number, overrides: Record<string, unknown> = {}) {
  return {
    tenantId: 'acme',
    name: 'Acme Corp',
    tier: 'starter',
    isolation: 'pool',
    status: 'ACTIVE',
    region: 'us-east-1',
    createdAt: CREATED_AT,
    updatedAt: ACTIVATED_AT,
    version,
    history: acmeOnboardingHistory(),
    ...overrides,
  };
}

/** The tenant a creation asks the catalog for: acme, a pooled pro tenant named Acme in us-east-1. */
export const NEW_POOLED_ACME = {
  tenantId: 'acme',
  name: 'Acme',
  tier: 'pro',
  isolation: 'pool' as const,
  region: 'us-east-1',
};

/** What DynamoDB answers a write whose condition does not hold. */
export const conditionalCheckFailed = () =>
  new ConditionalCheckFailedException({ message: 'conditional', $metadata: {} });
