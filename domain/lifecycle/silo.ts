import { resourceName, type TenantryConfig } from '../config';
import { siloTableDefinition } from '../tables';
import { type TenantId, tenantIdSchema } from '../tenant/tenant-id';

/**
 * The silo tenant stack's contract, shared by its CDK construct (infra/silo-stack.ts), the workflows
 * that create it with CloudFormation and the tasks that read or delete it.
 */
export const siloStackParameters = {
  tenantId: 'TenantId',
  tier: 'Tier',
  /** The role the authorizer assumes for the tenant; the only principal allowed to use its KMS key. */
  tenantAccessRoleArn: 'TenantAccessRoleArn',
  /**
   * Roles of the lifecycle tasks that copy, verify and purge-compare the tenant's items, and move its
   * rows (comma-separated ARNs).
   */
  dataMoverRoleArns: 'DataMoverRoleArns',
  /**
   * The platform account (control plane: catalog, usage stream, silo artifacts) when the stack is in a
   * tenant's own account; empty (default): the stack's own account.
   */
  platformAccountId: 'PlatformAccountId',
  /**
   * The documents router's role, allowed to invoke the tenant's function from the platform account (a
   * function policy); empty (default) in the platform account, where the router's own policy suffices.
   */
  routerRoleArn: 'RouterRoleArn',
  /**
   * Whether the tenant's function reserves the tier's concurrency (`siloCompute.reservedConcurrency`):
   * `tier` (default) or `none`, in a tenant account whose Lambda quota cannot keep the reservation
   * (domain/lifecycle/concurrency-quota.ts).
   */
  reservedConcurrency: 'ReservedConcurrency',
} as const;

/** The values of the `ReservedConcurrency` parameter. */
export const reservedConcurrencyChoices = ['tier', 'none'] as const;
export type ReservedConcurrencyChoice = (typeof reservedConcurrencyChoices)[number];

/**
 * The silo artifacts bucket of the platform account in one silo region: the tenant function's code
 * bundle (a function's S3 code must be in its own region) and the silo template, readable by the tenant
 * accounts of the organization (domain/identity/organization-access.ts). CDK asset buckets cannot be
 * shared that way: their policy belongs to the bootstrap stack.
 */
export function siloArtifactsBucketName(config: TenantryConfig, account: string, region: string): string {
  return resourceName(config, `silo-artifacts-${account}-${region}`);
}

/** The silo template's object key in the artifacts bucket. */
export const SILO_TEMPLATE_OBJECT_KEY = 'silo-tenant.template.json';

/** The silo template in the artifacts bucket (what CreateStack in a tenant account reads). */
export function siloArtifactsTemplateUrl(config: TenantryConfig, account: string, region: string): string {
  return `https://${siloArtifactsBucketName(config, account, region)}.s3.${region}.amazonaws.com/${SILO_TEMPLATE_OBJECT_KEY}`;
}

/**
 * Tag carrying the tenant id on the silo stack and on its table and KMS key: IAM conditions on the
 * silo deployment role (`aws:ResourceTag/…`, `aws:RequestTag/…`) rely on the key carrying it.
 */
export const SILO_TENANT_TAG = 'tenantry:tenant-id';

/** The stack's outputs: the catalog records them as the tenant's silo resources. */
export const siloStackOutputs = {
  tableName: 'TableName',
  tableArn: 'TableArn',
  kmsKeyArn: 'KmsKeyArn',
  /** The tenant's own documents function (the same code asset as the pooled service). */
  serviceFunctionArn: 'ServiceFunctionArn',
  /** The tenant's dedicated Aurora cluster (the tier's `siloDatabase`), created with its function. */
  databaseClusterArn: 'DatabaseClusterArn',
  /** The cluster's writer endpoint (host name) the function connects to. */
  databaseEndpoint: 'DatabaseEndpoint',
  /** The cluster's master secret (RDS-managed): the RDS Data API logs in with it (`tenant-rows`). */
  databaseSecretArn: 'DatabaseSecretArn',
} as const;

/**
 * Name of a silo tenant's documents function: `<product>-<stage>-<tenantId>-documents` (the
 * configuration keeps it within Lambda's 64 characters). The router's invoke permission names the
 * pattern; the local handler host runs the `documents` handler for it (a name ending in `-<folder>`).
 * The catalog records the ARN the stack reported, never this name.
 */
export function siloServiceFunctionName(config: TenantryConfig, tenantId: string): string {
  return `${resourceName(config, tenantId)}-documents`;
}

/** Every silo documents function of this deployment (IAM resource pattern). */
export function siloServiceFunctionNamePattern(config: TenantryConfig): string {
  return `${resourceName(config, '*')}-documents`;
}

/** Physical name of a silo tenant's table: `<product>-<stage>-silo-data-<tenantId>`. */
export function siloTableName(config: TenantryConfig, tenantId: TenantId): string {
  return `${resourceName(config, siloTableDefinition.id)}-${tenantIdSchema.parse(tenantId)}`;
}

/** Prefix of every silo table name (for IAM resource patterns). */
export function siloTableNamePrefix(config: TenantryConfig): string {
  return `${resourceName(config, siloTableDefinition.id)}-`;
}

/**
 * Name of the role CloudFormation deploys silo stacks with: the only principal a silo key policy
 * lets change that key policy.
 */
export function siloDeploymentRoleName(config: TenantryConfig): string {
  return resourceName(config, 'silo-deployment');
}

/** Alias of a silo tenant's KMS key: `alias/<product>-<stage>-silo-<tenantId>`. */
export function siloKeyAliasPrefix(config: TenantryConfig): string {
  return `alias/${resourceName(config, 'silo')}-`;
}

/**
 * IAM path of every silo database migration role (`/<product>-<stage>-silo-db-migrate/`): a silo key
 * policy lets a role under it, tagged with the key's tenant, decrypt that tenant's database secret.
 */
export function siloDatabaseMigrationRolePath(config: TenantryConfig): string {
  return `/${resourceName(config, 'silo-db-migrate')}/`;
}

/**
 * IAM path of the silo template's other function roles (documents function, custom-resource provider):
 * `/<product>-<stage>-silo/`. The silo deployment role may create, change and pass (to Lambda) only
 * roles under this path and `siloDatabaseMigrationRolePath`; its own path (`/`) is outside both.
 */
export function siloFunctionRolePath(config: TenantryConfig): string {
  return `/${resourceName(config, 'silo')}/`;
}

/** IAM path of a silo VPC's flow-log delivery role (passed only to VPC Flow Logs). */
export function siloFlowLogRolePath(config: TenantryConfig): string {
  return `/${resourceName(config, 'silo-flow-log')}/`;
}

/** Name of the lifecycle stack (the CDK app's `<product>-<stage>-lifecycle`). */
export function lifecycleStackName(config: TenantryConfig): string {
  return resourceName(config, 'lifecycle');
}

/** The lifecycle stack's output naming the current silo template (what new silos are created from). */
export const SILO_TEMPLATE_URL_OUTPUT = 'SiloTemplateUrl';
