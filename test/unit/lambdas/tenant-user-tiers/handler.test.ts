import {
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
  ListUsersInGroupCommand,
  ResourceNotFoundException,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Tenant } from '../../../../domain/tenant/tenant';
import { contract } from '../../../../lambdas/tenant-user-tiers/contract';
import { importHandler } from '../../support/lambda';
import { defaultTenants } from '../../support/tokens';

const USER_POOL = 'us-east-1_TestPool1';
const CATALOG = 'tenantry-dev-catalog';
const ENV = { USER_POOL_ID: USER_POOL, CATALOG_TABLE_NAME: CATALOG, USER_TIER_CHUNK_USERS: '2' };
const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:tenantry-dev-promotion:run-1';
const load = () => import('../../../../lambdas/tenant-user-tiers/handler');
const cognito = mockClient(CognitoIdentityProviderClient);
const dynamo = mockClient(DynamoDBDocumentClient);
let catalog: Map<string, Tenant>;

/** A user as Cognito lists it. */
const user = (Username: string, tenantId: string, tier: string) => ({
  Username,
  Attributes: [
    { Name: 'email', Value: `${Username}@example.com` },
    { Name: 'custom:tenantId', Value: tenantId },
    { Name: 'custom:tier', Value: tier },
  ],
});

beforeEach(() => {
  cognito.reset();
  dynamo.reset();
  catalog = new Map(defaultTenants().map((t) => [t.tenantId, t]));
  dynamo.on(GetCommand).callsFake(async (input) => ({ Item: catalog.get(input.Key.tenantId) }));
  dynamo.on(PutCommand).callsFake(async (input) => {
    catalog.set(input.Item.tenantId, input.Item as Tenant);
    return {};
  });
  cognito.on(AdminUpdateUserAttributesCommand).resolves({});
});
afterEach(() => vi.unstubAllEnvs());

describe('tenant-user-tiers cold start', () => {
  it('fails the import naming USER_POOL_ID when it is not set', async () => {
    const loading = importHandler(load, { ...ENV, USER_POOL_ID: undefined });

    await expect(loading).rejects.toMatchObject({
      name: 'EnvironmentError',
      message: 'invalid environment: USER_POOL_ID: is required but not set',
    });
  });
});

describe('tenant-user-tiers handler', () => {
  it("sets the tier on the tenant's users chunk by chunk, never on another tenant's, and audits once at the end", async () => {
    // Prepare: three pages; a user of another tenant in the group; one user already on the tier
    cognito
      .on(ListUsersInGroupCommand)
      .resolvesOnce({
        Users: [user('alice', 'initech', 'pro'), user('mallory', 'globex', 'pro')],
        NextToken: 'p2',
      })
      .resolvesOnce({
        Users: [user('bob', 'initech', 'enterprise'), user('carol', 'initech', 'pro')],
        NextToken: 'p3',
      })
      .resolvesOnce({ Users: [user('dave', 'initech', 'pro')] });
    const { handler } = await importHandler(load, ENV);
    const historyBefore = catalog.get('initech')?.history.length ?? 0;

    // Act: the workflow's loop, passing each output back (a chunk is whole pages, at least 2 users)
    const first = await handler({ tenantId: 'initech', tier: 'enterprise', executionArn: EXECUTION });
    const auditedEarly = (catalog.get('initech')?.history.length ?? 0) > historyBefore;
    const second = await handler(first);

    // Assess
    expect(first).toMatchObject({ nextToken: 'p3', users: 3, updated: 2, done: false });
    expect(auditedEarly).toBe(false);
    expect(second).toEqual({
      tenantId: 'initech',
      tier: 'enterprise',
      executionArn: EXECUTION,
      nextToken: null,
      users: 4,
      updated: 3,
      done: true,
    });
    expect(contract.output.safeParse(second).success).toBe(true);
    expect(cognito).toHaveReceivedNthCommandWith(ListUsersInGroupCommand, 2, {
      UserPoolId: USER_POOL,
      GroupName: 'tenant-initech',
      NextToken: 'p2',
      Limit: 2,
    });
    expect(cognito).toHaveReceivedNthCommandWith(ListUsersInGroupCommand, 3, {
      UserPoolId: USER_POOL,
      GroupName: 'tenant-initech',
      NextToken: 'p3',
      Limit: 2,
    });
    for (const username of ['alice', 'carol', 'dave']) {
      expect(cognito).toHaveReceivedCommandWith(AdminUpdateUserAttributesCommand, {
        UserPoolId: USER_POOL,
        Username: username,
        UserAttributes: [{ Name: 'custom:tier', Value: 'enterprise' }],
      });
    }
    expect(cognito).toHaveReceivedCommandTimes(AdminUpdateUserAttributesCommand, 3);
    const history = catalog.get('initech')?.history ?? [];
    expect(history).toHaveLength(historyBefore + 1);
    expect(history.at(-1)).toMatchObject({
      from: 'ACTIVE',
      to: 'ACTIVE',
      reason: 'user tier → enterprise: 3 of 4 users',
      executionArn: EXECUTION,
    });
  });

  it('a retried last chunk changes nothing more and does not audit twice', async () => {
    // Prepare: the first attempt updated and audited; its response was lost
    cognito.on(ListUsersInGroupCommand).resolvesOnce({ Users: [user('alice', 'initech', 'pro')] });
    const { handler } = await importHandler(load, ENV);
    const start = { tenantId: 'initech', tier: 'enterprise', executionArn: EXECUTION };
    await handler(start);
    const audited = catalog.get('initech')?.history.length;
    cognito.on(ListUsersInGroupCommand).resolves({ Users: [user('alice', 'initech', 'enterprise')] });

    // Act
    const retried = await handler(start);

    // Assess
    expect(retried).toMatchObject({ users: 1, updated: 0, done: true });
    expect(cognito).toHaveReceivedCommandTimes(AdminUpdateUserAttributesCommand, 1);
    expect(catalog.get('initech')?.history.length).toBe(audited);
  });

  it('a tenant without a group has no users: done, nothing written, nothing audited', async () => {
    cognito
      .on(ListUsersInGroupCommand)
      .rejects(new ResourceNotFoundException({ message: 'Group not found.', $metadata: {} }));
    const { handler } = await importHandler(load, ENV);

    const result = await handler({ tenantId: 'initech', tier: 'pro', executionArn: EXECUTION });

    expect(result).toMatchObject({ users: 0, updated: 0, done: true, nextToken: null });
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  it('skips a user deleted in the meantime; a throttling error fails the chunk for the workflow to retry', async () => {
    // Prepare
    cognito
      .on(ListUsersInGroupCommand)
      .resolves({ Users: [user('gone', 'initech', 'pro'), user('alice', 'initech', 'pro')] });
    cognito
      .on(AdminUpdateUserAttributesCommand, { Username: 'gone' })
      .rejects(new UserNotFoundException({ message: 'User does not exist.', $metadata: {} }));
    const { handler } = await importHandler(load, { ...ENV, USER_TIER_CHUNK_USERS: '60' });

    // Act
    const result = await handler({ tenantId: 'initech', tier: 'enterprise', executionArn: EXECUTION });
    const throttled = new Error('Rate exceeded');
    throttled.name = 'TooManyRequestsException';
    cognito.on(AdminUpdateUserAttributesCommand, { Username: 'alice' }).rejects(throttled);
    const failing = handler({ tenantId: 'initech', tier: 'starter', executionArn: EXECUTION });

    // Assess
    expect(result).toMatchObject({ users: 2, updated: 1, done: true });
    await expect(failing).rejects.toMatchObject({ name: 'TooManyRequestsException' });
  });
});
