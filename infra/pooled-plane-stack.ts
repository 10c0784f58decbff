import { createHash } from 'node:crypto';
import {
  type CfnElement,
  CustomResource,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { resourceName, type TenantryConfig } from '../domain/config';
import { auroraMigrations } from '../domain/identity/rls/aurora';
import { APP_ROLE, rlsMigrations } from '../domain/identity/rls/migrations';
import { tableDefinitions, tableName } from '../domain/tables';
import { contract as rlsMigrateContract } from '../lambdas/rls-migrate/contract';
import { admitTenantAccounts } from './private/resource-policy';
import { definedTable } from './private/table';
import { TenantryFunction } from './private/tenantry-function';

/** The pooled PostgreSQL database (tenantry.documents and future tenant tables, row-level security). */
export const POOLED_DATABASE_NAME = 'tenantry';

/** Digest of the migrations an Aurora cluster gets: a changed list re-runs the (idempotent) migration. */
export function migrationsDigest(): string {
  return createHash('sha256')
    .update(JSON.stringify([...rlsMigrations, ...auroraMigrations]))
    .digest('hex');
}

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
  /** Private (isolated) network of the pooled relational data and the services that use it. */
  public readonly vpc: ec2.Vpc;
  /** Aurora PostgreSQL Serverless v2, pooled tenants isolated by row-level security. */
  public readonly database: rds.DatabaseCluster;
  /** Its administrative secret: the migration, and the RDS Data API of the lifecycle's `tenant-rows`. */
  public readonly databaseSecret: secretsmanager.ISecret;
  /** The security group pooled services join to reach the database (and the VPC endpoints). */
  public readonly serviceSecurityGroup: ec2.SecurityGroup;

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
    admitTenantAccounts(config, { tenantDataBucket: this.tenantDataBucket });

    // --- pooled relational data: Aurora PostgreSQL Serverless v2 -----------------------------------
    // No NAT and no internet: isolated subnets, AWS APIs through VPC endpoints.
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      flowLogs: { rejected: { trafficType: ec2.FlowLogTrafficType.REJECT } },
    });
    const isolated = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    this.serviceSecurityGroup = new ec2.SecurityGroup(this, 'ServiceSecurityGroup', {
      vpc: this.vpc,
      description: 'Pooled services: reach the database and the VPC endpoints',
    });
    this.vpc.addGatewayEndpoint('DynamoDbEndpoint', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });
    for (const [id, service] of [
      ['KinesisEndpoint', ec2.InterfaceVpcEndpointAwsService.KINESIS_STREAMS],
      ['SecretsManagerEndpoint', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
      ['XRayEndpoint', ec2.InterfaceVpcEndpointAwsService.XRAY],
    ] as const) {
      const endpoint = this.vpc.addInterfaceEndpoint(id, { service, subnets: isolated, open: false });
      endpoint.connections.allowDefaultPortFrom(this.serviceSecurityGroup);
    }

    this.database = new rds.DatabaseCluster(this, 'PooledDatabase', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_5 }),
      writer: rds.ClusterInstance.serverlessV2('Writer'),
      readers: [rds.ClusterInstance.serverlessV2('Reader', { scaleWithWriter: true })],
      serverlessV2MinCapacity: 0.5,
      serverlessV2MaxCapacity: 8,
      vpc: this.vpc,
      vpcSubnets: isolated,
      credentials: rds.Credentials.fromGeneratedSecret('tenantry_admin', {
        secretName: resourceName(config, 'pooled-db-admin'),
      }),
      defaultDatabaseName: POOLED_DATABASE_NAME,
      // Services log in as the application role with IAM tokens; the migration and the lifecycle's
      // `tenant-rows` (RDS Data API, from outside the VPC) use the secret.
      iamAuthentication: true,
      enableDataApi: true,
      storageEncrypted: true,
      deletionProtection: true,
      backup: { retention: Duration.days(7) },
      cloudwatchLogsExports: ['postgresql'],
      removalPolicy: RemovalPolicy.SNAPSHOT,
    });
    this.databaseSecret = this.database.secret as rds.DatabaseSecret;
    this.database.addRotationSingleUser({ automaticallyAfter: Duration.days(30) });
    this.database.connections.allowDefaultPortFrom(this.serviceSecurityGroup);
    Validations.of(this.database).acknowledge({
      id: 'AwsSolutions-RDS11',
      reason: 'The default port is reachable only from the service security group inside isolated subnets.',
    });

    // --- the RLS migrations, applied at every deploy (idempotent) ----------------------------------
    const migration = new TenantryFunction(this, 'RlsMigrate', {
      contract: rlsMigrateContract,
      config,
      environment: {
        DATABASE_SECRET_ARN: this.databaseSecret.secretArn,
        DATABASE_NAME: POOLED_DATABASE_NAME,
      },
      grants: { readDatabaseSecret: [this.databaseSecret.secretArn] },
      network: { vpc: this.vpc, subnets: isolated, securityGroups: [this.serviceSecurityGroup] },
    });
    const provider = new cr.Provider(this, 'RlsMigrationProvider', { onEventHandler: migration.function });
    Validations.of(provider).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'The CDK custom-resource provider framework function writes only its own logs.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(migration.function.node.defaultChild as CfnElement)}.Arn>:*]`,
        reason: 'The provider framework may invoke only the migration function (and its versions).',
      },
      { id: 'AwsSolutions-L1', reason: 'The provider framework function runtime is managed by CDK.' },
    );
    const migrations = new CustomResource(this, 'RlsMigrations', {
      serviceToken: provider.serviceToken,
      // A changed migration list re-runs the (idempotent) migration.
      properties: {
        migrations: migrationsDigest(),
        appRole: APP_ROLE,
      },
    });
    migrations.node.addDependency(this.database);
  }
}
