/**
 * Tenant lifecycle states and the only transitions allowed between them.
 *
 * PENDING ─► ACTIVE ─► MIGRATING ─► ACTIVE          (promotion or demotion, also its rollback)
 *    │         │  ▲
 *    │         ▼  │
 *    │      SUSPENDED                                (operator kill switch, reversible)
 *    │         │
 *    ▼         ▼
 *  FAILED ─► OFFBOARDING ─► OFFBOARDED               (tombstone; nothing leaves it)
 */
export const tenantStatuses = [
  'PENDING',
  'ACTIVE',
  'MIGRATING',
  'SUSPENDED',
  'OFFBOARDING',
  'OFFBOARDED',
  'FAILED',
] as const;
export type TenantStatus = (typeof tenantStatuses)[number];

const allowedTransitions: Readonly<Record<TenantStatus, readonly TenantStatus[]>> = {
  PENDING: ['ACTIVE', 'FAILED'],
  ACTIVE: ['MIGRATING', 'SUSPENDED', 'OFFBOARDING'],
  MIGRATING: ['ACTIVE'],
  SUSPENDED: ['ACTIVE', 'OFFBOARDING'],
  OFFBOARDING: ['OFFBOARDED'],
  OFFBOARDED: [],
  FAILED: ['PENDING', 'OFFBOARDING'],
};

export function canTransition(from: TenantStatus, to: TenantStatus): boolean {
  return allowedTransitions[from].includes(to);
}

/** What a tenant's users may do in each state; the authorizer enforces it. */
export type AccessLevel = 'read-write' | 'read-only' | 'none';

export function accessLevel(status: TenantStatus): AccessLevel {
  switch (status) {
    case 'ACTIVE':
      return 'read-write';
    case 'MIGRATING':
      return 'read-only';
    default:
      return 'none';
  }
}
