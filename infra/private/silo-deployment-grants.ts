import * as iam from 'aws-cdk-lib/aws-iam';
import { resourceName, type TenantryConfig } from '../../domain/config';
import {
  SILO_TENANT_TAG,
  siloArtifactsBucketName,
  siloDatabaseMigrationRolePath,
  siloFlowLogRolePath,
  siloFunctionRolePath,
  siloServiceFunctionNamePattern,
} from '../../domain/lifecycle/silo';

export interface SiloDeploymentScope {
  readonly config: TenantryConfig;
  readonly partition: string;
  /** The account the silo stacks are created in (the deployment role's). */
  readonly account: string;
}

/** EC2 create actions of the silo network; each resource is created carrying the tenant tag. */
export const SILO_EC2_CREATE_ACTIONS = [
  'ec2:CreateVpc',
  'ec2:CreateSubnet',
  'ec2:CreateRouteTable',
  'ec2:CreateInternetGateway',
  'ec2:AllocateAddress',
  'ec2:CreateNatGateway',
  'ec2:CreateSecurityGroup',
  'ec2:CreateVpcEndpoint',
  'ec2:CreateFlowLogs',
];

/**
 * What the silo deployment role needs beyond its table and key (those are in infra/lifecycle-stack.ts)
 * to create, update and delete a silo stack: the documents function, the database network, the Aurora
 * cluster, the migration and its custom-resource provider. Scoped by:
 * - names: a silo stack is `<product>-<stage>-silo-<tenantId>`; what CloudFormation names itself
 *   (migration and provider functions, their log groups, the flow log group, RDS identifiers) starts
 *   with the stack name, the documents function and its log group follow `siloServiceFunctionName`;
 * - role paths: every role of the template is under `siloFunctionRolePath`, `siloDatabaseMigrationRolePath`
 *   or `siloFlowLogRolePath`; passed only to Lambda (function roles) or VPC Flow Logs (flow-log role);
 * - tags: EC2 resources are created carrying `SILO_TENANT_TAG` (the template tags every database
 *   resource) and changed or deleted only when they carry it.
 * `*` only where IAM has no resource: EC2 and RDS Describe*, and the read of account attributes.
 */
export function siloDeploymentStatements(
  scope: SiloDeploymentScope,
  regions: readonly string[],
): iam.PolicyStatement[] {
  const { config, partition, account } = scope;
  const inRegions = (service: string, resource: string) =>
    regions.map((region) => `arn:${partition}:${service}:${region}:${account}:${resource}`);
  const stackNamed = `${resourceName(config, 'silo-')}*`;
  const siloFunctions = [
    ...inRegions('lambda', `function:${siloServiceFunctionNamePattern(config)}`),
    ...inRegions('lambda', `function:${stackNamed}`),
  ];
  const siloLogGroups = [`/aws/lambda/${siloServiceFunctionNamePattern(config)}`, stackNamed].flatMap(
    (name) => [...inRegions('logs', `log-group:${name}`), ...inRegions('logs', `log-group:${name}:*`)],
  );
  const role = (path: string) => `arn:${partition}:iam::${account}:role${path}*`;
  const functionRoles = [role(siloFunctionRolePath(config)), role(siloDatabaseMigrationRolePath(config))];
  const flowLogRole = role(siloFlowLogRolePath(config));
  const tagged = { Null: { [`aws:ResourceTag/${SILO_TENANT_TAG}`]: 'false' } };
  const rdsNamed = (type: string) => inRegions('rds', `${type}:${stackNamed}`);
  const statement = (
    sid: string,
    actions: string[],
    resources: string[],
    conditions?: Record<string, Record<string, unknown>>,
  ) =>
    new iam.PolicyStatement({ sid, actions, resources, ...(conditions === undefined ? {} : { conditions }) });

  return [
    statement(
      'SiloFunctions',
      [
        'lambda:CreateFunction',
        'lambda:DeleteFunction',
        'lambda:GetFunction',
        'lambda:GetFunctionConfiguration',
        'lambda:UpdateFunctionCode',
        'lambda:UpdateFunctionConfiguration',
        'lambda:PutFunctionConcurrency',
        'lambda:DeleteFunctionConcurrency',
        'lambda:GetFunctionConcurrency',
        'lambda:GetRuntimeManagementConfig',
        'lambda:GetFunctionCodeSigningConfig',
        'lambda:ListVersionsByFunction',
        'lambda:TagResource',
        'lambda:UntagResource',
        'lambda:ListTags',
        'lambda:AddPermission',
        'lambda:RemovePermission',
        'lambda:GetPolicy',
        // The custom resource: CloudFormation invokes the provider function with the stack's role.
        'lambda:InvokeFunction',
      ],
      siloFunctions,
    ),
    // CreateFunction / UpdateFunctionCode read the code with the caller's permissions.
    statement(
      'SiloFunctionCode',
      ['s3:GetObject', 's3:GetObjectVersion'],
      regions.map((region) => `arn:${partition}:s3:::${siloArtifactsBucketName(config, account, region)}/*`),
    ),
    statement(
      'SiloLogGroups',
      [
        'logs:CreateLogGroup',
        'logs:DeleteLogGroup',
        'logs:PutRetentionPolicy',
        'logs:DeleteRetentionPolicy',
        'logs:TagResource',
        'logs:UntagResource',
        'logs:TagLogGroup',
        'logs:UntagLogGroup',
        'logs:ListTagsForResource',
        'logs:ListTagsLogGroup',
      ],
      siloLogGroups,
    ),
    statement(
      'SiloRoles',
      [
        'iam:CreateRole',
        'iam:DeleteRole',
        'iam:GetRole',
        'iam:UpdateRole',
        'iam:UpdateAssumeRolePolicy',
        'iam:TagRole',
        'iam:UntagRole',
        'iam:ListRoleTags',
        'iam:PutRolePolicy',
        'iam:GetRolePolicy',
        'iam:DeleteRolePolicy',
        'iam:ListRolePolicies',
        'iam:ListAttachedRolePolicies',
        'iam:ListInstanceProfilesForRole',
      ],
      [...functionRoles, flowLogRole],
    ),
    // Only the AWS managed policies the template attaches (Lambda logs, Lambda in a VPC).
    statement(
      'SiloRolesManagedPolicies',
      ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
      [...functionRoles, flowLogRole],
      {
        ArnEquals: {
          'iam:PolicyARN': [
            `arn:${partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`,
            `arn:${partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole`,
          ],
        },
      },
    ),
    statement('PassSiloFunctionRolesToLambda', ['iam:PassRole'], functionRoles, {
      StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' },
    }),
    statement('PassSiloFlowLogRoleToFlowLogs', ['iam:PassRole'], [flowLogRole], {
      StringEquals: { 'iam:PassedToService': 'vpc-flow-logs.amazonaws.com' },
    }),
    // RDS creates its service-linked role on the account's first cluster.
    statement(
      'RdsServiceLinkedRole',
      ['iam:CreateServiceLinkedRole'],
      [`arn:${partition}:iam::${account}:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS`],
      { StringEquals: { 'iam:AWSServiceName': 'rds.amazonaws.com' } },
    ),
    // EC2 creates: no existing resource to scope by, so the request must carry the tenant tag (the
    // template tags every network resource; EC2 evaluates it on each resource of the request).
    statement('SiloNetworkCreatedTagged', SILO_EC2_CREATE_ACTIONS, ['*'], {
      Null: { [`aws:RequestTag/${SILO_TENANT_TAG}`]: 'false' },
    }),
    // Tags only as part of those creates (tag-on-create), not on existing resources.
    statement('SiloNetworkTagOnCreate', ['ec2:CreateTags'], ['*'], {
      StringEquals: { 'ec2:CreateAction': SILO_EC2_CREATE_ACTIONS.map((a) => a.slice('ec2:'.length)) },
    }),
    statement(
      'SiloNetworkChangedWhenTagged',
      [
        'ec2:DeleteVpc',
        'ec2:ModifyVpcAttribute',
        'ec2:DeleteSubnet',
        'ec2:ModifySubnetAttribute',
        'ec2:DeleteRouteTable',
        'ec2:AssociateRouteTable',
        'ec2:DisassociateRouteTable',
        'ec2:CreateRoute',
        'ec2:ReplaceRoute',
        'ec2:DeleteRoute',
        'ec2:AttachInternetGateway',
        'ec2:DetachInternetGateway',
        'ec2:DeleteInternetGateway',
        'ec2:ReleaseAddress',
        'ec2:DisassociateAddress',
        'ec2:DeleteNatGateway',
        'ec2:DeleteSecurityGroup',
        'ec2:AuthorizeSecurityGroupIngress',
        'ec2:AuthorizeSecurityGroupEgress',
        'ec2:RevokeSecurityGroupIngress',
        'ec2:RevokeSecurityGroupEgress',
        'ec2:ModifySecurityGroupRules',
        'ec2:UpdateSecurityGroupRuleDescriptionsIngress',
        'ec2:UpdateSecurityGroupRuleDescriptionsEgress',
        'ec2:DeleteVpcEndpoints',
        'ec2:ModifyVpcEndpoint',
        'ec2:DeleteFlowLogs',
        'ec2:CreateTags',
        'ec2:DeleteTags',
      ],
      ['*'],
      tagged,
    ),
    // Describe* and List* without resource-level permissions (EC2, RDS engine versions, log groups).
    statement(
      'DescribeNetworkAndDatabase',
      [
        'ec2:DescribeVpcs',
        'ec2:DescribeSubnets',
        'ec2:DescribeRouteTables',
        'ec2:DescribeInternetGateways',
        'ec2:DescribeAddresses',
        'ec2:DescribeNatGateways',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSecurityGroupRules',
        'ec2:DescribeVpcEndpoints',
        'ec2:DescribeFlowLogs',
        'ec2:DescribeAvailabilityZones',
        'ec2:DescribeAccountAttributes',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribePrefixLists',
        'ec2:DescribeVpcAttribute',
        'ec2:DescribeTags',
        'rds:DescribeDBEngineVersions',
        'rds:DescribeOrderableDBInstanceOptions',
        'logs:DescribeLogGroups',
        // Flow-log delivery (the FlowLog handler calls them; no resource-level permissions).
        'logs:CreateLogDelivery',
        'logs:DeleteLogDelivery',
      ],
      ['*'],
    ),
    statement(
      'SiloDatabase',
      [
        'rds:CreateDBSubnetGroup',
        'rds:ModifyDBSubnetGroup',
        'rds:DeleteDBSubnetGroup',
        'rds:DescribeDBSubnetGroups',
        'rds:CreateDBCluster',
        'rds:ModifyDBCluster',
        'rds:DeleteDBCluster',
        'rds:DescribeDBClusters',
        // The Data API (EnableHttpEndpoint; Disable when a failed update rolls it back).
        'rds:EnableHttpEndpoint',
        'rds:DisableHttpEndpoint',
        'rds:CreateDBInstance',
        'rds:ModifyDBInstance',
        'rds:DeleteDBInstance',
        'rds:RebootDBInstance',
        'rds:DescribeDBInstances',
        'rds:AddTagsToResource',
        'rds:RemoveTagsFromResource',
        'rds:ListTagsForResource',
      ],
      [...rdsNamed('subgrp'), ...rdsNamed('cluster'), ...rdsNamed('db')],
    ),
    // The engine's default parameter and option groups a create or modify names (never changed).
    statement(
      'SiloDatabaseDefaultGroups',
      ['rds:CreateDBCluster', 'rds:ModifyDBCluster', 'rds:CreateDBInstance', 'rds:ModifyDBInstance'],
      [
        ...inRegions('rds', 'cluster-pg:default.*'),
        ...inRegions('rds', 'pg:default.*'),
        ...inRegions('rds', 'og:default:*'),
      ],
    ),
    // ManageMasterUserPassword: RDS creates the master secret (`rds!cluster-…`) with the caller's
    // permissions (RDS User Guide, "Required permissions for Secrets Manager integration").
    statement(
      'SiloDatabaseMasterSecret',
      ['secretsmanager:CreateSecret', 'secretsmanager:TagResource', 'secretsmanager:DescribeSecret'],
      inRegions('secretsmanager', 'secret:rds!cluster-*'),
    ),
    // The tenant key used through RDS and Secrets Manager (cluster storage, master secret); the key
    // policy allows the same to this role only (infra/silo-stack.ts, siloDatabaseKeyStatements).
    statement(
      'SiloKeyThroughDatabase',
      [
        'kms:Encrypt',
        'kms:Decrypt',
        'kms:ReEncryptFrom',
        'kms:ReEncryptTo',
        'kms:GenerateDataKey',
        'kms:GenerateDataKeyWithoutPlaintext',
        'kms:CreateGrant',
        'kms:DescribeKey',
      ],
      inRegions('kms', 'key/*'),
      {
        ...tagged,
        StringEquals: {
          'kms:ViaService': regions.flatMap((region) => [
            `rds.${region}.amazonaws.com`,
            `secretsmanager.${region}.amazonaws.com`,
          ]),
        },
      },
    ),
  ];
}

/**
 * Why each statement's resources hold a `*` (its cdk-nag AwsSolutions-IAM5 acknowledgement), by Sid.
 */
export const SILO_DEPLOYMENT_WILDCARD_REASONS: Record<string, string> = {
  SiloFunctions:
    'The documents function is <product>-<stage>-<tenantId>-documents; the migration and provider functions are named by CloudFormation after the stack, <product>-<stage>-silo-<tenantId>-…; silo regions only.',
  SiloFunctionCode:
    'Code objects (content-hashed keys) of the silo artifacts bucket of this account, one per silo region.',
  SiloLogGroups:
    "The documents function's log group and the log groups CloudFormation names after the silo stack (<product>-<stage>-silo-<tenantId>-…).",
  SiloRoles:
    'Roles under the silo paths only (every role of the silo template has one; this role, at /, is outside them); names are generated by CloudFormation.',
  SiloRolesManagedPolicies:
    'Roles under the silo paths; only the two AWS managed Lambda policies (iam:PolicyARN).',
  PassSiloFunctionRolesToLambda:
    'Roles under the silo function paths, passed to Lambda only (iam:PassedToService).',
  PassSiloFlowLogRoleToFlowLogs:
    'Roles under the silo flow-log path, passed to VPC Flow Logs only (iam:PassedToService).',
  SiloNetworkCreatedTagged:
    'EC2 creates name no existing resource: allowed only with the tenant tag in the request (aws:RequestTag).',
  SiloNetworkTagOnCreate: 'Tags only within those creates (ec2:CreateAction).',
  SiloNetworkChangedWhenTagged:
    'EC2 resource ids are not known in advance: only resources carrying the tenant tag (aws:ResourceTag).',
  DescribeNetworkAndDatabase:
    'EC2 Describe*, rds:DescribeDBEngineVersions/DescribeOrderableDBInstanceOptions, logs:DescribeLogGroups and log deliveries support no resource-level permissions.',
  SiloDatabase:
    'RDS identifiers are generated by CloudFormation after the silo stack name: <product>-<stage>-silo-<tenantId>-….',
  SiloDatabaseDefaultGroups:
    "The engine's default parameter and option groups a create names (not modifiable).",
  SiloDatabaseMasterSecret:
    'The master secret RDS creates (ManageMasterUserPassword) is named rds!cluster-<uuid>.',
  SiloKeyThroughDatabase:
    'Key ids are not known in advance: keys tagged with a tenant (aws:ResourceTag), through RDS or Secrets Manager only (kms:ViaService).',
};
