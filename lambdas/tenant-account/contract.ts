import { z } from 'zod';
import { defineFunction } from '../../domain/function-contract';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');

/**
 * A tenant's own AWS account (isolation `account`, issue 15): `request` asks Organizations for it
 * (idempotent), `describe` reports a request (the workflow polls it with a Wait, bounded by
 * accounts.createMaxPolls), `adopt` checks an account given at signup, `place` moves the account into
 * the tenants' OU (idempotent). The function never waits on Organizations.
 */
export const contract = defineFunction({
  name: 'tenant-account',
  description: "Creates or adopts a tenant's AWS account and moves it into the tenants' organizational unit",
  env: {},
  input: z.discriminatedUnion('action', [
    z.object({ action: z.literal('request'), tenantId: tenantIdSchema }),
    z.object({ action: z.literal('describe'), tenantId: tenantIdSchema, requestId: z.string().min(1) }),
    z.object({ action: z.literal('adopt'), tenantId: tenantIdSchema, accountId }),
    z.object({ action: z.literal('place'), tenantId: tenantIdSchema, accountId }),
  ]),
  output: z.object({
    requestId: z.string().nullable(),
    state: z.enum(['IN_PROGRESS', 'SUCCEEDED', 'FAILED']),
    accountId: accountId.nullable(),
    failureReason: z.string().nullable(),
    /** The OU the account is in, once placed. */
    organizationalUnitId: z.string().nullable(),
  }),
  timeoutSeconds: 60,
  grants: {
    /** Organizations actions have no resource-level scoping for these reads and CreateAccount. */
    accounts: {
      actions: [
        'organizations:CreateAccount',
        'organizations:DescribeCreateAccountStatus',
        'organizations:ListCreateAccountStatus',
        'organizations:ListAccounts',
        'organizations:DescribeAccount',
        'organizations:ListParents',
        'organizations:TagResource',
      ],
    },
    /** Bound to the tenants' OU and the organization's accounts. */
    moveAccounts: { actions: ['organizations:MoveAccount'] },
  },
});
