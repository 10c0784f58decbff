import { describe, expect, it } from 'vitest';
import { billedPairs } from '../../../../domain/billing/tenants';
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

  it('refuses two tenants on one Marketplace customer + license before anything is written, naming both', () => {
    expect(() =>
      billedPairs(defaultConfig, [tenant(1, 'ACTIVE', 'shared'), tenant(2, 'ACTIVE', 'shared')]),
    ).toThrow(
      expect.objectContaining({
        name: 'DuplicateMeteringIdentityError',
        message: expect.stringMatching(/tn00001 and tn00002/),
      }),
    );
  });

  it('refuses a configuration with two metrics billing one dimension', () => {
    const config = {
      ...defaultConfig,
      metrics: defaultConfig.metrics.map((m) => ({ ...m, billing: { ...m.billing, dimension: 'Same' } })),
    };
    expect(() => billedPairs(config, [])).toThrow(/two metrics bill dimension Same/);
  });
});
