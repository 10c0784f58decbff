import { ArnFormat, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { TenantryConfig } from '../domain/config';
import { APP_ROLE } from '../domain/identity/rls/migrations';
import { siloServiceFunctionNamePattern } from '../domain/lifecycle/silo';
import { contract as documentsContract } from '../lambdas/documents/contract';
import { contract as routerContract } from '../lambdas/documents-router/contract';
import { TenantryFunction } from './private/tenantry-function';

export interface DocumentsServiceStackProps extends StackProps {
  readonly config: TenantryConfig;
  readonly catalogTable: dynamodb.ITable;
  readonly pooledTable: dynamodb.ITable;
  readonly tenantDataBucket: s3.IBucket;
  readonly usageStream: kinesis.IStream;
  readonly vpc: ec2.IVpc;
  readonly serviceSecurityGroup: ec2.ISecurityGroup;
  readonly database: rds.DatabaseCluster;
  readonly databaseName: string;
}

/**
 * The reference tenant service (lambdas/documents), the template a team copies: its own stack, its
 * function in the pooled plane's isolated subnets, a role holding only what the service itself does
 * (read the catalog, write usage, log in to PostgreSQL as the application role). It holds no
 * tenant-data permission: tenant data is reached with the credentials the authorizer vends. The
 * identity stack puts the router behind the API's tenant authorizer (`/documents`); the router sends
 * pooled tenants here and each silo tenant to the function its silo stack created
 * (infra/silo-stack.ts), in the tenant's region.
 */
export class DocumentsServiceStack extends Stack {
  public readonly service: TenantryFunction<typeof documentsContract>;
  /** API Gateway's target: sends each request to the pooled function or the silo tenant's own. */
  public readonly router: TenantryFunction<typeof routerContract>;

  public constructor(scope: Construct, id: string, props: DocumentsServiceStackProps) {
    super(scope, id, props);
    const { config, database } = props;
    this.service = new TenantryFunction(this, 'Documents', {
      contract: documentsContract,
      config,
      environment: {
        CATALOG_TABLE_NAME: props.catalogTable.tableName,
        POOLED_TABLE_ARN: props.pooledTable.tableArn,
        TENANT_BUCKET_NAME: props.tenantDataBucket.bucketName,
        USAGE_STREAM_NAME: props.usageStream.streamName,
        DATABASE_HOST: database.clusterEndpoint.hostname,
        DATABASE_PORT: database.clusterEndpoint.port.toString(),
        DATABASE_NAME: props.databaseName,
        DATABASE_USER: APP_ROLE,
      },
      grants: {
        readCatalog: [props.catalogTable.tableArn],
        emitUsage: [props.usageStream.streamArn],
        connectDatabase: [
          this.formatArn({
            service: 'rds-db',
            resource: 'dbuser',
            resourceName: `${database.clusterResourceIdentifier}/${APP_ROLE}`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      },
      network: {
        vpc: props.vpc,
        subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        securityGroups: [props.serviceSecurityGroup],
      },
      // @aws-sdk/rds-signer is not one of the SDK packages the Lambda runtime is known to carry.
      bundleAwsSdk: true,
    });
    const accountServiceFunctions = config.regions.siloAllowed.map(
      (region) => `arn:aws:lambda:${region}:*:function:${siloServiceFunctionNamePattern(config)}`,
    );
    this.router = new TenantryFunction(this, 'DocumentsRouter', {
      contract: routerContract,
      config,
      environment: {
        CATALOG_TABLE_NAME: props.catalogTable.tableName,
        POOLED_SERVICE_FUNCTION_ARN: this.service.function.functionArn,
      },
      grants: {
        readCatalog: [props.catalogTable.tableArn],
        invokeServices: [
          this.service.function.functionArn,
          ...config.regions.siloAllowed.map((region) =>
            this.formatArn({
              service: 'lambda',
              region,
              resource: 'function',
              resourceName: siloServiceFunctionNamePattern(config),
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ),
        ],
        invokeAccountServices:
          config.accounts === undefined
            ? []
            : {
                resources: accountServiceFunctions,
                // biome-ignore lint/suspicious/noTemplateCurlyInString: IAM policy variable
                conditions: { StringEquals: { 'aws:ResourceOrgID': '${aws:PrincipalOrgID}' } },
              },
      },
    });
    for (const arn of config.accounts === undefined ? [] : accountServiceFunctions) {
      Validations.of(this.router.function).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${arn}]`,
        reason:
          "Account tenants' documents functions live in their own accounts, created at onboarding: any account of this organization (aws:ResourceOrgID), one name pattern per silo region.",
      });
    }
    for (const region of config.regions.siloAllowed) {
      Validations.of(this.router.function).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:lambda:${region}:<AWS::AccountId>:function:${siloServiceFunctionNamePattern(config)}]`,
        reason:
          "Silo tenants' documents functions are created per tenant by their silo stacks: one name pattern per silo region.",
      });
    }
  }
}
