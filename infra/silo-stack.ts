import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  App,
  Aws,
  CfnCondition,
  type CfnElement,
  CfnMapping,
  CfnOutput,
  CfnParameter,
  CfnResource,
  CustomResource,
  DefaultStackSynthesizer,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
  Tags,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as cr from 'aws-cdk-lib/custom-resources';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { resourceName, type TenantryConfig } from '../domain/config';
import { siloArtifactsReadStatement, tenantAccountsScope } from '../domain/identity/organization-access';
import { APP_ROLE } from '../domain/identity/rls/migrations';
import { dynamoDbViaService, sessionTagKeys, siloKeyUseActions } from '../domain/identity/session-policy';
import {
  reservedConcurrencyChoices,
  SILO_TEMPLATE_OBJECT_KEY,
  SILO_TENANT_TAG,
  siloArtifactsBucketName,
  siloDatabaseMigrationRolePath,
  siloDeploymentRoleName,
  siloFlowLogRolePath,
  siloFunctionRolePath,
  siloKeyAliasPrefix,
  siloServiceFunctionName,
  siloStackOutputs,
  siloStackParameters,
} from '../domain/lifecycle/silo';
import { siloTableDefinition, tableName } from '../domain/tables';
import { TENANT_ID_PATTERN } from '../domain/tenant/tenant-id';
import { contract as documentsContract } from '../lambdas/documents/contract';
import { contract as rlsMigrateContract } from '../lambdas/rls-migrate/contract';
import { migrationsDigest, POOLED_DATABASE_NAME } from './pooled-plane-stack';
import { acknowledgeBucketDeployment, resourcePolicyStatement } from './private/resource-policy';
import { definedTable } from './private/table';
import { TenantryFunction } from './private/tenantry-function';

/**
 * Where the tenant function's PostgreSQL is. `aurora` (AWS): the tier's dedicated cluster in this stack.
 * `in-process`: the local environment, whose CloudFormation (moto) cannot create Aurora, a VPC's NAT or
 * a custom resource, and whose documents functions run in the handler host against PGlite in process
 * (local/documents.ts): the template then has no database resources and nothing reads DATABASE_HOST.
 */
export type SiloDatabaseTarget = 'aurora' | 'in-process';

export interface SiloTenantStackProps extends StackProps {
  readonly config: TenantryConfig;
  /** Default `aurora`. */
  readonly database?: SiloDatabaseTarget;
}

/**
 * The dedicated stack of one silo tenant, deployed per tenant in the tenant's region by the lifecycle's
 * `silo-stack` task with CloudFormation CreateStack (parameters `TenantId`, `Tier`, `TenantAccessRoleArn`,
 * `DataMoverRoleArns`), never by `cdk deploy`:
 * - the tenant's table, built from `siloTableDefinition` (same keys as the pooled table, so items copy
 *   unchanged), named `<product>-<stage>-silo-data-<tenantId>`, encrypted with
 * - the tenant's own KMS key (rotation on; deletion pending window from config). Its key policy lets
 *   only the tenant access role, in a session tagged with this tenant's id, use it, with exactly the
 *   actions a silo session policy allows (`siloKeyUseActions`) and only through DynamoDB in the
 *   stack's region; the lifecycle's data movers likewise only through DynamoDB. The account
 *   administers the key through IAM (principals whose IAM policies allow it: the silo deployment role,
 *   limited to keys tagged `tenantry:tenant-id`) with no data-use action, and may create grants only
 *   for AWS services (`kms:GrantIsForAWSResource`).
 *   Kill switch (narrowed, not removed): `kms:PutKeyPolicy` — the one action that could hand the key
 *   to someone else — is allowed only to the silo deployment role (`aws:PrincipalArn`), so an IAM
 *   administrator cannot grant themselves decrypt by attaching `kms:*` to a user or role. KMS requires
 *   some principal to keep PutKeyPolicy (its lockout safety check refuses a policy that would lock out
 *   the creator), so the path that remains is: a principal that can change that role's trust policy
 *   (`iam:UpdateAssumeRolePolicy`) or its permissions, or pass it to CloudFormation
 *   (`iam:PassRole` + `cloudformation:UpdateStack`) with another template. Each step leaves a
 *   CloudTrail event (IAM change on the role, UpdateStack on a silo stack, PutKeyPolicy on a key
 *   tagged `tenantry:tenant-id`): guard them with an SCP and alert on them (README, isolation).
 * - With the function (`ServiceCompute`), the tier's dedicated Aurora cluster (`siloDatabase` below).
 * Outputs: `TableName`, `TableArn`, `KmsKeyArn`, and with the function `ServiceFunctionArn`,
 * `DatabaseClusterArn`, `DatabaseEndpoint`, `DatabaseSecretArn` (the catalog records them; the
 * runtime uses the ARNs).
 * Synthesized without the bootstrap-version rule; its code assets (the documents function, the
 * migration and its provider) are published per region by SiloServiceCodeStack. The local build
 * (`database: 'in-process'`) has no database and moto's CloudFormation can create it. The table, the
 * key and the database are deleted with the stack: erasure of a silo is DeleteStack (the key then
 * waits out its pending window).
 */
export class SiloTenantStack extends Stack {
  /** The tenant's own documents function. */
  public readonly service: TenantryFunction<typeof documentsContract>;

  public constructor(scope: Construct, id: string, props: SiloTenantStackProps) {
    super(scope, id, {
      ...props,
      synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
    });
    const { config } = props;
    const siloTiers = config.tiers.filter((t) => t.isolation !== 'pool').map((t) => t.name);

    const tenantId = new CfnParameter(this, siloStackParameters.tenantId, {
      type: 'String',
      allowedPattern: TENANT_ID_PATTERN.source.replace(/^\^|\$$/g, ''),
      maxLength: 40,
      description: 'The tenant this silo belongs to',
    });
    const tier = new CfnParameter(this, siloStackParameters.tier, {
      type: 'String',
      allowedValues: siloTiers,
      description: 'The tenant tier (a silo or account tier)',
    });
    const accessRole = new CfnParameter(this, siloStackParameters.tenantAccessRoleArn, {
      type: 'String',
      allowedPattern: 'arn:aws[a-z-]*:iam::\\d{12}:role/.+',
      description: 'The role assumed (with a tenant session tag) to access tenant data',
    });
    const dataMovers = new CfnParameter(this, siloStackParameters.dataMoverRoleArns, {
      type: 'CommaDelimitedList',
      description:
        'Roles of the lifecycle tasks that copy and verify the tenant items and rows (promotion, rollback)',
    });

    const platform = platformAccount(this);
    const deploymentRole = stackDeploymentRoleArn(this, config, platform);
    const viaDynamoDb = dynamoDbViaService(this.region);
    const keyPolicy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'AccountAdministersTheKey',
          principals: [new iam.AccountRootPrincipal()],
          actions: [
            'kms:DescribeKey',
            'kms:GetKeyPolicy',
            'kms:GetKeyRotationStatus',
            'kms:EnableKeyRotation',
            'kms:ListResourceTags',
            'kms:TagResource',
            'kms:UntagResource',
            'kms:ScheduleKeyDeletion',
            'kms:CancelKeyDeletion',
            'kms:ListGrants',
            'kms:RevokeGrant',
            'kms:RetireGrant',
            'kms:CreateAlias',
            'kms:DeleteAlias',
            'kms:UpdateKeyDescription',
          ],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'OnlyTheSiloDeploymentRoleChangesTheKeyPolicy',
          principals: [new iam.AccountRootPrincipal()],
          actions: ['kms:PutKeyPolicy'],
          resources: ['*'],
          conditions: { ArnEquals: { 'aws:PrincipalArn': deploymentRole } },
        }),
        new iam.PolicyStatement({
          sid: 'AccountGrantsOnlyToAwsServices',
          principals: [new iam.AccountRootPrincipal()],
          actions: ['kms:CreateGrant'],
          resources: ['*'],
          conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
        }),
        new iam.PolicyStatement({
          sid: 'OnlyThisTenantUsesTheKeyThroughDynamoDB',
          principals: [new iam.ArnPrincipal(accessRole.valueAsString)],
          actions: [...siloKeyUseActions],
          resources: ['*'],
          conditions: {
            StringEquals: {
              [`aws:PrincipalTag/${sessionTagKeys.tenantId}`]: tenantId.valueAsString,
              'kms:ViaService': viaDynamoDb,
            },
          },
        }),
        iam.PolicyStatement.fromJson({
          Sid: 'LifecycleMovesTheTenantItemsThroughDynamoDB',
          Effect: 'Allow',
          Principal: { AWS: dataMovers.valueAsList },
          Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey', 'kms:CreateGrant'],
          Resource: '*',
          Condition: { StringEquals: { 'kms:ViaService': viaDynamoDb } },
        }),
      ],
    });

    if (props.database !== 'in-process') {
      keyPolicy.addStatements(
        ...siloDatabaseKeyStatements(
          this,
          config,
          tenantId.valueAsString,
          deploymentRole,
          dataMovers.valueAsList,
        ),
      );
    }

    const key = new kms.Key(this, 'TenantKey', {
      description: `Tenantry silo data key of tenant ${tenantId.valueAsString}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      policy: keyPolicy,
    });
    // The CDK adds an "account root may do kms:*" statement to every key policy; this key's policy is
    // exactly the one above.
    const cfnKey = key.node.defaultChild as kms.CfnKey;
    cfnKey.keyPolicy = keyPolicy;
    cfnKey.pendingWindowInDays = config.lifecycle.kmsPendingWindowDays;
    new kms.CfnAlias(this, 'TenantKeyAlias', {
      aliasName: `${siloKeyAliasPrefix(config)}${tenantId.valueAsString}`,
      targetKeyId: key.keyId,
    });

    const table = definedTable(this, 'TenantTable', {
      definition: siloTableDefinition,
      tableName: `${resourceName(config, siloTableDefinition.id)}-${tenantId.valueAsString}`,
      encryptionKey: key,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const database =
      props.database === 'in-process' ? undefined : siloDatabase(this, config, key, tier.valueAsString);
    this.service = siloServiceFunction(
      this,
      config,
      tenantId.valueAsString,
      tier.valueAsString,
      platform,
      database,
    );
    const service = this.service;
    if (database !== undefined) siloDatabaseMigration(this, config, database, service);
    codeFromPlatformArtifacts(this, config, platform);
    rolesUnderSiloPaths(this, config);

    new CfnOutput(this, siloStackOutputs.tableName, { value: table.tableName });
    new CfnOutput(this, siloStackOutputs.tableArn, { value: table.tableArn });
    new CfnOutput(this, siloStackOutputs.kmsKeyArn, { value: key.keyArn });
    new CfnOutput(this, siloStackOutputs.serviceFunctionArn, { value: service.function.functionArn });
    if (database !== undefined) {
      new CfnOutput(this, siloStackOutputs.databaseClusterArn, { value: database.cluster.clusterArn });
      new CfnOutput(this, siloStackOutputs.databaseEndpoint, {
        value: database.cluster.clusterEndpoint.hostname,
      });
      new CfnOutput(this, siloStackOutputs.databaseSecretArn, { value: database.secretArn });
    }
    // The tenant's table, key and function carry its id and tier (cost allocation, inventory).
    for (const tagged of [table, key, service, ...(database === undefined ? [] : [database.scope])]) {
      Tags.of(tagged).add(SILO_TENANT_TAG, tenantId.valueAsString);
      Tags.of(tagged).add('tenantry:tier', tier.valueAsString);
    }
  }
}

/** The silo template and the documents bundle it points at. */
export interface SiloTemplateBuild {
  /** CloudFormation JSON (what CreateStack receives as TemplateBody or, uploaded to S3, as TemplateURL). */
  readonly template: Record<string, unknown>;
  /**
   * The tenant function's code: the bundle the synth staged, and its object key in the CDK asset
   * bucket of whichever region the stack is created in (`cdk-<qualifier>-assets-<account>-<region>`;
   * a function's code must be in its own region). SiloServiceCodeStack publishes it in every
   * region of `regions.siloAllowed`.
   */
  readonly serviceCode: {
    readonly directory: string;
    readonly objectKey: string;
    /** The asset bucket the template names, in an account and region. */
    readonly bucketIn: (account: string, region: string) => string;
  };
  /**
   * The code of the database's functions (the migration and its custom-resource provider), in the same
   * asset bucket as `serviceCode`; none for an `in-process` template.
   */
  readonly databaseCode: readonly { readonly directory: string; readonly objectKey: string }[];
}

const siloBuilds = new Map<string, SiloTemplateBuild>();

/**
 * The silo template, synthesized from the construct above in its own app (checked by cdk-nag), once
 * per configuration per process (the synth bundles the documents function).
 */
export function siloTemplateBuild(
  config: TenantryConfig,
  database: SiloDatabaseTarget = 'aurora',
): SiloTemplateBuild {
  const cacheKey = `${database}:${JSON.stringify(config)}`;
  const cached = siloBuilds.get(cacheKey);
  if (cached !== undefined) return cached;
  // Its own app and output folder: the silo is deployed per tenant by the onboarding workflow, never
  // by `cdk deploy --all`, so it must not appear in the main cloud assembly.
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'tenantry-silo-')) });
  const stack = new SiloTenantStack(app, 'SiloTenant', { config, database });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as Record<string, unknown>;
  const code = (stack.service.function.node.defaultChild as lambda.CfnFunction)
    .code as lambda.CfnFunction.CodeProperty;
  const objectKey = String(code.s3Key);
  const assetDirectory = (key: string) => join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`);
  const databaseCode = stack.node
    .findAll()
    .filter(
      (c): c is lambda.CfnFunction =>
        c instanceof CfnResource && c.cfnResourceType === 'AWS::Lambda::Function',
    )
    .map((fn) => String((fn.code as lambda.CfnFunction.CodeProperty).s3Key))
    .filter((key) => key !== objectKey)
    .map((key) => ({ directory: assetDirectory(key), objectKey: key }));
  const build = {
    template,
    databaseCode,
    serviceCode: {
      directory: assetDirectory(objectKey),
      objectKey,
      bucketIn: (account: string, region: string) => siloArtifactsBucketName(config, account, region),
    },
  };
  siloBuilds.set(cacheKey, build);
  return build;
}

/** The silo template as CloudFormation JSON. */
export function siloTemplate(config: TenantryConfig): Record<string, unknown> {
  return siloTemplateBuild(config).template;
}

export interface SiloServiceCodeStackProps extends StackProps {
  readonly config: TenantryConfig;
  readonly build: SiloTemplateBuild;
}

/**
 * The silo artifacts of one silo region (`siloArtifactsBucketName`): the documents bundle, copied
 * unchanged (a zip, `extract: false`) under the key the silo template names (the same bundle directory
 * hashes to the same key), and the silo template (`SILO_TEMPLATE_OBJECT_KEY`). With `accounts`
 * configured, the tenant accounts of the organization may read them (their deployment role creates the
 * stack and the function there). Nothing is pruned: a stack created from an earlier template keeps its
 * code object.
 */
export class SiloServiceCodeStack extends Stack {
  public readonly bucket: s3.Bucket;

  public constructor(scope: Construct, id: string, props: SiloServiceCodeStackProps) {
    super(scope, id, props);
    const { config, build } = props;
    this.bucket = new s3.Bucket(this, 'SiloArtifacts', {
      bucketName: siloArtifactsBucketName(config, this.account, this.region),
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Build artifacts (template, code bundle) written only by deployments; CloudTrail records reads.',
    });
    if (config.accounts !== undefined) {
      this.bucket.addToResourcePolicy(
        resourcePolicyStatement(
          siloArtifactsReadStatement(this.bucket.bucketArn, tenantAccountsScope(config)),
        ),
      );
    }
    const code = new s3deploy.BucketDeployment(this, 'DocumentsServiceCode', {
      sources: [s3deploy.Source.asset(build.serviceCode.directory)],
      destinationBucket: this.bucket,
      extract: false,
      prune: false,
    });
    new s3deploy.BucketDeployment(this, 'SiloTemplate', {
      sources: [s3deploy.Source.jsonData(SILO_TEMPLATE_OBJECT_KEY, build.template)],
      destinationBucket: this.bucket,
      prune: false,
    });
    new CfnOutput(this, 'PublishedCode', {
      description: 'Object key of the silo documents function code in this region',
      value: Fn.select(0, code.objectKeys),
    });
    // The silo database's migration and custom-resource provider code, under the keys the template names.
    build.databaseCode.forEach((database, i) => {
      new s3deploy.BucketDeployment(this, `DatabaseCode${i}`, {
        sources: [s3deploy.Source.asset(database.directory)],
        destinationBucket: this.bucket,
        extract: false,
        prune: false,
      });
    });
    acknowledgeBucketDeployment(this, this.bucket);
  }
}

/**
 * The tenant's own documents function: the pooled service's handler and bundle (one code asset),
 * serving only this tenant (`SILO_TENANT_ID`). Its role holds what the pooled service's role holds
 * and nothing more: read the catalog and write usage in the control plane's region (tenant data is
 * reached with the credentials the authorizer vends, so the role needs no table or key permission).
 * Reserved concurrency from the tier's `siloCompute` (one tenant cannot exhaust the region, and no
 * other function can take this tenant's capacity), unless a tenant account's quota cannot keep it; its own log group, named after the function,
 * deleted with the stack (erasure), 1-month retention. The log group is not encrypted with the silo
 * key: that key's policy allows it only through DynamoDB (the kill switch); CloudWatch Logs encrypts
 * at rest with its own key.
 */
function siloServiceFunction(
  stack: Stack,
  config: TenantryConfig,
  tenantId: string,
  tier: string,
  platform: PlatformAccount,
  database: SiloDatabase | undefined,
): TenantryFunction<typeof documentsContract> {
  const inControlPlane = (service: string, resource: string) =>
    `arn:${stack.partition}:${service}:${config.regions.primary}:${platform.accountId}:${resource}`;
  const catalogTable = tableName(config, 'catalog');
  const usageStream = resourceName(config, 'usage');
  // By ARN: from a tenant's own account, the catalog and the stream are another account's (their
  // resource policies admit this function's role, tagged with the tenant).
  const catalogArn = inControlPlane('dynamodb', `table/${catalogTable}`);
  const usageStreamArn = inControlPlane('kinesis', `stream/${usageStream}`);
  const functionName = siloServiceFunctionName(config, tenantId);
  const service = new TenantryFunction(stack, 'DocumentsService', {
    contract: documentsContract,
    config,
    environment: {
      CATALOG_TABLE_NAME: catalogArn,
      POOLED_TABLE_ARN: inControlPlane('dynamodb', `table/${tableName(config, 'pooled')}`),
      TENANT_BUCKET_NAME: resourceName(config, `tenant-data-${platform.accountId}`),
      USAGE_STREAM_NAME: usageStream,
      USAGE_STREAM_ARN: usageStreamArn,
      DATABASE_HOST: database?.cluster.clusterEndpoint.hostname ?? IN_PROCESS_DATABASE_HOST,
      DATABASE_PORT: '5432',
      DATABASE_NAME: POOLED_DATABASE_NAME,
      DATABASE_USER: APP_ROLE,
      SILO_TENANT_ID: tenantId,
      CONTROL_PLANE_REGION: config.regions.primary,
    },
    grants: {
      readCatalog: [catalogArn],
      emitUsage: [usageStreamArn],
      // Its own cluster's application user only (IAM database authentication).
      connectDatabase: database === undefined ? [] : [database.appUserArn],
    },
    ...(database === undefined ? {} : { network: database.serviceNetwork }),
    bundleAwsSdk: true,
  });
  const siloCompute = Object.fromEntries(
    config.tiers.flatMap((t) =>
      t.siloCompute === undefined
        ? []
        : [[t.name, { reservedConcurrency: t.siloCompute.reservedConcurrency }]],
    ),
  );
  const mapping = new CfnMapping(stack, 'SiloCompute', { mapping: siloCompute });
  const cfnFunction = service.function.node.defaultChild as lambda.CfnFunction;
  cfnFunction.functionName = functionName;
  // A tenant account whose Lambda quota cannot keep the reservation gets none (the lifecycle requested
  // the increase, domain/lifecycle/concurrency-quota.ts); a silo in the platform account always has it.
  const reservation = new CfnParameter(stack, siloStackParameters.reservedConcurrency, {
    type: 'String',
    allowedValues: [...reservedConcurrencyChoices],
    default: 'tier',
    description:
      "The tier's reserved concurrency on the tenant's function (tier), or none (tenant account quota too low)",
  });
  const reserves = new CfnCondition(stack, 'ReservesConcurrency', {
    expression: Fn.conditionOr(
      Fn.conditionNot(platform.inTenantAccount),
      Fn.conditionNot(Fn.conditionEquals(reservation.valueAsString, 'none')),
    ),
  });
  cfnFunction.reservedConcurrentExecutions = Token.asNumber(
    Fn.conditionIf(reserves.logicalId, mapping.findInMap(tier, 'reservedConcurrency'), Aws.NO_VALUE),
  );
  const logGroup = service.node.findChild('Logs') as logs.LogGroup;
  (logGroup.node.defaultChild as logs.CfnLogGroup).logGroupName = `/aws/lambda/${functionName}`;
  logGroup.applyRemovalPolicy(RemovalPolicy.DESTROY);
  routerMayInvoke(stack, service, platform);
  return service;
}

/** DATABASE_HOST of a template built for the local environment, where nothing reads it (PGlite in process). */
const IN_PROCESS_DATABASE_HOST = 'in-process';

/** The tenant's dedicated database and the network its function reaches it through. */
interface SiloDatabase {
  /** Every database resource is under it (the stack gives them the function's condition). */
  readonly scope: Construct;
  readonly cluster: rds.DatabaseCluster;
  /** The RDS-managed master secret (`rds!cluster-…`, encrypted with the tenant's key). */
  readonly secretArn: string;
  /** `rds-db:connect` resource of the application user on this cluster. */
  readonly appUserArn: string;
  /** Subnets (with egress) and security group of the functions that use the database. */
  readonly serviceNetwork: {
    readonly vpc: ec2.IVpc;
    readonly subnets: ec2.SubnetSelection;
    readonly securityGroups: readonly ec2.ISecurityGroup[];
  };
}

/**
 * The silo tenant's own Aurora PostgreSQL Serverless v2 cluster (the tier's `siloDatabase`), in the
 * stack's region (data residency):
 * - a small VPC of the stack over two zones: the cluster in isolated subnets; the functions in private
 *   subnets whose only way out is one NAT gateway — the function calls the control plane's catalog and
 *   usage stream in the primary region, which no VPC endpoint of this region reaches (DynamoDB through
 *   a gateway endpoint); rejected flows logged;
 * - the cluster reachable on its port only from the functions' security group, storage encrypted with
 *   the tenant's key (the kill switch covers the database too), IAM database authentication for the
 *   application user, the master password generated, kept and rotated by RDS in Secrets Manager
 *   (encrypted with the tenant's key; no rotation function to deploy per tenant);
 * - the RDS Data API on: the lifecycle's `tenant-rows` moves the tenant's rows with it from outside the
 *   VPC (the master secret; the key policy admits the data movers through Secrets Manager);
 * - capacity from the tier (`SiloDatabase` mapping, ACU), one writer (a silo's reader is a tier option
 *   not built);
 * - deleted with the stack, no final snapshot and no deletion protection: offboarding is erasure
 *   (DeleteStack), and a snapshot would keep the tenant's rows after it; automated backups (7 days)
 *   are deleted with the cluster. The lifecycle is the guard against an accidental delete (only
 *   offboarding and a failed onboarding's compensation delete a silo stack).
 */
function siloDatabase(stack: Stack, config: TenantryConfig, key: kms.IKey, tier: string): SiloDatabase {
  const scope = new Construct(stack, 'Database');
  const vpc = new ec2.Vpc(scope, 'Vpc', {
    maxAzs: 2,
    natGateways: 1,
    subnetConfiguration: [
      { name: 'egress', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 28 },
      { name: 'service', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
      { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
    ],
    flowLogs: { rejected: { trafficType: ec2.FlowLogTrafficType.REJECT } },
  });
  vpc.addGatewayEndpoint('DynamoDbEndpoint', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });
  const serviceSecurityGroup = new ec2.SecurityGroup(scope, 'ServiceSecurityGroup', {
    vpc,
    description: 'Functions of the tenant: reach its database',
  });
  const capacity = new CfnMapping(stack, 'SiloDatabase', {
    mapping: Object.fromEntries(
      config.tiers.flatMap((t) =>
        t.siloDatabase === undefined
          ? []
          : [[t.name, { minCapacity: t.siloDatabase.minCapacity, maxCapacity: t.siloDatabase.maxCapacity }]],
      ),
    ),
  });
  const cluster = new rds.DatabaseCluster(scope, 'Cluster', {
    engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_5 }),
    writer: rds.ClusterInstance.serverlessV2('Writer'),
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    credentials: rds.Credentials.fromUsername('tenantry_admin', { encryptionKey: key }),
    manageMasterUserPassword: true,
    defaultDatabaseName: POOLED_DATABASE_NAME,
    iamAuthentication: true,
    enableDataApi: true,
    storageEncrypted: true,
    storageEncryptionKey: key,
    deletionProtection: false,
    backup: { retention: Duration.days(7) },
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const cfnCluster = cluster.node.defaultChild as rds.CfnDBCluster;
  cfnCluster.serverlessV2ScalingConfiguration = {
    minCapacity: Token.asNumber(capacity.findInMap(tier, 'minCapacity')),
    maxCapacity: Token.asNumber(capacity.findInMap(tier, 'maxCapacity')),
  };
  cluster.connections.allowDefaultPortFrom(serviceSecurityGroup);
  Validations.of(cluster).acknowledge(
    {
      id: 'AwsSolutions-RDS11',
      reason: "The default port is reachable only from the tenant's functions inside the stack's VPC.",
    },
    {
      id: 'AwsSolutions-RDS10',
      reason: 'Offboarding is erasure: DeleteStack must delete the cluster (and leave no snapshot).',
    },
    {
      id: 'AwsSolutions-SMG4',
      reason: 'RDS manages and rotates the master password itself (ManageMasterUserPassword).',
    },
  );
  return {
    scope,
    cluster,
    secretArn: cfnCluster.attrMasterUserSecretSecretArn,
    appUserArn: `arn:${stack.partition}:rds-db:${stack.region}:${stack.account}:dbuser:${cluster.clusterResourceIdentifier}/${APP_ROLE}`,
    serviceNetwork: {
      vpc,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [serviceSecurityGroup],
    },
  };
}

/**
 * Every function of the stack (the documents function, the database migration and its custom-resource
 * provider) takes its code from the platform's silo artifacts bucket in this region
 * (SiloServiceCodeStack), under the key the synth gave it: in a tenant's own account there is no CDK
 * asset bucket of the platform's.
 */
function codeFromPlatformArtifacts(stack: Stack, config: TenantryConfig, platform: PlatformAccount): void {
  for (const fn of stack.node.findAll()) {
    if (!(fn instanceof CfnResource && fn.cfnResourceType === 'AWS::Lambda::Function')) continue;
    const cfnFunction = fn as lambda.CfnFunction;
    const code = cfnFunction.code as lambda.CfnFunction.CodeProperty;
    cfnFunction.code = {
      s3Bucket: siloArtifactsBucketName(config, platform.accountId, stack.region),
      s3Key: code.s3Key as string,
    };
  }
}

/**
 * Every role of the stack under a silo path (the migration role keeps its own, set where it is made): the
 * silo deployment role may create, change and pass only roles under these paths (infra/private/
 * silo-deployment-grants.ts), never a role outside them such as itself.
 */
function rolesUnderSiloPaths(stack: Stack, config: TenantryConfig): void {
  for (const role of stack.node.findAll()) {
    if (!(role instanceof iam.CfnRole) || role.path !== undefined) continue;
    const flowLog = role.node.scopes.some((s) => s instanceof ec2.FlowLog);
    role.path = flowLog ? siloFlowLogRolePath(config) : siloFunctionRolePath(config);
  }
}

/**
 * The role CloudFormation creates the stack with, which must keep `kms:PutKeyPolicy` on the tenant's key
 * (KMS refuses to create a key whose policy its creator could not change): the platform's silo
 * deployment role, passed as the stack's role; in a tenant's own account, the deployment role the
 * lifecycle assumes there (`accounts.deploymentRoleName`), whose session creates the stack.
 */
function stackDeploymentRoleArn(stack: Stack, config: TenantryConfig, platform: PlatformAccount): string {
  const role = (name: string) => `arn:${stack.partition}:iam::${stack.account}:role/${name}`;
  const silo = role(siloDeploymentRoleName(config));
  if (config.accounts === undefined) return silo;
  return Token.asString(
    Fn.conditionIf(platform.inTenantAccount.logicalId, role(config.accounts.deploymentRoleName), silo),
  );
}

/** The platform account of a silo stack: the stack's own, or the one a tenant account's stack is given. */
interface PlatformAccount {
  readonly accountId: string;
  /** True in a tenant's own account (PlatformAccountId given). */
  readonly inTenantAccount: CfnCondition;
}

function platformAccount(stack: Stack): PlatformAccount {
  const given = new CfnParameter(stack, siloStackParameters.platformAccountId, {
    type: 'String',
    allowedPattern: '^(\\d{12})?$',
    default: '',
    description: "The platform account when the stack is in a tenant's own account; empty: this account",
  });
  const inTenantAccount = new CfnCondition(stack, 'InTenantAccount', {
    expression: Fn.conditionNot(Fn.conditionEquals(given.valueAsString, '')),
  });
  return {
    accountId: Token.asString(Fn.conditionIf(inTenantAccount.logicalId, given.valueAsString, stack.account)),
    inTenantAccount,
  };
}

/**
 * What the tenant's key policy adds for its database: CloudFormation (the silo deployment role) may
 * have RDS and Secrets Manager use the key (cluster storage, the RDS-managed master secret; RDS keeps
 * using it through the grants it creates), and the migration function of this tenant only (its role
 * path, tagged with the tenant) and the lifecycle's data movers (`tenant-rows` reads the secret through
 * the Data API, which fetches it with the caller's permissions) may decrypt the master secret through
 * Secrets Manager. No direct use: every statement is bound to `kms:ViaService`.
 */
function siloDatabaseKeyStatements(
  stack: Stack,
  config: TenantryConfig,
  tenantId: string,
  deploymentRole: string,
  dataMovers: string[],
): iam.PolicyStatement[] {
  const via = (service: string) => `${service}.${stack.region}.amazonaws.com`;
  return [
    new iam.PolicyStatement({
      sid: 'TheTenantDatabaseUsesTheKeyThroughRds',
      principals: [new iam.AccountRootPrincipal()],
      actions: [
        'kms:Encrypt',
        'kms:Decrypt',
        'kms:ReEncrypt*',
        'kms:GenerateDataKey*',
        'kms:CreateGrant',
        'kms:DescribeKey',
      ],
      resources: ['*'],
      conditions: {
        StringEquals: { 'kms:ViaService': [via('rds'), via('secretsmanager')] },
        ArnEquals: { 'aws:PrincipalArn': deploymentRole },
      },
    }),
    new iam.PolicyStatement({
      sid: 'OnlyThisTenantsMigrationReadsTheDatabaseSecret',
      principals: [new iam.AccountRootPrincipal()],
      actions: ['kms:Decrypt'],
      resources: ['*'],
      conditions: {
        StringEquals: {
          'kms:ViaService': via('secretsmanager'),
          [`aws:PrincipalTag/${SILO_TENANT_TAG}`]: tenantId,
        },
        ArnLike: {
          'aws:PrincipalArn': `arn:${stack.partition}:iam::${stack.account}:role${siloDatabaseMigrationRolePath(config)}*`,
        },
      },
    }),
    iam.PolicyStatement.fromJson({
      Sid: 'LifecycleReadsTheDatabaseSecretThroughSecretsManager',
      Effect: 'Allow',
      Principal: { AWS: dataMovers },
      Action: ['kms:Decrypt'],
      Resource: '*',
      Condition: { StringEquals: { 'kms:ViaService': via('secretsmanager') } },
    }),
  ];
}

/**
 * The row-level-security migrations on the tenant's cluster, applied at create and at every update that
 * changes them, by the same `rls-migrate` code as the pooled plane's, in the stack's VPC, after the
 * cluster (and its writer) exists and before the function is created (it needs the tables and the
 * application role).
 */
function siloDatabaseMigration(
  stack: Stack,
  config: TenantryConfig,
  database: SiloDatabase,
  service: TenantryFunction<typeof documentsContract>,
): void {
  const { cluster } = database;
  const { secretArn } = database;
  const migration = new TenantryFunction(database.scope, 'RlsMigrate', {
    contract: rlsMigrateContract,
    config,
    environment: {
      DATABASE_SECRET_ARN: secretArn,
      DATABASE_NAME: POOLED_DATABASE_NAME,
      DATABASE_HOST: cluster.clusterEndpoint.hostname,
      DATABASE_PORT: Token.asString(cluster.clusterEndpoint.port),
    },
    grants: { readDatabaseSecret: [secretArn] },
    network: database.serviceNetwork,
  });
  // The key policy recognises this tenant's migration by its role's path and tenant tag.
  const role = migration.function.role?.node.defaultChild as iam.CfnRole;
  role.path = siloDatabaseMigrationRolePath(config);
  const provider = new cr.Provider(database.scope, 'RlsMigrationProvider', {
    onEventHandler: migration.function,
  });
  Validations.of(provider).acknowledge(
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The CDK custom-resource provider framework function writes only its own logs.',
    },
    {
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(migration.function.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason: 'The provider framework may invoke only the migration function (and its versions).',
    },
    { id: 'AwsSolutions-L1', reason: 'The provider framework function runtime is managed by CDK.' },
  );
  const migrations = new CustomResource(database.scope, 'RlsMigrations', {
    serviceToken: provider.serviceToken,
    properties: { migrations: migrationsDigest(), appRole: APP_ROLE },
  });
  migrations.node.addDependency(cluster);
  service.node.addDependency(migrations);
}

/**
 * In a tenant's own account, the documents router (platform account) invokes the function across
 * accounts: a function policy names its role (`RouterRoleArn`); IAM also needs the router's own grant
 * (infra/documents-service-stack.ts). In the platform account the router's grant alone suffices.
 */
function routerMayInvoke(
  stack: Stack,
  service: TenantryFunction<typeof documentsContract>,
  platform: PlatformAccount,
): void {
  const routerRole = new CfnParameter(stack, siloStackParameters.routerRoleArn, {
    type: 'String',
    allowedPattern: '^(arn:aws[a-z-]*:iam::\\d{12}:role/.+)?$',
    default: '',
    description: "The documents router's role (platform account) when the stack is in a tenant's own account",
  });
  const permission = new lambda.CfnPermission(stack, 'RouterInvokesDocumentsService', {
    action: 'lambda:InvokeFunction',
    functionName: service.function.functionArn,
    principal: routerRole.valueAsString,
  });
  permission.cfnOptions.condition = platform.inTenantAccount;
  // Created only when the stack is in a tenant's account (RouterRoleArn given): the linters resolve the
  // parameter to its empty default, which this resource never sees.
  const reason =
    'Created only in a tenant account, where RouterRoleArn is given: the empty default is never used.';
  Validations.of(permission).acknowledge({ id: 'CloudFormation-Validate::W1030', reason });
  permission.cfnOptions.metadata = { 'cfn-lint': { config: { ignore_checks: ['W1030'] } } };
}
