import { z } from 'zod';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

/** Disables and deletes a tenant's users and deletes its group (offboarding, onboarding compensation). */
export const contract = defineFunction({
  name: 'tenant-identity-purge',
  description: "Disables and deletes a tenant's users and its Cognito group",
  env: { USER_POOL_ID: envVar.name() },
  input: z.object({
    tenantId: tenantIdSchema,
    usernames: z.array(z.string().min(1).max(128)).max(50).optional(),
  }),
  output: z.object({
    tenantId: tenantIdSchema,
    deletedUsers: z.number().int().nonnegative(),
    skippedUsers: z.number().int().nonnegative(),
    groupDeleted: z.boolean(),
  }),
  timeoutSeconds: 120,
  grants: {
    userPool: {
      actions: [
        'cognito-idp:ListUsersInGroup',
        'cognito-idp:AdminGetUser',
        'cognito-idp:AdminDisableUser',
        'cognito-idp:AdminDeleteUser',
        'cognito-idp:DeleteGroup',
      ],
    },
  },
});
