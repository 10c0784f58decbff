import { z } from 'zod';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';
import { awsRegionSchema } from '../../domain/lifecycle/inputs';
import { awsAccountIdSchema, concurrencyQuotaSchema } from '../../domain/tenant/tenant';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

const accountId = awsAccountIdSchema;

/**
 * A tenant's own AWS account (isolation `account`, issue 15): `request` asks Organizations for it
 * (idempotent), `describe` reports a request (the workflow polls it with a Wait, bounded by
 * accounts.createMaxPolls), `adopt` checks an account given at signup, `find` looks the tenant's
 * account up by its e-mail, else its account request still in progress (never creates one:
 * compensation), `place` moves the account into the
 * tenants' OU (idempotent), `return` moves an adopted account back to where it was (compensation),
 * `runtime-role` / `remove-runtime-role` create or delete the tenant runtime role in the account (with
 * the deployment role; `runtime-role` returns once STS accepts the role), `close` closes the account
 * (CloseAccount), `concurrency` decides whether the silo stack reserves the tier's Lambda concurrency
 * in the account's region (GetAccountSettings with the deployment role) and, if the quota is too low,
 * requests its increase (Service Quotas, idempotent). The function never waits on Organizations.
 */
export const contract = defineFunction({
  name: 'tenant-account',
  description: "Creates, places, equips and closes a tenant's own AWS account in the organization",
  env: {
    /** The only principal the tenant runtime role in a tenant account trusts. */
    AUTHORIZER_ROLE_ARN: envVar.arn(),
    /** The shared tenant data bucket the runtime role may reach (objects under `<tenantId>/`). */
    TENANT_DATA_BUCKET_NAME: envVar.name(),
    /** This function's own role: the runtime role trusts it, untagged, for the assumability probe. */
    PROBE_ROLE_ARN: envVar.arn(),
  },
  input: z.discriminatedUnion('action', [
    z.object({ action: z.literal('request'), tenantId: tenantIdSchema }),
    z.object({ action: z.literal('describe'), tenantId: tenantIdSchema, requestId: z.string().min(1) }),
    z.object({ action: z.literal('adopt'), tenantId: tenantIdSchema, accountId }),
    z.object({
      action: z.literal('find'),
      tenantId: tenantIdSchema,
      /** The run's own CreateAccount request, when its answer arrived (else found by account name). */
      requestId: z.string().min(1).nullable().optional(),
    }),
    z.object({ action: z.literal('place'), tenantId: tenantIdSchema, accountId }),
    z.object({ action: z.literal('return'), tenantId: tenantIdSchema, accountId }),
    z.object({ action: z.literal('runtime-role'), tenantId: tenantIdSchema, accountId }),
    z.object({ action: z.literal('remove-runtime-role'), tenantId: tenantIdSchema, accountId }),
    z.object({ action: z.literal('close'), tenantId: tenantIdSchema, accountId }),
    z.object({
      action: z.literal('concurrency'),
      tenantId: tenantIdSchema,
      accountId,
      /** The tier whose `siloCompute.reservedConcurrency` the silo stack would reserve. */
      tier: z.string().min(1),
      /** The tenant's region: Lambda concurrency and its quota are per region. */
      region: awsRegionSchema,
    }),
  ]),
  output: z.object({
    requestId: z.string().nullable(),
    state: z.enum(['IN_PROGRESS', 'SUCCEEDED', 'FAILED']),
    accountId: accountId.nullable(),
    failureReason: z.string().nullable(),
    /** The OU the account is in, once placed (`place`), or the parent it is back in (`return`). */
    organizationalUnitId: z.string().nullable(),
    /** `runtime-role`: the tenant runtime role in the account. */
    runtimeRoleArn: z.string().nullable(),
    /** `close`: where the account stands after CloseAccount. */
    accountStatus: z.enum(['PENDING_CLOSURE', 'SUSPENDED']).nullable(),
    /** `concurrency`: whether the silo stack reserves the tier's concurrency, and the increase requested if not. */
    concurrency: z
      .object({
        reserve: z.boolean(),
        limit: z.number().int(),
        unreserved: z.number().int(),
        reservation: z.number().int().nullable(),
        quotaRequest: concurrencyQuotaSchema.nullable(),
      })
      .nullable(),
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
        'organizations:ListTagsForResource',
        'organizations:UntagResource',
      ],
    },
    /**
     * Bound to the organization's accounts, its root and OUs: into the tenants' OU, and an adopted
     * account back to the parent it came from (compensation).
     */
    moveAccounts: { actions: ['organizations:MoveAccount'] },
    /** Bound to the organization's accounts. */
    closeAccounts: { actions: ['organizations:CloseAccount'] },
    /** Bound to the deployment role (accounts.deploymentRoleName) in the organization's accounts. */
    assumeDeploymentRole: { actions: ['sts:AssumeRole'] },
    /** Bound to the runtime role (accounts.runtimeRoleName) in the organization's accounts: the probe. */
    probeRuntimeRole: { actions: ['sts:AssumeRole'] },
  },
});
