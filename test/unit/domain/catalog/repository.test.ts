import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CatalogRepository } from '../../../../domain/catalog/repository';
import {
  ConcurrentModificationError,
  IllegalTransitionError,
  TenantAlreadyExistsError,
  TenantNotFoundError,
} from '../../../../domain/errors';
import { newTenant } from '../../../../domain/tenant/tenant';
import { conditionalCheckFailed, NEW_POOLED_ACME } from '../../support/catalog';

const dynamo = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const clock = () => new Date('2026-11-28T10:00:00.000Z');
const waits: number[] = [];
const repository = new CatalogRepository({
  client,
  tableName: 'catalog',
  clock,
  maxAttempts: 3,
  sleep: async (ms) => {
    waits.push(ms);
  },
});

describe('CatalogRepository', () => {
  beforeEach(() => {
    dynamo.reset();
    waits.length = 0;
  });

  it('creates a PENDING tenant only if the id is free', async () => {
    // Prepare
    dynamo.on(PutCommand).resolves({});

    // Act
    const tenant = await repository.create(NEW_POOLED_ACME);

    // Assess
    expect(tenant).toMatchObject({ tenantId: 'acme', status: 'PENDING', version: 0 });
    const put = dynamo.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put?.ConditionExpression).toBe('attribute_not_exists(tenantId)');
    expect(put?.Item).toEqual(tenant);
  });

  it('refuses to overwrite an existing tenant', async () => {
    dynamo.on(PutCommand).rejects(conditionalCheckFailed());
    await expect(repository.create(NEW_POOLED_ACME)).rejects.toThrow(TenantAlreadyExistsError);
  });

  it('writes a transition conditioned on the version it read', async () => {
    // Prepare
    dynamo.on(GetCommand).resolves({ Item: { ...newTenant(NEW_POOLED_ACME, clock()), version: 4 } });
    dynamo.on(PutCommand).resolves({});

    // Act
    const tenant = await repository.transition('acme', 'ACTIVE', { reason: 'provisioned' });

    // Assess
    expect(tenant).toMatchObject({ status: 'ACTIVE', version: 5 });
    const put = dynamo.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put?.ConditionExpression).toBe('version = :expected');
    expect(put?.ExpressionAttributeValues).toEqual({ ':expected': 4 });
  });

  it('re-reads and re-applies after a conflicting write', async () => {
    // Prepare: the first read is stale; someone else renamed the tenant in between.
    const active = { ...newTenant(NEW_POOLED_ACME, clock()), status: 'ACTIVE' as const, version: 1 };
    dynamo
      .on(GetCommand)
      .resolvesOnce({ Item: active })
      .resolves({ Item: { ...active, name: 'Acme Renamed', version: 2 } });
    dynamo.on(PutCommand).rejectsOnce(conditionalCheckFailed()).resolves({});

    // Act
    const tenant = await repository.transition('acme', 'MIGRATING');

    // Assess: both changes survive.
    expect(tenant).toMatchObject({ status: 'MIGRATING', name: 'Acme Renamed', version: 3 });
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(2);
  });

  it('refuses an illegal transition without writing', async () => {
    dynamo.on(GetCommand).resolves({ Item: newTenant(NEW_POOLED_ACME, clock()) });
    await expect(repository.transition('acme', 'OFFBOARDED')).rejects.toThrow(IllegalTransitionError);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('writes nothing when the change returns the record it was given', async () => {
    // Prepare
    const stored = { ...newTenant(NEW_POOLED_ACME, clock()), version: 4 };
    dynamo.on(GetCommand).resolves({ Item: stored });

    // Act
    const result = await repository.update('acme', (tenant) => tenant);

    // Assess
    expect(result.version).toBe(4);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('gives up loudly after repeated conflicts', async () => {
    dynamo.on(GetCommand).resolves({ Item: newTenant(NEW_POOLED_ACME, clock()) });
    dynamo.on(PutCommand).rejects(conditionalCheckFailed());
    await expect(repository.transition('acme', 'ACTIVE')).rejects.toThrow(ConcurrentModificationError);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(3);
  });

  it('waits a jittered, growing backoff between conflicting attempts (at most 20 ms, then 40 ms)', async () => {
    dynamo.on(GetCommand).resolves({ Item: newTenant(NEW_POOLED_ACME, clock()) });
    dynamo.on(PutCommand).rejects(conditionalCheckFailed());
    await expect(repository.transition('acme', 'ACTIVE')).rejects.toThrow(ConcurrentModificationError);
    // two waits between three attempts, none after the last
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(0);
    expect(waits[0]).toBeLessThan(20);
    expect(waits[1]).toBeGreaterThanOrEqual(0);
    expect(waits[1]).toBeLessThan(40);
  });

  it('lists the tenants of a status over every page of the byStatus index', async () => {
    // Prepare: two pages
    const a = { ...newTenant(NEW_POOLED_ACME, clock()), status: 'ACTIVE' as const };
    const b = { ...newTenant({ ...NEW_POOLED_ACME, tenantId: 'beta' }, clock()), status: 'ACTIVE' as const };
    dynamo
      .on(QueryCommand)
      .resolvesOnce({ Items: [a], LastEvaluatedKey: { tenantId: 'acme', status: 'ACTIVE' } })
      .resolvesOnce({ Items: [b] });
    // Act
    const tenants = await repository.listByStatus('ACTIVE');
    // Assess
    expect(tenants.map((t) => t.tenantId)).toEqual(['acme', 'beta']);
    const queries = dynamo.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries[0]).toMatchObject({
      TableName: 'catalog',
      IndexName: 'byStatus',
      ExpressionAttributeValues: { ':status': 'ACTIVE' },
    });
    expect(queries[1]?.ExclusiveStartKey).toEqual({ tenantId: 'acme', status: 'ACTIVE' });
  });

  it('reports a missing tenant by id', async () => {
    dynamo.on(GetCommand).resolves({});
    await expect(repository.get('ghost')).rejects.toThrow(new TenantNotFoundError('ghost'));
  });
});
