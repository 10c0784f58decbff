import { Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { resourceName, type TenantryConfig } from '../domain/config';
import { tableDefinitions, tableName } from '../domain/tables';
import { definedTable } from './private/table';

export interface PooledPlaneStackProps extends StackProps {
  readonly config: TenantryConfig;
}

/**
 * The pooled application plane's data stores, shared by every pooled tenant. Isolation is enforced
 * by the data layer: every partition key starts `TENANT#<id>#` and every object key `<id>/`, and
 * tenant code only ever holds credentials whose session policy pins it to those (domain/identity).
 */
export class PooledPlaneStack extends Stack {
  public readonly pooledTable: dynamodb.Table;
  public readonly tenantDataBucket: s3.Bucket;

  public constructor(scope: Construct, id: string, props: PooledPlaneStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.pooledTable = definedTable(this, 'PooledData', {
      definition: tableDefinitions.pooled,
      tableName: tableName(config, 'pooled'),
    });

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      bucketName: resourceName(config, `access-logs-${this.account}`),
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself; logging it into itself would loop.',
    });

    this.tenantDataBucket = new s3.Bucket(this, 'TenantData', {
      bucketName: resourceName(config, `tenant-data-${this.account}`),
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'tenant-data/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
