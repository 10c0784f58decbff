import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { contract } from '../../../../lambdas/tenant-catalog/contract';
import { acmeOnboardingHistory, activeAcmeRecord } from '../../support/catalog';
import { expectColdStartToRequire, importHandler } from '../../support/lambda';

const CATALOG_TABLE = 'tenantry-dev-catalog';
const ENV = { CATALOG_TABLE_NAME: CATALOG_TABLE };
const ONBOARDING = 'arn:aws:states:us-east-1:111122223333:execution:tenantry-dev-onboarding:onboard-acme-1';
const PROMOTION = 'arn:aws:states:us-east-1:111122223333:execution:tenantry-dev-promotion:promote-acme-v4';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const SILO = {
  stackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/tenantry-dev-silo-acme/1f2e',
  tableName: 'tenantry-dev-silo-data-acme',
  tableArn: 'arn:aws:dynamodb:us-east-1:111122223333:table/tenantry-dev-silo-data-acme',
  kmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/0a1b2c3d',
};
const load = () => import('../../../../lambdas/tenant-catalog/handler');
const catalog = mockClient(DynamoDBDocumentClient);

const create = {
  action: 'create',
  tenantId: 'acme',
  name: 'Acme Corp',
  tier: 'starter',
  isolation: 'pool',
  region: 'us-east-1',
  executionArn: ONBOARDING,
};

/** Tenant acme's catalog record at version 4, its history naming the onboarding execution. */
const record = (overrides: Record<string, unknown> = {}) =>
  activeAcmeRecord(4, { history: acmeOnboardingHistory(ONBOARDING), ...overrides });

beforeEach(() => catalog.reset());
afterEach(() => vi.unstubAllEnvs());

describe('tenant-catalog cold start', () => {
  it('fails the import naming CATALOG_TABLE_NAME when it is not set', async () => {
    // Prepare / Act / Assess
    await expectColdStartToRequire(load, ENV, 'CATALOG_TABLE_NAME');
  });
});

describe('tenant-catalog create', () => {
  it('rejects a malformed tenant id, naming the field and the function', async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);

    // Act
    const creating = handler({ ...create, tenantId: 'Acme#1' });

    // Assess
    await expect(creating).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/^invalid tenant-catalog input: tenantId: /),
    });
    expect(catalog).not.toHaveReceivedAnyCommand();
  });

  it('registers a PENDING tenant conditionally, the execution ARN on its first history entry', async () => {
    // Prepare
    catalog.on(PutCommand).resolves({});
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler(create);

    // Assess
    expect(result).toEqual({ tenantId: 'acme', status: 'PENDING', alreadyCreated: false });
    expect(contract.output.safeParse(result).success).toBe(true);
    expect(catalog).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(catalog.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
      TableName: CATALOG_TABLE,
      ConditionExpression: 'attribute_not_exists(tenantId)',
      // the request's action and executionArn are not record fields
      Item: {
        tenantId: 'acme',
        name: 'Acme Corp',
        tier: 'starter',
        isolation: 'pool',
        status: 'PENDING',
        region: 'us-east-1',
        createdAt: expect.stringMatching(ISO),
        updatedAt: expect.stringMatching(ISO),
        version: 0,
        history: [{ from: null, to: 'PENDING', at: expect.stringMatching(ISO), executionArn: ONBOARDING }],
      },
    });
  });

  it('recognises the record its own execution created (a retried task)', async () => {
    // Prepare
    catalog.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    catalog.on(GetCommand).resolves({
      Item: record({ status: 'PENDING', version: 0, history: [record().history[0]] }),
    });
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler(create);

    // Assess
    expect(result).toEqual({ tenantId: 'acme', status: 'PENDING', alreadyCreated: true });
    expect(catalog).toHaveReceivedCommandWith(GetCommand, {
      TableName: CATALOG_TABLE,
      Key: { tenantId: 'acme' },
      ConsistentRead: true,
    });
    expect(catalog).toHaveReceivedCommandTimes(PutCommand, 1);
  });

  it("refuses a second signup for another execution's live tenant", async () => {
    // Prepare
    catalog.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    catalog.on(GetCommand).resolves({ Item: record() });
    const { handler } = await importHandler(load, ENV);

    // Act
    const creating = handler({ ...create, executionArn: `${ONBOARDING}-again` });

    // Assess
    await expect(creating).rejects.toMatchObject({
      name: 'TenantAlreadyExistsError',
      message: 'tenant acme already exists',
    });
    expect(catalog).toHaveReceivedCommandTimes(PutCommand, 1);
  });
});

describe('tenant-catalog set-placement', () => {
  const placement = {
    action: 'set-placement',
    tenantId: 'acme',
    tier: 'enterprise',
    isolation: 'silo',
    silo: SILO,
    executionArn: PROMOTION,
  };

  it('records the silo placement from the current version, audited in the history', async () => {
    // Prepare
    catalog.on(GetCommand).resolves({ Item: record() });
    catalog.on(PutCommand).resolves({});
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler(placement);

    // Assess
    expect(result).toEqual({ tenantId: 'acme', tier: 'enterprise', isolation: 'silo', silo: SILO });
    expect(contract.output.safeParse(result).success).toBe(true);
    expect(catalog).toHaveReceivedCommandTimes(PutCommand, 1);
    const put = catalog.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put).toMatchObject({
      TableName: CATALOG_TABLE,
      ConditionExpression: 'version = :expected',
      ExpressionAttributeValues: { ':expected': 4 },
      Item: {
        tenantId: 'acme',
        status: 'ACTIVE',
        tier: 'enterprise',
        isolation: 'silo',
        silo: SILO,
        version: 5,
      },
    });
    expect(put?.Item?.history?.at(-1)).toEqual({
      from: 'ACTIVE',
      to: 'ACTIVE',
      at: expect.stringMatching(ISO),
      reason: 'placement: starter/pool → enterprise/silo (tenantry-dev-silo-data-acme)',
      executionArn: PROMOTION,
    });
  });

  it("refuses an isolation model that is not the tier's before touching the catalog", async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);

    // Act
    const placing = handler({ ...placement, isolation: 'pool', silo: null });

    // Assess
    await expect(placing).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'invalid placement: isolation: tier enterprise is silo, not pool',
    });
    expect(catalog).not.toHaveReceivedAnyCommand();
  });

  it('places nothing for a missing record when allowMissing (compensation)', async () => {
    // Prepare
    catalog.on(GetCommand).resolves({});
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({
      ...placement,
      tier: 'starter',
      isolation: 'pool',
      silo: null,
      allowMissing: true,
    });

    // Assess
    expect(result).toEqual({ tenantId: 'acme', tier: null, isolation: null, silo: null });
    expect(contract.output.safeParse(result).success).toBe(true);
    expect(catalog).toHaveReceivedCommandWith(GetCommand, {
      TableName: CATALOG_TABLE,
      Key: { tenantId: 'acme' },
      ConsistentRead: true,
    });
    expect(catalog).not.toHaveReceivedCommand(PutCommand);
  });
});

describe('tenant-catalog record-account', () => {
  const recording = {
    action: 'record-account',
    tenantId: 'acme',
    accountId: '210987654321',
    accountStatus: 'SUSPENDED',
    executionArn: ONBOARDING,
  };

  it("records the tenant's account and where it stands, audited with the execution ARN", async () => {
    // Prepare
    catalog.on(GetCommand).resolves({ Item: record() });
    catalog.on(PutCommand).resolves({});
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler(recording);

    // Assess
    expect(result).toEqual({ tenantId: 'acme', accountId: '210987654321', accountStatus: 'SUSPENDED' });
    expect(contract.output.safeParse(result).success).toBe(true);
    const put = catalog.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put).toMatchObject({
      ConditionExpression: 'version = :expected',
      ExpressionAttributeValues: { ':expected': 4 },
      Item: { tenantId: 'acme', accountId: '210987654321', accountStatus: 'SUSPENDED', version: 5 },
    });
    expect(put?.Item?.history?.at(-1)).toEqual({
      from: 'ACTIVE',
      to: 'ACTIVE',
      at: expect.stringMatching(ISO),
      reason: 'account: 210987654321 SUSPENDED',
      executionArn: ONBOARDING,
    });
  });

  it('writes nothing when the record already says so (a retried task)', async () => {
    // Prepare
    catalog
      .on(GetCommand)
      .resolves({ Item: record({ accountId: '210987654321', accountStatus: 'SUSPENDED' }) });
    const { handler } = await importHandler(load, ENV);

    // Act
    await handler(recording);

    // Assess
    expect(catalog).not.toHaveReceivedCommand(PutCommand);
  });

  it('refuses a status that is not an account status, naming the field', async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);

    // Act
    const recordingBad = handler({ ...recording, accountStatus: 'GONE' });

    // Assess
    await expect(recordingBad).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('accountStatus'),
    });
    expect(catalog).not.toHaveReceivedAnyCommand();
  });
});
