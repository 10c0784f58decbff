import {
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminGetUserCommand,
  type CognitoIdentityProviderClient,
  DeleteGroupCommand,
  paginateListUsers,
  paginateListUsersInGroup,
  ResourceNotFoundException,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { tenantUserAttributes } from '../identity/claims';
import { tenantGroupName } from '../keys';
import type { TenantId } from '../tenant/tenant-id';
import type { Remainder } from './tenant-items';

/**
 * Removes a tenant's identities: every user of its group whose `custom:tenantId` is the tenant's, plus
 * the named users (e.g. the admin created before joining the group) when they carry that tenant id,
 * each disabled then deleted; then the group. A user of another tenant is never touched. Idempotent:
 * users and groups already gone are skipped.
 */
export interface IdentityPurgeResult {
  readonly deletedUsers: number;
  readonly skippedUsers: number;
  readonly groupDeleted: boolean;
}

const TENANT_ATTRIBUTE = tenantUserAttributes.tenantId;

export async function purgeTenantIdentities(
  client: CognitoIdentityProviderClient,
  userPoolId: string,
  tenantId: TenantId,
  extraUsernames: readonly string[] = [],
): Promise<IdentityPurgeResult> {
  const groupName = tenantGroupName(tenantId);
  const candidates = new Map<string, string | undefined>(); // username -> custom:tenantId (if known)
  let groupExists = true;
  try {
    const pages = paginateListUsersInGroup({ client }, { UserPoolId: userPoolId, GroupName: groupName });
    for await (const page of pages) {
      for (const user of page.Users ?? []) {
        if (user.Username === undefined) continue;
        candidates.set(user.Username, user.Attributes?.find((a) => a.Name === TENANT_ATTRIBUTE)?.Value);
      }
    }
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    groupExists = false;
  }
  for (const username of extraUsernames) {
    if (candidates.has(username)) continue;
    try {
      const user = await client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: username }));
      candidates.set(username, user.UserAttributes?.find((a) => a.Name === TENANT_ATTRIBUTE)?.Value);
    } catch (error) {
      if (!(error instanceof UserNotFoundException)) throw error;
    }
  }
  let deletedUsers = 0;
  let skippedUsers = 0;
  for (const [username, owner] of candidates) {
    if (owner !== tenantId) {
      skippedUsers += 1;
      continue;
    }
    try {
      await client.send(new AdminDisableUserCommand({ UserPoolId: userPoolId, Username: username }));
      await client.send(new AdminDeleteUserCommand({ UserPoolId: userPoolId, Username: username }));
      deletedUsers += 1;
    } catch (error) {
      if (!(error instanceof UserNotFoundException)) throw error;
    }
  }
  let groupDeleted = false;
  if (groupExists) {
    try {
      await client.send(new DeleteGroupCommand({ UserPoolId: userPoolId, GroupName: groupName }));
      groupDeleted = true;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }
  return { deletedUsers, skippedUsers, groupDeleted };
}

/**
 * The users of the whole pool that carry the tenant's id (`custom:tenantId`), group or no group: the
 * erasure's check. Cognito cannot filter ListUsers on a custom attribute, so every page is read.
 */
export async function remainingTenantUsers(
  client: CognitoIdentityProviderClient,
  userPoolId: string,
  tenantId: TenantId,
): Promise<Remainder> {
  let count = 0;
  const sample: string[] = [];
  const pages = paginateListUsers(
    { client },
    { UserPoolId: userPoolId, AttributesToGet: [TENANT_ATTRIBUTE] },
  );
  for await (const page of pages) {
    for (const user of page.Users ?? []) {
      if (user.Attributes?.find((a) => a.Name === TENANT_ATTRIBUTE)?.Value !== tenantId) continue;
      count += 1;
      if (sample.length < 5) sample.push(user.Username ?? '?');
    }
  }
  return { count, sample };
}
