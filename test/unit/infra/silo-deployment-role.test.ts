import { runSimulation } from '@cloud-copilot/iam-simulate';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import type { PolicyDocument } from '../../../domain/identity/session-policy';
import { SILO_TENANT_TAG, siloArtifactsBucketName } from '../../../domain/lifecycle/silo';
import { LifecycleStack } from '../../../infra/lifecycle-stack';
import { siloTemplate } from '../../../infra/silo-stack';
import { pooledDatabaseProps } from '../support/pooled-database';
import { deployedSiloKeyPolicy } from '../support/silo-key-policy';

// CloudFormation creates, updates and deletes every silo stack with the silo deployment role. moto
// evaluates no IAM, so the role's policy, as the lifecycle stack synthesizes it, is evaluated here by
// the IAM policy evaluator against what CloudFormation calls for each resource type of the silo
// template.

const ACCOUNT = '123456789012';
const REGION = 'eu-central-1'; // a silo region (defaultConfig.regions.siloAllowed), not the primary
const TENANT = 'acme';
const STACK = `tenantry-dev-silo-${TENANT}`;
const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;

/**
 * What CloudFormation calls to create and to delete (update: the same calls, plus the Modify/Update
 * ones listed under create) each resource type, from the resource types' schemas
 * (`handlers.create.permissions`, `handlers.delete.permissions`: `aws cloudformation describe-type
 * --type RESOURCE --type-name <type>`, github.com/aws-cloudformation/aws-cloudformation-resource-providers-*),
 * narrowed to the properties the silo template sets (e.g. no `kms:DisableKey`: the key is enabled; no
 * `iam:PassRole` for a cluster: it has no associated roles), plus what the called service checks on the
 * caller (Lambda reads S3 code as the caller; RDS creates the managed master secret as the caller:
 * RDS User Guide, "Required permissions for Secrets Manager integration"). A type of the template
 * missing here fails the first test: adding a resource to the silo template forces the question.
 */
const CFN_PERMISSIONS: Record<string, { create: string[]; delete: string[] }> = {
  'AWS::KMS::Key': {
    create: [
      'kms:CreateKey',
      'kms:EnableKeyRotation',
      'kms:TagResource',
      'kms:PutKeyPolicy',
      'kms:DescribeKey',
    ],
    delete: ['kms:DescribeKey', 'kms:ScheduleKeyDeletion'],
  },
  'AWS::KMS::Alias': { create: ['kms:CreateAlias'], delete: ['kms:DeleteAlias'] },
  'AWS::DynamoDB::Table': {
    create: [
      'dynamodb:CreateTable',
      'dynamodb:DescribeTable',
      'dynamodb:UpdateContinuousBackups',
      'dynamodb:DescribeContinuousBackups',
      'dynamodb:TagResource',
    ],
    delete: ['dynamodb:DeleteTable', 'dynamodb:DescribeTable'],
  },
  'AWS::Lambda::Function': {
    create: [
      'lambda:CreateFunction',
      'lambda:GetFunction',
      'lambda:PutFunctionConcurrency',
      'lambda:TagResource',
      'lambda:UpdateFunctionCode',
      'lambda:UpdateFunctionConfiguration',
      'lambda:GetRuntimeManagementConfig',
      'iam:PassRole',
      's3:GetObject',
      's3:GetObjectVersion',
      'ec2:DescribeSecurityGroups',
      'ec2:DescribeSubnets',
      'ec2:DescribeVpcs',
    ],
    delete: [
      'lambda:DeleteFunction',
      'lambda:GetFunction',
      'lambda:DeleteFunctionConcurrency',
      'ec2:DescribeNetworkInterfaces',
    ],
  },
  'AWS::Lambda::Permission': {
    create: ['lambda:AddPermission', 'lambda:GetPolicy'],
    delete: ['lambda:RemovePermission'],
  },
  'AWS::Logs::LogGroup': {
    create: [
      'logs:DescribeLogGroups',
      'logs:CreateLogGroup',
      'logs:PutRetentionPolicy',
      'logs:TagResource',
      'logs:ListTagsForResource',
    ],
    delete: ['logs:DeleteLogGroup', 'logs:DescribeLogGroups'],
  },
  'AWS::IAM::Role': {
    create: [
      'iam:CreateRole',
      'iam:GetRole',
      'iam:TagRole',
      'iam:AttachRolePolicy',
      'iam:PutRolePolicy',
      'iam:UpdateAssumeRolePolicy',
    ],
    delete: [
      'iam:DeleteRole',
      'iam:DetachRolePolicy',
      'iam:DeleteRolePolicy',
      'iam:ListAttachedRolePolicies',
      'iam:ListRolePolicies',
      'iam:ListInstanceProfilesForRole',
    ],
  },
  'AWS::IAM::Policy': {
    create: ['iam:PutRolePolicy', 'iam:GetRolePolicy'],
    delete: ['iam:DeleteRolePolicy'],
  },
  'AWS::EC2::VPC': {
    create: ['ec2:CreateVpc', 'ec2:DescribeVpcs', 'ec2:ModifyVpcAttribute', 'ec2:CreateTags'],
    delete: ['ec2:DeleteVpc', 'ec2:DescribeVpcs'],
  },
  'AWS::EC2::Subnet': {
    create: ['ec2:CreateSubnet', 'ec2:DescribeSubnets', 'ec2:ModifySubnetAttribute', 'ec2:CreateTags'],
    delete: ['ec2:DeleteSubnet', 'ec2:DescribeSubnets'],
  },
  'AWS::EC2::RouteTable': {
    create: ['ec2:CreateRouteTable', 'ec2:DescribeRouteTables', 'ec2:CreateTags'],
    delete: ['ec2:DeleteRouteTable', 'ec2:DescribeRouteTables'],
  },
  'AWS::EC2::SubnetRouteTableAssociation': {
    create: ['ec2:AssociateRouteTable', 'ec2:DescribeRouteTables', 'ec2:DescribeSubnets'],
    delete: ['ec2:DisassociateRouteTable', 'ec2:DescribeRouteTables'],
  },
  'AWS::EC2::Route': {
    create: ['ec2:CreateRoute', 'ec2:DescribeRouteTables', 'ec2:DescribeNetworkInterfaces'],
    delete: ['ec2:DeleteRoute', 'ec2:DescribeRouteTables'],
  },
  'AWS::EC2::EIP': {
    create: ['ec2:AllocateAddress', 'ec2:DescribeAddresses', 'ec2:CreateTags'],
    delete: ['ec2:ReleaseAddress', 'ec2:DisassociateAddress', 'ec2:DescribeAddresses'],
  },
  'AWS::EC2::NatGateway': {
    create: ['ec2:CreateNatGateway', 'ec2:DescribeNatGateways', 'ec2:CreateTags'],
    delete: ['ec2:DeleteNatGateway', 'ec2:DescribeNatGateways'],
  },
  'AWS::EC2::InternetGateway': {
    create: ['ec2:CreateInternetGateway', 'ec2:DescribeInternetGateways', 'ec2:CreateTags'],
    delete: ['ec2:DeleteInternetGateway', 'ec2:DescribeInternetGateways'],
  },
  'AWS::EC2::VPCGatewayAttachment': {
    create: ['ec2:AttachInternetGateway', 'ec2:DescribeInternetGateways'],
    delete: ['ec2:DetachInternetGateway', 'ec2:DescribeInternetGateways'],
  },
  'AWS::EC2::SecurityGroup': {
    create: [
      'ec2:CreateSecurityGroup',
      'ec2:DescribeSecurityGroups',
      'ec2:AuthorizeSecurityGroupEgress',
      'ec2:RevokeSecurityGroupEgress',
      'ec2:CreateTags',
    ],
    delete: ['ec2:DeleteSecurityGroup', 'ec2:DescribeSecurityGroups'],
  },
  'AWS::EC2::SecurityGroupIngress': {
    create: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:DescribeSecurityGroupRules'],
    delete: ['ec2:RevokeSecurityGroupIngress', 'ec2:DescribeSecurityGroupRules'],
  },
  'AWS::EC2::VPCEndpoint': {
    create: ['ec2:CreateVpcEndpoint', 'ec2:DescribeVpcEndpoints', 'ec2:CreateTags'],
    delete: ['ec2:DeleteVpcEndpoints', 'ec2:DescribeVpcEndpoints'],
  },
  'AWS::EC2::FlowLog': {
    create: [
      'ec2:CreateFlowLogs',
      'ec2:DescribeFlowLogs',
      'ec2:CreateTags',
      'iam:PassRole',
      'logs:CreateLogDelivery',
    ],
    delete: ['ec2:DeleteFlowLogs', 'ec2:DescribeFlowLogs', 'logs:DeleteLogDelivery'],
  },
  'AWS::RDS::DBSubnetGroup': {
    create: [
      'rds:CreateDBSubnetGroup',
      'rds:DescribeDBSubnetGroups',
      'rds:AddTagsToResource',
      'rds:ListTagsForResource',
    ],
    delete: ['rds:DeleteDBSubnetGroup', 'rds:DescribeDBSubnetGroups'],
  },
  'AWS::RDS::DBCluster': {
    create: [
      'rds:CreateDBCluster',
      'rds:DescribeDBClusters',
      'rds:ModifyDBCluster',
      'rds:EnableHttpEndpoint',
      'rds:AddTagsToResource',
      'iam:CreateServiceLinkedRole',
      'kms:CreateGrant',
      'kms:DescribeKey',
      'kms:GenerateDataKey',
      'kms:Decrypt',
      'secretsmanager:CreateSecret',
      'secretsmanager:TagResource',
      'ec2:DescribeSecurityGroups',
    ],
    delete: ['rds:DeleteDBCluster', 'rds:DescribeDBClusters', 'rds:RemoveTagsFromResource'],
  },
  'AWS::RDS::DBInstance': {
    create: [
      'rds:CreateDBInstance',
      'rds:DescribeDBInstances',
      'rds:ModifyDBInstance',
      'rds:AddTagsToResource',
      'rds:DescribeDBEngineVersions',
      'kms:CreateGrant',
      'kms:DescribeKey',
    ],
    delete: ['rds:DeleteDBInstance', 'rds:DescribeDBInstances'],
  },
  // The provider framework's function is the service token: CloudFormation invokes it (create, update, delete).
  'AWS::CloudFormation::CustomResource': {
    create: ['lambda:InvokeFunction'],
    delete: ['lambda:InvokeFunction'],
  },
};

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Request = { resource: string; context: Record<string, string | string[]> };

const TENANT_TAGGED = { [`aws:ResourceTag/${SILO_TENANT_TAG}`]: TENANT };
const TENANT_REQUESTED = { [`aws:RequestTag/${SILO_TENANT_TAG}`]: TENANT, 'aws:TagKeys': [SILO_TENANT_TAG] };
const EC2_CREATES: Record<string, string> = {
  'AWS::EC2::VPC': 'CreateVpc',
  'AWS::EC2::Subnet': 'CreateSubnet',
  'AWS::EC2::RouteTable': 'CreateRouteTable',
  'AWS::EC2::EIP': 'AllocateAddress',
  'AWS::EC2::NatGateway': 'CreateNatGateway',
  'AWS::EC2::InternetGateway': 'CreateInternetGateway',
  'AWS::EC2::SecurityGroup': 'CreateSecurityGroup',
  'AWS::EC2::VPCEndpoint': 'CreateVpcEndpoint',
  'AWS::EC2::FlowLog': 'CreateFlowLogs',
};
/** EC2 resources of tenant A's stack (the id is EC2's; every one carries the tenant tag). */
const EC2_RESOURCE: Record<string, string> = {
  'AWS::EC2::VPC': 'vpc/vpc-0a1',
  'AWS::EC2::Subnet': 'subnet/subnet-0a1',
  'AWS::EC2::RouteTable': 'route-table/rtb-0a1',
  'AWS::EC2::SubnetRouteTableAssociation': 'route-table/rtb-0a1',
  'AWS::EC2::Route': 'route-table/rtb-0a1',
  'AWS::EC2::EIP': 'elastic-ip/eipalloc-0a1',
  'AWS::EC2::NatGateway': 'natgateway/nat-0a1',
  'AWS::EC2::InternetGateway': 'internet-gateway/igw-0a1',
  'AWS::EC2::VPCGatewayAttachment': 'internet-gateway/igw-0a1',
  'AWS::EC2::SecurityGroup': 'security-group/sg-0a1',
  'AWS::EC2::SecurityGroupIngress': 'security-group/sg-0a1',
  'AWS::EC2::VPCEndpoint': 'vpc-endpoint/vpce-0a1',
  'AWS::EC2::FlowLog': 'vpc-flow-log/fl-0a1',
};
const DEPLOYMENT_ROLE = `arn:aws:iam::${ACCOUNT}:role/tenantry-dev-silo-deployment`;
const KEY = arn('kms', 'key/11111111-2222-4333-8444-555555555555');
const WILDCARD_ONLY =
  /^(ec2:Describe|rds:DescribeDBEngineVersions|logs:(Create|Delete)LogDelivery|logs:DescribeLogGroups|kms:CreateKey$)/;

/** A CloudFormation-generated physical name: `<stack>-<logical id, truncated>-<suffix>`. */
const generated = (logicalId: string) => `${STACK}-${logicalId.slice(0, 20)}-AbCdEf123456`;

/** The request CloudFormation makes for `action` on the resource `logicalId` of tenant A's stack. */
function requestFor(type: string, logicalId: string, resource: Resource, action: string): Request {
  const props = resource.Properties ?? {};
  const [service] = action.split(':');
  if (WILDCARD_ONLY.test(action))
    return { resource: '*', context: action === 'kms:CreateKey' ? TENANT_REQUESTED : {} };
  const roleArn = (id: string, path: string) => `arn:aws:iam::${ACCOUNT}:role${path}${generated(id)}`;
  if (type === 'AWS::IAM::Role' || type === 'AWS::IAM::Policy') {
    const roleId = type === 'AWS::IAM::Role' ? logicalId : logicalId.replace(/DefaultPolicy[0-9A-F]{8}$/, '');
    const role =
      template.Resources[Object.keys(template.Resources).find((id) => id.startsWith(roleId)) ?? ''];
    const path = String(role?.Properties?.Path ?? '/');
    const context: Record<string, string> =
      action.endsWith('RolePolicy') && action.match(/Attach|Detach/)
        ? { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole' }
        : {};
    return { resource: roleArn(roleId, path), context };
  }
  if (type.startsWith('AWS::EC2::')) {
    if (action === 'iam:PassRole')
      return passedRole(template, 'AWS::EC2::FlowLog', 'vpc-flow-logs.amazonaws.com');
    const create = EC2_CREATES[type];
    if (action === 'ec2:CreateTags')
      return {
        resource: arn('ec2', EC2_RESOURCE[type] as string),
        context: { ...TENANT_REQUESTED, 'ec2:CreateAction': create as string },
      };
    if (create !== undefined && action === `ec2:${create}`)
      return { resource: arn('ec2', EC2_RESOURCE[type] as string), context: TENANT_REQUESTED };
    return { resource: arn('ec2', EC2_RESOURCE[type] as string), context: TENANT_TAGGED };
  }
  if (service === 'kms') {
    const via: Record<string, string> = type.startsWith('AWS::RDS::')
      ? { 'kms:ViaService': `rds.${REGION}.amazonaws.com` }
      : {};
    if (type === 'AWS::KMS::Alias')
      return { resource: arn('kms', `alias/tenantry-dev-silo-${TENANT}`), context: {} };
    return { resource: KEY, context: { ...TENANT_TAGGED, ...via } };
  }
  if (service === 'secretsmanager')
    return {
      resource: arn('secretsmanager', 'secret:rds!cluster-3f0c7a52-1b1e-4a51-9a8e-0c2d7c1e8f00-AbCdEf'),
      context: {},
    };
  if (action === 'iam:CreateServiceLinkedRole')
    return {
      resource: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS`,
      context: { 'iam:AWSServiceName': 'rds.amazonaws.com' },
    };
  if (type === 'AWS::DynamoDB::Table')
    return { resource: arn('dynamodb', `table/tenantry-dev-silo-data-${TENANT}`), context: {} };
  if (type.startsWith('AWS::RDS::')) {
    const kind = {
      'AWS::RDS::DBSubnetGroup': 'subgrp',
      'AWS::RDS::DBCluster': 'cluster',
      'AWS::RDS::DBInstance': 'db',
    }[type];
    return { resource: arn('rds', `${kind}:${generated(logicalId).toLowerCase()}`), context: {} };
  }
  if (type === 'AWS::Logs::LogGroup') {
    const name =
      typeof props.LogGroupName === 'object'
        ? `/aws/lambda/tenantry-dev-${TENANT}-documents`
        : generated(logicalId);
    return { resource: arn('logs', `log-group:${name}`), context: {} };
  }
  if (
    type === 'AWS::Lambda::Function' ||
    type === 'AWS::Lambda::Permission' ||
    type === 'AWS::CloudFormation::CustomResource'
  ) {
    if (action === 'iam:PassRole') {
      const roleRef = getAttTarget(props.Role);
      const path = String(template.Resources[roleRef]?.Properties?.Path ?? '/');
      return { resource: roleArn(roleRef, path), context: { 'iam:PassedToService': 'lambda.amazonaws.com' } };
    }
    if (service === 's3') {
      const key = (props.Code as { S3Key: string }).S3Key;
      return {
        resource: `arn:aws:s3:::${siloArtifactsBucketName(defaultConfig, ACCOUNT, REGION)}/${key}`,
        context: {},
      };
    }
    const documents = type === 'AWS::Lambda::Permission' || typeof props.FunctionName === 'object';
    const fn =
      type === 'AWS::CloudFormation::CustomResource'
        ? 'DatabaseRlsMigrationProviderframeworkonEvent'
        : logicalId;
    return {
      resource: arn('lambda', `function:${documents ? `tenantry-dev-${TENANT}-documents` : generated(fn)}`),
      context: {},
    };
  }
  throw new Error(`no request for ${action} on ${type}`);
}

/** The logical id an `Fn::GetAtt` names. */
function getAttTarget(value: unknown): string {
  const target = (value as { 'Fn::GetAtt'?: string[] } | undefined)?.['Fn::GetAtt']?.[0];
  if (target === undefined) throw new Error(`not an Fn::GetAtt: ${JSON.stringify(value)}`);
  return target;
}

function passedRole(t: typeof template, type: string, to: string): Request {
  const [roleId] = Object.entries(t.Resources)
    .filter(([, r]) => r.Type === type)
    .map(([, r]) => getAttTarget(r.Properties?.DeliverLogsPermissionArn));
  const path = String(t.Resources[roleId as string]?.Properties?.Path ?? '/');
  return {
    resource: `arn:aws:iam::${ACCOUNT}:role${path}${generated(roleId as string)}`,
    context: { 'iam:PassedToService': to },
  };
}

/** Resolves what the lifecycle stack's policy uses: Ref AWS::Partition and Fn::Join. */
function resolve(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolve);
  if (value === null || typeof value !== 'object') return value;
  const v = value as Record<string, unknown>;
  if (v.Ref === 'AWS::Partition') return 'aws';
  if ('Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(resolve).join(sep);
  }
  if ('Ref' in v || 'Fn::GetAtt' in v) return `unresolved:${JSON.stringify(v)}`;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
}

let template: { Resources: Record<string, Resource> };
let policy: PolicyDocument;
/** Tenant A's key policy as deployed: KMS needs it to allow too. */
let keyPolicy: PolicyDocument;

beforeAll(() => {
  template = siloTemplate(defaultConfig) as typeof template;
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const deps = new Stack(app, 'Deps', { env: { account: ACCOUNT, region: 'us-east-1' } });
  const table = (id: string) =>
    new dynamodb.Table(deps, id, { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
  const stack = new LifecycleStack(app, 'Lifecycle', {
    env: { account: ACCOUNT, region: 'us-east-1' },
    config: defaultConfig,
    catalogTable: table('Catalog'),
    pooledTable: table('Pooled'),
    eventBus: new events.EventBus(deps, 'Bus'),
    tenantDataBucket: new s3.Bucket(deps, 'Data'),
    ...pooledDatabaseProps(deps),
    userPool: new cognito.UserPool(deps, 'Users'),
    tenantAccessRole: new iam.Role(deps, 'TenantRole', { assumedBy: new iam.AccountRootPrincipal() }),
    authorizerRole: new iam.Role(deps, 'AuthorizerRole', { assumedBy: new iam.AccountRootPrincipal() }),
    routerRole: new iam.Role(deps, 'RouterRole', { assumedBy: new iam.AccountRootPrincipal() }),
    billingFinalFunction: lambda.Function.fromFunctionName(deps, 'Final', 'billing-final'),
  });
  const roleId = stack.getLogicalId(stack.siloDeploymentRole.node.defaultChild as iam.CfnRole);
  // The role's default policy and, past IAM's inline size, the managed policies CDK moves the rest into.
  const synthesized = Template.fromStack(stack);
  const policies = ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']
    .flatMap((type) => Object.values(synthesized.findResources(type)))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`));
  expect(policies.length).toBeGreaterThan(0);
  policy = {
    Version: '2012-10-17',
    Statement: policies.flatMap(
      (p) => (resolve(p.Properties.PolicyDocument) as { Statement: PolicyDocument['Statement'] }).Statement,
    ),
  } as PolicyDocument;
  expect(JSON.stringify(policy)).not.toContain('unresolved');
  keyPolicy = deployedSiloKeyPolicy({
    tenantId: TENANT,
    region: REGION,
    account: ACCOUNT,
    tenantAccessRoleArn: `arn:aws:iam::${ACCOUNT}:role/tenantry-dev-tenant-runtime`,
    dataMoverRoleArns: [`arn:aws:iam::${ACCOUNT}:role/tenantry-dev-lifecycle-copy`],
  });
}, 120_000);

async function evaluate(action: string, request: Request): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/tenantry-dev-silo-deployment/AWSCloudFormation`,
        action,
        resource: { resource: request.resource, accountId: ACCOUNT },
        contextVariables: {
          'aws:RequestedRegion': REGION,
          'aws:PrincipalArn': DEPLOYMENT_ROLE,
          ...request.context,
        },
      },
      identityPolicies: [{ name: 'deployment', policy }],
      ...(request.resource === KEY ? { resourcePolicy: keyPolicy } : {}),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error')
    throw new Error(`simulation error: ${action}: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

describe('the silo deployment role', () => {
  it('knows what CloudFormation needs for every resource type of the silo template', () => {
    const types = [...new Set(Object.values(template.Resources).map((r) => r.Type))].sort();
    expect(types.filter((t) => !(t in CFN_PERMISSIONS))).toEqual([]);
    expect(types.length).toBe(Object.keys(CFN_PERMISSIONS).length);
  });

  it("may create and delete every resource of tenant A's stack (each call CloudFormation makes)", async () => {
    const refused: string[] = [];
    let checked = 0;
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      const needs = CFN_PERMISSIONS[resource.Type];
      if (needs === undefined) continue;
      for (const action of new Set([...needs.create, ...needs.delete])) {
        const request = requestFor(resource.Type, logicalId, resource, action);
        checked += 1;
        const decision = await evaluate(action, request);
        if (decision !== 'Allowed')
          refused.push(`${resource.Type} ${logicalId}: ${action} on ${request.resource}`);
      }
    }
    expect(refused).toEqual([]);
    expect(checked).toBeGreaterThan(300);
  }, 120_000);

  it('may not reach beyond silo resources', async () => {
    const notAllowed = async (
      action: string,
      resource: string,
      context: Record<string, string | string[]> = {},
    ) => expect(await evaluate(action, { resource, context }), `${action} ${resource}`).not.toBe('Allowed');
    // Another function, another log group.
    await notAllowed('lambda:UpdateFunctionCode', arn('lambda', 'function:tenantry-dev-lifecycle-validate'));
    await notAllowed('lambda:AddPermission', arn('lambda', 'function:billing-final'));
    await notAllowed(
      'logs:DeleteLogGroup',
      arn('logs', 'log-group:/aws/lambda/tenantry-dev-lifecycle-validate'),
    );
    // Roles outside the silo paths: itself, another platform role.
    await notAllowed('iam:PutRolePolicy', `arn:aws:iam::${ACCOUNT}:role/tenantry-dev-silo-deployment`);
    await notAllowed('iam:AttachRolePolicy', `arn:aws:iam::${ACCOUNT}:role/tenantry-dev-silo/x`, {
      'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess',
    });
    await notAllowed('iam:CreateRole', `arn:aws:iam::${ACCOUNT}:role/tenantry-dev-lifecycle-admin`);
    await notAllowed('iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/tenantry-dev-tenant-runtime`, {
      'iam:PassedToService': 'lambda.amazonaws.com',
    });
    // A silo role, passed to another service.
    await notAllowed('iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/tenantry-dev-silo/${STACK}-Docs-ABC`, {
      'iam:PassedToService': 'ec2.amazonaws.com',
    });
    await notAllowed(
      'iam:PassRole',
      `arn:aws:iam::${ACCOUNT}:role/tenantry-dev-silo-flow-log/${STACK}-Flow-ABC`,
      {
        'iam:PassedToService': 'lambda.amazonaws.com',
      },
    );
    // EC2: an untagged resource, a create without the tenant tag, tags on an existing resource.
    await notAllowed('ec2:DeleteVpc', arn('ec2', 'vpc/vpc-0platform'));
    await notAllowed('ec2:AuthorizeSecurityGroupIngress', arn('ec2', 'security-group/sg-0platform'));
    await notAllowed('ec2:CreateVpc', arn('ec2', 'vpc/vpc-0new'));
    await notAllowed('ec2:CreateTags', arn('ec2', 'vpc/vpc-0platform'), TENANT_REQUESTED);
    // RDS and secrets outside the silo names.
    await notAllowed('rds:DeleteDBCluster', arn('rds', 'cluster:tenantry-dev-pooled'));
    await notAllowed(
      'secretsmanager:CreateSecret',
      arn('secretsmanager', 'secret:tenantry-dev-admin-AbCdEf'),
    );
    await notAllowed(
      'iam:CreateServiceLinkedRole',
      `arn:aws:iam::${ACCOUNT}:role/aws-service-role/ecs.amazonaws.com/X`,
      {
        'iam:AWSServiceName': 'ecs.amazonaws.com',
      },
    );
    // The key: not directly, only through RDS or Secrets Manager, and only a tenant-tagged one.
    await notAllowed('kms:Decrypt', KEY, TENANT_TAGGED);
    await notAllowed('kms:Decrypt', arn('kms', 'key/99999999-2222-4333-8444-555555555555'), {
      'kms:ViaService': `rds.${REGION}.amazonaws.com`,
    });
    // Outside the silo regions.
    await notAllowed(
      'lambda:CreateFunction',
      `arn:aws:lambda:ap-south-1:${ACCOUNT}:function:tenantry-dev-${TENANT}-documents`,
    );
  }, 60_000);
});
