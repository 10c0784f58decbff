import { resourceName, type TenantryConfig } from './config';

/**
 * Names of account- and region-scoped resources (S3 bucket names are global, so they carry both).
 * `account` and `region` may be CDK tokens (`Stack.account`, `Stack.region`).
 */

/** `<product>-<stage>-<resource>-<account>-<region>`: a bucket name unique across accounts and regions. */
export function regionalBucketName(
  config: TenantryConfig,
  resource: string,
  account: string,
  region: string,
): string {
  return `${resourceName(config, resource)}-${account}-${region}`;
}

/** The usage lake bucket (metering stack): `<product>-<stage>-lake-<account>-<region>`. */
export function lakeBucketName(config: TenantryConfig, account: string, region: string): string {
  return regionalBucketName(config, 'lake', account, region);
}

/** The metering artifacts bucket (runner JAR, generated SQL). */
export function artifactsBucketName(config: TenantryConfig, account: string, region: string): string {
  return regionalBucketName(config, 'artifacts', account, region);
}

/**
 * A role in a tenant's own account (isolation `account`): the deployment role the lifecycle assumes,
 * the runtime role the authorizer assumes. Commercial partition: Organizations' member accounts of
 * other partitions are not supported.
 */
export function memberRoleArn(accountId: string, roleName: string): string {
  return `arn:aws:iam::${accountId}:role/${roleName}`;
}
