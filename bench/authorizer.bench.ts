// The authorizer's warm path (verified token, cached JWKS, cached catalog entry, cached credentials)
// against bare aws-jwt-verify on the same tokens, in one run; and the STS calls for 10,000 requests
// across 100 tenants. Writes bench/results/authorizer.json.
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { STSClient } from '@aws-sdk/client-sts';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { defaultConfig } from '../domain/config';
import { TenantAuthorizer } from '../domain/identity/authorizer';
import { cachedTenantLookup } from '../domain/identity/tenant-lookup';
import { TokenVendingMachine } from '../domain/identity/token-vending';
import { allowAllUsage, cachedUsageLimitCheck } from '../domain/identity/usage-limit';
import { asTokenVerifier } from '../domain/identity/verifier';
import { newTenant } from '../domain/tenant/tenant';

const POOL = 'us-east-1_BenchPool1';
const CLIENT = 'benchclient1';
const TENANTS = 100;
const REQUESTS = 10_000;

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...(publicKey.export({ format: 'jwk' }) as object), kid: 'bench', alg: 'RS256', use: 'sig' };
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
function token(tenantId: string): string {
  const now = Math.floor(Date.now() / 1000);
  const head = b64({ alg: 'RS256', kid: 'bench', typ: 'JWT' });
  const body = b64({
    sub: `user-${tenantId}`,
    iss: `https://cognito-idp.us-east-1.amazonaws.com/${POOL}`,
    client_id: CLIENT,
    token_use: 'access',
    iat: now,
    exp: now + 3600,
    tenantId,
    tier: 'pro',
  });
  return `${head}.${body}.${sign('RSA-SHA256', Buffer.from(`${head}.${body}`), privateKey).toString('base64url')}`;
}

const tenantIds = Array.from({ length: TENANTS }, (_, i) => `bench-tenant-${i}`);
const tokens = tenantIds.map(token);
const catalog = new Map(
  tenantIds.map((id) => [
    id,
    {
      ...newTenant({ tenantId: id, name: id, tier: 'pro', isolation: 'pool', region: 'us-east-1' }),
      status: 'ACTIVE' as const,
    },
  ]),
);
let catalogReads = 0;
let stsCalls = 0;
const fakeSts = {
  send: async () => {
    stsCalls++;
    return {
      Credentials: {
        AccessKeyId: `ASIA${stsCalls}`,
        SecretAccessKey: 'x',
        SessionToken: 'y',
        Expiration: new Date(Date.now() + 900_000),
      },
    };
  },
} as unknown as STSClient;

function verifier() {
  const v = CognitoJwtVerifier.create({ userPoolId: POOL, clientId: CLIENT, tokenUse: 'access' });
  v.cacheJwks({ keys: [jwk as never] });
  return v;
}
const bare = verifier();
const vending = new TokenVendingMachine({
  sts: fakeSts,
  roleArn: 'arn:aws:iam::111122223333:role/tenantry-dev-tenant-runtime',
});
const authorizer = new TenantAuthorizer({
  config: defaultConfig,
  verifier: asTokenVerifier(verifier()),
  tenants: cachedTenantLookup(async (id) => {
    catalogReads++;
    return catalog.get(id);
  }, 300),
  usageLimit: cachedUsageLimitCheck(allowAllUsage, 60),
  vending,
  dataLocation: {
    pooledTableArn: 'arn:aws:dynamodb:us-east-1:111122223333:table/tenantry-dev-pooled-data',
    bucketName: 'tenantry-dev-tenant-data',
  },
});
const methodArn = 'arn:aws:execute-api:us-east-1:111122223333:abc123/dev/GET/documents';

// Pass 1 (cold caches): 10,000 requests across 100 tenants — counts STS calls and catalog reads.
for (let i = 0; i < REQUESTS; i++) {
  const d = await authorizer.decide({
    authorization: `Bearer ${tokens[i % TENANTS]}`,
    methodArn,
  });
  if (d.kind !== 'allow') throw new Error(`unexpected decision ${d.kind}`);
}
const coldStsCalls = stsCalls;
const coldCatalogReads = catalogReads;

// Pass 2 (warm): interleave authorizer and bare verification on the same tokens.
for (let i = 0; i < 500; i++) await bare.verify(tokens[i % TENANTS] as string); // JIT warm-up
const authTimes: number[] = [];
const bareTimes: number[] = [];
for (let i = 0; i < REQUESTS; i++) {
  const t = tokens[i % TENANTS] as string;
  let start = process.hrtime.bigint();
  await bare.verify(t);
  bareTimes.push(Number(process.hrtime.bigint() - start) / 1e6);
  start = process.hrtime.bigint();
  await authorizer.decide({ authorization: `Bearer ${t}`, methodArn });
  authTimes.push(Number(process.hrtime.bigint() - start) / 1e6);
}
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
};
const round = (x: number) => Math.round(x * 1000) / 1000;
const result = {
  requests: REQUESTS,
  tenants: TENANTS,
  authorizerMs: { p50: round(pct(authTimes, 50)), p99: round(pct(authTimes, 99)) },
  bareVerifyMs: { p50: round(pct(bareTimes, 50)), p99: round(pct(bareTimes, 99)) },
  ratio: {
    p50: round(pct(authTimes, 50) / pct(bareTimes, 50)),
    p99: round(pct(authTimes, 99) / pct(bareTimes, 99)),
  },
  stsCallsFor10kRequestsAcross100Tenants: coldStsCalls,
  catalogReadsFor10kRequests: coldCatalogReads,
  stsCallsDuringWarmPass: stsCalls - coldStsCalls,
  node: process.version,
  at: new Date().toISOString(),
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/authorizer.json', `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
