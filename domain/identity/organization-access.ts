import type { TenantryConfig } from '../config';
import { tenantObjectPrefix } from '../keys';
import { accountsSettings } from '../lifecycle/member-account';
import { SILO_TENANT_TAG } from '../lifecycle/silo';
import { type PolicyStatement, s3Actions, sessionTagKeys } from './session-policy';

/**
 * Resource policies of the platform's resources that tenant accounts reach (isolation `account`,
 * issue 15). A principal of a tenant account is named by conditions, never by ARN (the accounts are
 * created at onboarding, long after these policies are deployed): it must belong to this organization
 * (`aws:PrincipalOrgID`) AND to an account under the tenants' OU (`aws:PrincipalOrgPaths`), so neither
 * another organization nor an account of this one outside that OU (management, security, log archive)
 * is let in. What each principal may do is then narrowed by the tenant tag it carries.
 */

/** A resource-policy statement: the principal is anyone the conditions admit. */
export type ResourcePolicyStatement = PolicyStatement & { readonly Principal: '*' | { AWS: string } };

/** The organization and the tenants' OU, from `accounts` (a ConfigurationError without it). */
export interface TenantAccountsScope {
  readonly organizationId: string;
  readonly tenantsUnitId: string;
}

export function tenantAccountsScope(config: TenantryConfig): TenantAccountsScope {
  const settings = accountsSettings(config);
  return { organizationId: settings.organizationId, tenantsUnitId: settings.organizationalUnitId };
}

/** The conditions every statement below carries: this organization, an account in the tenants' OU. */
export function fromTenantAccounts(scope: TenantAccountsScope): NonNullable<PolicyStatement['Condition']> {
  return {
    StringEquals: { 'aws:PrincipalOrgID': scope.organizationId },
    // The OU anywhere below the root (`*` also matches an account placed in a child OU of it).
    'ForAnyValue:StringLike': {
      'aws:PrincipalOrgPaths': [`${scope.organizationId}/r-*/${scope.tenantsUnitId}/*`],
    },
  };
}

/**
 * The silo artifacts (the silo template and the tenant function's code bundle): readable by the tenant
 * accounts, where CloudFormation (CreateStack's TemplateURL) and Lambda (the function's S3 code) read
 * them with the deployment role's credentials.
 */
export function siloArtifactsReadStatement(
  bucketArn: string,
  scope: TenantAccountsScope,
): ResourcePolicyStatement {
  return {
    Sid: 'TenantAccountsReadSiloArtifacts',
    Effect: 'Allow',
    Principal: '*',
    Action: 's3:GetObject',
    Resource: `${bucketArn}/*`,
    Condition: fromTenantAccounts(scope),
  };
}

/**
 * The shared tenant data bucket for the runtime roles of tenant accounts: what their identity policy and
 * session policy allow (objects under `<tenantId>/`, listing that prefix), with the tenant taken from the
 * session's tenant tag, and only for the runtime role (`accounts.runtimeRoleName`). Cross-account,
 * IAM needs the bucket policy AND the caller's policies to allow: each layer names the tenant.
 */
export function tenantDataBucketStatements(
  bucketArn: string,
  config: TenantryConfig,
): ResourcePolicyStatement[] {
  const scope = tenantAccountsScope(config);
  const runtimeRole = `arn:aws:iam::*:role/${accountsSettings(config).runtimeRoleName}`;
  const tagged = `\${aws:PrincipalTag/${sessionTagKeys.tenantId}}`;
  const prefix = tenantObjectPrefix('templatetenant').replace('templatetenant', tagged);
  const conditions = { ...fromTenantAccounts(scope), ArnLike: { 'aws:PrincipalArn': runtimeRole } };
  return [
    {
      Sid: 'TenantAccountRuntimeRolesOwnObjects',
      Effect: 'Allow',
      Principal: '*',
      Action: s3Actions('read-write'),
      Resource: `${bucketArn}/${prefix}*`,
      Condition: conditions,
    },
    {
      Sid: 'TenantAccountRuntimeRolesOwnListing',
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:ListBucket',
      Resource: bucketArn,
      Condition: { ...conditions, StringLike: { 's3:prefix': [`${prefix}*`] } },
    },
  ];
}

/**
 * The catalog for a tenant account's documents function: GetItem of its own tenant's record only
 * (the catalog's key is the tenant id; the function's role carries the tenant tag the silo stack sets).
 */
export function catalogReadStatement(tableArn: string, scope: TenantAccountsScope): ResourcePolicyStatement {
  return {
    Sid: 'TenantAccountServicesReadOwnRecord',
    Effect: 'Allow',
    Principal: '*',
    Action: 'dynamodb:GetItem',
    Resource: tableArn,
    Condition: {
      ...fromTenantAccounts(scope),
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [`\${aws:PrincipalTag/${SILO_TENANT_TAG}}`] },
      Null: { [`aws:PrincipalTag/${SILO_TENANT_TAG}`]: 'false', 'dynamodb:LeadingKeys': 'false' },
    },
  };
}

/**
 * The usage stream for a tenant account's documents function (PutRecords: the emitter). Kinesis cannot
 * restrict the partition key, so this admits only a principal carrying the silo tenant tag (the
 * function's role) and never a tenant session (the `tenantId` session tag): usage is emitted for the
 * verified request by the platform's service code, never with tenant credentials.
 */
export function usageStreamStatements(
  streamArn: string,
  scope: TenantAccountsScope,
): ResourcePolicyStatement[] {
  return [
    {
      Sid: 'TenantAccountServicesEmitUsage',
      Effect: 'Allow',
      Principal: '*',
      Action: 'kinesis:PutRecords',
      Resource: streamArn,
      Condition: {
        ...fromTenantAccounts(scope),
        Null: { [`aws:PrincipalTag/${SILO_TENANT_TAG}`]: 'false' },
      },
    },
    {
      Sid: 'NeverTenantSessions',
      Effect: 'Deny',
      Principal: '*',
      Action: ['kinesis:PutRecord', 'kinesis:PutRecords'],
      Resource: streamArn,
      Condition: { Null: { [`aws:PrincipalTag/${sessionTagKeys.tenantId}`]: 'false' } },
    },
  ];
}
