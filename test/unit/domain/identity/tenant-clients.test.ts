import { describe, expect, it } from 'vitest';
import { TenantCredentials } from '../../../../domain/identity/credentials';
import type { TenantRequest } from '../../../../domain/identity/request-context';
import { TenantClientFactory } from '../../../../domain/identity/tenant-clients';

function request(tenantId: string, accessKeyId: string): TenantRequest {
  const expiration = new Date('2026-03-01T10:15:00Z');
  return {
    tenantId,
    tier: 'pro',
    route: 'pool',
    access: 'read-write',
    credentials: new TenantCredentials(
      tenantId,
      accessKeyId,
      `secret-${tenantId}`,
      `token-${tenantId}`,
      expiration,
    ),
  };
}

describe('TenantClientFactory', () => {
  it('gives pooled compute clients signing with the handed-off credentials, reused per hand-off', async () => {
    const factory = new TenantClientFactory({ region: 'us-east-1' });

    const clients = factory.forRequest(request('acme', 'ASIAFAKEKEY1'));
    const dynamo = await clients.dynamo.config.credentials();
    const s3 = await clients.s3.config.credentials();

    expect([dynamo.accessKeyId, dynamo.secretAccessKey, dynamo.sessionToken]).toEqual([
      'ASIAFAKEKEY1',
      'secret-acme',
      'token-acme',
    ]);
    expect(s3.accessKeyId).toBe('ASIAFAKEKEY1');
    expect(factory.forRequest(request('acme', 'ASIAFAKEKEY1'))).toBe(clients);
  });

  it('keeps tenants, and a tenant’s fresh credentials, on clients of their own', async () => {
    const factory = new TenantClientFactory({ region: 'us-east-1' });
    const acme = factory.forRequest(request('acme', 'ASIAFAKEKEY1'));

    const globex = factory.forRequest(request('globex', 'ASIAFAKEKEY2'));
    const renewed = factory.forRequest(request('acme', 'ASIAFAKEKEY3'));

    expect(new Set([acme, globex, renewed]).size).toBe(3);
    expect((await globex.dynamo.config.credentials()).accessKeyId).toBe('ASIAFAKEKEY2');
    expect((await renewed.dynamo.config.credentials()).accessKeyId).toBe('ASIAFAKEKEY3');
  });
});
