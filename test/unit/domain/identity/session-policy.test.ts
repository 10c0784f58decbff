import { runSimulation } from '@cloud-copilot/iam-simulate';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig, type IsolationModel } from '../../../../domain/config';
import {
  bucketArnOf,
  collectionTableArnPattern,
  type PolicyDocument,
  SESSION_POLICY_MAX_CHARS,
  serializeSessionPolicy,
  siloTableArnPatterns,
  tenantRuntimeRolePolicy,
  tenantSessionPolicy,
} from '../../../../domain/identity/session-policy';
import { tenantDataResources } from '../../../../domain/identity/tenant-resources';
import { siloTableName } from '../../../../domain/lifecycle/silo';
import type { AccessLevel } from '../../../../domain/tenant/status';
import { deployedSiloKeyPolicy } from '../../support/silo-key-policy';

// Isolation is proven with an IAM policy evaluator (moto ignores condition keys and session
// policies). Every request is evaluated against the role's identity policy (ABAC on the session tag)
// AND the inline session policy, as IAM does for an assumed-role session.

const ACCOUNT = '111122223333';
const POOLED = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/tenantry-dev-pooled-data`;
const BUCKET = bucketArnOf('aws', 'tenantry-dev-tenant-data');
const ROLE_POLICY = tenantRuntimeRolePolicy({
  tableArns: [
    POOLED,
    ...siloTableArnPatterns(defaultConfig, 'aws', ACCOUNT),
    collectionTableArnPattern(defaultConfig, 'aws', 'us-east-1', ACCOUNT),
  ],
  bucketArn: BUCKET,
});
const LOCATION = { pooledTableArn: POOLED, bucketName: 'tenantry-dev-tenant-data' };
const A = 'tenant-a';
const B = 'tenant-b';
/** A tenant whose id extends A's: `TENANT#tenant-ab#…` must not match `TENANT#tenant-a#*`. */
const AB = 'tenant-ab';

type Verdict = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

interface Session {
  readonly tenantTag: string | undefined;
  readonly sessionPolicy: PolicyDocument;
}

function siloTable(tenantId: string, region = 'us-east-1'): string {
  return `arn:aws:dynamodb:${region}:${ACCOUNT}:table/tenantry-dev-silo-data-${tenantId}`;
}

function sessionFor(
  tenantId: string,
  isolation: IsolationModel,
  access: Exclude<AccessLevel, 'none'>,
): Session {
  return {
    tenantTag: tenantId,
    sessionPolicy: tenantSessionPolicy({
      tenantId,
      access,
      tableArns: [isolation === 'pool' ? POOLED : siloTable(tenantId)],
      bucketArn: BUCKET,
    }),
  };
}

async function evaluate(
  session: Session,
  action: string,
  resource: string,
  context: Record<string, string | string[]> = {},
  resourcePolicy?: PolicyDocument,
): Promise<Verdict> {
  const contextVariables: Record<string, string | string[]> = { ...context };
  if (session.tenantTag !== undefined) contextVariables['aws:PrincipalTag/tenantId'] = session.tenantTag;
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/tenantry-dev-tenant-runtime/tenant-${session.tenantTag ?? 'x'}`,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables,
      },
      identityPolicies: [{ name: 'tenant-runtime', policy: ROLE_POLICY }],
      sessionPolicy: session.sessionPolicy,
      ...(resourcePolicy === undefined ? {} : { resourcePolicy }),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`simulation error: ${JSON.stringify(result.errors)}`);
  return result.overallResult as Verdict;
}

const keys = (...tenantIds: string[]) => ({
  'dynamodb:LeadingKeys': tenantIds.map((id) => `TENANT#${id}#documents`),
});

describe.each(defaultConfig.tiers.map((t) => [t.name, t.isolation] as const))(
  'tier %s (%s): tenant A role policy + session policy',
  (_tier, isolation) => {
    const table = isolation === 'pool' ? POOLED : siloTable(A);
    const a = sessionFor(A, isolation, 'read-write');

    it.each([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    ])('allows %s on A keys', async (action) => {
      expect(await evaluate(a, action, table, keys(A))).toBe('Allowed');
    });

    it('allows BatchGetItem when every key is A', async () => {
      expect(
        await evaluate(a, 'dynamodb:BatchGetItem', table, {
          'dynamodb:LeadingKeys': [`TENANT#${A}#x`, `TENANT#${A}#y`],
        }),
      ).toBe('Allowed');
    });

    it.each(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'])(
      'denies %s on B keys',
      async (action) => {
        expect(await evaluate(a, action, table, keys(B))).not.toBe('Allowed');
      },
    );

    it('denies keys of a tenant whose id merely starts with A', async () => {
      expect(await evaluate(a, 'dynamodb:GetItem', table, keys(AB))).not.toBe('Allowed');
    });

    it('denies a batch mixing A and B keys', async () => {
      expect(await evaluate(a, 'dynamodb:BatchGetItem', table, keys(A, B))).not.toBe('Allowed');
      expect(await evaluate(a, 'dynamodb:BatchWriteItem', table, keys(A, B))).not.toBe('Allowed');
    });

    it("denies Query on the pooled table's byTenant index, for B's and for A's own id", async () => {
      // The index is the control plane's: its ARN is not granted, and a Query's LeadingKeys there is the
      // index partition key value (`<tenantId>`), which never matches `TENANT#<id>#*`.
      const index = `${POOLED}/index/byTenant`;
      expect(await evaluate(a, 'dynamodb:Query', index, { 'dynamodb:LeadingKeys': [B] })).not.toBe('Allowed');
      expect(await evaluate(a, 'dynamodb:Query', index, { 'dynamodb:LeadingKeys': [A] })).not.toBe('Allowed');
    });

    it('explicitly denies Scan and keyless Query/GetItem', async () => {
      expect(await evaluate(a, 'dynamodb:Scan', table)).toBe('ExplicitlyDenied');
      expect(await evaluate(a, 'dynamodb:Query', table)).toBe('ExplicitlyDenied');
      expect(await evaluate(a, 'dynamodb:GetItem', table)).toBe('ExplicitlyDenied');
    });

    it('explicitly denies PartiQL even with A keys', async () => {
      expect(await evaluate(a, 'dynamodb:PartiQLSelect', table, keys(A))).toBe('ExplicitlyDenied');
    });

    it('allows objects under A/ and denies objects elsewhere', async () => {
      expect(await evaluate(a, 's3:GetObject', `${BUCKET}/${A}/doc.pdf`)).toBe('Allowed');
      expect(await evaluate(a, 's3:PutObject', `${BUCKET}/${A}/doc.pdf`)).toBe('Allowed');
      expect(await evaluate(a, 's3:GetObject', `${BUCKET}/${B}/doc.pdf`)).not.toBe('Allowed');
      expect(await evaluate(a, 's3:PutObject', `${BUCKET}/${AB}/doc.pdf`)).not.toBe('Allowed');
      expect(await evaluate(a, 's3:GetObject', `${BUCKET}/doc.pdf`)).not.toBe('Allowed');
    });

    it('allows listing A/ only', async () => {
      expect(await evaluate(a, 's3:ListBucket', BUCKET, { 's3:prefix': `${A}/` })).toBe('Allowed');
      expect(await evaluate(a, 's3:ListBucket', BUCKET, { 's3:prefix': `${A}/reports/` })).toBe('Allowed');
      expect(await evaluate(a, 's3:ListBucket', BUCKET, { 's3:prefix': `${B}/` })).not.toBe('Allowed');
      expect(await evaluate(a, 's3:ListBucket', BUCKET, { 's3:prefix': '' })).not.toBe('Allowed');
      expect(await evaluate(a, 's3:ListBucket', BUCKET)).not.toBe('Allowed');
    });

    it('read-only sessions (MIGRATING) read A but write nothing', async () => {
      const readOnly = sessionFor(A, isolation, 'read-only');
      expect(await evaluate(readOnly, 'dynamodb:GetItem', table, keys(A))).toBe('Allowed');
      expect(await evaluate(readOnly, 'dynamodb:PutItem', table, keys(A))).not.toBe('Allowed');
      expect(await evaluate(readOnly, 's3:PutObject', `${BUCKET}/${A}/x`)).not.toBe('Allowed');
    });

    it('a session tagged B with A session policy reaches neither tenant', async () => {
      const confused: Session = { tenantTag: B, sessionPolicy: a.sessionPolicy };
      expect(await evaluate(confused, 'dynamodb:GetItem', table, keys(A))).not.toBe('Allowed');
      expect(await evaluate(confused, 'dynamodb:GetItem', table, keys(B))).not.toBe('Allowed');
    });

    it('a session without the tenant tag is denied', async () => {
      const untagged: Session = { tenantTag: undefined, sessionPolicy: a.sessionPolicy };
      expect(await evaluate(untagged, 'dynamodb:GetItem', table, keys(A))).toBe('ExplicitlyDenied');
    });
  },
);

describe('silo sessions', () => {
  it('reach only their own silo table, not the pooled table or another silo', async () => {
    const a = sessionFor(A, 'silo', 'read-write');
    expect(await evaluate(a, 'dynamodb:GetItem', siloTable(A), keys(A))).toBe('Allowed');
    expect(await evaluate(a, 'dynamodb:GetItem', POOLED, keys(A))).not.toBe('Allowed');
    expect(await evaluate(a, 'dynamodb:GetItem', siloTable(B), keys(A))).not.toBe('Allowed');
  });

  it('reach a silo table only in a region of regions.siloAllowed, even with a session policy naming another', async () => {
    // Prepare: a session policy that names A's table in a region outside regions.siloAllowed
    const elsewhere = siloTable(A, 'ap-southeast-2');
    const a: Session = {
      tenantTag: A,
      sessionPolicy: tenantSessionPolicy({
        tenantId: A,
        access: 'read-write',
        tableArns: [elsewhere, siloTable(A, 'eu-central-1')],
        bucketArn: BUCKET,
      }),
    };

    // Act / Assess: the role itself covers the allowed regions only
    expect(defaultConfig.regions.siloAllowed).not.toContain('ap-southeast-2');
    expect(await evaluate(a, 'dynamodb:GetItem', elsewhere, keys(A))).toBe('ImplicitlyDenied');
    expect(await evaluate(a, 'dynamodb:GetItem', siloTable(A, 'eu-central-1'), keys(A))).toBe('Allowed');
  });

  it('refuses a recorded silo table the role does not cover', () => {
    // Prepare
    const tenant = {
      tenantId: A,
      isolation: 'silo' as const,
      region: 'us-east-1',
      silo: {
        stackId: 's',
        tableName: 'tenantry-dev-catalog',
        tableArn: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/tenantry-dev-catalog`,
        kmsKeyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/0a1b2c3d-0000-4000-8000-00000000000a`,
      },
    };
    // Act / Assess
    expect(() => tenantDataResources(defaultConfig, LOCATION, tenant)).toThrow(
      /not named tenantry-dev-silo-data-/,
    );
  });
});

describe('business sessions: the pool plus their own dedicated collection table', () => {
  const collectionTable = (tenantId: string) =>
    `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/tenantry-dev-collection-${tenantId}.documents`;
  const businessTenant = (tenantId: string) => ({
    tenantId,
    isolation: 'pool' as const,
    region: 'us-east-1',
    collections: [
      {
        collection: 'documents',
        tableName: `tenantry-dev-collection-${tenantId}.documents`,
        tableArn: collectionTable(tenantId),
      },
    ],
  });
  /** The session the authorizer vends: the resources the catalog records for the tenant. */
  const businessSession = (tenantId: string): Session => ({
    tenantTag: tenantId,
    sessionPolicy: tenantSessionPolicy({
      tenantId,
      access: 'read-write',
      ...tenantDataResources(defaultConfig, LOCATION, businessTenant(tenantId)),
    }),
  });

  it.each(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'])(
    "allows %s on A's collection table with A keys",
    async (action) => {
      expect(await evaluate(businessSession(A), action, collectionTable(A), keys(A))).toBe('Allowed');
    },
  );

  it("never reaches B's collection table, with A's keys or B's", async () => {
    const a = businessSession(A);
    for (const action of ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem']) {
      expect(await evaluate(a, action, collectionTable(B), keys(A))).not.toBe('Allowed');
      expect(await evaluate(a, action, collectionTable(B), keys(B))).not.toBe('Allowed');
    }
  });

  it('keeps the LeadingKeys rule on its own table: B keys and Scan are denied', async () => {
    const a = businessSession(A);
    expect(await evaluate(a, 'dynamodb:GetItem', collectionTable(A), keys(B))).not.toBe('Allowed');
    expect(await evaluate(a, 'dynamodb:Scan', collectionTable(A))).toBe('ExplicitlyDenied');
    expect(await evaluate(a, 'dynamodb:GetItem', POOLED, keys(A))).toBe('Allowed');
  });

  it('refuses a recorded collection table named for another tenant', () => {
    const planted = { ...businessTenant(A), collections: businessTenant(B).collections };
    expect(() => tenantDataResources(defaultConfig, LOCATION, planted)).toThrow(
      /is not tenantry-dev-collection-tenant-a\.documents/,
    );
  });
});

describe('the evaluator catches a broken policy (negative control)', () => {
  it('a condition key with a typo (as in a peer sample) isolates nothing', async () => {
    const broken: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Typo',
          Effect: 'Allow',
          Action: 'dynamodb:GetItem',
          Resource: POOLED,
          Condition: { 'ForAllValues:StringLike': { 'dynamodb: LeadingKeys': [`TENANT#${A}#*`] } },
        },
      ],
    };
    const verdict = await runSimulation(
      {
        request: {
          principal: `arn:aws:iam::${ACCOUNT}:role/x`,
          action: 'dynamodb:GetItem',
          resource: { resource: POOLED, accountId: ACCOUNT },
          contextVariables: keys(B),
        },
        identityPolicies: [{ name: 'broken', policy: broken }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    expect(verdict.resultType === 'error' ? 'error' : verdict.overallResult).toBe('Allowed');
  });
});

describe('session policy text', () => {
  it('stays under the AssumeRole limit for the longest tenant id and a silo table', () => {
    const longest = `t${'a'.repeat(38)}z`;
    const text = serializeSessionPolicy(
      longest,
      tenantSessionPolicy({
        tenantId: longest,
        access: 'read-write',
        tableArns: [siloTable(longest)],
        bucketArn: BUCKET,
        siloKeyArn: `arn:aws-us-gov:kms:us-gov-west-1:${ACCOUNT}:key/mrk-${'0'.repeat(64)}`,
      }),
    );
    expect(text.length).toBeLessThanOrEqual(SESSION_POLICY_MAX_CHARS);
    expect(text).toContain(`"TENANT#${longest}#*"`);
  });

  it('refuses a tenant id that could widen the pattern', () => {
    expect(() =>
      tenantSessionPolicy({ tenantId: 'a*', access: 'read-write', tableArns: [POOLED], bucketArn: BUCKET }),
    ).toThrow(/tenantId|must be/);
  });

  it('spells the condition key exactly dynamodb:LeadingKeys', () => {
    const policy = tenantSessionPolicy({
      tenantId: A,
      access: 'read-write',
      tableArns: [POOLED],
      bucketArn: BUCKET,
    });
    const allow = policy.Statement.find((s) => s.Sid === 'TenantItemsOnly');
    expect(allow?.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['TENANT#tenant-a#*'] },
    });
  });
});

// Silo tables are encrypted with the tenant's own key, and DynamoDB calls KMS with the caller's
// permissions: each request is evaluated against the role's identity policy, the vended session policy
// and the key policy the silo template deploys for that tenant (a key policy is KMS's resource policy).
describe('silo keys: identity policy + session policy + key policy', () => {
  const EU = 'eu-central-1';
  const RUNTIME_ROLE = `arn:aws:iam::${ACCOUNT}:role/tenantry-dev-tenant-runtime`;
  const keyArn = (tenantId: string) =>
    `arn:aws:kms:${EU}:${ACCOUNT}:key/${tenantId}-0000-4000-8000-000000000000`;
  const keyPolicies = new Map<string, PolicyDocument>();
  const keyPolicy = (tenantId: string) => keyPolicies.get(tenantId) as PolicyDocument;
  beforeAll(() => {
    // The silo template is synthesized once (CDK synth takes seconds).
    for (const tenantId of [A, B]) {
      keyPolicies.set(
        tenantId,
        deployedSiloKeyPolicy({
          tenantId,
          region: EU,
          account: ACCOUNT,
          tenantAccessRoleArn: RUNTIME_ROLE,
          dataMoverRoleArns: [`arn:aws:iam::${ACCOUNT}:role/tenantry-dev-lifecycle-copy`],
        }),
      );
    }
  }, 60_000);
  const viaDynamoDb = { 'kms:ViaService': `dynamodb.${EU}.amazonaws.com` };
  const location = LOCATION;
  /** The session the authorizer vends for a catalog record (silo resources as recorded there). */
  const vended = (tenantId: string, isolation: 'pool' | 'silo'): Session => {
    const resources = tenantDataResources(defaultConfig, location, {
      tenantId,
      isolation,
      region: EU,
      ...(isolation === 'silo'
        ? {
            silo: {
              stackId: `arn:aws:cloudformation:${EU}:${ACCOUNT}:stack/tenantry-dev-silo-${tenantId}/1`,
              tableName: siloTableName(defaultConfig, tenantId),
              tableArn: siloTable(tenantId, EU),
              kmsKeyArn: keyArn(tenantId),
            },
          }
        : {}),
    });
    return {
      tenantTag: tenantId,
      sessionPolicy: tenantSessionPolicy({ tenantId, access: 'read-write', ...resources }),
    };
  };

  it.each(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'])(
    "A's silo session may %s with A's key through DynamoDB in A's region",
    async (action) => {
      expect(await evaluate(vended(A, 'silo'), action, keyArn(A), viaDynamoDb, keyPolicy(A))).toBe('Allowed');
    },
  );

  it("A's silo session may not use B's key, even through DynamoDB", async () => {
    const a = vended(A, 'silo');
    for (const action of ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']) {
      expect(await evaluate(a, action, keyArn(B), viaDynamoDb, keyPolicy(B))).not.toBe('Allowed');
    }
  });

  it("A's silo session may not call KMS directly, through another service or another region", async () => {
    const a = vended(A, 'silo');
    expect(await evaluate(a, 'kms:Decrypt', keyArn(A), {}, keyPolicy(A))).not.toBe('Allowed');
    expect(
      await evaluate(
        a,
        'kms:Decrypt',
        keyArn(A),
        { 'kms:ViaService': `s3.${EU}.amazonaws.com` },
        keyPolicy(A),
      ),
    ).not.toBe('Allowed');
    expect(
      await evaluate(
        a,
        'kms:Decrypt',
        keyArn(A),
        { 'kms:ViaService': 'dynamodb.us-east-1.amazonaws.com' },
        keyPolicy(A),
      ),
    ).not.toBe('Allowed');
  });

  it("a pooled session may not use any tenant key, its own tenant's included (A during promotion)", async () => {
    for (const tenantId of [A, B]) {
      const pooled = vended(tenantId, 'pool');
      expect(pooled.sessionPolicy.Statement.some((s) => JSON.stringify(s.Action).includes('kms:'))).toBe(
        false,
      );
      for (const owner of [A, B]) {
        expect(await evaluate(pooled, 'kms:Decrypt', keyArn(owner), viaDynamoDb, keyPolicy(owner))).not.toBe(
          'Allowed',
        );
      }
    }
  });

  it('the vended silo session names the key recorded in the catalog, and only that key', () => {
    const statement = vended(A, 'silo').sessionPolicy.Statement.find((s) =>
      JSON.stringify(s.Action).includes('kms:'),
    );
    expect(statement).toEqual({
      Sid: 'SiloKeyThroughDynamoDbOnly',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      Resource: keyArn(A),
      Condition: { StringEquals: { 'kms:ViaService': 'dynamodb.eu-central-1.amazonaws.com' } },
    });
  });

  it("refuses a recorded key outside the tenant's region", () => {
    expect(() =>
      tenantDataResources(defaultConfig, location, {
        tenantId: A,
        isolation: 'silo',
        region: 'us-east-1',
        silo: {
          stackId: 's',
          tableName: siloTableName(defaultConfig, A),
          tableArn: siloTable(A, 'us-east-1'),
          kmsKeyArn: keyArn(A),
        },
      }),
    ).toThrow(/silo key .* is not in the tenant's region us-east-1/);
  });

  it("refuses a recorded table outside the tenant's region", () => {
    expect(() =>
      tenantDataResources(defaultConfig, location, {
        tenantId: A,
        isolation: 'silo',
        region: EU,
        silo: {
          stackId: 's',
          tableName: siloTableName(defaultConfig, A),
          tableArn: siloTable(A, 'us-east-1'),
          kmsKeyArn: keyArn(A),
        },
      }),
    ).toThrow(
      `silo table ${siloTable(A, 'us-east-1')} is not in the tenant's region ${EU} of account ${ACCOUNT}`,
    );
  });

  it('the vended silo session names the table ARN recorded in the catalog, never one rebuilt from its name', () => {
    // Prepare: a recorded ARN that the name + region + account convention would not produce
    const recorded = `arn:aws:dynamodb:${EU}:${ACCOUNT}:table/tenantry-dev-silo-data-${A}-restored`;
    // Act
    const resources = tenantDataResources(defaultConfig, location, {
      tenantId: A,
      isolation: 'silo',
      region: EU,
      silo: {
        stackId: 's',
        tableName: siloTableName(defaultConfig, A),
        tableArn: recorded,
        kmsKeyArn: keyArn(A),
      },
    });
    const policy = tenantSessionPolicy({ tenantId: A, access: 'read-write', ...resources });
    // Assess
    expect(resources.tableArns).toEqual([recorded]);
    expect(policy.Statement.find((s) => s.Sid === 'TenantItemsOnly')?.Resource).toEqual([recorded]);
  });
});

// Kinesis cannot restrict PutRecords by partition key, so a tenant's credentials must never reach the
// usage stream: both layers deny it explicitly, which holds even where a stream resource policy (or a
// later grant on the role) would allow the account.
describe('the usage stream: tenant sessions cannot write usage', () => {
  const STREAM = `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/tenantry-dev-usage`;
  const streamPolicyAllowingTheAccount: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AccountWritesUsage',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: ['kinesis:PutRecord', 'kinesis:PutRecords'],
        Resource: STREAM,
      } as PolicyDocument['Statement'][number],
    ],
  };

  it.each([
    ['pool', 'kinesis:PutRecords'],
    ['pool', 'kinesis:PutRecord'],
    ['silo', 'kinesis:PutRecords'],
    ['silo', 'kinesis:PutRecord'],
  ] as const)('a %s session is explicitly denied %s on the usage stream', async (isolation, action) => {
    const a = sessionFor(A, isolation, 'read-write');
    expect(await evaluate(a, action, STREAM)).toBe('ExplicitlyDenied');
    expect(await evaluate(a, action, STREAM, {}, streamPolicyAllowingTheAccount)).toBe('ExplicitlyDenied');
  });
});

describe("a silo's database: only its function logs in, never a tenant session", () => {
  // The function's own role holds rds-db:connect on its cluster's application user
  // (test/unit/infra/silo-stack.test.ts); the vended sessions hold no database right at all.
  const DB_USER = `arn:aws:rds-db:eu-central-1:${ACCOUNT}:dbuser:cluster-TENANTAAAAAAAAAAAAAAAAAAAAAA/tenantry_app`;

  it.each(['silo', 'pool'] as const)(
    'a %s session may not rds-db:connect, even as the application user',
    async (isolation) => {
      expect(await evaluate(sessionFor(A, isolation, 'read-write'), 'rds-db:connect', DB_USER)).not.toBe(
        'Allowed',
      );
    },
  );
});

describe("an account tenant's resources (isolation account, issue 15)", () => {
  const TENANT_ACCOUNT = '210987654321';
  const accountTable = `arn:aws:dynamodb:eu-central-1:${TENANT_ACCOUNT}:table/tenantry-dev-silo-data-${B}`;
  const accountKey = `arn:aws:kms:eu-central-1:${TENANT_ACCOUNT}:key/0a1b2c3d-0000-4000-8000-000000000002`;

  it.each(['pool', 'silo'] as const)(
    "are out of reach of another tenant's %s session, even one tagged with the account tenant's id",
    async (isolation) => {
      // Prepare
      const a = sessionFor(A, isolation, 'read-write');
      const taggedB = { ...a, tenantTag: B };

      // Act
      const verdicts = [
        await evaluate(a, 'dynamodb:GetItem', accountTable, keys(B)),
        await evaluate(a, 'dynamodb:PutItem', accountTable, keys(A)),
        await evaluate(taggedB, 'dynamodb:GetItem', accountTable, keys(B)),
        await evaluate(a, 'kms:Decrypt', accountKey, {
          'kms:ViaService': 'dynamodb.eu-central-1.amazonaws.com',
        }),
      ];

      // Assess
      expect(verdicts).not.toContain('Allowed');
    },
  );
});
