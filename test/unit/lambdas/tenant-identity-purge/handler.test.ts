import {
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  DeleteGroupCommand,
  ListUsersInGroupCommand,
  ResourceNotFoundException,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { contract } from '../../../../lambdas/tenant-identity-purge/contract';
import { expectColdStartToRequire, importHandler } from '../../support/lambda';

const USER_POOL = 'us-east-1_TestPool1';
const ENV = { USER_POOL_ID: USER_POOL };
const load = () => import('../../../../lambdas/tenant-identity-purge/handler');
const cognito = mockClient(CognitoIdentityProviderClient);

/** A user as Cognito lists it, carrying `custom:tenantId`. */
const user = (Username: string, tenantId: string) => ({
  Username,
  Attributes: [
    { Name: 'email', Value: `${Username}@example.com` },
    { Name: 'custom:tenantId', Value: tenantId },
  ],
});

beforeEach(() => cognito.reset());
afterEach(() => vi.unstubAllEnvs());

describe('tenant-identity-purge cold start', () => {
  it('fails the import naming USER_POOL_ID when it is not set', async () => {
    // Prepare / Act / Assess
    await expectColdStartToRequire(load, ENV, 'USER_POOL_ID');
  });
});

describe('tenant-identity-purge handler', () => {
  it('rejects more than 50 extra usernames, naming the field and the function', async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);

    // Act
    const purging = handler({
      tenantId: 'acme',
      usernames: Array.from({ length: 51 }, (_, i) => `user${i}`),
    });

    // Assess
    await expect(purging).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/^invalid tenant-identity-purge input: usernames: /),
    });
    expect(cognito).not.toHaveReceivedAnyCommand();
  });

  it("disables and deletes the tenant's users (all pages, plus the named admin), then its group", async () => {
    // Prepare
    cognito
      .on(ListUsersInGroupCommand)
      .resolvesOnce({ Users: [user('alice', 'acme'), user('mallory', 'globex')], NextToken: 'page-2' })
      .resolves({ Users: [user('carol', 'acme')] });
    cognito.on(AdminGetUserCommand).resolves({
      Username: 'admin',
      UserAttributes: [{ Name: 'custom:tenantId', Value: 'acme' }],
    });
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({ tenantId: 'acme', usernames: ['admin'] });

    // Assess
    expect(result).toEqual({ tenantId: 'acme', deletedUsers: 3, skippedUsers: 1, groupDeleted: true });
    expect(contract.output.safeParse(result).success).toBe(true);
    expect(cognito).toHaveReceivedCommandTimes(ListUsersInGroupCommand, 2);
    expect(cognito).toHaveReceivedNthCommandWith(ListUsersInGroupCommand, 1, {
      UserPoolId: USER_POOL,
      GroupName: 'tenant-acme',
    });
    expect(cognito).toHaveReceivedNthCommandWith(ListUsersInGroupCommand, 2, {
      UserPoolId: USER_POOL,
      GroupName: 'tenant-acme',
      NextToken: 'page-2',
    });
    expect(cognito).toHaveReceivedCommandWith(AdminGetUserCommand, {
      UserPoolId: USER_POOL,
      Username: 'admin',
    });
    for (const username of ['alice', 'carol', 'admin']) {
      expect(cognito).toHaveReceivedCommandWith(AdminDisableUserCommand, {
        UserPoolId: USER_POOL,
        Username: username,
      });
      expect(cognito).toHaveReceivedCommandWith(AdminDeleteUserCommand, {
        UserPoolId: USER_POOL,
        Username: username,
      });
    }
    expect(cognito).toHaveReceivedCommandTimes(AdminDeleteUserCommand, 3);
    expect(cognito).not.toHaveReceivedCommandWith(AdminDisableUserCommand, { Username: 'mallory' });
    expect(cognito).not.toHaveReceivedCommandWith(AdminDeleteUserCommand, { Username: 'mallory' });
    expect(cognito).toHaveReceivedCommandWith(DeleteGroupCommand, {
      UserPoolId: USER_POOL,
      GroupName: 'tenant-acme',
    });
  });

  it('succeeds with nothing to delete when the group and the named user are already gone (a retry)', async () => {
    // Prepare
    cognito
      .on(ListUsersInGroupCommand)
      .rejects(new ResourceNotFoundException({ message: 'Group not found', $metadata: {} }));
    cognito
      .on(AdminGetUserCommand)
      .rejects(new UserNotFoundException({ message: 'User does not exist', $metadata: {} }));
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({ tenantId: 'acme', usernames: ['admin'] });

    // Assess
    expect(result).toEqual({ tenantId: 'acme', deletedUsers: 0, skippedUsers: 0, groupDeleted: false });
    expect(cognito).not.toHaveReceivedCommand(AdminDeleteUserCommand);
    expect(cognito).not.toHaveReceivedCommand(DeleteGroupCommand);
  });
});
