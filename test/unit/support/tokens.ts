import { createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { STSClient } from '@aws-sdk/client-sts';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { defaultConfig } from '../../../domain/config';
import { TenantAuthorizer } from '../../../domain/identity/authorizer';
import { tenantUserAttributes } from '../../../domain/identity/claims';
import { TokenVendingMachine } from '../../../domain/identity/token-vending';
import type { UsageLimitCheck } from '../../../domain/identity/usage-limit';
import { asTokenVerifier } from '../../../domain/identity/verifier';
import { siloTableName } from '../../../domain/lifecycle/silo';
import type { TenantStatus } from '../../../domain/tenant/status';
import { newTenant, type Tenant } from '../../../domain/tenant/tenant';

/** Test tokens: RS256 keys made with node:crypto, signed by hand, verified by aws-jwt-verify. */

export const REGION = 'us-east-1';
export const USER_POOL_ID = 'us-east-1_TestPool1';
export const CLIENT_ID = 'testclient123';
export const ISSUER = `https://cognito-idp.${REGION}.amazonaws.com/${USER_POOL_ID}`;
export const ACCOUNT = '111122223333';
export const POOLED_TABLE_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/tenantry-dev-pooled-data`;
export const BUCKET = 'tenantry-dev-tenant-data';
export const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/tenantry-dev-tenant-runtime`;
export const STAGE_ARN = `arn:aws:execute-api:${REGION}:${ACCOUNT}:abc123/prod`;

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export function newSigningKey(kid = 'test-key-1'): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, publicKey };
}

export function jwksOf(...keys: SigningKey[]) {
  return {
    keys: keys.map((k) => ({
      ...(k.publicKey.export({ format: 'jwk' }) as object),
      kid: k.kid,
      alg: 'RS256',
      use: 'sig',
    })),
  } as { keys: { kid: string; alg: string; use: string; kty: 'RSA'; n: string; e: string }[] };
}

const b64url = (value: object | Buffer) =>
  (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value))).toString('base64url');

export function signRs256(key: SigningKey, payload: object, header: object = {}): string {
  const head = b64url({ alg: 'RS256', typ: 'JWT', kid: key.kid, ...header });
  const body = b64url(payload);
  const signature = sign('RSA-SHA256', Buffer.from(`${head}.${body}`), key.privateKey);
  return `${head}.${body}.${signature.toString('base64url')}`;
}

/** `alg: none`: an unsigned token. */
export function unsigned(key: SigningKey, payload: object): string {
  return `${b64url({ alg: 'none', typ: 'JWT', kid: key.kid })}.${b64url(payload)}.`;
}

/** The classic key-confusion forgery: HS256 with the RSA public key (PEM) as the HMAC secret. */
export function hs256WithPublicKey(key: SigningKey, payload: object): string {
  const head = b64url({ alg: 'HS256', typ: 'JWT', kid: key.kid });
  const body = b64url(payload);
  const pem = key.publicKey.export({ format: 'pem', type: 'spki' });
  const mac = createHmac('sha256', pem).update(`${head}.${body}`).digest();
  return `${head}.${body}.${mac.toString('base64url')}`;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

export function accessClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sub: 'user-sub-1',
    iss: ISSUER,
    client_id: CLIENT_ID,
    token_use: 'access',
    scope: 'openid',
    auth_time: nowSeconds() - 10,
    iat: nowSeconds() - 10,
    exp: nowSeconds() + 3600,
    jti: 'jti-1',
    username: 'alice',
    tenantId: 'acme',
    tier: 'pro',
    ...overrides,
  };
}

export function idClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sub: 'user-sub-1',
    iss: ISSUER,
    aud: CLIENT_ID,
    token_use: 'id',
    auth_time: nowSeconds() - 10,
    iat: nowSeconds() - 10,
    exp: nowSeconds() + 3600,
    'cognito:username': 'alice',
    [tenantUserAttributes.tenantId]: 'acme',
    [tenantUserAttributes.tier]: 'pro',
    ...overrides,
  };
}

export function tenantRecord(
  tenantId: string,
  tier: string,
  status: TenantStatus,
  isolation: 'pool' | 'silo' = 'pool',
): Tenant {
  const base = newTenant({ tenantId, name: tenantId, tier, isolation, region: REGION });
  return {
    ...base,
    status,
    ...(isolation === 'silo'
      ? {
          silo: {
            stackId: `stack-${tenantId}`,
            tableName: siloTableName(defaultConfig, tenantId),
            tableArn: `arn:aws:dynamodb:us-east-1:111122223333:table/${siloTableName(defaultConfig, tenantId)}`,
            kmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/x',
          },
        }
      : {}),
  };
}

export interface Harness {
  readonly authorizer: TenantAuthorizer;
  readonly vending: TokenVendingMachine;
  readonly tenants: Map<string, Tenant>;
  catalogReads: number;
}

/** An authorizer over an in-memory catalog and the given (mocked) STS client. */
export function harness(options: {
  key: SigningKey;
  tokenUse?: 'access' | 'id';
  usageLimit?: UsageLimitCheck;
  tenants?: Tenant[];
}): Harness {
  const verifier = CognitoJwtVerifier.create({
    userPoolId: USER_POOL_ID,
    clientId: CLIENT_ID,
    tokenUse: options.tokenUse ?? 'access',
  });
  verifier.cacheJwks(jwksOf(options.key));
  const tenants = new Map<string, Tenant>((options.tenants ?? defaultTenants()).map((t) => [t.tenantId, t]));
  const vending = new TokenVendingMachine({ sts: new STSClient({ region: REGION }), roleArn: ROLE_ARN });
  const h: Harness = {
    tenants,
    vending,
    catalogReads: 0,
    authorizer: new TenantAuthorizer({
      config: defaultConfig,
      verifier: asTokenVerifier(verifier),
      tenants: async (id) => {
        h.catalogReads++;
        return tenants.get(id);
      },
      usageLimit: options.usageLimit ?? (async () => ({ exceeded: false })),
      vending,
      dataLocation: { pooledTableArn: POOLED_TABLE_ARN, bucketName: BUCKET },
    }),
  };
  return h;
}

export function defaultTenants(): Tenant[] {
  return [
    tenantRecord('acme', 'pro', 'ACTIVE'),
    tenantRecord('globex', 'starter', 'ACTIVE'),
    tenantRecord('initech', 'enterprise', 'ACTIVE', 'silo'),
    tenantRecord('moving', 'business', 'MIGRATING'),
    tenantRecord('pending', 'pro', 'PENDING'),
    tenantRecord('suspended', 'pro', 'SUSPENDED'),
    tenantRecord('leaving', 'pro', 'OFFBOARDING'),
    tenantRecord('gone', 'pro', 'OFFBOARDED'),
    tenantRecord('broken', 'pro', 'FAILED'),
  ];
}

/** STS mock answer: distinct fake credentials per call. */
export function fakeCredentials(n: number) {
  return {
    Credentials: {
      AccessKeyId: `ASIAFAKEKEY${n}`,
      SecretAccessKey: `fake-secret-access-key-${n}`,
      SessionToken: `fake-session-token-${n}`,
      Expiration: new Date(Date.now() + 900_000),
    },
  };
}
