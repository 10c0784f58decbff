import { beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../../../domain/aws/clients';
import { CatalogRepository } from '../../../../domain/catalog/repository';
import { loadConfig } from '../../../../domain/config';
import { IllegalTransitionError, TenantAlreadyExistsError } from '../../../../domain/errors';
import type { TenantStatus } from '../../../../domain/tenant/status';
import { provisionLocalControlPlane } from '../../../../local/control-plane';
import { resetLocalAws, useLocalAws } from '../../support';

const config = loadConfig('');
let catalog: CatalogRepository;
const input = (tenantId: string) => ({
  tenantId,
  name: `Tenant ${tenantId}`,
  tier: 'pro',
  isolation: 'pool' as const,
  region: 'us-east-1',
});

describe('catalog on DynamoDB (moto)', () => {
  beforeAll(async () => {
    useLocalAws();
    await resetLocalAws();
    const { tables } = await provisionLocalControlPlane(config);
    catalog = new CatalogRepository({ client: documentClient(), tableName: tables.catalog });
  });

  it('20 concurrent registrations of the same tenant id produce exactly one record', async () => {
    // Act
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => catalog.create({ ...input('race-one'), name: `attempt ${i}` })),
    );

    // Assess
    const winners = outcomes.filter((o) => o.status === 'fulfilled');
    const losers = outcomes.filter((o) => o.status === 'rejected');
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(19);
    for (const loser of losers)
      expect((loser as PromiseRejectedResult).reason).toBeInstanceOf(TenantAlreadyExistsError);
    const stored = await catalog.get('race-one');
    expect(stored.name).toBe((winners[0] as PromiseFulfilledResult<{ name: string }>).value.name);
    expect(stored.version).toBe(0);
  });

  it('20 concurrent status updates from stale reads lose nothing and apply only legal transitions', async () => {
    // Prepare: an ACTIVE tenant; 20 writers race, each asking for one of two legal-looking moves.
    await catalog.create(input('race-two'));
    await catalog.transition('race-two', 'ACTIVE');
    const requested: TenantStatus[] = Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0 ? 'SUSPENDED' : 'ACTIVE',
    );

    // Act
    const outcomes = await Promise.allSettled(requested.map((to) => catalog.transition('race-two', to)));

    // Assess: every write that succeeded is in the history, in a legal order, versions consecutive.
    const applied = outcomes.filter((o) => o.status === 'fulfilled').length;
    const refused = outcomes.filter((o) => o.status === 'rejected');
    for (const r of refused)
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(IllegalTransitionError);
    const tenant = await catalog.get('race-two');
    expect(tenant.version).toBe(1 + applied);
    expect(tenant.history).toHaveLength(2 + applied);
    const moves = tenant.history.slice(2);
    for (const [i, move] of moves.entries()) {
      expect(move.from).toBe(i === 0 ? 'ACTIVE' : moves[i - 1]?.to);
      expect(move.from).not.toBe(move.to);
    }
    expect(applied).toBeGreaterThan(0);
    expect(applied + refused.length).toBe(20);
  });

  it('lists tenants by status through the byStatus index', async () => {
    await catalog.create(input('listed-a'));
    await catalog.create(input('listed-b'));
    await catalog.transition('listed-a', 'ACTIVE');
    const pending = (await catalog.listByStatus('PENDING')).map((t) => t.tenantId);
    expect(pending).toContain('listed-b');
    expect(pending).not.toContain('listed-a');
  });
});
