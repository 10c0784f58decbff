import {
  AdminUpdateUserAttributesCommand,
  type CognitoIdentityProviderClient,
  paginateListUsersInGroup,
  ResourceNotFoundException,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import type { CatalogRepository } from '../catalog/repository';
import { tenantUserAttributes } from '../identity/claims';
import { tenantGroupName } from '../keys';
import type { TenantId } from '../tenant/tenant-id';

/**
 * Keeps the users' `custom:tier` on the catalog's tier (the pre-token trigger compares the two): a
 * promotion, its rollback or any tier change sets it on every user of the tenant's group whose
 * `custom:tenantId` is the tenant's, chunk by chunk (a page token is the checkpoint). A user of another
 * tenant is never touched; a user already on the tier is not written (idempotent: a retried chunk only
 * redoes what is left).
 */

/** Where an update stands: the identifying fields, then the position and the counts so far. */
export interface UserTierCursor {
  readonly tenantId: TenantId;
  readonly tier: string;
  readonly executionArn: string;
  /** The ListUsersInGroup page to start from; null: the first page. */
  readonly nextToken: string | null;
  /** The tenant's users seen so far. */
  readonly users: number;
  /** Of those, the ones whose tier this update changed. */
  readonly updated: number;
  readonly done: boolean;
}

/** ListUsersInGroup's largest page. */
const MAX_PAGE = 60;

/** Prefix of the `reason` of a user-tier history entry (status unchanged: `from` = `to`). */
const USER_TIER_REASON_PREFIX = 'user tier → ';

/**
 * Updates one chunk — whole pages, until at least `chunkUsers` users were seen — and returns the
 * cursor of the next one. A tenant without a group has no users.
 */
export async function updateUserTierChunk(
  client: CognitoIdentityProviderClient,
  userPoolId: string,
  cursor: UserTierCursor,
  chunkUsers: number,
): Promise<UserTierCursor> {
  let users = 0;
  let updated = 0;
  let nextToken: string | undefined;
  try {
    const pages = paginateListUsersInGroup(
      {
        client,
        pageSize: Math.min(MAX_PAGE, chunkUsers),
        ...(cursor.nextToken === null ? {} : { startingToken: cursor.nextToken }),
      },
      { UserPoolId: userPoolId, GroupName: tenantGroupName(cursor.tenantId) },
    );
    for await (const page of pages) {
      for (const user of page.Users ?? []) {
        const attribute = (name: string) => user.Attributes?.find((a) => a.Name === name)?.Value;
        if (user.Username === undefined || attribute(tenantUserAttributes.tenantId) !== cursor.tenantId) {
          continue;
        }
        users += 1;
        if (attribute(tenantUserAttributes.tier) === cursor.tier) continue;
        if (await setTier(client, userPoolId, user.Username, cursor.tier)) updated += 1;
      }
      nextToken = page.NextToken;
      if (users >= chunkUsers) break;
    }
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    nextToken = undefined;
  }
  return {
    ...cursor,
    nextToken: nextToken ?? null,
    users: cursor.users + users,
    updated: cursor.updated + updated,
    done: nextToken === undefined,
  };
}

/** False when the user was deleted in the meantime. */
async function setTier(
  client: CognitoIdentityProviderClient,
  userPoolId: string,
  username: string,
  tier: string,
): Promise<boolean> {
  try {
    await client.send(
      new AdminUpdateUserAttributesCommand({
        UserPoolId: userPoolId,
        Username: username,
        UserAttributes: [{ Name: tenantUserAttributes.tier, Value: tier }],
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof UserNotFoundException) return false;
    throw error;
  }
}

/**
 * Audits a finished update that changed users: a history entry with the execution ARN, `from` = `to` =
 * the unchanged status and `reason` `user tier → <tier>: <updated> of <users> users`. Recorded once per
 * execution and tier (a retried last chunk finds its own entry); nothing when no user changed.
 */
export async function recordUserTierChange(
  repository: CatalogRepository,
  cursor: UserTierCursor,
  at: () => Date = () => new Date(),
): Promise<boolean> {
  if (cursor.updated === 0) return false;
  const prefix = `${USER_TIER_REASON_PREFIX}${cursor.tier}:`;
  const recorded = (entry: { executionArn?: string; reason?: string } | undefined) =>
    entry?.executionArn === cursor.executionArn && entry.reason?.startsWith(prefix) === true;
  // `change` may run again after a write conflict: the flag holds what its last (written) run decided.
  let audited = false;
  await repository.update(cursor.tenantId, (tenant) => {
    audited = !recorded(tenant.history.at(-1));
    if (!audited) return tenant;
    const now = at().toISOString();
    return {
      ...tenant,
      updatedAt: now,
      history: [
        ...tenant.history,
        {
          from: tenant.status,
          to: tenant.status,
          at: now,
          reason: `${prefix} ${cursor.updated} of ${cursor.users} users`.slice(0, 500),
          executionArn: cursor.executionArn,
        },
      ],
    };
  });
  return audited;
}
