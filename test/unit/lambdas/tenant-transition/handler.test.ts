import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { contract } from '../../../../lambdas/tenant-transition/contract';
import { activeAcmeRecord } from '../../support/catalog';
import { expectColdStartToRequire, importHandler } from '../../support/lambda';

const CATALOG_TABLE = 'tenantry-dev-catalog';
const ENV = { CATALOG_TABLE_NAME: CATALOG_TABLE };
const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:tenantry-dev-promotion:promote-acme-v2';
const load = () => import('../../../../lambdas/tenant-transition/handler');
const catalog = mockClient(DynamoDBDocumentClient);

/** Tenant acme's catalog record: ACTIVE since its onboarding, version 2. */
const record = (overrides: Record<string, unknown> = {}) => activeAcmeRecord(2, overrides);

beforeEach(() => catalog.reset());
afterEach(() => vi.unstubAllEnvs());

describe('tenant-transition cold start', () => {
  it('fails the import naming CATALOG_TABLE_NAME when it is not set', async () => {
    // Prepare / Act / Assess
    await expectColdStartToRequire(load, ENV, 'CATALOG_TABLE_NAME');
  });
});

describe('tenant-transition handler', () => {
  it('rejects an unknown target status, naming the field and the function', async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);

    // Act
    const moving = handler({ tenantId: 'acme', to: 'DELETED', executionArn: EXECUTION });

    // Assess
    await expect(moving).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/^invalid tenant-transition input: to: /),
    });
    expect(catalog).not.toHaveReceivedAnyCommand();
  });

  it('moves the tenant from the validated version, audited with the execution ARN and reason', async () => {
    // Prepare
    catalog.on(GetCommand).resolves({ Item: record() });
    catalog.on(PutCommand).resolves({});
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({
      tenantId: 'acme',
      to: 'MIGRATING',
      executionArn: EXECUTION,
      reason: 'promotion to enterprise',
      expectedVersion: 2,
    });

    // Assess
    expect(result).toEqual({ tenantId: 'acme', status: 'MIGRATING', changed: true, version: 3 });
    expect(contract.output.safeParse(result).success).toBe(true);
    expect(catalog).toHaveReceivedCommandWith(GetCommand, {
      TableName: CATALOG_TABLE,
      Key: { tenantId: 'acme' },
      ConsistentRead: true,
    });
    expect(catalog).toHaveReceivedCommandTimes(PutCommand, 1);
    const put = catalog.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put).toMatchObject({
      TableName: CATALOG_TABLE,
      ConditionExpression: 'version = :expected',
      ExpressionAttributeValues: { ':expected': 2 },
      Item: { tenantId: 'acme', status: 'MIGRATING', version: 3 },
    });
    expect(put?.Item?.history).toHaveLength(3);
    expect(put?.Item?.history?.[2]).toEqual({
      from: 'ACTIVE',
      to: 'MIGRATING',
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      reason: 'promotion to enterprise',
      executionArn: EXECUTION,
    });
  });

  it('recognises its own earlier change (a retried task) and writes nothing', async () => {
    // Prepare
    const moved = record({
      status: 'MIGRATING',
      version: 3,
      history: [
        ...record().history,
        { from: 'ACTIVE', to: 'MIGRATING', at: '2026-02-01T09:00:00.000Z', executionArn: EXECUTION },
      ],
    });
    catalog.on(GetCommand).resolves({ Item: moved });
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({
      tenantId: 'acme',
      to: 'MIGRATING',
      executionArn: EXECUTION,
      expectedVersion: 2,
    });

    // Assess
    expect(result).toEqual({ tenantId: 'acme', status: 'MIGRATING', changed: false, version: 3 });
    expect(catalog).not.toHaveReceivedCommand(PutCommand);
  });

  it('refuses a plan made from an older version of the record', async () => {
    // Prepare
    catalog.on(GetCommand).resolves({ Item: record({ version: 5 }) });
    const { handler } = await importHandler(load, ENV);

    // Act
    const moving = handler({
      tenantId: 'acme',
      to: 'MIGRATING',
      executionArn: EXECUTION,
      expectedVersion: 2,
    });

    // Assess
    await expect(moving).rejects.toMatchObject({
      name: 'StaleLifecyclePlanError',
      message: 'tenant acme changed since it was validated (version 2, now 5)',
    });
    expect(catalog).not.toHaveReceivedCommand(PutCommand);
  });

  it('refuses a transition the status rules forbid', async () => {
    // Prepare
    catalog.on(GetCommand).resolves({ Item: record({ status: 'OFFBOARDED' }) });
    const { handler } = await importHandler(load, ENV);

    // Act
    const moving = handler({ tenantId: 'acme', to: 'ACTIVE', executionArn: EXECUTION });

    // Assess
    await expect(moving).rejects.toMatchObject({
      name: 'IllegalTransitionError',
      message: 'tenant acme cannot go from OFFBOARDED to ACTIVE',
    });
    expect(catalog).not.toHaveReceivedCommand(PutCommand);
  });

  it('leaves a tenant outside onlyFrom unchanged', async () => {
    // Prepare
    catalog.on(GetCommand).resolves({ Item: record({ status: 'SUSPENDED', version: 4 }) });
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({
      tenantId: 'acme',
      to: 'ACTIVE',
      executionArn: EXECUTION,
      onlyFrom: ['MIGRATING'],
    });

    // Assess
    expect(result).toEqual({ tenantId: 'acme', status: 'SUSPENDED', changed: false, version: 4 });
    expect(catalog).not.toHaveReceivedCommand(PutCommand);
  });

  it('answers status null for a missing tenant when allowMissing (compensation)', async () => {
    // Prepare
    catalog.on(GetCommand).resolves({});
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({
      tenantId: 'acme',
      to: 'FAILED',
      executionArn: EXECUTION,
      allowMissing: true,
    });

    // Assess
    expect(result).toEqual({ tenantId: 'acme', status: null, changed: false, version: null });
    expect(contract.output.safeParse(result).success).toBe(true);
    expect(catalog).not.toHaveReceivedCommand(PutCommand);
  });

  it('re-reads and re-applies the change when another writer got in first', async () => {
    // Prepare
    catalog
      .on(GetCommand)
      .resolvesOnce({ Item: record() })
      .resolvesOnce({ Item: record() })
      .resolves({ Item: record({ version: 3, updatedAt: '2026-01-06T08:00:00.000Z' }) });
    catalog
      .on(PutCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'version changed', $metadata: {} }))
      .resolves({});
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({ tenantId: 'acme', to: 'SUSPENDED', executionArn: EXECUTION });

    // Assess
    expect(result).toEqual({ tenantId: 'acme', status: 'SUSPENDED', changed: true, version: 4 });
    expect(catalog).toHaveReceivedNthCommandWith(PutCommand, 2, {
      ExpressionAttributeValues: { ':expected': 3 },
    });
  });
});
