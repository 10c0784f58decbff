import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CatalogRepository } from '../../../../domain/catalog/repository';
import { defaultConfig } from '../../../../domain/config';
import { IllegalTransitionError, TenantAlreadyExistsError, ValidationError } from '../../../../domain/errors';
import {
  createPendingTenant,
  setPlacement,
  transitionTenant,
} from '../../../../domain/lifecycle/catalog-ops';
import { ErasureNotProvenError, StaleLifecyclePlanError } from '../../../../domain/lifecycle/errors';
import { newTenant, type Tenant, transition } from '../../../../domain/tenant/tenant';
import { conditionalCheckFailed, NEW_POOLED_ACME } from '../../support/catalog';

describe('catalog operations', () => {
  const docs = mockClient(DynamoDBDocumentClient);
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  const repository = new CatalogRepository({ client, tableName: 'catalog', maxAttempts: 2 });
  const arnA = 'arn:aws:states:us-east-1:1:execution:m:a';
  beforeEach(() => docs.reset());

  it('creates the PENDING record with the execution ARN and recognises its own earlier attempt', async () => {
    const mine = newTenant(NEW_POOLED_ACME);
    mine.history[0] = { ...mine.history[0], executionArn: arnA } as Tenant['history'][number];
    docs.on(PutCommand).rejects(conditionalCheckFailed());
    docs.on(GetCommand).resolves({ Item: mine });
    const again = await createPendingTenant(client, 'catalog', repository, NEW_POOLED_ACME, arnA);
    expect(again.alreadyCreated).toBe(true);
    await expect(
      createPendingTenant(client, 'catalog', repository, NEW_POOLED_ACME, 'arn:other'),
    ).rejects.toThrow(TenantAlreadyExistsError);
  });

  it('transitions through the domain rules, idempotently for the same execution', async () => {
    const active = transition(newTenant(NEW_POOLED_ACME), 'ACTIVE', { executionArn: arnA });
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

  it('marks OFFBOARDED only with an erasure record showing nothing left, and stores the record', async () => {
    // Prepare
    const offboarding = transition(transition(newTenant(NEW_POOLED_ACME), 'ACTIVE'), 'OFFBOARDING');
    docs.on(GetCommand).resolves({ Item: offboarding });
    docs.on(PutCommand).resolves({});
    const erasure = {
      executionArn: arnA,
      startedAt: '2026-12-01T01:00:00.000Z',
      verifiedAt: '2026-12-01T01:20:00.000Z',
      attempts: 1,
      erased: { items: 12, objects: 3, users: 2, rows: 0 },
      remaining: { items: 0, objects: 0, users: 0, collectionTables: 0, siloStack: false, kmsKey: false },
      keyDeletionDate: null,
    };
    const request = { tenantId: 'acme', to: 'OFFBOARDED', executionArn: arnA } as const;

    // Act / Assess: refused without a record, or with a record showing something left
    await expect(transitionTenant(repository, request)).rejects.toThrow(ErasureNotProvenError);
    await expect(
      transitionTenant(repository, {
        ...request,
        erasure: { ...erasure, remaining: { ...erasure.remaining, items: 1 } },
      }),
    ).rejects.toThrow('tenant acme cannot be marked OFFBOARDED: its erasure record shows data left');
    expect(docs.commandCalls(PutCommand)).toHaveLength(0);
    const done = await transitionTenant(repository, { ...request, erasure });
    expect(done).toMatchObject({ changed: true, status: 'OFFBOARDED' });
    const item = docs.commandCalls(PutCommand)[0]?.args[0].input.Item as Tenant;
    expect(item.erasure).toEqual(erasure);
  });

  it('refuses a transition from a record changed since the workflow validated it (expectedVersion)', async () => {
    const active = transition(newTenant(NEW_POOLED_ACME), 'ACTIVE', { executionArn: arnA });
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
    const silo = {
      stackId: 's',
      tableName: 't',
      tableArn: 'arn:aws:dynamodb:us-east-1:111122223333:table/tbl',
      kmsKeyArn: 'k',
    };
    const onSilo = {
      ...transition(newTenant(NEW_POOLED_ACME), 'ACTIVE'),
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

  const documents = {
    collection: 'documents',
    tableName: 'tenantry-dev-collection-acme.documents',
    tableArn: 'arn:aws:dynamodb:us-east-1:111122223333:table/tenantry-dev-collection-acme.documents',
  };

  it('switches the collection tables with the tier in one audited write, and keeps them when not given', async () => {
    // Prepare
    docs.on(GetCommand).resolves({ Item: transition(newTenant(NEW_POOLED_ACME), 'ACTIVE') });
    docs.on(PutCommand).resolves({});

    // Act
    const business = await setPlacement(
      repository,
      defaultConfig,
      'acme',
      { tier: 'business', isolation: 'pool', silo: null, collections: [documents] },
      arnA,
    );

    // Assess
    expect(business).toMatchObject({ tier: 'business', collections: [documents] });
    expect(business.history.at(-1)).toMatchObject({
      executionArn: arnA,
      reason: 'placement: pro/pool → business/pool (tenantry-dev-collection-acme.documents)',
    });
    expect(docs.commandCalls(PutCommand)).toHaveLength(1);

    // Act: the same tier without `collections` keeps the recorded tables; `[]` removes them
    docs.on(GetCommand).resolves({ Item: business });
    const kept = await setPlacement(
      repository,
      defaultConfig,
      'acme',
      { tier: 'business', isolation: 'pool', silo: null },
      arnA,
    );
    const removed = await setPlacement(
      repository,
      defaultConfig,
      'acme',
      { tier: 'pro', isolation: 'pool', silo: null, collections: [] },
      arnA,
    );

    // Assess
    expect(kept.collections).toEqual([documents]);
    expect(docs.commandCalls(PutCommand)).toHaveLength(2);
    expect(removed.collections).toBeUndefined();
  });

  it.each([
    [
      'a collection the tier does not dedicate',
      { tier: 'pro', collections: [documents] },
      'collections: "documents" is not a dedicated collection of tier pro (none)',
    ],
    [
      "another tenant's table",
      {
        tier: 'business',
        collections: [{ ...documents, tableArn: documents.tableArn.replace('acme', 'globex') }],
      },
      'collections: "arn:aws:dynamodb:us-east-1:111122223333:table/tenantry-dev-collection-globex.documents" is not the table tenantry-dev-collection-acme.documents',
    ],
  ])('refuses %s, naming the field and the value, without writing', async (_what, placement, message) => {
    docs.on(GetCommand).resolves({ Item: transition(newTenant(NEW_POOLED_ACME), 'ACTIVE') });
    const placing = setPlacement(
      repository,
      defaultConfig,
      'acme',
      { isolation: 'pool', silo: null, ...placement },
      arnA,
    );
    await expect(placing).rejects.toThrow(ValidationError);
    await expect(placing).rejects.toThrow(message);
    expect(docs.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('refuses a placement the configuration does not allow, without writing', async () => {
    docs.on(GetCommand).resolves({ Item: transition(newTenant(NEW_POOLED_ACME), 'ACTIVE') });
    docs.on(PutCommand).resolves({});
    const silo = {
      stackId: 's',
      tableName: 't',
      tableArn: 'arn:aws:dynamodb:us-east-1:111122223333:table/tbl',
      kmsKeyArn: 'k',
    };
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
      ...transition(newTenant(NEW_POOLED_ACME), 'FAILED', { executionArn: 'arn:first', reason: 'X: boom' }),
      silo: {
        stackId: 's',
        tableName: 't',
        tableArn: 'arn:aws:dynamodb:us-east-1:111122223333:table/tbl',
        kmsKeyArn: 'k',
      },
    };
    docs
      .on(PutCommand, { ConditionExpression: 'attribute_not_exists(tenantId)' })
      .rejects(conditionalCheckFailed());
    docs.on(PutCommand, { ConditionExpression: 'version = :expected' }).resolves({});
    docs.on(GetCommand).resolves({ Item: failed });
    const again = { ...NEW_POOLED_ACME, name: 'Acme Again', tier: 'enterprise', isolation: 'silo' as const };
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
    docs.on(PutCommand).rejects(conditionalCheckFailed());
    docs
      .on(GetCommand)
      .resolves({ Item: transition(newTenant(NEW_POOLED_ACME), 'ACTIVE', { executionArn: arnA }) });
    await expect(
      createPendingTenant(client, 'catalog', repository, NEW_POOLED_ACME, 'arn:other'),
    ).rejects.toThrow(TenantAlreadyExistsError);
  });
});
