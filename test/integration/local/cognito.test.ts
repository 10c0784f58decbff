import { beforeAll, describe, expect, it } from 'vitest';
import { type IdentityDemoResult, runIdentityDemo } from '../../../demo/identity';
import { documentClient } from '../../../domain/aws/clients';
import { CatalogRepository } from '../../../domain/catalog/repository';
import { loadConfig } from '../../../domain/config';
import { tableName } from '../../../domain/tables';
import { provisionLocalControlPlane } from '../../../local/control-plane';
import { resetLocalAws, useLocalAws } from '../support';

// Tokens issued by the local Cognito (moto): real RS256 tokens, verified through the local JWKS
// override, against a real catalog table and STS on moto.

let result: IdentityDemoResult;
const lines: string[] = [];

beforeAll(async () => {
  const aws = useLocalAws();
  await resetLocalAws();
  const config = loadConfig('');
  await provisionLocalControlPlane(config);
  const catalog = new CatalogRepository({
    client: documentClient(),
    tableName: tableName(config, 'catalog'),
  });
  result = await runIdentityDemo({
    config,
    log: (l) => lines.push(l),
    endpoint: aws.endpoint,
    region: aws.region,
    catalog,
  });
});

describe('identity on the local Cognito', () => {
  it('allows the pooled-tenant user, routed to the pool', () => {
    expect(result.pooled).toMatchObject({
      kind: 'allow',
      tenantId: 'idp-demo-pooled',
      tier: 'pro',
      route: 'pool',
    });
  });

  it('allows the silo-tenant user, routed to its silo', () => {
    expect(result.silo).toMatchObject({
      kind: 'allow',
      tenantId: 'idp-demo-silo',
      route: 'silo:tenantry-dev-silo-idp-demo-silo',
    });
  });

  it('rejects a token whose tenant claim was edited', () => {
    expect(result.tamperedToken.kind).toBe('unauthorized');
    expect(result.tamperedToken.kind === 'unauthorized' && result.tamperedToken.reason).toMatch(/signature/i);
  });

  it('keeps the token tenant when a header names another tenant', () => {
    expect(result.tenantHeader).toMatchObject({ kind: 'allow', tenantId: 'idp-demo-pooled' });
    expect(result.tenantHeader.warnings[0]?.kind).toBe('tenant-mismatch');
  });

  it('vended credentials once per tenant', () => {
    expect(result.stsCalls).toBe(2);
  });

  it('never prints a token or a secret', () => {
    const text = lines.join('\n');
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}/);
    expect(text).not.toMatch(/secretAccessKey|sessionToken/);
  });
});
