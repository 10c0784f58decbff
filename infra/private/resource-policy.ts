import { Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { TenantryConfig } from '../../domain/config';
import {
  catalogReadStatement,
  type ResourcePolicyStatement,
  tenantAccountsScope,
  tenantDataBucketStatements,
  usageStreamStatements,
} from '../../domain/identity/organization-access';

/** A resource-policy statement of domain/identity/organization-access.ts as a CDK statement. */
export function resourcePolicyStatement(statement: ResourcePolicyStatement): iam.PolicyStatement {
  return iam.PolicyStatement.fromJson({
    ...statement,
    Principal: statement.Principal === '*' ? { AWS: '*' } : statement.Principal,
  });
}

/**
 * The platform resources a tenant account's principals reach (isolation `account`), each through its
 * resource policy; nothing when `accounts` is not configured.
 */
export function admitTenantAccounts(
  config: TenantryConfig,
  resources: {
    readonly catalogTable?: dynamodb.Table;
    readonly usageStream?: kinesis.Stream;
    readonly tenantDataBucket?: s3.Bucket;
  },
): void {
  if (config.accounts === undefined) return;
  const scope = tenantAccountsScope(config);
  const { catalogTable, usageStream, tenantDataBucket } = resources;
  if (catalogTable !== undefined) {
    // The table's own ARN by name: its GetAtt inside its own properties would be a circular reference.
    const stack = Stack.of(catalogTable);
    const arn = stack.formatArn({
      service: 'dynamodb',
      resource: 'table',
      resourceName: physicalName(catalogTable),
    });
    catalogTable.addToResourcePolicy(resourcePolicyStatement(catalogReadStatement(arn, scope)));
  }
  if (usageStream !== undefined) {
    for (const statement of usageStreamStatements(usageStream.streamArn, scope)) {
      usageStream.addToResourcePolicy(resourcePolicyStatement(statement));
    }
  }
  if (tenantDataBucket !== undefined) {
    for (const statement of tenantDataBucketStatements(tenantDataBucket.bucketArn, config)) {
      tenantDataBucket.addToResourcePolicy(resourcePolicyStatement(statement));
    }
  }
}

function physicalName(table: dynamodb.Table): string {
  const name = (table.node.defaultChild as dynamodb.CfnTable).tableName;
  if (name === undefined)
    throw new Error(`${table.node.path}: a table admitting tenant accounts needs a name`);
  return name;
}

/**
 * cdk-nag findings on the CDK's own BucketDeployment handler (one function per stack): its runtime (the
 * CDK's choice), the managed logging policy and the s3 action/object wildcards the CDK grants it, on the asset bucket it copies
 * from and the artifacts bucket it writes to.
 */
export function acknowledgeBucketDeployment(stack: Stack, destination: s3.Bucket): void {
  const destinationArn = `<${stack.getLogicalId(destination.node.defaultChild as s3.CfnBucket)}.Arn>`;
  const reason = "The CDK's BucketDeployment handler: copies the build artifacts into the artifacts bucket.";
  for (const id of [
    'AwsSolutions-L1',
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    ...['s3:Abort*', 's3:DeleteObject*', 's3:GetBucket*', 's3:GetObject*', 's3:List*'].map(
      (action) => `AwsSolutions-IAM5[Action::${action}]`,
    ),
    `AwsSolutions-IAM5[Resource::${destinationArn}/*]`,
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-${stack.region}/*]`,
  ]) {
    Validations.of(stack).acknowledge({ id, reason });
  }
}
