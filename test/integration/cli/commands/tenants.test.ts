// `tenantry tenants list | show` against the catalog on moto.
import { beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../../../domain/aws/clients';
import { CatalogRepository } from '../../../../domain/catalog/repository';
import { defaultConfig } from '../../../../domain/config';
import { tableName } from '../../../../domain/tables';
import { provisionLocalControlPlane } from '../../../../local/control-plane';
import { resetLocalAws, useLocalAws } from '../../support';
import { cli, json } from '../support';

let catalog: CatalogRepository;

beforeAll(async () => {
  useLocalAws();
  await resetLocalAws();
  await provisionLocalControlPlane(defaultConfig);
  catalog = new CatalogRepository({
    client: documentClient(),
    tableName: tableName(defaultConfig, 'catalog'),
  });
  const register = async (tenantId: string, tier: string, isolation: 'pool' | 'silo') =>
    catalog.create({ tenantId, name: `${tenantId} Inc.`, tier, isolation, region: 'us-east-1' });
  await register('alpha', 'pro', 'pool');
  await register('bravo', 'starter', 'pool');
  await register('charlie', 'pro', 'pool');
  await catalog.transition('alpha', 'ACTIVE', { reason: 'onboarded' });
  await catalog.transition('charlie', 'ACTIVE', { reason: 'onboarded' });
  await catalog.transition('charlie', 'MIGRATING', { reason: 'promotion', executionArn: 'arn:exec:1' });
});

describe('tenantry tenants list', () => {
  it('lists every tenant, sorted, as a table', async () => {
    const result = await cli('tenants', 'list');
    expect(result.code).toBe(0);
    expect(result.out[0]).toMatch(/^TENANT\s+STATUS\s+TIER\s+ISOLATION\s+REGION\s+UPDATED$/);
    expect(result.out.slice(1, 4).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ['alpha', 'ACTIVE', 'pro'],
      ['bravo', 'PENDING', 'starter'],
      ['charlie', 'MIGRATING', 'pro'],
    ]);
    expect(result.out[4]).toBe('3 tenant(s)');
  });

  it('answers "which tenants are migrating" (--status), and filters by --tier', async () => {
    const migrating = await cli('--json', 'tenants', 'list', '--status', 'MIGRATING');
    const pro = await cli('--json', 'tenants', 'list', '--tier', 'pro');
    expect(json<{ tenantId: string }[]>(migrating).map((t) => t.tenantId)).toEqual(['charlie']);
    expect(json<{ tenantId: string }[]>(pro).map((t) => t.tenantId)).toEqual(['alpha', 'charlie']);
  });

  it('refuses an unknown status, naming --status and the allowed values', async () => {
    const result = await cli('tenants', 'list', '--status', 'migrating');
    expect(result.code).toBe(2);
    expect(result.err[0]).toBe(
      "error: option '--status <status>' argument 'migrating' is invalid. Allowed choices are PENDING, ACTIVE, MIGRATING, SUSPENDED, OFFBOARDING, OFFBOARDED, FAILED.",
    );
  });

  it('refuses an unknown option', async () => {
    const result = await cli('tenants', 'list', '--colour', 'red');
    expect(result.code).toBe(2);
    expect(result.err[0]).toBe("error: unknown option '--colour'");
  });
});

describe('tenantry tenants show', () => {
  it('shows the record and its history', async () => {
    const result = await cli('tenants', 'show', 'charlie');
    expect(result.code).toBe(0);
    expect(result.out[0]).toBe('charlie  charlie Inc.');
    expect(result.out[1]).toBe('  status MIGRATING · tier pro (pool) · region us-east-1 · version 2');
    expect(result.out.slice(-3).map((l) => l.replace(/^\s+\S+\s+/, ''))).toEqual([
      '- → PENDING',
      'PENDING → ACTIVE  (onboarded)',
      'ACTIVE → MIGRATING  (promotion)  arn:exec:1',
    ]);
  });

  it('--json gives the catalog record', async () => {
    const result = await cli('--json', 'tenants', 'show', 'alpha');
    expect(json(result)).toEqual(await catalog.get('alpha'));
  });

  it('exits 3 for an unknown tenant', async () => {
    const result = await cli('tenants', 'show', 'zulu');
    expect(result.code).toBe(3);
    expect(result.err).toEqual(['tenantry: TenantNotFoundError: tenant zulu does not exist']);
  });

  it('--help describes the command', async () => {
    const result = await cli('tenants', 'show', '--help');
    expect(result.code).toBe(0);
    expect(result.out[0]).toBe('Usage: tenantry tenants show [options] <ID>');
  });
});
