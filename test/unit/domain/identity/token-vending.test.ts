import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { bucketArnOf } from '../../../../domain/identity/session-policy';
import {
  roleSessionName,
  type TenantSession,
  TokenVendingMachine,
} from '../../../../domain/identity/token-vending';

const ROLE = 'arn:aws:iam::111122223333:role/tenantry-dev-tenant-runtime';
const POOLED = 'arn:aws:dynamodb:us-east-1:111122223333:table/tenantry-dev-pooled-data';
const BUCKET = bucketArnOf('aws', 'tenantry-dev-tenant-data');
const sts = mockClient(STSClient);

function session(tenantId: string, access: TenantSession['access'] = 'read-write'): TenantSession {
  return { tenantId, tier: 'pro', access, tableArns: [POOLED], bucketArn: BUCKET };
}

let now = Date.parse('2026-03-01T10:00:00Z');
let issued = 0;

beforeEach(() => {
  sts.reset();
  now = Date.parse('2026-03-01T10:00:00Z');
  issued = 0;
  sts.on(AssumeRoleCommand).callsFake(async () => {
    issued++;
    return {
      Credentials: {
        AccessKeyId: `ASIAFAKE${issued}`,
        SecretAccessKey: `secret-${issued}`,
        SessionToken: `session-token-${issued}`,
        Expiration: new Date(now + 900_000),
      },
    };
  });
});

function machine() {
  return new TokenVendingMachine({
    sts: new STSClient({ region: 'us-east-1' }),
    roleArn: ROLE,
    minRemainingSeconds: 120,
    now: () => now,
  });
}

describe('TokenVendingMachine', () => {
  it("assumes an account tenant's runtime role in its own account, with the same tags, duration and session policy", async () => {
    // Prepare
    const vending = machine();
    const TENANT_ROLE = 'arn:aws:iam::210987654321:role/TenantryTenantRuntime';
    const TENANT_TABLE = 'arn:aws:dynamodb:eu-central-1:210987654321:table/tenantry-dev-silo-data-rhein';
    const pooled = { ...session('rhein'), tier: 'sovereign' };
    const inAccount = { ...pooled, tableArns: [TENANT_TABLE], roleArn: TENANT_ROLE };

    // Act
    await vending.credentialsFor(pooled);
    await vending.credentialsFor(inAccount);
    await vending.credentialsFor(inAccount);

    // Assess
    const calls = sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.RoleArn)).toEqual([ROLE, TENANT_ROLE]);
    expect(calls[1]?.DurationSeconds).toBe(900);
    expect(calls[1]?.Tags).toEqual([
      { Key: 'tenantId', Value: 'rhein' },
      { Key: 'tier', Value: 'sovereign' },
    ]);
    expect(calls[1]?.Policy).toContain(TENANT_TABLE);
    expect(calls[1]?.Policy).not.toContain(POOLED);
  });

  it('assumes the tenant-runtime role with tags, a tenant session name, 900 s and the session policy', async () => {
    const vending = machine();

    await vending.credentialsFor(session('acme'));

    const input = sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input;
    expect(input?.RoleArn).toBe(ROLE);
    expect(input?.DurationSeconds).toBe(900);
    expect(input?.RoleSessionName).toBe(`tenant-acme-${now / 1000}`);
    expect(input?.Tags).toEqual([
      { Key: 'tenantId', Value: 'acme' },
      { Key: 'tier', Value: 'pro' },
    ]);
    const policy = JSON.parse(input?.Policy ?? '{}');
    expect(JSON.stringify(policy)).toContain('"dynamodb:LeadingKeys":["TENANT#acme#*"]');
    expect(JSON.stringify(policy)).toContain('arn:aws:s3:::tenantry-dev-tenant-data/acme/*');
  });

  it('reuses a tenant credential until shortly before expiry, then refreshes', async () => {
    const vending = machine();

    const first = await vending.credentialsFor(session('acme'));
    now += 700_000; // 200 s left > 120 s margin
    const second = await vending.credentialsFor(session('acme'));
    now += 90_000; // 110 s left < 120 s margin
    const third = await vending.credentialsFor(session('acme'));

    expect(second.accessKeyId).toBe(first.accessKeyId);
    expect(third.accessKeyId).not.toBe(first.accessKeyId);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it('keeps tenants and access levels apart', async () => {
    const vending = machine();

    const a = await vending.credentialsFor(session('acme'));
    const b = await vending.credentialsFor(session('globex'));
    const aReadOnly = await vending.credentialsFor(session('acme', 'read-only'));

    expect(new Set([a.accessKeyId, b.accessKeyId, aReadOnly.accessKeyId]).size).toBe(3);
    const readOnlyPolicy = sts.commandCalls(AssumeRoleCommand)[2]?.args[0].input.Policy ?? '';
    expect(readOnlyPolicy).not.toContain('dynamodb:PutItem');
  });

  it('makes one STS call for concurrent first requests of a tenant', async () => {
    const vending = machine();

    await Promise.all(Array.from({ length: 20 }, () => vending.credentialsFor(session('acme'))));

    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    expect(vending.stsCalls).toBe(1);
  });

  it('reports each AssumeRole call to onAssumeRole, and no cache hit', async () => {
    // Prepare
    let reported = 0;
    const vending = new TokenVendingMachine({
      sts: new STSClient({ region: 'us-east-1' }),
      roleArn: ROLE,
      now: () => now,
      onAssumeRole: () => reported++,
    });

    // Act
    await vending.credentialsFor(session('acme'));
    await vending.credentialsFor(session('acme'));
    await vending.credentialsFor(session('globex'));
    now += 900_000;
    await vending.credentialsFor(session('acme'));

    // Assess
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(3);
    expect(reported).toBe(3);
  });

  it('makes 100 STS calls for 10,000 requests across 100 tenants', async () => {
    const vending = machine();
    const tenants = Array.from({ length: 100 }, (_, i) => `tenant-${i}`);

    for (let i = 0; i < 10_000; i++) await vending.credentialsFor(session(tenants[i % 100] as string));

    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(100);
  });

  it('names the tenant when STS fails, without credentials', async () => {
    sts.on(AssumeRoleCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    const vending = machine();

    await expect(vending.credentialsFor(session('acme'))).rejects.toThrow(
      'cannot vend credentials for tenant acme: AssumeRole failed: AccessDenied',
    );
  });

  it('rejects an invalid tenant id before calling STS', async () => {
    const vending = machine();

    await expect(vending.credentialsFor(session('ACME*'))).rejects.toThrow(/must be 3-40 characters/);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });
});

describe('roleSessionName', () => {
  it('fits the STS charset and length for the longest tenant id', () => {
    const name = roleSessionName(`t${'9'.repeat(38)}z`, Date.parse('2026-03-01T10:00:00Z'));
    expect(name).toMatch(/^[\w+=,.@-]{2,64}$/);
    expect(name).toBe(`tenant-t${'9'.repeat(38)}z-1772359200`);
  });
});
