// Catalog records as the catalog table holds them, for handler tests that mock its reads.

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
