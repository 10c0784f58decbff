import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { contract } from '../../../../lambdas/lifecycle-validate/contract';
import { writeAccountConfig } from '../../support/account-config';
import { activeAcmeRecord } from '../../support/catalog';
import { expectColdStartToRequire, importHandler } from '../../support/lambda';

const CATALOG_TABLE = 'tenantry-dev-catalog';
const ENV = { CATALOG_TABLE_NAME: CATALOG_TABLE };
const load = () => import('../../../../lambdas/lifecycle-validate/handler');
const catalog = mockClient(DynamoDBDocumentClient);

/** The catalog record of tenant acme as the catalog table holds it, at version 3. */
const record = (overrides: Record<string, unknown> = {}) => activeAcmeRecord(3, overrides);

beforeEach(() => catalog.reset());
afterEach(() => vi.unstubAllEnvs());

describe('lifecycle-validate cold start', () => {
  it('fails the import naming CATALOG_TABLE_NAME when it is not set', async () => {
    // Prepare / Act / Assess
    await expectColdStartToRequire(load, ENV, 'CATALOG_TABLE_NAME');
  });
});

describe('lifecycle-validate handler', () => {
  it('rejects an unknown workflow kind, naming the field and the function', async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);

    // Act
    const validating = handler({ kind: 'demotion', input: { tenantId: 'acme' } });

    // Assess
    await expect(validating).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/^invalid lifecycle-validate input: kind: /),
    });
    expect(catalog).not.toHaveReceivedAnyCommand();
  });

  it('plans an onboarding from the signup alone, with a lower-cased admin email', async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);

    // Act
    const plan = await handler({
      kind: 'onboarding',
      input: {
        tenantId: 'acme',
        name: 'Acme Corp',
        tier: 'enterprise',
        adminEmail: 'Admin@Acme.Example',
        region: 'eu-central-1',
      },
    });

    // Assess
    expect(plan).toEqual({
      tenantId: 'acme',
      name: 'Acme Corp',
      tier: 'enterprise',
      isolation: 'silo',
      region: 'eu-central-1',
      adminEmail: 'admin@acme.example',
      groupName: 'tenant-acme',
      stackName: 'tenantry-dev-silo-acme',
    });
    expect(contract.output.safeParse(plan).success).toBe(true);
    expect(catalog).not.toHaveReceivedAnyCommand();
  });

  it('plans an account-tier onboarding (the workflow provisions the account), keeping an account to adopt', async () => {
    // Prepare
    const { handler } = await importHandler(load, { ...ENV, TENANTRY_CONFIG: writeAccountConfig() });

    // Act
    const plan = await handler({
      kind: 'onboarding',
      input: {
        tenantId: 'rhein',
        name: 'Rheinbank',
        tier: 'sovereign',
        adminEmail: 'ops@rhein.example',
        region: 'eu-central-1',
        accountId: '210987654321',
      },
    });

    // Assess
    expect(plan).toEqual({
      tenantId: 'rhein',
      name: 'Rheinbank',
      tier: 'sovereign',
      isolation: 'account',
      region: 'eu-central-1',
      adminEmail: 'ops@rhein.example',
      groupName: 'tenant-rhein',
      stackName: 'tenantry-dev-silo-rhein',
      accountId: '210987654321',
    });
    expect(catalog).not.toHaveReceivedAnyCommand();
  });

  it('places a pooled onboarding in the primary region when the signup names none', async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);

    // Act
    const plan = await handler({
      kind: 'onboarding',
      input: { tenantId: 'acme', name: 'Acme Corp', tier: 'starter', adminEmail: 'ops@acme.example' },
    });

    // Assess
    expect(plan).toMatchObject({ tier: 'starter', isolation: 'pool', region: 'us-east-1' });
  });

  it('refuses a pooled onboarding outside the primary region, naming region', async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);

    // Act
    const validating = handler({
      kind: 'onboarding',
      input: {
        tenantId: 'acme',
        name: 'Acme Corp',
        tier: 'starter',
        adminEmail: 'ops@acme.example',
        region: 'eu-central-1',
      },
    });

    // Assess
    await expect(validating).rejects.toMatchObject({
      name: 'ValidationError',
      message:
        'invalid onboarding input: region: "eu-central-1" is not allowed for pool tenants (allowed: us-east-1)',
    });
  });

  it('plans a promotion from the tenant record read consistently from the catalog table', async () => {
    // Prepare
    catalog.on(GetCommand).resolves({ Item: record() });
    const { handler } = await importHandler(load, ENV);

    // Act
    const plan = await handler({ kind: 'promotion', input: { tenantId: 'acme', targetTier: 'enterprise' } });

    // Assess
    expect(plan).toEqual({
      tenantId: 'acme',
      fromTier: 'starter',
      toTier: 'enterprise',
      isolation: 'silo',
      collections: [],
      move: { direction: 'pool-to-silo', collections: [] },
      region: 'us-east-1',
      stackName: 'tenantry-dev-silo-acme',
      version: 3,
    });
    expect(contract.output.safeParse(plan).success).toBe(true);
    expect(catalog).toHaveReceivedCommandTimes(GetCommand, 1);
    expect(catalog).toHaveReceivedCommandWith(GetCommand, {
      TableName: CATALOG_TABLE,
      Key: { tenantId: 'acme' },
      ConsistentRead: true,
    });
  });

  it('refuses a promotion to the tier the tenant is on, naming targetTier and the value', async () => {
    // Prepare
    catalog.on(GetCommand).resolves({ Item: record() });
    const { handler } = await importHandler(load, ENV);

    // Act
    const validating = handler({ kind: 'promotion', input: { tenantId: 'acme', targetTier: 'starter' } });

    // Assess
    await expect(validating).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'invalid promotion input: targetTier: "starter": tenant acme is already on that tier',
    });
  });

  it('refuses to promote a tenant that is not ACTIVE', async () => {
    // Prepare
    catalog.on(GetCommand).resolves({ Item: record({ status: 'SUSPENDED' }) });
    const { handler } = await importHandler(load, ENV);

    // Act
    const validating = handler({ kind: 'promotion', input: { tenantId: 'acme', targetTier: 'enterprise' } });

    // Assess
    await expect(validating).rejects.toMatchObject({
      name: 'LifecyclePreconditionError',
      message: 'tenant acme cannot be promoted: it is SUSPENDED, not ACTIVE',
    });
  });

  it("plans an offboarding that carries the tenant's silo stack and key", async () => {
    // Prepare
    const silo = {
      stackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/tenantry-dev-silo-acme/1f2e',
      tableName: 'tenantry-dev-silo-data-acme',
      tableArn: 'arn:aws:dynamodb:us-east-1:111122223333:table/tenantry-dev-silo-data-acme',
      kmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/0a1b2c3d',
    };
    catalog.on(GetCommand).resolves({ Item: record({ tier: 'enterprise', isolation: 'silo', silo }) });
    const { handler } = await importHandler(load, ENV);

    // Act
    const plan = await handler({ kind: 'offboarding', input: { tenantId: 'acme' } });

    // Assess
    expect(plan).toEqual({
      tenantId: 'acme',
      isolation: 'silo',
      status: 'ACTIVE',
      region: 'us-east-1',
      reason: 'offboarding requested',
      stackName: 'tenantry-dev-silo-acme',
      stackId: silo.stackId,
      kmsKeyArn: silo.kmsKeyArn,
      // a silo without a database cluster recorded (as the local template builds it): its place, no ARNs
      siloDatabase: {},
      accountId: null,
    });
    expect(contract.output.safeParse(plan).success).toBe(true);
    expect(catalog).toHaveReceivedCommandWith(GetCommand, {
      TableName: CATALOG_TABLE,
      Key: { tenantId: 'acme' },
      ConsistentRead: true,
    });
  });

  it('refuses to offboard a tenant the catalog does not hold', async () => {
    // Prepare
    catalog.on(GetCommand).resolves({});
    const { handler } = await importHandler(load, ENV);

    // Act
    const validating = handler({
      kind: 'offboarding',
      input: { tenantId: 'acme', reason: 'contract ended' },
    });

    // Assess
    await expect(validating).rejects.toMatchObject({
      name: 'TenantNotFoundError',
      message: 'tenant acme does not exist',
    });
  });
});

describe('lifecycle-validate tenant id', () => {
  it.each([
    ['promotion', { targetTier: 'enterprise' }],
    ['offboarding', { tenantId: 'Acme#1' }],
  ])(
    'refuses a %s input with a bad tenantId naming tenantId, before any catalog read',
    async (kind, input) => {
      // Prepare
      catalog.on(GetCommand).resolves({});
      const { handler } = await importHandler(load, ENV);

      // Act
      const validating = handler({ kind, input });

      // Assess
      await expect(validating).rejects.toMatchObject({
        name: 'ValidationError',
        message: expect.stringMatching(new RegExp(`^invalid ${kind} input: tenantId: `)),
      });
      expect(catalog).not.toHaveReceivedAnyCommand();
    },
  );
});
