import { z } from 'zod';
import { defineFunction } from '../../domain/function-contract';
import { awsAccountIdSchema } from '../../domain/tenant/tenant';

const stackName = z.string().min(1).max(128);
const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region name');

/**
 * Deletes a tenant's silo in the tenant's region: schedules its KMS key for deletion (pending window
 * from config) and deletes its stack; the workflow calls it again after a Wait until it reports ABSENT.
 * Only silo stacks (`<product>-<stage>-silo-<tenantId>`) in a region of `regions.siloAllowed` are accepted.
 * `verify` checks a platform silo is gone (stack, table, usable key) without changing anything.
 */
export const contract = defineFunction({
  name: 'silo-deprovision',
  description: "Schedules a silo's KMS key for deletion and deletes its stack, one step per call",
  env: {},
  input: z
    .object({
      /**
       * `verify`: the erasure check of a silo a promotion to an account left in the platform account
       * (what offboarding checks: stack gone, key pending deletion; and the table gone). Changes nothing.
       */
      action: z.enum(['teardown', 'verify']).default('teardown'),
      stackName,
      region,
      /** teardown: an account tenant's own account, where the stack is deleted with the assumed deployment role. */
      accountId: awsAccountIdSchema.optional(),
      /** verify: the silo's key as the catalog recorded it. */
      kmsKeyArn: z.string().min(1).optional(),
    })
    .refine((r) => r.action === 'teardown' || (r.kmsKeyArn !== undefined && r.accountId === undefined), {
      path: ['kmsKeyArn'],
      message: 'verify needs the key and checks the platform account (no accountId)',
    }),
  output: z.union([
    z.object({
      status: z.enum(['ABSENT', 'DELETE_IN_PROGRESS']),
      stackId: z.string().nullable(),
      kmsKeyArn: z.string().nullable(),
      keyDeletionDate: z.iso.datetime().nullable(),
    }),
    z.object({
      remaining: z.object({ siloStack: z.boolean(), table: z.boolean(), kmsKey: z.boolean() }),
      clean: z.boolean(),
      verifiedAt: z.iso.datetime(),
    }),
  ]),
  timeoutSeconds: 60,
  grants: {
    /** Bound to the silo stacks of each allowed region. */
    siloStacks: {
      actions: [
        'cloudformation:DescribeStacks',
        'cloudformation:DescribeStackResources',
        'cloudformation:DeleteStack',
      ],
    },
    /** `verify`: the silo table is gone. */
    siloTables: { actions: ['dynamodb:DescribeTable'] },
    /** Bound with a condition on the silo key alias (kms:ResourceAliases): only silo keys. */
    siloKeys: { actions: ['kms:ScheduleKeyDeletion', 'kms:DescribeKey'] },
    /** CloudFormation deletes the stack with the silo deployment role. */
    passDeploymentRole: {
      actions: ['iam:PassRole'],
      conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
    },
    /** Bound to the deployment role (accounts.deploymentRoleName) in tenant accounts. */
    assumeDeploymentRole: { actions: ['sts:AssumeRole'] },
  },
});
