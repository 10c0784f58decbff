// Promotion of business tenants with dedicated collection tables, through the real promotion workflow on
// the local environment (moto's Step Functions, the real handlers), and the reference documents service
// (the authorizer, the router, the service; its relational part on the local PostgreSQL server) before and after:
// - business → enterprise: the pooled items and the documents table's items land in the silo with the
//   same keys (counts and checksums equal), the table is deleted after the switch, the service reads
//   the documents from the silo and the vended session policy reaches the silo table only;
// - a fault at each step that touches the collection tables ends consistent: the tenant is served from
//   its documents table again, every item is where it was, nothing is left in a silo;
// - a tier change within the pool, pro → business → pro, with items.
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { STSClient } from '@aws-sdk/client-sts';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseClientConfig, kinesisClientConfig } from '../../../domain/aws/clients';
import { resourceName } from '../../../domain/config';
import { routeDocumentRequest } from '../../../domain/documents/router';
import { type DocumentServiceDependencies, documentsTableArn } from '../../../domain/documents/service';
import type { TenantAuthorizer } from '../../../domain/identity/authorizer';
import { authorizerResultContext } from '../../../domain/identity/request-context';
import { APP_ROLE } from '../../../domain/identity/rls/migrations';
import {
  collectionTableArnPattern,
  type PolicyDocument,
  siloTableArnPatterns,
  tenantRuntimeRolePolicy,
} from '../../../domain/identity/session-policy';
import { TenantClientFactory } from '../../../domain/identity/tenant-clients';
import { collectionTableName } from '../../../domain/tables';
import { UsageEmitter } from '../../../domain/usage/emitter';
import { localDocumentFunctions } from '../../../local/documents';
import { LOCAL_ACCOUNT } from '../../../local/lifecycle';
import { localPostgresPlaces } from '../../../local/postgres';
import { createLocalTenantUsers, type LocalTenantUsers } from '../../../local/tenant-users';
import { clearFaults } from '../support';
import {
  config,
  eventsOf,
  type Harness,
  machineWithFault,
  run,
  seedItems,
  setupHarness,
  siloTable,
  stackStatus,
  tableExists,
  tally,
} from './support';

let h: Harness;
let places: ReturnType<typeof localPostgresPlaces>;
let deps: DocumentServiceDependencies;
let users: LocalTenantUsers;
/** A new authorizer per request: no vended credentials cached, the session policy is the catalog's now. */
let authorizer: () => TenantAuthorizer;
let functions: ReturnType<typeof localDocumentFunctions>;
let pooledFunctionArn: string;
let stageArn: string;
/** The session policy of each AssumeRole the authorizer made, by tenant (moto does not evaluate it). */
const vendedPolicies = new Map<string, PolicyDocument>();

beforeAll(async () => {
  h = await setupHarness();
  places = localPostgresPlaces(h.postgresUrl);
  const location = {
    pooledTableArn: `arn:aws:dynamodb:${config.regions.primary}:${LOCAL_ACCOUNT}:table/${h.life.pooledTable}`,
    bucketName: h.life.dataBucket,
  };
  // The catalog read on every request: the route follows a promotion at once (no cache here).
  const tenants = (id: string) => h.catalog.find(id);
  deps = {
    config,
    tenants,
    location,
    clientsFor: (region) => new TenantClientFactory({ region }),
    database: await places.database({ place: 'pool' }),
    databaseRole: APP_ROLE,
    usage: new UsageEmitter({
      client: new KinesisClient(kinesisClientConfig()),
      streamName: resourceName(config, 'usage'),
      config,
    }),
    logger: new Logger({ serviceName: 'collections-promotion-test', logLevel: 'SILENT' }),
  };
  pooledFunctionArn = `arn:aws:lambda:${config.regions.primary}:${LOCAL_ACCOUNT}:function:pooled-documents`;
  functions = localDocumentFunctions(deps, pooledFunctionArn, { places });
  users = await createLocalTenantUsers(config, h.endpoint);
  const sts = new STSClient(baseClientConfig());
  sts.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { Policy?: string; Tags?: { Key?: string; Value?: string }[] };
      const tenantId = input.Tags?.find((t) => t.Key === 'tenantId')?.Value;
      if (input.Policy !== undefined && tenantId !== undefined) {
        vendedPolicies.set(tenantId, JSON.parse(input.Policy) as PolicyDocument);
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordSessionPolicy' },
  );
  authorizer = () => users.authorizer({ tenants, dataLocation: location, sts }).authorizer;
  stageArn = `arn:aws:execute-api:${config.regions.primary}:${LOCAL_ACCOUNT}:collapi/${config.naming.stage}`;
});

afterAll(async () => {
  await places?.close();
});

const documentsTable = (tenantId: string) => collectionTableName(config, tenantId, 'documents');
let signIns = 0;

/** A documents request as API Gateway runs it, for a user of the tenant signed in now. */
async function request(
  tenantId: string,
  method: 'GET' | 'POST',
  options: { documentId?: string; body?: string } = {},
): Promise<{ statusCode: number; body: Record<string, unknown>; servedBy: string | undefined }> {
  const tenant = await h.catalog.get(tenantId);
  const token = await users.signIn(tenant, `user${++signIns}@${tenantId}.example`);
  const path = options.documentId === undefined ? 'documents' : `documents/${options.documentId}`;
  const decision = await authorizer().decide({
    authorization: `Bearer ${token}`,
    methodArn: `${stageArn}/${method}/${path}`,
  });
  expect(decision.kind).toBe('allow');
  const { response, functionArn } = await routeDocumentRequest(
    { config, tenants: deps.tenants, pooledFunctionArn, invoke: functions.invoke, logger: deps.logger },
    {
      httpMethod: method,
      pathParameters: options.documentId === undefined ? null : { documentId: options.documentId },
      body: options.body ?? null,
      requestContext: { authorizer: authorizerResultContext(decision) },
    },
  );
  return {
    statusCode: response.statusCode,
    body: response.body === '' ? {} : JSON.parse(response.body),
    servedBy: functionArn,
  };
}

/** Creates `count` documents through the service; returns their ids. */
async function createDocuments(tenantId: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const created = await request(tenantId, 'POST', {
      body: JSON.stringify({ title: `plan ${i}`, content: `figures ${i} of ${tenantId}` }),
    });
    expect(created.statusCode).toBe(201);
    ids.push(String(created.body.documentId));
  }
  return ids;
}

/** IAM's verdict on the tenant's last vended session (runtime role ∩ session policy) for a GetItem. */
async function sessionVerdict(tenantId: string, table: string): Promise<string> {
  const sessionPolicy = vendedPolicies.get(tenantId);
  if (sessionPolicy === undefined) throw new Error(`no session was vended for ${tenantId}`);
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${resourceName(config, 'tenant-runtime')}/${tenantId}`,
        action: 'dynamodb:GetItem',
        resource: {
          resource: `arn:aws:dynamodb:${config.regions.primary}:${LOCAL_ACCOUNT}:table/${table}`,
          accountId: LOCAL_ACCOUNT,
        },
        contextVariables: {
          'aws:PrincipalTag/tenantId': tenantId,
          'dynamodb:LeadingKeys': [`TENANT#${tenantId}#documents`],
        },
      },
      identityPolicies: [
        {
          name: 'tenant-runtime',
          policy: tenantRuntimeRolePolicy({
            tableArns: [
              deps.location.pooledTableArn,
              ...siloTableArnPatterns(config, 'aws', LOCAL_ACCOUNT),
              collectionTableArnPattern(config, 'aws', config.regions.primary, LOCAL_ACCOUNT),
            ],
            bucketArn: `arn:aws:s3:::${deps.location.bucketName}`,
          }),
        },
      ],
      sessionPolicy,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`simulation error: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

/** A business tenant as onboarding leaves it, with documents (through the service) and pooled items. */
async function businessTenant(tenantId: string, documents = 3, pooled = 6) {
  const onboarded = await run(h, 'onboarding', {
    tenantId,
    name: `${tenantId} AG`,
    tier: 'business',
    adminEmail: `admin@${tenantId}.example`,
  });
  expect(onboarded.status, onboarded.cause).toBe('SUCCEEDED');
  const ids = await createDocuments(tenantId, documents);
  await seedItems(h, h.life.pooledTable, tenantId, pooled);
  return {
    ids,
    documents: await tally(h, documentsTable(tenantId), tenantId),
    pooled: await tally(h, h.life.pooledTable, tenantId),
    tenant: await h.catalog.get(tenantId),
  };
}

/** Sum of two tallies (the checksum is a sum of item digests mod 2^64, domain/lifecycle/checksum.ts). */
function plus(a: { count: number; checksum: string }, b: { count: number; checksum: string }) {
  const sum = (BigInt(`0x${a.checksum}`) + BigInt(`0x${b.checksum}`)) % (1n << 64n);
  return { count: a.count + b.count, checksum: sum.toString(16).padStart(16, '0') };
}

describe('promoting a business tenant to enterprise', () => {
  it('moves its documents table into the silo, deletes the table, and the service reads them from the silo', async () => {
    // Prepare
    const tenantId = 'biz-climber';
    const before = await businessTenant(tenantId);
    expect(before.documents.count).toBe(3);
    const listedBefore = await request(tenantId, 'GET');
    expect(listedBefore.servedBy).toBe(pooledFunctionArn);
    expect(await sessionVerdict(tenantId, documentsTable(tenantId))).toBe('Allowed');

    // Act
    const result = await run(h, 'promotion', { tenantId, targetTier: 'enterprise' });

    // Assess: every item in the silo with its key, totals equal to the two sources' together
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(result.path).toEqual(
      expect.arrayContaining([
        'CopyChunk',
        'VerifyChunk',
        'SwitchCatalog',
        'PurgePoolChunk',
        'DeleteCollectionTables',
      ]),
    );
    const expected = plus(before.pooled, before.documents);
    expect(await tally(h, siloTable(tenantId), tenantId)).toEqual(expected);
    expect(result.output).toMatchObject({
      isolation: 'silo',
      collections: [],
      items: expected.count,
      checksum: expected.checksum,
    });
    expect((await tally(h, h.life.pooledTable, tenantId)).count).toBe(0);
    expect(await tableExists(h, documentsTable(tenantId))).toBe(false);
    const tenant = await h.catalog.get(tenantId);
    expect(tenant).toMatchObject({ status: 'ACTIVE', tier: 'enterprise', isolation: 'silo' });
    expect(tenant.collections).toBeUndefined();
    expect(tenant.history.filter((e) => e.executionArn === result.executionArn).map((e) => e.reason)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(
            `^placement: business/pool \\(${documentsTable(tenantId).replace('.', '\\.')}\\) → enterprise/silo`,
          ),
        ),
      ]),
    );
    // The reference service: served by the tenant's silo function, from the silo table
    expect(documentsTableArn(config, deps.location, tenant)).toBe(tenant.silo?.tableArn);
    const listed = await request(tenantId, 'GET');
    expect(listed.statusCode).toBe(200);
    expect(listed.servedBy).toBe(tenant.silo?.serviceFunctionArn);
    expect((listed.body.documents as { documentId: string }[]).map((d) => d.documentId).sort()).toEqual(
      [...before.ids].sort(),
    );
    const got = await request(tenantId, 'GET', { documentId: before.ids[0] as string });
    expect(got).toMatchObject({ statusCode: 200, body: { content: 'figures 0 of biz-climber' } });
    // The session follows the placement: the silo table, no longer the (deleted) documents table
    expect(await sessionVerdict(tenantId, siloTable(tenantId))).toBe('Allowed');
    expect(await sessionVerdict(tenantId, documentsTable(tenantId))).not.toBe('Allowed');
  });

  const faulted = [
    'CopyChunk',
    'VerifyChunk',
    'SwitchCatalog',
    'PurgePoolChunk',
    'DeleteCollectionTables',
    'ActivateTenant',
  ] as const;
  const purgeStarted = ['PurgePoolChunk', 'DeleteCollectionTables', 'ActivateTenant'];

  it.each(faulted)(
    '%s fails → rolled back: documents table and pool as before, served from the table, no silo',
    async (state) => {
      // Prepare
      const tenantId = `biz-${state.toLowerCase()}`.slice(0, 40);
      const before = await businessTenant(tenantId, 2, 4);
      const machine = await machineWithFault(h, 'promotion', state);
      await h.events();

      // Act
      const result = await run(h, machine, { tenantId, targetTier: 'enterprise' });
      await clearFaults();

      // Assess
      expect(result.error).toBe('PromotionFailed');
      expect(result.cause).toContain(`${state}: InjectedFault`);
      expect(result.path.includes('RestoreChunk')).toBe(purgeStarted.includes(state));
      expect(await tally(h, documentsTable(tenantId), tenantId)).toEqual(before.documents);
      expect(await tally(h, h.life.pooledTable, tenantId)).toEqual(before.pooled);
      expect(await stackStatus(h, tenantId)).toBe('ABSENT');
      const tenant = await h.catalog.get(tenantId);
      expect(tenant).toMatchObject({ status: 'ACTIVE', tier: 'business', isolation: 'pool' });
      expect(tenant.collections).toEqual(before.tenant.collections);
      const listed = await request(tenantId, 'GET');
      expect(listed.servedBy).toBe(pooledFunctionArn);
      expect((listed.body.documents as unknown[]).length).toBe(2);
      expect(eventsOf(await h.events(), 'TenantPromotionFailed', tenantId).map((e) => e.detail)).toEqual([
        expect.objectContaining({ stage: 'rolled-back', failedState: state, rolledBack: true }),
      ]);
    },
  );

  it.each(['RecreateCollectionTables', 'RollbackCollectionTables'])(
    'a failing %s on the rollback is reported, and the tenant still ends ACTIVE with every item kept',
    async (second) => {
      // Prepare: the first fault after the documents table was deleted
      const tenantId = `biz-rb-${second.toLowerCase()}`.slice(0, 40);
      const before = await businessTenant(tenantId, 2, 4);
      const machine = await machineWithFault(h, 'promotion', ['ActivateTenant', second]);
      await h.events();

      // Act
      const result = await run(h, machine, { tenantId, targetTier: 'enterprise' });
      await clearFaults();

      // Assess
      expect(result.error).toBe('PromotionFailed');
      const tenant = await h.catalog.get(tenantId);
      expect(tenant.status).toBe('ACTIVE');
      const [event] = eventsOf(await h.events(), 'TenantPromotionFailed', tenantId);
      expect(event?.detail.rollbackErrors).toEqual([expect.objectContaining({ state: second })]);
      if (second === 'RecreateCollectionTables') {
        // Rolled forward: the verified silo holds every item and serves the tenant
        expect(event?.detail.stage).toBe('rolled-forward');
        expect(tenant).toMatchObject({ tier: 'enterprise', isolation: 'silo' });
        expect(await tally(h, siloTable(tenantId), tenantId)).toEqual(plus(before.pooled, before.documents));
        expect((await request(tenantId, 'GET')).servedBy).toBe(tenant.silo?.serviceFunctionArn);
      } else {
        // Rolled back; the old tier's table is the one kept (the failed step deletes only the new tier's)
        expect(tenant).toMatchObject({ tier: 'business', isolation: 'pool' });
        expect(await tally(h, documentsTable(tenantId), tenantId)).toEqual(before.documents);
        expect(await tally(h, h.life.pooledTable, tenantId)).toEqual(before.pooled);
        expect((await request(tenantId, 'GET')).servedBy).toBe(pooledFunctionArn);
      }
    },
  );
});

describe('tier changes within the pool', () => {
  it('pro → business → pro moves the documents into their own table and back, the service following', async () => {
    // Prepare: a pro tenant with documents (pooled) and other pooled items
    const tenantId = 'pro-roundtrip';
    const onboarded = await run(h, 'onboarding', {
      tenantId,
      name: 'Round Trip',
      tier: 'pro',
      adminEmail: `admin@${tenantId}.example`,
    });
    expect(onboarded.status, onboarded.cause).toBe('SUCCEEDED');
    const ids = await createDocuments(tenantId, 3);
    await seedItems(h, h.life.pooledTable, tenantId, 5);
    const all = await tally(h, h.life.pooledTable, tenantId);
    expect(all.count).toBe(8);

    // Act: up
    const up = await run(h, 'promotion', { tenantId, targetTier: 'business' });

    // Assess: the 3 documents moved, the 5 other items stayed in the pool
    expect(up.status, up.cause).toBe('SUCCEEDED');
    expect(up.path).toEqual(
      expect.arrayContaining(['CreateCollectionTables', 'CopyChunk', 'PurgePoolChunk']),
    );
    expect(up.path).not.toContain('CreateSiloStack');
    expect(up.output).toMatchObject({ tier: 'business', isolation: 'pool', silo: null, items: 3 });
    const business = await h.catalog.get(tenantId);
    expect(business).toMatchObject({ status: 'ACTIVE', tier: 'business', isolation: 'pool' });
    expect(business.collections?.map((t) => t.tableName)).toEqual([documentsTable(tenantId)]);
    expect((await tally(h, documentsTable(tenantId), tenantId)).count).toBe(3);
    expect((await tally(h, h.life.pooledTable, tenantId)).count).toBe(5);
    expect(
      plus(await tally(h, documentsTable(tenantId), tenantId), await tally(h, h.life.pooledTable, tenantId)),
    ).toEqual(all);
    const inTable = await request(tenantId, 'GET', { documentId: ids[1] as string });
    expect(inTable).toMatchObject({ statusCode: 200, body: { content: 'figures 1 of pro-roundtrip' } });
    expect(documentsTableArn(config, deps.location, business)).toBe(business.collections?.[0]?.tableArn);
    expect(await sessionVerdict(tenantId, documentsTable(tenantId))).toBe('Allowed');

    // Act: down
    const down = await run(h, 'promotion', { tenantId, targetTier: 'pro' });

    // Assess: back in the pool, the table deleted, every item as at the start
    expect(down.status, down.cause).toBe('SUCCEEDED');
    expect(down.path).toEqual(
      expect.arrayContaining(['CopyChunk', 'PurgePoolChunk', 'DeleteCollectionTables']),
    );
    const pro = await h.catalog.get(tenantId);
    expect(pro).toMatchObject({ status: 'ACTIVE', tier: 'pro', isolation: 'pool' });
    expect(pro.collections).toBeUndefined();
    expect(await tableExists(h, documentsTable(tenantId))).toBe(false);
    expect(await tally(h, h.life.pooledTable, tenantId)).toEqual(all);
    const listed = await request(tenantId, 'GET');
    expect((listed.body.documents as { documentId: string }[]).map((d) => d.documentId).sort()).toEqual(
      [...ids].sort(),
    );
    expect(await sessionVerdict(tenantId, documentsTable(tenantId))).not.toBe('Allowed');
    // Every change audited with its run
    const reasons = pro.history.map((e) => [e.executionArn, e.reason]);
    expect(reasons).toEqual(
      expect.arrayContaining([
        [up.executionArn, expect.stringMatching(/^placement: pro\/pool → business\/pool \(/)],
        [down.executionArn, expect.stringMatching(/^placement: business\/pool \(.*\) → pro\/pool$/)],
      ]),
    );
  });

  it.each(['CreateCollectionTables', 'CopyChunk', 'PurgePoolChunk', 'ActivateTenant'])(
    'pro → business: %s fails → rolled back, documents in the pool, no table, served as before',
    async (state) => {
      // Prepare
      const tenantId = `pro-up-${state.toLowerCase()}`.slice(0, 40);
      const onboarded = await run(h, 'onboarding', {
        tenantId,
        name: tenantId,
        tier: 'pro',
        adminEmail: `admin@${tenantId}.example`,
      });
      expect(onboarded.status, onboarded.cause).toBe('SUCCEEDED');
      await createDocuments(tenantId, 2);
      await seedItems(h, h.life.pooledTable, tenantId, 3);
      const before = await tally(h, h.life.pooledTable, tenantId);
      const machine = await machineWithFault(h, 'promotion', state);

      // Act
      const result = await run(h, machine, { tenantId, targetTier: 'business' });
      await clearFaults();

      // Assess
      expect(result.error).toBe('PromotionFailed');
      expect(result.path).toContain('RollbackCollectionTables');
      expect(await tally(h, h.life.pooledTable, tenantId)).toEqual(before);
      expect(await tableExists(h, documentsTable(tenantId))).toBe(false);
      const tenant = await h.catalog.get(tenantId);
      expect(tenant).toMatchObject({ status: 'ACTIVE', tier: 'pro', isolation: 'pool' });
      expect(tenant.collections).toBeUndefined();
      expect(((await request(tenantId, 'GET')).body.documents as unknown[]).length).toBe(2);
    },
  );

  it.each(['CopyChunk', 'VerifyChunk', 'PurgePoolChunk', 'DeleteCollectionTables', 'ActivateTenant'])(
    'business → pro: %s fails → rolled back, documents in their table again and not in the pool, served from the table',
    async (state) => {
      // Prepare
      const tenantId = `biz-down-${state.toLowerCase()}`.slice(0, 40);
      const before = await businessTenant(tenantId, 2, 3);
      const machine = await machineWithFault(h, 'promotion', state);

      // Act
      const result = await run(h, machine, { tenantId, targetTier: 'pro' });
      await clearFaults();

      // Assess
      expect(result.error).toBe('PromotionFailed');
      expect(await tally(h, documentsTable(tenantId), tenantId)).toEqual(before.documents);
      expect(await tally(h, h.life.pooledTable, tenantId)).toEqual(before.pooled);
      const tenant = await h.catalog.get(tenantId);
      expect(tenant).toMatchObject({ status: 'ACTIVE', tier: 'business', isolation: 'pool' });
      expect(tenant.collections).toEqual(before.tenant.collections);
      expect(result.path.includes('RemoveCopiesChunk')).toBe(true);
      const { Item } = await new DynamoDBClient(baseClientConfig()).send(
        new GetItemCommand({
          TableName: documentsTable(tenantId),
          Key: { pk: { S: `TENANT#${tenantId}#documents` }, sk: { S: before.ids[0] as string } },
          ConsistentRead: true,
        }),
      );
      expect(Item).toBeDefined();
      expect(((await request(tenantId, 'GET')).body.documents as unknown[]).length).toBe(2);
    },
  );

  it('business → pro: a failing RemoveCopiesChunk is reported; the catalog routes to the table, which holds every document', async () => {
    // Prepare: the first fault after the documents were copied to the pool and the table deleted
    const tenantId = 'biz-down-removecopies';
    const before = await businessTenant(tenantId, 2, 3);
    const machine = await machineWithFault(h, 'promotion', ['ActivateTenant', 'RemoveCopiesChunk']);
    await h.events();

    // Act
    const result = await run(h, machine, { tenantId, targetTier: 'pro' });
    await clearFaults();

    // Assess: the copies in the pool stay (reported), never served: documents route to the table
    expect(result.error).toBe('PromotionFailed');
    const [event] = eventsOf(await h.events(), 'TenantPromotionFailed', tenantId);
    expect(event?.detail).toMatchObject({ stage: 'rolled-back', rolledBack: false });
    expect(event?.detail.rollbackErrors).toEqual([expect.objectContaining({ state: 'RemoveCopiesChunk' })]);
    expect(await tally(h, documentsTable(tenantId), tenantId)).toEqual(before.documents);
    const tenant = await h.catalog.get(tenantId);
    expect(tenant).toMatchObject({
      status: 'ACTIVE',
      tier: 'business',
      collections: before.tenant.collections,
    });
    expect(documentsTableArn(config, deps.location, tenant)).toBe(before.tenant.collections?.[0]?.tableArn);
    expect(((await request(tenantId, 'GET')).body.documents as unknown[]).length).toBe(2);
  });

  it('refuses a tier change to the tier the tenant is on, naming targetTier and the value', async () => {
    // Prepare
    const onboarded = await run(h, 'onboarding', {
      tenantId: 'pro-stays',
      name: 'Stays',
      tier: 'pro',
      adminEmail: 'admin@pro-stays.example',
    });
    expect(onboarded.status, onboarded.cause).toBe('SUCCEEDED');

    // Act
    const result = await run(h, 'promotion', { tenantId: 'pro-stays', targetTier: 'pro' });

    // Assess
    expect(result.error).toBe('PromotionRejected');
    expect(result.cause).toContain('targetTier');
    expect(result.cause).toContain('tenant pro-stays is already on that tier');
  });
});
