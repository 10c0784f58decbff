import type { CatalogRepository } from '../domain/catalog/repository';
import { resourceName, type TenantryConfig } from '../domain/config';
import type { AuthorizerDecision } from '../domain/identity/authorizer';
import { tenantUserAttributes } from '../domain/identity/claims';
import { tenantClaimsOverride } from '../domain/identity/pre-token';
import { cachedTenantLookup } from '../domain/identity/tenant-lookup';
import { siloTableName } from '../domain/lifecycle/silo';
import type { Tenant } from '../domain/tenant/tenant';
import { LOCAL_ACCOUNT } from '../local/lifecycle';
import { createLocalTenantUsers } from '../local/tenant-users';

export interface IdentityDemoInput {
  readonly config: TenantryConfig;
  readonly log: (line: string) => void;
  /** moto endpoint (http://127.0.0.1:<port>); AWS_ENDPOINT_URL etc. must already point at it. */
  readonly endpoint: string;
  readonly region: string;
  /** The catalog on the local environment (the demo registers two tenants of its own in it). */
  readonly catalog: CatalogRepository;
}

export interface IdentityDemoResult {
  readonly pooled: AuthorizerDecision;
  readonly silo: AuthorizerDecision;
  /** The pooled user's token with the tenant claim edited to the silo tenant: rejected. */
  readonly tamperedToken: AuthorizerDecision;
  /** The pooled user naming the silo tenant in X-Tenant-Id: the token's tenant is kept. */
  readonly tenantHeader: AuthorizerDecision;
  readonly stsCalls: number;
}

/**
 * The identity step of `make demo`: a pooled-tenant user and a silo-tenant user sign in on the
 * local Cognito (moto), the authorizer decides for each, and a cross-tenant attempt is denied.
 * moto never runs Cognito triggers, so the pre-token-generation logic is called directly to show
 * the claims it adds; the authorizer runs with the local JWKS override and ID tokens (moto's ID
 * tokens carry `custom:tenantId`).
 */
export async function runIdentityDemo(input: IdentityDemoInput): Promise<IdentityDemoResult> {
  const { config, log, catalog } = input;
  const pooledTenant = await ensureTenant(catalog, config, 'idp-demo-pooled', 'pro', 'pool');
  const siloTenant = await ensureTenant(catalog, config, 'idp-demo-silo', 'enterprise', 'silo');

  const users = await createLocalTenantUsers(config, input.endpoint);
  log(`local Cognito user pool ${users.userPoolId}, SPA client ${users.clientId}`);

  const signIn = async (tenant: Tenant, username: string): Promise<string> => {
    const token = await users.signIn(tenant, username);
    const claims = await tenantClaimsOverride(config, (id) => catalog.find(id), {
      [tenantUserAttributes.tenantId]: tenant.tenantId,
      [tenantUserAttributes.tier]: tenant.tier,
    });
    log(
      `${username} signed in; pre-token trigger adds ${JSON.stringify(claims.accessTokenGeneration.claimsToAddOrOverride)}`,
    );
    return token;
  };
  const pooledToken = await signIn(pooledTenant, 'ana@harbor.example');
  const siloToken = await signIn(siloTenant, 'jonas@rheinbank.example');

  const { authorizer, vending } = users.authorizer({
    tenants: cachedTenantLookup((id) => catalog.find(id), 30),
    dataLocation: {
      pooledTableArn: `arn:aws:dynamodb:${input.region}:${LOCAL_ACCOUNT}:table/${resourceName(config, 'pooled-data')}`,
      bucketName: resourceName(config, 'tenant-data'),
    },
  });
  const stageArn = `arn:aws:execute-api:${input.region}:${LOCAL_ACCOUNT}:demoapi/${config.naming.stage}`;
  const decide = (token: string, claimed: string[] = []) =>
    authorizer.decide({
      authorization: `Bearer ${token}`,
      methodArn: `${stageArn}/GET/documents`,
      claimedTenantIds: claimed,
    });
  const describe = (d: AuthorizerDecision) =>
    d.kind === 'allow'
      ? `ALLOW tenant=${d.tenantId} tier=${d.tier} route=${d.route} access=${d.access} (credentials vended, key ${d.credentials.accessKeyId.slice(0, 8)}…)`
      : `${d.kind.toUpperCase()}: ${d.reason}`;

  const pooled = await decide(pooledToken);
  log(`pooled user → ${describe(pooled)}`);
  const silo = await decide(siloToken);
  log(`silo user   → ${describe(silo)}`);

  const [head, body, signature] = pooledToken.split('.') as [string, string, string];
  const edited = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
  edited[tenantUserAttributes.tenantId] = siloTenant.tenantId;
  const tampered = `${head}.${Buffer.from(JSON.stringify(edited)).toString('base64url')}.${signature}`;
  const tamperedToken = await decide(tampered);
  log(`pooled user edits the tenant in their token to ${siloTenant.tenantId} → ${describe(tamperedToken)}`);
  const tenantHeader = await decide(pooledToken, [siloTenant.tenantId]);
  log(
    `pooled user sends X-Tenant-Id: ${siloTenant.tenantId} → ${describe(tenantHeader)}; ${tenantHeader.warnings.map((w) => w.detail).join('; ')}`,
  );
  log(`STS AssumeRole calls: ${vending.stsCalls} (credentials cached per tenant)`);
  return { pooled, silo, tamperedToken, tenantHeader, stsCalls: vending.stsCalls };
}

async function ensureTenant(
  catalog: CatalogRepository,
  config: TenantryConfig,
  tenantId: string,
  tier: string,
  isolation: 'pool' | 'silo',
): Promise<Tenant> {
  const existing = await catalog.find(tenantId);
  if (existing?.status === 'ACTIVE') return existing;
  if (existing === undefined) {
    await catalog.create({ tenantId, name: tenantId, tier, isolation, region: config.regions.primary });
  }
  if (isolation === 'silo') {
    await catalog.update(tenantId, (t) => ({
      ...t,
      silo: {
        stackId: `local-${tenantId}`,
        tableName: siloTableName(config, tenantId),
        tableArn: `arn:aws:dynamodb:${config.regions.primary}:${LOCAL_ACCOUNT}:table/${siloTableName(config, tenantId)}`,
        kmsKeyArn: `arn:aws:kms:${config.regions.primary}:${LOCAL_ACCOUNT}:key/local-${tenantId}`,
      },
    }));
  }
  return catalog.transition(tenantId, 'ACTIVE', { reason: 'identity demo' });
}
