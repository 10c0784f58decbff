import {
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  DeleteGroupCommand,
  ListUsersInGroupCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { tenantUserAttributes } from '../../../../domain/identity/claims';
import { purgeTenantIdentities } from '../../../../domain/lifecycle/identity';

describe('purgeTenantIdentities', () => {
  const cognito = mockClient(CognitoIdentityProviderClient);
  const client = new CognitoIdentityProviderClient({ region: 'us-east-1' });
  beforeEach(() => cognito.reset());
  const user = (name: string, tenant: string) => ({
    Username: name,
    Attributes: [{ Name: tenantUserAttributes.tenantId, Value: tenant }],
  });

  it("deletes the tenant's users (paginated) and group, never another tenant's user", async () => {
    // Prepare: two pages of the group (each request's token copied when sent)
    const pages = [
      { Users: [user('a@x', 'acme')], NextToken: 'n' },
      { Users: [user('b@x', 'acme'), user('intruder@x', 'other')] },
    ];
    const tokens: (string | undefined)[] = [];
    cognito.on(ListUsersInGroupCommand).callsFake((input: { NextToken?: string }) => {
      tokens.push(input.NextToken);
      return pages[tokens.length - 1];
    });
    cognito.on(AdminGetUserCommand).resolves({
      Username: 'admin@x',
      UserAttributes: [{ Name: tenantUserAttributes.tenantId, Value: 'other' }],
    });
    // Act
    const result = await purgeTenantIdentities(client, 'pool', 'acme', ['admin@x']);
    // Assess
    expect(tokens).toEqual([undefined, 'n']);
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
