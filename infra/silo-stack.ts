import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  App,
  CfnCondition,
  CfnMapping,
  CfnOutput,
  CfnParameter,
  DefaultStackSynthesizer,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
  Tags,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { resourceName, type TenantryConfig } from '../domain/config';
import { siloArtifactsReadStatement, tenantAccountsScope } from '../domain/identity/organization-access';
import { APP_ROLE } from '../domain/identity/rls/migrations';
import { dynamoDbViaService, sessionTagKeys, siloKeyUseActions } from '../domain/identity/session-policy';
import {
  SILO_TEMPLATE_OBJECT_KEY,
  SILO_TENANT_TAG,
  siloArtifactsBucketName,
  siloDeploymentRoleName,
  siloKeyAliasPrefix,
  siloServiceFunctionName,
  siloStackOutputs,
  siloStackParameters,
} from '../domain/lifecycle/silo';
import { siloTableDefinition, tableName } from '../domain/tables';
import { TENANT_ID_PATTERN } from '../domain/tenant/tenant-id';
import { contract as documentsContract } from '../lambdas/documents/contract';
import { POOLED_DATABASE_NAME } from './pooled-plane-stack';
import { acknowledgeBucketDeployment, resourcePolicyStatement } from './private/resource-policy';
import { definedTable } from './private/table';
import { TenantryFunction } from './private/tenantry-function';

export interface SiloTenantStackProps extends StackProps {
  readonly config: TenantryConfig;
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
 * Outputs: `TableName`, `TableArn`, `KmsKeyArn` (the catalog records them; the runtime uses the ARNs). Synthesized without the bootstrap-version rule (no assets, no
 * bootstrap needed; the local emulator's CloudFormation can create it). The table and the key are
 * deleted with the stack: erasure of a silo is DeleteStack (the key then waits out its pending window).
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
      description: 'Roles of the lifecycle tasks that copy and verify the tenant items (promotion, rollback)',
    });

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
          conditions: {
            ArnEquals: {
              'aws:PrincipalArn': `arn:${this.partition}:iam::${this.account}:role/${siloDeploymentRoleName(config)}`,
            },
          },
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

    const platform = platformAccount(this);
    this.service = siloServiceFunction(this, config, tenantId.valueAsString, tier.valueAsString, platform);
    const service = this.service;

    new CfnOutput(this, siloStackOutputs.tableName, { value: table.tableName });
    new CfnOutput(this, siloStackOutputs.tableArn, { value: table.tableArn });
    new CfnOutput(this, siloStackOutputs.kmsKeyArn, { value: key.keyArn });
    new CfnOutput(this, siloStackOutputs.serviceFunctionArn, { value: service.function.functionArn });
    // The tenant's table, key and function carry its id and tier (cost allocation, inventory).
    for (const tagged of [table, key, service]) {
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
}

const siloBuilds = new Map<string, SiloTemplateBuild>();

/**
 * The silo template, synthesized from the construct above in its own app (checked by cdk-nag), once
 * per configuration per process (the synth bundles the documents function).
 */
export function siloTemplateBuild(config: TenantryConfig): SiloTemplateBuild {
  const cacheKey = JSON.stringify(config);
  const cached = siloBuilds.get(cacheKey);
  if (cached !== undefined) return cached;
  // Its own app and output folder: the silo is deployed per tenant by the onboarding workflow, never
  // by `cdk deploy --all`, so it must not appear in the main cloud assembly.
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'tenantry-silo-')) });
  const stack = new SiloTenantStack(app, 'SiloTenant', { config });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as Record<string, unknown>;
  const code = (stack.service.function.node.defaultChild as lambda.CfnFunction)
    .code as lambda.CfnFunction.CodeProperty;
  const objectKey = String(code.s3Key);
  const build = {
    template,
    serviceCode: {
      directory: join(assembly.directory, `asset.${objectKey.replace(/\.zip$/, '')}`),
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
    acknowledgeBucketDeployment(this, this.bucket);
  }
}

/**
 * The tenant's own documents function: the pooled service's handler and bundle (one code asset),
 * serving only this tenant (`SILO_TENANT_ID`). Its role holds what the pooled service's role holds
 * and nothing more: read the catalog and write usage in the control plane's region (tenant data is
 * reached with the credentials the authorizer vends, so the role needs no table or key permission).
 * Reserved concurrency from the tier's `siloCompute` (one tenant cannot exhaust the region, and no
 * other function can take this tenant's capacity); its own log group, named after the function,
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
): TenantryFunction<typeof documentsContract> {
  const databaseHost = new CfnParameter(stack, siloStackParameters.databaseHost, {
    type: 'String',
    default: '',
    description: "PostgreSQL endpoint of the tenant's documents function",
  });
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
      DATABASE_HOST: databaseHost.valueAsString,
      DATABASE_PORT: '5432',
      DATABASE_NAME: POOLED_DATABASE_NAME,
      DATABASE_USER: APP_ROLE,
      SILO_TENANT_ID: tenantId,
      CONTROL_PLANE_REGION: config.regions.primary,
    },
    grants: {
      readCatalog: [catalogArn],
      emitUsage: [usageStreamArn],
      // No database this function can reach yet (see DatabaseHost): no database user either.
      connectDatabase: [],
    },
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
  cfnFunction.reservedConcurrentExecutions = Token.asNumber(mapping.findInMap(tier, 'reservedConcurrency'));
  const logGroup = service.node.findChild('Logs') as logs.LogGroup;
  (logGroup.node.defaultChild as logs.CfnLogGroup).logGroupName = `/aws/lambda/${functionName}`;
  logGroup.applyRemovalPolicy(RemovalPolicy.DESTROY);
  // The code from the platform's silo artifacts bucket in this region (SiloServiceCodeStack).
  const code = cfnFunction.code as lambda.CfnFunction.CodeProperty;
  cfnFunction.code = {
    s3Bucket: siloArtifactsBucketName(config, platform.accountId, stack.region),
    s3Key: code.s3Key as string,
  };
  routerMayInvoke(stack, service, platform);
  return service;
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
