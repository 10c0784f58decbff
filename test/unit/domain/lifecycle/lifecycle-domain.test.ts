import {
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  DeleteGroupCommand,
  ListUsersInGroupCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { batchWriteAll } from '../../../../domain/aws/batch';
import { CatalogRepository } from '../../../../domain/catalog/repository';
import { defaultConfig } from '../../../../domain/config';
import {
  IllegalTransitionError,
  TenantAlreadyExistsError,
  UnprocessedItemsError,
  ValidationError,
} from '../../../../domain/errors';
import { tenantUserAttributes } from '../../../../domain/identity/claims';
import {
  createPendingTenant,
  setPlacement,
  transitionTenant,
} from '../../../../domain/lifecycle/catalog-ops';
import { ChecksumAccumulator, canonicalJson } from '../../../../domain/lifecycle/checksum';
import { LifecyclePreconditionError, StaleLifecyclePlanError } from '../../../../domain/lifecycle/errors';
import {
  offboardingExecutionName,
  onboardingExecutionName,
  promotionExecutionName,
} from '../../../../domain/lifecycle/execution-name';
import { purgeTenantIdentities } from '../../../../domain/lifecycle/identity';
import { planOffboarding, planOnboarding, planPromotion } from '../../../../domain/lifecycle/plan';
import {
  copyTenantChunk,
  pooledTable,
  purgeTenantChunk,
  siloTable,
  tallyTenantItems,
} from '../../../../domain/lifecycle/tenant-items';
import { newTenant, type Tenant, transition } from '../../../../domain/tenant/tenant';

const noSleep = async () => undefined;
const put = (i: number) => ({ PutRequest: { Item: { pk: { S: 'TENANT#acme#docs' }, sk: { S: `i${i}` } } } });

describe('batchWriteAll', () => {
  const dynamo = mockClient(DynamoDBClient);
  const client = new DynamoDBClient({ region: 'us-east-1' });
  beforeEach(() => dynamo.reset());

  it('writes in batches of 25 and retries UnprocessedItems (pooled into new batches) until none remain', async () => {
    // Prepare: the first call of each batch leaves its last 10 requests unprocessed
    const written: string[] = [];
    dynamo
      .on(BatchWriteItemCommand)
      .callsFake((input: { RequestItems: Record<string, ReturnType<typeof put>[]> }) => {
        const requests = input.RequestItems.t ?? [];
        const keep = requests.length === 25 ? requests.slice(0, 15) : requests;
        for (const r of keep) written.push(r.PutRequest.Item.sk.S);
        const rest = requests.slice(keep.length);
        return { UnprocessedItems: rest.length > 0 ? { t: rest } : {} };
      });
    const requests = Array.from({ length: 60 }, (_, i) => put(i));
    // Act
    const result = await batchWriteAll(client, 't', requests, { sleep: noSleep });
    // Assess
    expect(written.sort()).toEqual(requests.map((r) => r.PutRequest.Item.sk.S).sort());
    expect(result.retried).toBe(20);
    expect(
      dynamo
        .commandCalls(BatchWriteItemCommand)
        .every((c) => (c.args[0].input.RequestItems?.t?.length ?? 0) <= 25),
    ).toBe(true);
  });

  it('never drops items: gives up only after rounds without progress, naming the table and the count', async () => {
    dynamo.on(BatchWriteItemCommand).callsFake((input: { RequestItems: Record<string, unknown[]> }) => ({
      UnprocessedItems: { t: input.RequestItems.t },
    }));
    const attempt = batchWriteAll(client, 't', [put(1), put(2)], { sleep: noSleep, maxAttempts: 4 });
    await expect(attempt).rejects.toThrow(UnprocessedItemsError);
    await expect(attempt).rejects.toThrow('2 items still unprocessed in t after 4 batch attempts');
    expect(dynamo.commandCalls(BatchWriteItemCommand)).toHaveLength(4);
  });

  it('copies a chunk page by page from the byTenant index and returns the query cursor', async () => {
    const cursor = { tenantId: { S: 'acme' }, pk: { S: 'TENANT#acme#docs' }, sk: { S: 'i1' } };
    dynamo
      .on(QueryCommand)
      .resolvesOnce({ Items: [put(1).PutRequest.Item], LastEvaluatedKey: cursor })
      .resolvesOnce({ Items: [put(2).PutRequest.Item] });
    dynamo.on(BatchWriteItemCommand).resolves({});
    const result = await copyTenantChunk(client, pooledTable('pool'), 'silo', 'acme', null, {
      sleep: noSleep,
    });
    expect(result).toEqual({ handled: 2, foreign: 0, nextKey: null, retried: 0 });
    const queries = dynamo.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries[0]).toMatchObject({
      TableName: 'pool',
      IndexName: 'byTenant',
      KeyConditionExpression: '#tenant = :tenant',
      ExpressionAttributeNames: { '#tenant': 'tenantId' },
      ExpressionAttributeValues: { ':tenant': { S: 'acme' } },
    });
    expect(queries[1]?.ExclusiveStartKey).toEqual(cursor);
    expect(dynamo.commandCalls(ScanCommand)).toHaveLength(0);
  });

  it("never copies or purges an item listed for the tenant whose partition key is another tenant's", async () => {
    // Prepare: tenant evil wrote an item under its own key labelled tenantId=acme
    const planted = { pk: { S: 'TENANT#evil#docs' }, sk: { S: 'x' }, tenantId: { S: 'acme' } };
    const lookalike = { pk: { S: 'TENANT#acme-two#docs' }, sk: { S: 'y' }, tenantId: { S: 'acme' } };
    dynamo.on(QueryCommand).resolves({ Items: [put(1).PutRequest.Item, planted, lookalike] });
    dynamo.on(BatchWriteItemCommand).resolves({});
    // Act
    const copied = await copyTenantChunk(client, pooledTable('pool'), 'silo', 'acme', null, {
      sleep: noSleep,
    });
    const purged = await purgeTenantChunk(client, pooledTable('pool'), 'acme', null, { sleep: noSleep });
    // Assess
    expect(copied).toMatchObject({ handled: 1, foreign: 2 });
    expect(purged).toMatchObject({ handled: 1, foreign: 2 });
    const writes = dynamo
      .commandCalls(BatchWriteItemCommand)
      .flatMap((c) => Object.values(c.args[0].input.RequestItems ?? {}).flat());
    expect(writes).toEqual([
      { PutRequest: { Item: put(1).PutRequest.Item } },
      { DeleteRequest: { Key: { pk: { S: 'TENANT#acme#docs' }, sk: { S: 'i1' } } } },
    ]);
  });

  it('reads a silo table with a consistent Scan', async () => {
    dynamo.on(ScanCommand).resolves({ Items: [put(1).PutRequest.Item] });
    dynamo.on(BatchWriteItemCommand).resolves({});
    await copyTenantChunk(client, siloTable('silo'), 'pool', 'acme', null, { sleep: noSleep });
    expect(dynamo.commandCalls(ScanCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'silo',
      ConsistentRead: true,
    });
    expect(dynamo.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it("tallies consistently: lists the tenant's partitions through the index, reads each from the base table", async () => {
    // Prepare: the index lists docs (one stale value) and users, and a planted partition of another tenant
    const fresh = { ...put(1).PutRequest.Item, v: { N: '2' } };
    const user = { pk: { S: 'TENANT#acme#users' }, sk: { S: 'u1' } };
    dynamo
      .on(QueryCommand, { IndexName: 'byTenant' })
      .resolvesOnce({ Items: [{ pk: { S: 'TENANT#acme#docs' } }] })
      .resolvesOnce({ Items: [{ pk: { S: 'TENANT#acme#users' } }] })
      .resolvesOnce({ Items: [{ pk: { S: 'TENANT#evil#docs' } }] })
      .resolvesOnce({ Items: [] });
    dynamo
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': { S: 'TENANT#acme#docs' } } })
      .resolves({ Items: [fresh] });
    dynamo
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': { S: 'TENANT#acme#users' } } })
      .resolves({ Items: [user] });
    const expected = new ChecksumAccumulator();
    expected.add(fresh);
    expected.add(user);
    // Act
    const tally = await tallyTenantItems(client, pooledTable('pool'), 'acme', { consistent: true });
    // Assess
    expect(tally).toEqual({ ...expected.tally(), foreign: 1 });
    const inputs = dynamo.commandCalls(QueryCommand).map((c) => c.args[0].input);
    const index = inputs.filter((i) => i.IndexName === 'byTenant');
    expect(index.map((i) => [i.Limit, i.ExpressionAttributeValues?.[':after']?.S])).toEqual([
      [1, undefined],
      [1, 'TENANT#acme#docs'],
      [1, 'TENANT#acme#users'],
      [1, 'TENANT#evil#docs'],
    ]);
    const base = inputs.filter((i) => i.IndexName === undefined);
    expect(base.map((i) => [i.ExpressionAttributeValues?.[':pk']?.S, i.ConsistentRead])).toEqual([
      ['TENANT#acme#docs', true],
      ['TENANT#acme#users', true],
    ]);
  });
});

describe('ChecksumAccumulator', () => {
  it('is independent of order and attribute order, and sensitive to any value or type change', () => {
    const a = { pk: { S: 'TENANT#a#x' }, sk: { S: '1' }, n: { N: '1' } };
    const b = { sk: { S: '2' }, pk: { S: 'TENANT#a#x' }, n: { N: '2' } };
    const one = new ChecksumAccumulator();
    one.add(a);
    one.add(b);
    const two = new ChecksumAccumulator();
    two.add({ n: b.n, pk: b.pk, sk: b.sk });
    two.add(a);
    const changed = new ChecksumAccumulator();
    changed.add(a);
    changed.add({ ...b, n: { S: '2' } });
    expect(one.tally()).toEqual(two.tally());
    expect(one.tally().count).toBe(2);
    expect(changed.tally().checksum).not.toBe(one.tally().checksum);
    expect(canonicalJson({ b: 1, a: [2, { d: 1, c: 2 }] })).toBe('{"a":[2,{"c":2,"d":1}],"b":1}');
  });
});

describe('promotion and offboarding execution names', () => {
  it('are fixed per tenant and catalog version', () => {
    expect(promotionExecutionName('acme', 7)).toBe('promote-acme-v7');
    expect(offboardingExecutionName('acme', 7)).toBe('offboard-acme-v7');
    expect(promotionExecutionName('acme', 8)).not.toBe(promotionExecutionName('acme', 7));
  });
});

describe('onboardingExecutionName', () => {
  const signup = { tenantId: 'acme', name: 'Acme', tier: 'pro', adminEmail: 'a@acme.example' };
  it('is the same for the same signup and differs for another signup of the same tenant', () => {
    const name = onboardingExecutionName(signup);
    expect(name).toMatch(/^onboard-acme-[0-9a-f]{12}$/);
    expect(onboardingExecutionName({ ...signup })).toBe(name);
    expect(onboardingExecutionName({ ...signup, tier: 'starter' })).not.toBe(name);
    expect(onboardingExecutionName({ tenantId: 'Not Valid!' })).toMatch(/^onboard-invalid-[0-9a-f]{12}$/);
  });
});

describe('planning', () => {
  const tenant = (status: Tenant['status'], isolation: Tenant['isolation'] = 'pool'): Tenant => {
    let t = newTenant({ tenantId: 'acme', name: 'Acme', tier: 'pro', isolation, region: 'us-east-1' });
    if (status !== 'PENDING') t = transition(t, 'ACTIVE');
    if (status === 'SUSPENDED') t = transition(t, 'SUSPENDED');
    if (status === 'MIGRATING') t = transition(t, 'MIGRATING');
    return t;
  };

  it('plans an onboarding from the configuration (isolation, names, lower-cased email)', () => {
    const plan = planOnboarding(defaultConfig, {
      tenantId: 'rhein',
      name: ' Rheinbank ',
      tier: 'enterprise',
      adminEmail: 'Ops@Rhein.example',
    });
    expect(plan).toEqual({
      tenantId: 'rhein',
      name: 'Rheinbank',
      tier: 'enterprise',
      isolation: 'silo',
      region: 'us-east-1',
      adminEmail: 'ops@rhein.example',
      groupName: 'tenant-rhein',
      stackName: 'tenantry-dev-silo-rhein',
    });
  });

  it.each([
    [{ name: 'A', tier: 'pro', adminEmail: 'a@b.example' }, 'tenantId: tenantId is required'],
    [
      { tenantId: 'Bad_Id', name: 'A', tier: 'pro', adminEmail: 'a@b.example' },
      'tenantId: must be 3-40 characters',
    ],
    [{ tenantId: 'acme', name: '  ', tier: 'pro', adminEmail: 'a@b.example' }, 'name: must not be empty'],
    [
      { tenantId: 'acme', name: 'A', tier: 'gold', adminEmail: 'a@b.example' },
      'tier: unknown tier "gold" (known: starter (pool)',
    ],
    [
      { tenantId: 'acme', name: 'A', tier: 'pro', adminEmail: 'not-an-email' },
      'adminEmail: must be an email address',
    ],
    [
      { tenantId: 'acme', name: 'A', tier: 'pro', adminEmail: 'a@b.example', region: 'eu-central-1' },
      'region: "eu-central-1" is not allowed for pool tenants',
    ],
  ])('rejects bad onboarding input %j naming the field', (input, message) => {
    expect(() => planOnboarding(defaultConfig, input)).toThrow(ValidationError);
    expect(() => planOnboarding(defaultConfig, input)).toThrow(message);
  });

  it('promotes only an ACTIVE pooled tenant to a silo tier', () => {
    expect(
      planPromotion(defaultConfig, tenant('ACTIVE'), { tenantId: 'acme', targetTier: 'enterprise' }),
    ).toMatchObject({
      fromTier: 'pro',
      toTier: 'enterprise',
      stackName: 'tenantry-dev-silo-acme',
      version: 0,
    });
    expect(() =>
      planPromotion(defaultConfig, tenant('ACTIVE'), { tenantId: 'acme', targetTier: 'business' }),
    ).toThrow('tier "business" is pooled');
    expect(() =>
      planPromotion(defaultConfig, tenant('SUSPENDED'), { tenantId: 'acme', targetTier: 'enterprise' }),
    ).toThrow(LifecyclePreconditionError);
    expect(() =>
      planPromotion(defaultConfig, tenant('ACTIVE', 'silo'), { tenantId: 'acme', targetTier: 'enterprise' }),
    ).toThrow('already has a silo');
  });

  it('offboards from ACTIVE, SUSPENDED, FAILED or an interrupted OFFBOARDING, not from PENDING or MIGRATING', () => {
    expect(planOffboarding(defaultConfig, tenant('SUSPENDED'), { tenantId: 'acme' }).reason).toBe(
      'offboarding requested',
    );
    expect(() => planOffboarding(defaultConfig, tenant('PENDING'), { tenantId: 'acme' })).toThrow(
      'it is PENDING',
    );
    expect(() => planOffboarding(defaultConfig, tenant('MIGRATING'), { tenantId: 'acme' })).toThrow(
      'it is MIGRATING',
    );
  });
});

describe('catalog operations', () => {
  const docs = mockClient(DynamoDBDocumentClient);
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  const repository = new CatalogRepository({ client, tableName: 'catalog', maxAttempts: 2 });
  const input = {
    tenantId: 'acme',
    name: 'Acme',
    tier: 'pro',
    isolation: 'pool' as const,
    region: 'us-east-1',
  };
  const conflict = () => new ConditionalCheckFailedException({ message: 'conditional', $metadata: {} });
  const arnA = 'arn:aws:states:us-east-1:1:execution:m:a';
  beforeEach(() => docs.reset());

  it('creates the PENDING record with the execution ARN and recognises its own earlier attempt', async () => {
    const mine = newTenant(input);
    mine.history[0] = { ...mine.history[0], executionArn: arnA } as Tenant['history'][number];
    docs.on(PutCommand).rejects(conflict());
    docs.on(GetCommand).resolves({ Item: mine });
    const again = await createPendingTenant(client, 'catalog', repository, input, arnA);
    expect(again.alreadyCreated).toBe(true);
    await expect(createPendingTenant(client, 'catalog', repository, input, 'arn:other')).rejects.toThrow(
      TenantAlreadyExistsError,
    );
  });

  it('transitions through the domain rules, idempotently for the same execution', async () => {
    const active = transition(newTenant(input), 'ACTIVE', { executionArn: arnA });
    docs.on(GetCommand).resolves({ Item: active });
    docs.on(PutCommand).resolves({});
    // the same execution asking again: no write
    expect(
      await transitionTenant(repository, { tenantId: 'acme', to: 'ACTIVE', executionArn: arnA }),
    ).toMatchObject({
      changed: false,
      status: 'ACTIVE',
    });
    // onlyFrom not matching: no write
    expect(
      await transitionTenant(repository, {
        tenantId: 'acme',
        to: 'ACTIVE',
        executionArn: 'b',
        onlyFrom: ['MIGRATING'],
      }),
    ).toMatchObject({ changed: false });
    expect(docs.commandCalls(PutCommand)).toHaveLength(0);
    // a real change goes through CatalogRepository.transition and records the ARN
    const moved = await transitionTenant(repository, {
      tenantId: 'acme',
      to: 'MIGRATING',
      executionArn: 'arn:b',
    });
    expect(moved).toMatchObject({ changed: true, status: 'MIGRATING' });
    const item = docs.commandCalls(PutCommand)[0]?.args[0].input.Item as Tenant;
    expect(item.history.at(-1)).toMatchObject({ from: 'ACTIVE', to: 'MIGRATING', executionArn: 'arn:b' });
    // an illegal change is refused by the status rules
    await expect(
      transitionTenant(repository, { tenantId: 'acme', to: 'PENDING', executionArn: 'c' }),
    ).rejects.toThrow(IllegalTransitionError);
  });

  it('refuses a transition from a record changed since the workflow validated it (expectedVersion)', async () => {
    const active = transition(newTenant(input), 'ACTIVE', { executionArn: arnA });
    docs.on(GetCommand).resolves({ Item: { ...active, version: 4 } });
    docs.on(PutCommand).resolves({});
    await expect(
      transitionTenant(repository, {
        tenantId: 'acme',
        to: 'MIGRATING',
        executionArn: 'b',
        expectedVersion: 3,
      }),
    ).rejects.toThrow(StaleLifecyclePlanError);
    expect(docs.commandCalls(PutCommand)).toHaveLength(0);
    const moved = await transitionTenant(repository, {
      tenantId: 'acme',
      to: 'MIGRATING',
      executionArn: 'b',
      expectedVersion: 4,
    });
    expect(moved).toMatchObject({ changed: true, status: 'MIGRATING', version: 5 });
  });

  it('treats a missing tenant as nothing to do only when asked to', async () => {
    docs.on(GetCommand).resolves({});
    expect(
      await transitionTenant(repository, {
        tenantId: 'acme',
        to: 'FAILED',
        executionArn: 'a',
        allowMissing: true,
      }),
    ).toEqual({ tenantId: 'acme', status: null, changed: false, version: null });
    await expect(
      transitionTenant(repository, { tenantId: 'acme', to: 'FAILED', executionArn: 'a' }),
    ).rejects.toThrow('tenant acme does not exist');
  });

  it('records a placement once and removes the silo references when moving back to the pool', async () => {
    const silo = { stackId: 's', tableName: 't', kmsKeyArn: 'k' };
    const onSilo = {
      ...transition(newTenant(input), 'ACTIVE'),
      tier: 'enterprise',
      isolation: 'silo' as const,
      silo,
    };
    docs.on(GetCommand).resolves({ Item: onSilo });
    docs.on(PutCommand).resolves({});
    await setPlacement(
      repository,
      defaultConfig,
      'acme',
      { tier: 'enterprise', isolation: 'silo', silo },
      arnA,
    );
    expect(docs.commandCalls(PutCommand)).toHaveLength(0);
    const back = await setPlacement(
      repository,
      defaultConfig,
      'acme',
      { tier: 'pro', isolation: 'pool', silo: null },
      arnA,
    );
    expect(back).toMatchObject({ tier: 'pro', isolation: 'pool' });
    expect(back.silo).toBeUndefined();
    // audited: a history entry with the execution ARN, status unchanged
    expect(back.history.at(-1)).toMatchObject({
      from: 'ACTIVE',
      to: 'ACTIVE',
      executionArn: arnA,
      reason: 'placement: enterprise/silo (t) → pro/pool',
    });
    expect(back.history).toHaveLength(onSilo.history.length + 1);
  });

  it('refuses a placement the configuration does not allow, without writing', async () => {
    docs.on(GetCommand).resolves({ Item: transition(newTenant(input), 'ACTIVE') });
    docs.on(PutCommand).resolves({});
    const silo = { stackId: 's', tableName: 't', kmsKeyArn: 'k' };
    await expect(
      setPlacement(repository, defaultConfig, 'acme', { tier: 'platinum', isolation: 'silo', silo }, arnA),
    ).rejects.toThrow('unknown tier "platinum"');
    await expect(
      setPlacement(repository, defaultConfig, 'acme', { tier: 'pro', isolation: 'silo', silo }, arnA),
    ).rejects.toThrow('tier pro is pool, not silo');
    await expect(
      setPlacement(
        repository,
        defaultConfig,
        'acme',
        { tier: 'enterprise', isolation: 'pool', silo: null },
        arnA,
      ),
    ).rejects.toThrow(ValidationError);
    expect(docs.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('re-onboards a FAILED tenant: FAILED → PENDING with this execution, the new signup, no silo', async () => {
    const failed = {
      ...transition(newTenant(input), 'FAILED', { executionArn: 'arn:first', reason: 'X: boom' }),
      silo: { stackId: 's', tableName: 't', kmsKeyArn: 'k' },
    };
    docs.on(PutCommand, { ConditionExpression: 'attribute_not_exists(tenantId)' }).rejects(conflict());
    docs.on(PutCommand, { ConditionExpression: 'version = :expected' }).resolves({});
    docs.on(GetCommand).resolves({ Item: failed });
    const again = { ...input, name: 'Acme Again', tier: 'enterprise', isolation: 'silo' as const };
    const result = await createPendingTenant(client, 'catalog', repository, again, 'arn:second');
    expect(result).toMatchObject({ alreadyCreated: false, reonboarded: true });
    expect(result.tenant).toMatchObject({
      status: 'PENDING',
      name: 'Acme Again',
      tier: 'enterprise',
      isolation: 'silo',
      version: failed.version + 1,
    });
    expect(result.tenant.silo).toBeUndefined();
    expect(result.tenant.history.at(-1)).toMatchObject({
      from: 'FAILED',
      to: 'PENDING',
      executionArn: 'arn:second',
    });
    // the same execution retrying its create: recognised, no second write
    docs.on(GetCommand).resolves({ Item: result.tenant });
    const retried = await createPendingTenant(client, 'catalog', repository, again, 'arn:second');
    expect(retried).toMatchObject({ alreadyCreated: true, reonboarded: false });
    expect(docs.commandCalls(PutCommand, { ConditionExpression: 'version = :expected' })).toHaveLength(1);
    // another execution: the tenant is PENDING again, not FAILED → a duplicate
    await expect(createPendingTenant(client, 'catalog', repository, again, 'arn:third')).rejects.toThrow(
      TenantAlreadyExistsError,
    );
  });

  it('does not re-open a tenant that is not FAILED', async () => {
    docs.on(PutCommand).rejects(conflict());
    docs.on(GetCommand).resolves({ Item: transition(newTenant(input), 'ACTIVE', { executionArn: arnA }) });
    await expect(createPendingTenant(client, 'catalog', repository, input, 'arn:other')).rejects.toThrow(
      TenantAlreadyExistsError,
    );
  });
});

describe('purgeTenantIdentities', () => {
  const cognito = mockClient(CognitoIdentityProviderClient);
  const client = new CognitoIdentityProviderClient({ region: 'us-east-1' });
  beforeEach(() => cognito.reset());
  const user = (name: string, tenant: string) => ({
    Username: name,
    Attributes: [{ Name: tenantUserAttributes.tenantId, Value: tenant }],
  });

  it("deletes the tenant's users (paginated) and group, never another tenant's user", async () => {
    cognito
      .on(ListUsersInGroupCommand)
      .resolvesOnce({ Users: [user('a@x', 'acme')], NextToken: 'n' })
      .resolvesOnce({ Users: [user('b@x', 'acme'), user('intruder@x', 'other')] });
    cognito.on(AdminGetUserCommand).resolves({
      Username: 'admin@x',
      UserAttributes: [{ Name: tenantUserAttributes.tenantId, Value: 'other' }],
    });
    const result = await purgeTenantIdentities(client, 'pool', 'acme', ['admin@x']);
    expect(result).toEqual({ deletedUsers: 2, skippedUsers: 2, groupDeleted: true });
    expect(cognito.commandCalls(AdminDisableUserCommand).map((c) => c.args[0].input.Username)).toEqual([
      'a@x',
      'b@x',
    ]);
    expect(cognito.commandCalls(AdminDeleteUserCommand).map((c) => c.args[0].input.Username)).toEqual([
      'a@x',
      'b@x',
    ]);
    expect(cognito.commandCalls(DeleteGroupCommand)[0]?.args[0].input.GroupName).toBe('tenant-acme');
  });

  it('is idempotent when the group is already gone', async () => {
    cognito
      .on(ListUsersInGroupCommand)
      .rejects(new ResourceNotFoundException({ message: 'no group', $metadata: {} }));
    expect(await purgeTenantIdentities(client, 'pool', 'acme')).toEqual({
      deletedUsers: 0,
      skippedUsers: 0,
      groupDeleted: false,
    });
    expect(cognito.commandCalls(DeleteGroupCommand)).toHaveLength(0);
  });
});
