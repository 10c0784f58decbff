// The demotion silo → pool (`tenantry promote ID --to <pool tier>` on a silo tenant) through the real
// promotion workflow on the local environment (moto's Step Functions, CloudFormation, KMS; the real
// handlers), and the reference documents service before and after (the authorizer, the router, the silo
// function or the pooled one; the relational part on the local PostgreSQL server, a database per place):
// - enterprise → business: the silo's documents land in the tenant's new documents table, its other
//   items in the pooled table; enterprise → pro: all of them in the pooled table. Every item is read back
//   independently, the old silo is erased (stack, table, key pending deletion) and recorded;
// - a fault before the switch puts the tenant back on its silo with every item, nothing left in the pool;
//   a fault after it leaves the switch standing (TEARDOWN_FAILED, or the run's errors listed).
import { Logger } from '@aws-lambda-powertools/logger';
import { type AttributeValue, DescribeTableCommand, paginateScan } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchWriteAll } from '../../../domain/aws/batch';
import { kinesisClientConfig } from '../../../domain/aws/clients';
import { resourceName } from '../../../domain/config';
import { routeDocumentRequest } from '../../../domain/documents/router';
import { type DocumentServiceDependencies, documentsTableArn } from '../../../domain/documents/service';
import type { TenantAuthorizer } from '../../../domain/identity/authorizer';
import { authorizerResultContext } from '../../../domain/identity/request-context';
import { APP_ROLE } from '../../../domain/identity/rls/migrations';
import { TenantClientFactory } from '../../../domain/identity/tenant-clients';
import { ChecksumAccumulator, type ItemTally } from '../../../domain/lifecycle/checksum';
import { pooledItem } from '../../../domain/pooled-items';
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
  rowsOf,
  run,
  seedItems,
  setupHarness,
  siloTable,
  stackStatus,
  tableExists,
  tenantUser,
  userTier,
} from './support';

/** Items per silo tenant: documents through the service, raw documents-collection items, other items. */
const SERVICE_DOCUMENTS = 4;
const RAW_DOCUMENTS = 6;
const OTHER_ITEMS = 90;
const ITEMS = SERVICE_DOCUMENTS + RAW_DOCUMENTS + OTHER_ITEMS;

let h: Harness;
let places: ReturnType<typeof localPostgresPlaces>;
let deps: DocumentServiceDependencies;
let users: LocalTenantUsers;
let authorizer: () => TenantAuthorizer;
let functions: ReturnType<typeof localDocumentFunctions>;
let pooledFunctionArn: string;
let stageArn: string;

beforeAll(async () => {
  h = await setupHarness();
  places = localPostgresPlaces(h.postgresUrl);
  const location = {
    pooledTableArn: `arn:aws:dynamodb:${config.regions.primary}:${LOCAL_ACCOUNT}:table/${h.life.pooledTable}`,
    bucketName: h.life.dataBucket,
  };
  // The catalog read on every request: the route follows the switch at once (no cache here).
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
    logger: new Logger({ serviceName: 'demotion-test', logLevel: 'SILENT' }),
  };
  pooledFunctionArn = `arn:aws:lambda:${config.regions.primary}:${LOCAL_ACCOUNT}:function:pooled-documents`;
  functions = localDocumentFunctions(deps, pooledFunctionArn, { places });
  users = await createLocalTenantUsers(config, h.endpoint);
  authorizer = () => users.authorizer({ tenants, dataLocation: location }).authorizer;
  stageArn = `arn:aws:execute-api:${config.regions.primary}:${LOCAL_ACCOUNT}:demoapi/${config.naming.stage}`;
});

afterAll(async () => {
  await places?.close();
});

const documentsTable = (tenantId: string) => collectionTableName(config, tenantId, 'documents');
const kms = () => new KMSClient({ region: config.regions.primary, endpoint: h.endpoint });
let signIns = 0;

/** A documents request as API Gateway runs it, for a user of the tenant signed in now. */
async function request(
  tenantId: string,
  method: 'GET' | 'POST',
  options: { documentId?: string; body?: string } = {},
) {
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
    body: (response.body === '' ? {} : JSON.parse(response.body)) as Record<string, unknown>,
    servedBy: functionArn,
  };
}

/** Every item of `table` whose partition key is the tenant's, by a consistent Scan (the test's own read). */
async function itemsOf(table: string, tenantId: string): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  const pages = paginateScan(
    { client: h.dynamo },
    {
      TableName: table,
      ConsistentRead: true,
      FilterExpression: 'begins_with(pk, :prefix)',
      ExpressionAttributeValues: { ':prefix': { S: `TENANT#${tenantId}#` } },
    },
  );
  for await (const page of pages) items.push(...(page.Items ?? []));
  return items;
}

const byKey = (items: readonly Record<string, AttributeValue>[]) =>
  [...items].sort((a, b) => `${a.pk?.S}|${a.sk?.S}`.localeCompare(`${b.pk?.S}|${b.sk?.S}`));

function tallyOf(items: readonly Record<string, AttributeValue>[]): ItemTally {
  const acc = new ChecksumAccumulator();
  for (const item of items) acc.add(item);
  return acc.tally();
}

const isDocument = (tenantId: string) => (item: Record<string, AttributeValue>) =>
  item.pk?.S === `TENANT#${tenantId}#documents`;

/**
 * A silo tenant as onboarding leaves it (enterprise, primary region), with documents created through
 * its silo function and other items written into its silo table: ITEMS items in all.
 */
async function siloTenant(tenantId: string) {
  const onboarded = await run(
    h,
    'onboarding',
    { tenantId, name: `${tenantId} AG`, tier: 'enterprise', adminEmail: `admin@${tenantId}.example` },
    120_000,
  );
  expect(onboarded.status, onboarded.cause).toBe('SUCCEEDED');
  const ids: string[] = [];
  for (let i = 0; i < SERVICE_DOCUMENTS; i += 1) {
    const created = await request(tenantId, 'POST', {
      body: JSON.stringify({ title: `plan ${i}`, content: `figures ${i} of ${tenantId}` }),
    });
    expect(created.statusCode).toBe(201);
    ids.push(String(created.body.documentId));
  }
  const table = siloTable(tenantId);
  await seedItems(h, table, tenantId, OTHER_ITEMS);
  const raw = Array.from({ length: RAW_DOCUMENTS }, (_, i) =>
    pooledItem(tenantId, 'documents', `raw-${i}`, { title: { S: `raw ${i}` }, n: { N: String(i) } }),
  );
  await batchWriteAll(
    h.dynamo,
    table,
    raw.map((Item) => ({ PutRequest: { Item } })),
  );
  const items = byKey(await itemsOf(table, tenantId));
  expect(items).toHaveLength(ITEMS);
  const rows = await rowsOf(h, { place: 'silo', tenantId }, tenantId);
  expect(rows).toHaveLength(SERVICE_DOCUMENTS);
  return { ids, items, rows, tenant: await h.catalog.get(tenantId) };
}

async function keyState(kmsKeyArn: string | undefined): Promise<string | undefined> {
  return (await kms().send(new DescribeKeyCommand({ KeyId: kmsKeyArn }))).KeyMetadata?.KeyState;
}

describe('demoting a silo tenant to a pool tier', () => {
  it('enterprise → business: documents into their own table, the rest into the pool, the old silo erased and recorded, the pooled service serves them', async () => {
    // Prepare
    const tenantId = 'demote-biz';
    const before = await siloTenant(tenantId);
    const documents = before.items.filter(isDocument(tenantId));
    const others = before.items.filter((item) => !isDocument(tenantId)(item));
    expect(documents).toHaveLength(SERVICE_DOCUMENTS + RAW_DOCUMENTS);
    expect((await request(tenantId, 'GET')).servedBy).toBe(before.tenant.silo?.serviceFunctionArn);
    await h.events();

    // Act
    const result = await run(h, 'promotion', { tenantId, targetTier: 'business' }, 180_000);

    // Assess: every item where the business tier puts it, read back item by item
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(result.path).toEqual(
      expect.arrayContaining([
        'CreateDemotionTables',
        'DemotionCopyChunk',
        'DemotionVerifyChunk',
        'SwitchToPool',
        'ActivateOnPool',
        'DemotionOldSiloDeleteSilo',
        'DemotionVerifyOldSiloErased',
        'DemotionRecordOldSiloErased',
        'Demoted',
      ]),
    );
    expect(byKey(await itemsOf(documentsTable(tenantId), tenantId))).toEqual(documents);
    expect(byKey(await itemsOf(h.life.pooledTable, tenantId))).toEqual(others);
    const total = tallyOf(before.items);
    expect(result.output).toMatchObject({
      tenantId,
      status: 'ACTIVE',
      tier: 'business',
      isolation: 'pool',
      silo: null,
      items: ITEMS,
      checksum: total.checksum,
    });
    // the catalog: on the pool tier with its documents table, no silo, the old one recorded as erased
    const tenant = await h.catalog.get(tenantId);
    const { Table } = await h.dynamo.send(new DescribeTableCommand({ TableName: documentsTable(tenantId) }));
    expect(tenant).toMatchObject({ status: 'ACTIVE', tier: 'business', isolation: 'pool' });
    expect(tenant.silo).toBeUndefined();
    expect(tenant.collections).toEqual([
      { collection: 'documents', tableName: documentsTable(tenantId), tableArn: Table?.TableArn },
    ]);
    expect(tenant.retiredSilos).toEqual([
      expect.objectContaining({
        silo: before.tenant.silo,
        region: config.regions.primary,
        status: 'ERASED',
        executionArn: result.executionArn,
        remaining: { siloStack: false, table: false, kmsKey: false },
        error: null,
      }),
    ]);
    // the old silo: stack gone, table gone, key pending deletion
    expect(await stackStatus(h, tenantId)).toBe('ABSENT');
    expect(await tableExists(h, siloTable(tenantId))).toBe(false);
    expect(await keyState(before.tenant.silo?.kmsKeyArn)).toBe('PendingDeletion');
    // audited with the run
    const reasons = tenant.history.filter((e) => e.executionArn === result.executionArn).map((e) => e.reason);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^placement: enterprise\/silo \(.*\) → business\/pool \(/),
        expect.stringMatching(/^retired silo: .* TEARDOWN_PENDING$/),
        expect.stringMatching(/^retired silo: .* ERASED$/),
      ]),
    );
    expect(eventsOf(await h.events(), 'TenantPromoted', tenantId).map((e) => e.detail)).toEqual([
      expect.objectContaining({
        fromTier: 'enterprise',
        toTier: 'business',
        isolation: 'pool',
        items: ITEMS,
        retiredSilo: before.tenant.silo?.stackId,
      }),
    ]);
    // the reference service: the pooled function, from the documents table
    expect(documentsTableArn(config, deps.location, tenant)).toBe(Table?.TableArn);
    const listed = await request(tenantId, 'GET');
    expect(listed).toMatchObject({ statusCode: 200, servedBy: pooledFunctionArn });
    expect((listed.body.documents as { documentId: string }[]).map((d) => d.documentId).sort()).toEqual(
      [...before.ids].sort(),
    );
    const got = await request(tenantId, 'GET', { documentId: before.ids[2] as string });
    expect(got).toMatchObject({ statusCode: 200, body: { content: `figures 2 of ${tenantId}` } });
  });

  it("enterprise → pro: every item into the pooled table, no collection table; the users' tier follows", async () => {
    // Prepare
    const tenantId = 'demote-pro';
    const before = await siloTenant(tenantId);
    await tenantUser(h, tenantId, `analyst@${tenantId}.example`, 'enterprise');

    // Act
    const result = await run(h, 'promotion', { tenantId, targetTier: 'pro' }, 180_000);

    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(byKey(await itemsOf(h.life.pooledTable, tenantId))).toEqual(before.items);
    expect(result.output).toMatchObject({ tier: 'pro', collections: [], items: ITEMS });
    expect(await tableExists(h, documentsTable(tenantId))).toBe(false);
    const tenant = await h.catalog.get(tenantId);
    expect(tenant).toMatchObject({ status: 'ACTIVE', tier: 'pro', isolation: 'pool' });
    expect(tenant.silo).toBeUndefined();
    expect(tenant.collections).toBeUndefined();
    expect(tenant.retiredSilos?.map((r) => [r.status, r.executionArn])).toEqual([
      ['ERASED', result.executionArn],
    ]);
    expect(await userTier(h, `analyst@${tenantId}.example`)).toBe('pro');
    expect(await stackStatus(h, tenantId)).toBe('ABSENT');
    expect(await tableExists(h, siloTable(tenantId))).toBe(false);
    expect(await keyState(before.tenant.silo?.kmsKeyArn)).toBe('PendingDeletion');
    const listed = await request(tenantId, 'GET');
    expect(listed).toMatchObject({ statusCode: 200, servedBy: pooledFunctionArn });
    expect((listed.body.documents as unknown[]).length).toBe(SERVICE_DOCUMENTS);
    // the rows moved: in the pooled database, none left in the silo's
    expect(await rowsOf(h, { place: 'pool' }, tenantId)).toEqual(before.rows);
    expect(await rowsOf(h, { place: 'silo', tenantId }, tenantId)).toEqual([]);
  });
});

describe('a fault during a demotion ends consistent', () => {
  const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

  it.each([
    'CreateDemotionTables',
    'DemotionCopyChunk',
    'DemotionVerifyChunk',
    'DemotionRowsCopyChunk',
    'VerifyDemotionRows',
    'SwitchToPool',
  ])(
    '%s fails → rolled back: on its silo with every item, nothing left in the pool, no documents table',
    async (state) => {
      // Prepare
      const tenantId = `dm-${slug(state)}`.slice(0, 30);
      const before = await siloTenant(tenantId);
      const machine = await machineWithFault(h, 'promotion', state);
      await h.events();

      // Act
      const result = await run(h, machine, { tenantId, targetTier: 'business' }, 180_000);
      await clearFaults();

      // Assess
      expect(result.error).toBe('PromotionFailed');
      expect(result.cause).toContain(`${state}: InjectedFault`);
      expect(result.path).toEqual(
        expect.arrayContaining([
          'DemotionRollback',
          'RevertToSiloPlacement',
          'RollbackDemotionTables',
          'RestoreActive',
        ]),
      );
      const tenant = await h.catalog.get(tenantId);
      expect(tenant).toMatchObject({
        status: 'ACTIVE',
        tier: 'enterprise',
        isolation: 'silo',
        silo: before.tenant.silo,
      });
      expect(tenant.collections).toBeUndefined();
      expect(tenant.retiredSilos).toBeUndefined();
      expect(byKey(await itemsOf(siloTable(tenantId), tenantId))).toEqual(before.items);
      expect(await itemsOf(h.life.pooledTable, tenantId)).toEqual([]);
      expect(await tableExists(h, documentsTable(tenantId))).toBe(false);
      expect(await stackStatus(h, tenantId)).toBe('CREATE_COMPLETE');
      expect(await keyState(before.tenant.silo?.kmsKeyArn)).toBe('Enabled');
      expect(eventsOf(await h.events(), 'TenantPromotionFailed', tenantId).map((e) => e.detail)).toEqual([
        expect.objectContaining({ stage: 'rolled-back', failedState: state, rolledBack: true }),
      ]);
      const listed = await request(tenantId, 'GET');
      expect(listed).toMatchObject({ statusCode: 200, servedBy: before.tenant.silo?.serviceFunctionArn });
      expect((listed.body.documents as unknown[]).length).toBe(SERVICE_DOCUMENTS);
      expect(await rowsOf(h, { place: 'silo', tenantId }, tenantId)).toEqual(before.rows);
      expect(await rowsOf(h, { place: 'pool' }, tenantId)).toEqual([]);
    },
  );

  const stackLeft: Record<string, string> = {
    DemotionRetireOldSilo: 'CREATE_COMPLETE',
    DemotionOldSiloDeleteSilo: 'CREATE_COMPLETE',
    DemotionVerifyOldSiloErased: 'ABSENT',
    DemotionRecordOldSiloErased: 'ABSENT',
  };

  it.each(Object.keys(stackLeft))(
    '%s fails after the switch → the switch stands, the old silo is flagged TEARDOWN_FAILED with the error',
    async (state) => {
      // Prepare
      const tenantId = `dm-${slug(state)}`.slice(0, 30);
      const before = await siloTenant(tenantId);
      const machine = await machineWithFault(h, 'promotion', state);
      await h.events();

      // Act
      const result = await run(h, machine, { tenantId, targetTier: 'pro' }, 180_000);
      await clearFaults();

      // Assess: served from the pool with every item; the old silo flagged for an operator
      expect(result.error).toBe('PromotionIncomplete');
      const tenant = await h.catalog.get(tenantId);
      expect(tenant).toMatchObject({ status: 'ACTIVE', tier: 'pro', isolation: 'pool' });
      expect(tenant.silo).toBeUndefined();
      expect(tenant.retiredSilos).toEqual([
        expect.objectContaining({
          silo: before.tenant.silo,
          status: 'TEARDOWN_FAILED',
          executionArn: result.executionArn,
          error: expect.stringContaining(`${state}: InjectedFault`),
        }),
      ]);
      expect(byKey(await itemsOf(h.life.pooledTable, tenantId))).toEqual(before.items);
      expect(await stackStatus(h, tenantId)).toBe(stackLeft[state]);
      const [event] = eventsOf(await h.events(), 'TenantPromotionFailed', tenantId);
      expect(event?.detail).toMatchObject({ stage: 'switched', failedState: state });
      expect((await request(tenantId, 'GET')).servedBy).toBe(pooledFunctionArn);
    },
  );

  it.each(Object.keys(stackLeft))(
    'after %s failed, running the demotion again to the same tier resumes the retirement → ERASED with that run',
    async (state) => {
      // Prepare: the test above left this tenant in the pool with its old silo TEARDOWN_FAILED
      const tenantId = `dm-${slug(state)}`.slice(0, 30);
      const before = await h.catalog.get(tenantId);
      const old = before.retiredSilos?.[0];
      expect(old?.status).toBe('TEARDOWN_FAILED');
      const items = byKey(await itemsOf(h.life.pooledTable, tenantId));

      // Act
      const result = await run(h, 'promotion', { tenantId, targetTier: 'pro' }, 180_000);

      // Assess
      expect(result.status, result.cause).toBe('SUCCEEDED');
      expect(result.path).toContain('ResumeRetireOldSilo');
      expect(result.path).not.toContain('SetMigrating');
      const tenant = await h.catalog.get(tenantId);
      expect(tenant).toMatchObject({ status: 'ACTIVE', tier: 'pro', isolation: 'pool' });
      expect(tenant.retiredSilos).toEqual([
        expect.objectContaining({
          silo: old?.silo,
          status: 'ERASED',
          executionArn: result.executionArn,
          remaining: { siloStack: false, table: false, kmsKey: false },
        }),
      ]);
      expect(await stackStatus(h, tenantId)).toBe('ABSENT');
      expect(await keyState(old?.silo.kmsKeyArn)).toBe('PendingDeletion');
      expect(byKey(await itemsOf(h.life.pooledTable, tenantId))).toEqual(items);
    },
  );

  it.each([
    ['UpdateDemotionUserTiers', 'ACTIVE'],
    ['ActivateOnPool', 'MIGRATING'],
    ['EraseOldSiloRowsChunk', 'ACTIVE'],
  ])(
    '%s fails after the switch → listed, never rolled back: the old silo is erased all the same',
    async (state, status) => {
      // Prepare
      const tenantId = `dm-${slug(state)}`.slice(0, 30);
      const before = await siloTenant(tenantId);
      const machine = await machineWithFault(h, 'promotion', state);
      await h.events();

      // Act
      const result = await run(h, machine, { tenantId, targetTier: 'pro' }, 180_000);
      await clearFaults();

      // Assess
      expect(result.error).toBe('PromotionIncomplete');
      expect(result.cause).toContain(`${state}: InjectedFault`);
      const tenant = await h.catalog.get(tenantId);
      expect(tenant).toMatchObject({ status, tier: 'pro', isolation: 'pool' });
      expect(tenant.retiredSilos?.map((r) => r.status)).toEqual(['ERASED']);
      expect(byKey(await itemsOf(h.life.pooledTable, tenantId))).toEqual(before.items);
      expect(await stackStatus(h, tenantId)).toBe('ABSENT');
      const [event] = eventsOf(await h.events(), 'TenantPromotionFailed', tenantId);
      expect(event?.detail).toMatchObject({
        stage: 'switched',
        failedState: state,
        switchErrors: [expect.objectContaining({ state, error: 'InjectedFault' })],
      });
    },
  );

  it.each(['DemotionFlagOldSilo', 'EmitDemotionIncomplete'])(
    'the teardown and then %s fail → the run still ends PromotionIncomplete, switched',
    async (second) => {
      // Prepare
      const tenantId = `dm-${slug(second)}`.slice(0, 30);
      await siloTenant(tenantId);
      const machine = await machineWithFault(h, 'promotion', ['DemotionOldSiloDeleteSilo', second]);

      // Act
      const result = await run(h, machine, { tenantId, targetTier: 'pro' }, 180_000);
      await clearFaults();

      // Assess
      expect(result.error).toBe('PromotionIncomplete');
      expect(result.cause).toContain('DemotionOldSiloDeleteSilo: InjectedFault');
      expect(result.path).toContain(second);
      const tenant = await h.catalog.get(tenantId);
      expect(tenant).toMatchObject({ status: 'ACTIVE', tier: 'pro', isolation: 'pool' });
      // The flag failing leaves the pending record an operator sees; the event failing changes nothing.
      expect(tenant.retiredSilos?.map((r) => r.status)).toEqual([
        second === 'DemotionFlagOldSilo' ? 'TEARDOWN_PENDING' : 'TEARDOWN_FAILED',
      ]);
    },
  );

  it('EmitTenantDemoted fails → the tenant stays ACTIVE in the pool, the old silo erased', async () => {
    // Prepare
    const tenantId = 'dm-emit';
    const before = await siloTenant(tenantId);
    const machine = await machineWithFault(h, 'promotion', 'EmitTenantDemoted');

    // Act
    const result = await run(h, machine, { tenantId, targetTier: 'pro' }, 180_000);
    await clearFaults();

    // Assess
    expect(result.error).toBe('PromotedEventNotSent');
    const tenant = await h.catalog.get(tenantId);
    expect(tenant).toMatchObject({ status: 'ACTIVE', tier: 'pro', isolation: 'pool' });
    expect(tenant.retiredSilos?.map((r) => r.status)).toEqual(['ERASED']);
    expect(byKey(await itemsOf(h.life.pooledTable, tenantId))).toEqual(before.items);
  });

  it('the rows verification and then RemoveDemotionRowsChunk fail → reported; ACTIVE on its silo with every row, the copies left in the pool listed', async () => {
    // Prepare
    const tenantId = 'dm-rb-rows';
    const before = await siloTenant(tenantId);
    const machine = await machineWithFault(h, 'promotion', ['VerifyDemotionRows', 'RemoveDemotionRowsChunk']);
    await h.events();

    // Act
    const result = await run(h, machine, { tenantId, targetTier: 'business' }, 180_000);
    await clearFaults();

    // Assess: served from the silo, whose rows were only read; the copies the pool got are reported
    expect(result.error).toBe('PromotionFailed');
    expect(result.path).toEqual(expect.arrayContaining(['DemotionRowsCopyChunk', 'RemoveDemotionRowsChunk']));
    const tenant = await h.catalog.get(tenantId);
    expect(tenant).toMatchObject({ status: 'ACTIVE', tier: 'enterprise', silo: before.tenant.silo });
    expect(await rowsOf(h, { place: 'silo', tenantId }, tenantId)).toEqual(before.rows);
    expect(await rowsOf(h, { place: 'pool' }, tenantId)).toEqual(before.rows);
    const [event] = eventsOf(await h.events(), 'TenantPromotionFailed', tenantId);
    expect(event?.detail).toMatchObject({ stage: 'rolled-back', rolledBack: false });
    expect(event?.detail.rollbackErrors).toEqual([
      expect.objectContaining({ state: 'RemoveDemotionRowsChunk' }),
    ]);
    const listed = await request(tenantId, 'GET');
    expect(listed.servedBy).toBe(before.tenant.silo?.serviceFunctionArn);
    expect((listed.body.documents as unknown[]).length).toBe(SERVICE_DOCUMENTS);
  });

  it.each(['RevertToSiloPlacement', 'RemoveDemotionCopiesChunk', 'RollbackDemotionTables'])(
    'the copy and then %s fail → reported in rollbackErrors; ACTIVE on its silo with every item',
    async (second) => {
      // Prepare
      const tenantId = `dm-rb-${slug(second)}`.slice(0, 30);
      const before = await siloTenant(tenantId);
      const machine = await machineWithFault(h, 'promotion', ['DemotionVerifyChunk', second]);
      await h.events();

      // Act
      const result = await run(h, machine, { tenantId, targetTier: 'business' }, 180_000);
      await clearFaults();

      // Assess: the catalog never left the silo (the switch was not reached), which holds every item
      expect(result.error).toBe('PromotionFailed');
      const tenant = await h.catalog.get(tenantId);
      expect(tenant).toMatchObject({ status: 'ACTIVE', tier: 'enterprise', silo: before.tenant.silo });
      expect(byKey(await itemsOf(siloTable(tenantId), tenantId))).toEqual(before.items);
      const [event] = eventsOf(await h.events(), 'TenantPromotionFailed', tenantId);
      expect(event?.detail).toMatchObject({ stage: 'rolled-back', rolledBack: false });
      expect(event?.detail.rollbackErrors).toEqual([expect.objectContaining({ state: second })]);
      // What a failed step leaves is what it did not remove: the copies, or the documents table
      const pooled = await itemsOf(h.life.pooledTable, tenantId);
      expect(pooled.length).toBe(second === 'RollbackDemotionTables' ? 0 : OTHER_ITEMS);
      expect(await tableExists(h, documentsTable(tenantId))).toBe(second !== 'RemoveDemotionCopiesChunk');
      expect((await request(tenantId, 'GET')).servedBy).toBe(before.tenant.silo?.serviceFunctionArn);
    },
  );
});
