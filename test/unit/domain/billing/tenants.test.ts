import { describe, expect, it } from 'vitest';
import { BILLED_STATUSES, billableTenants, billedPairs } from '../../../../domain/billing/tenants';
import type { CatalogRepository } from '../../../../domain/catalog/repository';
import { defaultConfig } from '../../../../domain/config';
import type { TenantStatus } from '../../../../domain/tenant/status';
import { newTenant, type Tenant } from '../../../../domain/tenant/tenant';

function tenant(i: number, status: TenantStatus, license = `l-${i}`, withIdentity = true): Tenant {
  const t = newTenant(
    {
      tenantId: `tn0000${i}`,
      name: `Tenant ${i}`,
      tier: 'pro',
      isolation: 'pool',
      region: 'us-east-1',
      ...(withIdentity
        ? {
            marketplace: {
              customerAwsAccountId: '200000000001',
              licenseArn: `arn:aws:license-manager::123456789012:license:${license}`,
              productCode: 'tenantry-pooled',
            },
          }
        : {}),
    },
    new Date('2026-01-01T00:00:00.000Z'),
  );
  return { ...t, status };
}

describe('who is billed', () => {
  it('bills every metric of each subscribed tenant with a Marketplace identity, once, and names the others', () => {
    const active = tenant(1, 'ACTIVE');
    const { pairs, billed, notBillable } = billedPairs(defaultConfig, [
      active,
      tenant(2, 'OFFBOARDING'),
      tenant(3, 'OFFBOARDED'),
      tenant(4, 'ACTIVE', 'l-4', false),
      active, // listed twice (it moved between two status listings)
    ]);
    expect(billed.map((t) => t.tenantId)).toEqual(['tn00001', 'tn00002']);
    expect(pairs.map((p) => `${p.tenant.tenantId}/${p.metric.billing.dimension}`)).toEqual([
      'tn00001/ApiCalls',
      'tn00001/StorageGbHours',
      'tn00001/DocumentsProcessed',
      'tn00002/ApiCalls',
      'tn00002/StorageGbHours',
      'tn00002/DocumentsProcessed',
    ]);
    expect(notBillable).toEqual(['tn00003', 'tn00004']);
  });

  it('lists a tenant found under two statuses (an eventually consistent index) once', async () => {
    // Prepare: tn00001 moves from ACTIVE to SUSPENDED: both status listings still return it
    const moving = tenant(1, 'SUSPENDED');
    const byStatus: Record<string, Tenant[]> = {
      ACTIVE: [{ ...moving, status: 'ACTIVE' }, tenant(2, 'ACTIVE')],
      SUSPENDED: [moving],
    };
    const catalog = {
      listByStatus: async (status: string) => byStatus[status] ?? [],
    } as unknown as CatalogRepository;
    // Act
    const tenants = await billableTenants(catalog);
    const { billed } = billedPairs(defaultConfig, tenants);
    // Assess
    expect(tenants.map((t) => t.tenantId).sort()).toEqual(['tn00001', 'tn00002']);
    expect(billed.map((t) => t.tenantId).sort()).toEqual(['tn00001', 'tn00002']);
    expect(BILLED_STATUSES).toContain('SUSPENDED');
  });

  it('holds back the tenants sharing one Marketplace customer + license, naming them, and bills the others', () => {
    // Act
    const { pairs, billed, heldBack } = billedPairs(defaultConfig, [
      tenant(1, 'ACTIVE', 'shared'),
      tenant(2, 'ACTIVE'),
      tenant(3, 'SUSPENDED', 'shared'),
    ]);
    // Assess
    expect(billed.map((t) => t.tenantId)).toEqual(['tn00002']);
    expect(new Set(pairs.map((p) => p.tenant.tenantId))).toEqual(new Set(['tn00002']));
    expect(heldBack).toEqual([
      {
        tenantIds: ['tn00001', 'tn00003'],
        customerAwsAccountId: '200000000001',
        licenseArn: 'arn:aws:license-manager::123456789012:license:shared',
      },
    ]);
  });

  it('refuses a configuration with two metrics billing one dimension', () => {
    const config = {
      ...defaultConfig,
      metrics: defaultConfig.metrics.map((m) => ({ ...m, billing: { ...m.billing, dimension: 'Same' } })),
    };
    expect(() => billedPairs(config, [])).toThrow(/two metrics bill dimension Same/);
  });
});
