import { describe, expect, it } from 'vitest';
import { IllegalTransitionError } from '../../../../domain/errors';
import { tenantKeyPrefix, tenantObjectPrefix } from '../../../../domain/keys';
import { accessLevel, canTransition, tenantStatuses } from '../../../../domain/tenant/status';
import { newTenant, siloResourcesSchema, transition } from '../../../../domain/tenant/tenant';
import { isTenantId } from '../../../../domain/tenant/tenant-id';

const base = {
  tenantId: 'acme',
  name: 'Acme Corp',
  tier: 'pro',
  isolation: 'pool' as const,
  region: 'us-east-1',
};
const t0 = new Date('2026-11-28T00:00:00.000Z');

describe('tenant lifecycle', () => {
  it('walks the happy path and records every transition', () => {
    // Prepare
    let tenant = newTenant(base, t0);

    // Act
    for (const to of ['ACTIVE', 'MIGRATING', 'ACTIVE', 'OFFBOARDING', 'OFFBOARDED'] as const) {
      tenant = transition(tenant, to, {
        at: t0,
        executionArn: `arn:aws:states:us-east-1:123456789012:execution:x:${to}`,
      });
    }

    // Assess
    expect(tenant.status).toBe('OFFBOARDED');
    expect(tenant.history.map((h) => `${h.from}->${h.to}`)).toEqual([
      'null->PENDING',
      'PENDING->ACTIVE',
      'ACTIVE->MIGRATING',
      'MIGRATING->ACTIVE',
      'ACTIVE->OFFBOARDING',
      'OFFBOARDING->OFFBOARDED',
    ]);
    expect(tenant.history[1]?.executionArn).toMatch(/:ACTIVE$/);
  });

  it.each([
    ['PENDING', 'MIGRATING'],
    ['PENDING', 'OFFBOARDED'],
    ['MIGRATING', 'OFFBOARDING'],
    ['OFFBOARDED', 'ACTIVE'],
    ['OFFBOARDING', 'ACTIVE'],
  ] as const)('refuses %s -> %s with a named error', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    const tenant = { ...newTenant(base, t0), status: from };
    expect(() => transition(tenant, to)).toThrow(IllegalTransitionError);
    expect(() => transition(tenant, to)).toThrow(`tenant acme cannot go from ${from} to ${to}`);
  });

  it('OFFBOARDED is terminal', () => {
    for (const to of tenantStatuses) expect(canTransition('OFFBOARDED', to)).toBe(false);
  });

  it('grants write access only when ACTIVE and read-only while MIGRATING', () => {
    expect(tenantStatuses.map((s) => `${s}:${accessLevel(s)}`)).toEqual([
      'PENDING:none',
      'ACTIVE:read-write',
      'MIGRATING:read-only',
      'SUSPENDED:none',
      'OFFBOARDING:none',
      'OFFBOARDED:none',
      'FAILED:none',
    ]);
  });
});

describe('tenant ids', () => {
  it.each([
    'a',
    'Acme',
    'acme#x',
    'acme*',
    'acme/x',
    '-acme',
    'acme-',
    'ac--me',
    '1acme',
    `a${'b'.repeat(40)}`,
  ])('refuses %j as a tenant id and as a key segment', (id) => {
    expect(isTenantId(id)).toBe(false);
    expect(() => tenantKeyPrefix(id)).toThrow();
    expect(() => tenantObjectPrefix(id)).toThrow();
  });
});

describe("a silo tenant's recorded resources", () => {
  const silo = {
    stackId: 'arn:aws:cloudformation:eu-central-1:111122223333:stack/tenantry-dev-silo-acme/1f2e',
    tableName: 'tenantry-dev-silo-data-acme',
    tableArn: 'arn:aws:dynamodb:eu-central-1:111122223333:table/tenantry-dev-silo-data-acme',
    kmsKeyArn: 'arn:aws:kms:eu-central-1:111122223333:key/0a1b2c3d',
    databaseClusterArn: 'arn:aws:rds:eu-central-1:111122223333:cluster:tenantry-dev-silo-acme-db-1a2b',
  };

  it('records the database secret as the stack reported it, and silos without one', () => {
    // Prepare
    const secretArn = 'arn:aws:secretsmanager:eu-central-1:111122223333:secret:rds!cluster-0a1b2c3d-AbCdEf';

    // Act
    const withSecret = siloResourcesSchema.safeParse({ ...silo, databaseSecretArn: secretArn });
    const without = siloResourcesSchema.safeParse(silo);

    // Assess
    expect(withSecret.data?.databaseSecretArn).toBe(secretArn);
    expect(without.success).toBe(true);
  });

  it.each([
    'arn:aws:rds:eu-central-1:111122223333:cluster:tenantry-dev-silo-acme-db-1a2b',
    'rds!cluster-0a1b2c3d',
    'arn:aws:secretsmanager:eu-central-1:1111:secret:x',
  ])('refuses %j as a database secret', (databaseSecretArn) => {
    // Act
    const parsed = siloResourcesSchema.safeParse({ ...silo, databaseSecretArn });

    // Assess
    expect(parsed.success).toBe(false);
  });
});
