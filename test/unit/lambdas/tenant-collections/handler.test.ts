import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Tenant } from '../../../../domain/tenant/tenant';
import { contract } from '../../../../lambdas/tenant-collections/contract';
import { activeAcmeRecord } from '../../support/catalog';
import { expectColdStartToRequire, importHandler } from '../../support/lambda';

const ENV = { CATALOG_TABLE_NAME: 'tenantry-dev-catalog' };
const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:tenantry-dev-onboarding:onboard-acme-1';
const TABLE = 'tenantry-dev-collection-acme.documents';
const TABLE_ARN = `arn:aws:dynamodb:us-east-1:111122223333:table/${TABLE}`;
const load = () => import('../../../../lambdas/tenant-collections/handler');
const dynamo = mockClient(DynamoDBClient);
const catalog = mockClient(DynamoDBDocumentClient);
const notFound = () =>
  new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} });
const active = { TableName: TABLE, TableArn: TABLE_ARN, TableStatus: 'ACTIVE' as const };

beforeEach(() => {
  dynamo.reset();
  catalog.reset();
  catalog.on(PutCommand).resolves({});
});
afterEach(() => vi.unstubAllEnvs());

describe('tenant-collections cold start', () => {
  it('fails the import naming CATALOG_TABLE_NAME when it is not set', async () => {
    // Prepare / Act / Assess
    await expectColdStartToRequire(load, ENV, 'CATALOG_TABLE_NAME');
  });
});

describe('tenant-collections create', () => {
  it("creates the business tier's documents table, protected and tagged, and records its ARN", async () => {
    // Prepare
    dynamo.on(CreateTableCommand).resolves({});
    dynamo.on(DescribeTableCommand).resolves({ Table: active });
    dynamo.on(UpdateContinuousBackupsCommand).resolves({});
    catalog.on(GetCommand).resolves({ Item: activeAcmeRecord(3, { tier: 'business' }) });
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({
      action: 'create',
      tenantId: 'acme',
      tier: 'business',
      executionArn: EXECUTION,
    });

    // Assess
    const documents = { collection: 'documents', tableName: TABLE, tableArn: TABLE_ARN };
    expect(result).toEqual({ tenantId: 'acme', tables: [documents], deleted: [] });
    expect(contract.output.safeParse(result).success).toBe(true);
    expect(dynamo).toHaveReceivedCommandWith(CreateTableCommand, {
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      DeletionProtectionEnabled: true,
      Tags: [{ Key: 'tenantry:tenant-id', Value: 'acme' }],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
    expect(dynamo).toHaveReceivedCommandWith(UpdateContinuousBackupsCommand, {
      TableName: TABLE,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    const written = catalog.commandCalls(PutCommand)[0]?.args[0].input.Item as Tenant;
    expect(written.collections).toEqual([documents]);
    expect(written.history.at(-1)).toMatchObject({
      reason: `collection tables: none → ${TABLE}`,
      executionArn: EXECUTION,
    });
  });

  it('finds the table an earlier attempt created and records it once', async () => {
    // Prepare: the table exists, and the catalog already records it.
    dynamo.on(CreateTableCommand).rejects(new ResourceInUseException({ message: 'in use', $metadata: {} }));
    dynamo.on(DescribeTableCommand).resolves({ Table: active });
    dynamo.on(UpdateContinuousBackupsCommand).resolves({});
    catalog.on(GetCommand).resolves({
      Item: activeAcmeRecord(3, {
        tier: 'business',
        collections: [{ collection: 'documents', tableName: TABLE, tableArn: TABLE_ARN }],
      }),
    });
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({
      action: 'create',
      tenantId: 'acme',
      tier: 'business',
      executionArn: EXECUTION,
    });

    // Assess
    expect(result.tables).toEqual([{ collection: 'documents', tableName: TABLE, tableArn: TABLE_ARN }]);
    expect(catalog).not.toHaveReceivedCommand(PutCommand);
  });

  it('does nothing for a tier that names no collection', async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({
      action: 'create',
      tenantId: 'acme',
      tier: 'pro',
      executionArn: EXECUTION,
    });

    // Assess
    expect(result).toEqual({ tenantId: 'acme', tables: [], deleted: [] });
    expect(dynamo).not.toHaveReceivedAnyCommand();
    expect(catalog).not.toHaveReceivedAnyCommand();
  });
});

describe('tenant-collections create for a promotion', () => {
  it('with record false creates the table but leaves the catalog to the switch', async () => {
    // Prepare
    dynamo.on(CreateTableCommand).resolves({});
    dynamo.on(DescribeTableCommand).resolves({ Table: active });
    dynamo.on(UpdateContinuousBackupsCommand).resolves({});
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({
      action: 'create',
      tenantId: 'acme',
      tier: 'business',
      executionArn: EXECUTION,
      record: false,
    });

    // Assess
    expect(result.tables).toEqual([{ collection: 'documents', tableName: TABLE, tableArn: TABLE_ARN }]);
    expect(dynamo).toHaveReceivedCommandWith(CreateTableCommand, { TableName: TABLE });
    expect(catalog).not.toHaveReceivedAnyCommand();
  });
});

describe('tenant-collections delete', () => {
  it('with keepTier keeps the tables that tier names, deleting nothing and recording nothing new', async () => {
    // Prepare
    catalog.on(GetCommand).resolves({
      Item: activeAcmeRecord(3, {
        tier: 'business',
        collections: [{ collection: 'documents', tableName: TABLE, tableArn: TABLE_ARN }],
      }),
    });
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({
      action: 'delete',
      tenantId: 'acme',
      executionArn: EXECUTION,
      keepTier: 'business',
    });

    // Assess
    expect(result).toEqual({
      tenantId: 'acme',
      tables: [{ collection: 'documents', tableName: TABLE, tableArn: TABLE_ARN }],
      deleted: [],
    });
    expect(dynamo).not.toHaveReceivedCommand(DeleteTableCommand);
    expect(catalog).not.toHaveReceivedCommand(PutCommand);
  });

  it('switches deletion protection off, deletes the table, waits until it is gone and forgets it', async () => {
    // Prepare
    dynamo
      .on(DescribeTableCommand)
      .resolvesOnce({ Table: { ...active, DeletionProtectionEnabled: true } })
      .resolvesOnce({ Table: active })
      .rejects(notFound());
    dynamo.on(UpdateTableCommand).resolves({});
    dynamo.on(DeleteTableCommand).resolves({});
    catalog.on(GetCommand).resolves({
      Item: activeAcmeRecord(3, {
        tier: 'business',
        collections: [{ collection: 'documents', tableName: TABLE, tableArn: TABLE_ARN }],
      }),
    });
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({ action: 'delete', tenantId: 'acme', executionArn: EXECUTION });

    // Assess
    expect(result).toEqual({ tenantId: 'acme', tables: [], deleted: [TABLE] });
    expect(dynamo).toHaveReceivedCommandWith(UpdateTableCommand, {
      TableName: TABLE,
      DeletionProtectionEnabled: false,
    });
    expect(dynamo).toHaveReceivedCommandWith(DeleteTableCommand, { TableName: TABLE });
    const written = catalog.commandCalls(PutCommand)[0]?.args[0].input.Item as Tenant;
    expect(written.collections).toBeUndefined();
  });

  it('tolerates a missing tenant and missing tables with allowMissing (compensation)', async () => {
    // Prepare
    dynamo.on(DescribeTableCommand).rejects(notFound());
    catalog.on(GetCommand).resolves({});
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({
      action: 'delete',
      tenantId: 'acme',
      executionArn: EXECUTION,
      allowMissing: true,
    });

    // Assess
    expect(result).toEqual({ tenantId: 'acme', tables: [], deleted: [] });
    expect(dynamo).not.toHaveReceivedCommand(DeleteTableCommand);
    expect(catalog).not.toHaveReceivedCommand(PutCommand);
  });
});
