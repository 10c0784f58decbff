import { z } from 'zod';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';
import { awsAccountIdSchema, siloResourcesSchema } from '../../domain/tenant/tenant';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region name');
/** The tenant's own account (isolation `account`): the stack is deployed there with the assumed deployment role. */
const accountId = awsAccountIdSchema.optional();

/**
 * Creates a tenant's silo stack in the tenant's region (`create`, idempotent) and reports where it is
 * (`describe`); the workflow polls `describe` with a Wait in between, so the function never waits on
 * CloudFormation. Only regions in `regions.siloAllowed` are accepted.
 */
export const contract = defineFunction({
  name: 'silo-stack',
  description: "Creates a tenant's silo stack in the tenant's region and reports its status and outputs",
  env: {
    /** The silo template (S3 https URL; CloudFormation in every allowed region reads it). */
    SILO_TEMPLATE_URL: envVar.url(),
    SILO_DEPLOYMENT_ROLE_ARN: envVar.arn(),
    TENANT_ACCESS_ROLE_ARN: envVar.arn(),
    /** This (the platform) account: a tenant account's silo function reaches its catalog and stream. */
    PLATFORM_ACCOUNT_ID: awsAccountIdSchema,
    /** The documents router's role: a tenant account's silo function lets it invoke (function policy). */
    ROUTER_ROLE_ARN: envVar.arn(),
    /** The silo template in the platform's artifacts bucket, readable by the organization's tenant accounts. */
    ACCOUNT_TEMPLATE_URL: envVar.url(),
    /** Roles of the copy, verify and purge tasks (comma-separated ARNs), named in the key policy. */
    DATA_MOVER_ROLE_ARNS: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[^,]+(,arn:aws[a-z-]*:iam::\d{12}:role\/[^,]+)*$/, {
        error: 'must be comma-separated IAM role ARNs',
      }),
  },
  input: z.discriminatedUnion('action', [
    z.object({
      action: z.literal('create'),
      tenantId: tenantIdSchema,
      tier: z.string().min(1),
      region,
      accountId,
      /** False: the tenant account's concurrency quota cannot keep the tier's reservation (none is set). */
      reserveConcurrency: z.boolean().default(true),
    }),
    z.object({ action: z.literal('describe'), tenantId: tenantIdSchema, region, accountId }),
  ]),
  output: z.object({
    stackName: z.string().min(1),
    stackId: z.string().nullable(),
    /** A CloudFormation stack status, or ABSENT. */
    status: z.string().min(1),
    statusReason: z.string().nullable(),
    silo: siloResourcesSchema.nullable(),
  }),
  timeoutSeconds: 30,
  grants: {
    /** Bound to the silo stacks of each allowed region. */
    siloStacks: { actions: ['cloudformation:DescribeStacks'] },
    /** Bound with a condition on the template URL: only the silo template. */
    createSiloStacks: { actions: ['cloudformation:CreateStack'] },
    /** CloudFormation reads the template with the caller's permissions. */
    siloTemplate: { actions: ['s3:GetObject'] },
    /** CloudFormation creates the stack with the silo deployment role. */
    passDeploymentRole: {
      actions: ['iam:PassRole'],
      conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
    },
    /** Bound to the deployment role (accounts.deploymentRoleName) in tenant accounts. */
    assumeDeploymentRole: { actions: ['sts:AssumeRole'] },
  },
});
