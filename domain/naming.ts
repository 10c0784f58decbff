import { resourceName, type TenantryConfig } from './config';

/**
 * Names of account- and region-scoped resources (S3 bucket names are global, so they carry both).
 * `account` and `region` may be CDK tokens (`Stack.account`, `Stack.region`).
 */

/** The usage lake bucket (metering stack): `<product>-<stage>-lake-<account>-<region>`. */
export function lakeBucketName(config: TenantryConfig, account: string, region: string): string {
  return `${resourceName(config, 'lake')}-${account}-${region}`;
}
