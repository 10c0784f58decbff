import { z } from 'zod';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

/**
 * Where an update of the users' tier stands. The workflow starts it with the identifying fields only
 * and passes each chunk's output back as the next chunk's input, so this is the cursor's one definition.
 */
export const userTierCursorSchema = z.object({
  tenantId: tenantIdSchema,
  tier: z.string().min(1).max(20),
  /** Recorded in the tenant's history once the update is done. */
  executionArn: z.string().min(1),
  nextToken: z.string().min(1).nullable().default(null),
  users: z.number().int().nonnegative().default(0),
  updated: z.number().int().nonnegative().default(0),
  done: z.boolean().default(false),
});

/**
 * Sets `custom:tier` on one chunk of a tenant's users (promotion, its rollback, any tier change) and
 * returns the cursor of the next chunk; the last chunk audits the change in the catalog history.
 */
export const contract = defineFunction({
  name: 'tenant-user-tiers',
  description: "Sets custom:tier on one chunk of a tenant's users; audits the change in the catalog",
  env: {
    USER_POOL_ID: envVar.name(),
    CATALOG_TABLE_NAME: envVar.name(),
    /** Users per chunk (whole ListUsersInGroup pages): AdminUpdateUserAttributes is throttled per pool. */
    USER_TIER_CHUNK_USERS: z.coerce.number().int().min(1).max(10_000).default(600),
  },
  input: userTierCursorSchema,
  output: userTierCursorSchema,
  timeoutSeconds: 300,
  grants: {
    userPool: { actions: ['cognito-idp:ListUsersInGroup', 'cognito-idp:AdminUpdateUserAttributes'] },
    /** The audit entry. */
    catalog: { actions: ['dynamodb:GetItem', 'dynamodb:PutItem'] },
  },
});
