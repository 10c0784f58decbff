import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Arn,
  ArnFormat,
  CfnOutput,
  Duration,
  Fn,
  Lazy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { Construct } from 'constructs';
import { resourceName, type TenantryConfig } from '../domain/config';
import { signupEventPattern } from '../domain/lifecycle/events';
import {
  SILO_TEMPLATE_URL_OUTPUT,
  SILO_TENANT_TAG,
  siloArtifactsTemplateUrl,
  siloDeploymentRoleName,
  siloKeyAliasPrefix,
  siloTableNamePrefix,
} from '../domain/lifecycle/silo';
import { offboardingFreezeSeconds, writeFreezeSeconds } from '../domain/lifecycle/write-freeze';
import { BY_TENANT_INDEX } from '../domain/pooled-items';
import { collectionTableNamePrefix } from '../domain/tables';
import { contract as validateContract } from '../lambdas/lifecycle-validate/contract';
import { contract as signupStarterContract } from '../lambdas/signup-starter/contract';
import { contract as siloDeprovisionContract } from '../lambdas/silo-deprovision/contract';
import { contract as siloStackContract } from '../lambdas/silo-stack/contract';
import { contract as accountContract } from '../lambdas/tenant-account/contract';
import { contract as catalogContract } from '../lambdas/tenant-catalog/contract';
import { contract as collectionsContract } from '../lambdas/tenant-collections/contract';
import { contract as copyContract } from '../lambdas/tenant-data-copy/contract';
import { contract as purgeContract } from '../lambdas/tenant-data-purge/contract';
import { contract as verifyContract } from '../lambdas/tenant-data-verify/contract';
import { contract as erasureVerifyContract } from '../lambdas/tenant-erasure-verify/contract';
import { contract as identityPurgeContract } from '../lambdas/tenant-identity-purge/contract';
import { contract as rowsContract } from '../lambdas/tenant-rows/contract';
import { contract as transitionContract } from '../lambdas/tenant-transition/contract';
import { contract as userTiersContract } from '../lambdas/tenant-user-tiers/contract';
import { functionArnSubstitutions, type LambdaFunction, type Substitutions } from '../workflows/common';
import {
  definitionJson,
  stateMachineName,
  usedSubstitutions,
  type WorkflowName,
  workflowNames,
} from '../workflows/index';
import { POOLED_DATABASE_NAME } from './pooled-plane-stack';
import { DeadLetteredLambdaTarget } from './private/dead-letter-queue';
import { SILO_DEPLOYMENT_WILDCARD_REASONS, siloDeploymentStatements } from './private/silo-deployment-grants';
import { TenantryFunction } from './private/tenantry-function';
import { siloTemplate } from './silo-stack';

export interface LifecycleStackProps extends StackProps {
  readonly config: TenantryConfig;
  /** Control plane: the tenant catalog and the bus lifecycle events and signups travel on. */
  readonly catalogTable: dynamodb.ITable;
  readonly eventBus: events.IEventBus;
  /** Pooled plane: the pooled tenant data table and bucket (tenant prefix `<id>/`). */
  readonly pooledTable: dynamodb.ITable;
  readonly tenantDataBucket: s3.IBucket;
  /** Pooled plane: the pooled Aurora cluster and its administrative secret (RDS Data API). */
  readonly pooledDatabase: rds.IDatabaseCluster;
  readonly pooledDatabaseSecret: secretsmanager.ISecret;
  /** Identity: the user pool (custom:tenantId, custom:tier) and the role assumed for tenant data access. */
  readonly userPool: cognito.IUserPool;
  readonly tenantAccessRole: iam.IRole;
  /** The authorizer's role: the only principal a tenant account's runtime role trusts (isolation `account`). */
  readonly authorizerRole: iam.IRole;
  /** The documents router's role: a tenant account's silo function lets it invoke (function policy). */
  readonly routerRole: iam.IRole;
  /** Billing: the final-bill task (input `{ tenantId }`) offboarding calls. */
  readonly billingFinalFunction: lambda.IFunction;
}

type OwnFunction = Exclude<LambdaFunction, 'billingFinal' | 'account'>;

/**
 * The tenant lifecycle: the onboarding, promotion and offboarding state machines (the ASL from
 * workflows/, `DefinitionBody.fromString` with definition substitutions), their task functions, the
 * silo template (synthesized from infra/silo-stack.ts, uploaded as an asset; the `silo-stack` task
 * creates each tenant's stack from it in the tenant's region), the CloudFormation role silo stacks are
 * deployed with (its permissions cover exactly the regions of `regions.siloAllowed`), and the signup
 * rule → signup starter.
 * Every permission is granted explicitly per role; no action wildcards.
 */
export class LifecycleStack extends Stack {
  public readonly stateMachines: Readonly<Record<WorkflowName, sfn.StateMachine>>;
  public readonly functions: Readonly<Record<OwnFunction | 'signupStarter', lambda.IFunction>>;
  /** `tenant-account` (tenants in their own AWS account): deployed only when `accounts` is configured. */
  public readonly accountFunction: lambda.IFunction | undefined;
  public readonly siloDeploymentRole: iam.Role;
  public readonly signupRule: events.Rule;
  /** The signup rule's Lambda target and the dead-letter queue of the signups it could not start. */
  public readonly deadLetteredTargets: DeadLetteredLambdaTarget[];

  public constructor(scope: Construct, id: string, props: LifecycleStackProps) {
    super(scope, id, props);
    const { config } = props;
    const arn = (service: string, resource: string, resourceName: string, region?: string) =>
      Arn.format({ service, region, resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }, this);
    // Silo stacks, tables and keys live in the tenants' regions: exactly the allowed ones.
    const inSiloRegions = (service: string, resource: string, resourceName: string) =>
      config.regions.siloAllowed.map((region) => arn(service, resource, resourceName, region));
    const siloTablePattern = `${siloTableNamePrefix(config)}*`;
    const siloTablesArn = arn('dynamodb', 'table', siloTablePattern);
    const siloTablesArns = inSiloRegions('dynamodb', 'table', siloTablePattern);
    const siloStacksArns = inSiloRegions('cloudformation', 'stack', `${resourceName(config, 'silo-')}*/*`);
    const keysArns = inSiloRegions('kms', 'key', '*');
    const siloAliasPattern = `${siloKeyAliasPrefix(config)}*`;
    const siloAliasArns = inSiloRegions('kms', 'alias', siloAliasPattern.slice('alias/'.length));
    // Business tenants' dedicated collection tables: the platform account and primary region (this stack's).
    const collectionTablesArn = arn('dynamodb', 'table', `${collectionTableNamePrefix(config)}*`);
    // Silo databases: the cluster CloudFormation names after its silo stack (`<product>-<stage>-silo-
    // <tenantId>-…`, the pattern the silo deployment role creates), tagged with its tenant; its master
    // secret is RDS-managed (`rds!cluster-…`), recognised by the tag RDS puts on it naming its cluster.
    const inSiloRegionsColon = (service: string, resource: string, resourceName: string) =>
      config.regions.siloAllowed.map((region) =>
        Arn.format(
          { service, region, resource, resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME },
          this,
        ),
      );
    const siloClustersArns = inSiloRegionsColon('rds', 'cluster', `${resourceName(config, 'silo-')}*`);
    const siloSecretsArns = inSiloRegionsColon('secretsmanager', 'secret', 'rds!cluster-*');

    // --- task functions (environment, size and IAM from each function's contract) ----------------
    const pooledArn = props.pooledTable.tableArn;
    const pooledTenantIndex = [`${pooledArn}/index/${BY_TENANT_INDEX}`];
    const catalog = [props.catalogTable.tableArn];
    const catalogEnv = { CATALOG_TABLE_NAME: props.catalogTable.tableName };
    const pooledEnv = { POOLED_TABLE_NAME: props.pooledTable.tableName };
    const fnId = (key: string) => `${pascal(key)}Function`;
    // Tenants in their own account (issue 15): only the deployment role, only in this organization.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: IAM policy variable
    const inThisOrganization = { StringEquals: { 'aws:ResourceOrgID': '${aws:PrincipalOrgID}' } };
    const assumeDeploymentRole =
      config.accounts === undefined
        ? []
        : {
            resources: [memberAccountRole(this, config.accounts.deploymentRoleName)],
            conditions: inThisOrganization,
          };
    this.siloDeploymentRole = new iam.Role(this, 'SiloDeploymentRole', {
      roleName: siloDeploymentRoleName(config),
      assumedBy: new iam.ServicePrincipal('cloudformation.amazonaws.com'),
      description: 'CloudFormation creates, updates and deletes tenant silo stacks with this role',
    });
    const taskFunctions = {
      validate: new TenantryFunction(this, fnId('validate'), {
        contract: validateContract,
        config,
        environment: catalogEnv,
        grants: { catalog },
      }).function,
      catalog: new TenantryFunction(this, fnId('catalog'), {
        contract: catalogContract,
        config,
        environment: catalogEnv,
        grants: { catalog },
      }).function,
      collections: new TenantryFunction(this, fnId('collections'), {
        contract: collectionsContract,
        config,
        environment: catalogEnv,
        grants: { catalog, collectionTables: [collectionTablesArn] },
      }).function,
      transition: new TenantryFunction(this, fnId('transition'), {
        contract: transitionContract,
        config,
        environment: catalogEnv,
        grants: { catalog },
      }).function,
      // silo → account reads the platform silo in the tenant's region: every allowed silo region.
      copy: new TenantryFunction(this, fnId('copy'), {
        contract: copyContract,
        config,
        environment: pooledEnv,
        grants: {
          pooledTenantIndex,
          pooledTable: [pooledArn],
          siloTables: siloTablesArns,
          collectionTables: [collectionTablesArn],
          assumeDeploymentRole,
        },
      }).function,
      verify: new TenantryFunction(this, fnId('verify'), {
        contract: verifyContract,
        config,
        environment: pooledEnv,
        grants: {
          pooledTenantIndex,
          pooledTable: [pooledArn],
          siloTables: siloTablesArns,
          collectionTables: [collectionTablesArn],
          assumeDeploymentRole,
        },
      }).function,
      // Rows move through the RDS Data API (no VPC): the pooled cluster, silo clusters of this platform.
      rows: new TenantryFunction(this, fnId('rows'), {
        contract: rowsContract,
        config,
        environment: {
          POOLED_DATABASE_CLUSTER_ARN: props.pooledDatabase.clusterArn,
          POOLED_DATABASE_SECRET_ARN: props.pooledDatabaseSecret.secretArn,
          DATABASE_NAME: POOLED_DATABASE_NAME,
        },
        grants: {
          pooledDatabase: [props.pooledDatabase.clusterArn],
          pooledDatabaseSecret: [props.pooledDatabaseSecret.secretArn],
          siloDatabases: {
            resources: siloClustersArns,
            conditions: { Null: { [`aws:ResourceTag/${SILO_TENANT_TAG}`]: 'false' } },
          },
          siloDatabaseSecrets: {
            resources: siloSecretsArns,
            conditions: {
              StringEquals: { 'secretsmanager:ResourceTag/aws:secretsmanager:owningService': 'rds' },
              ArnLike: { 'secretsmanager:ResourceTag/aws:rds:primaryDBClusterArn': siloClustersArns },
            },
          },
          assumeDeploymentRole,
        },
      }).function,
      purge: new TenantryFunction(this, fnId('purge'), {
        contract: purgeContract,
        config,
        environment: { ...pooledEnv, TENANT_DATA_BUCKET_NAME: props.tenantDataBucket.bucketName },
        grants: {
          pooledTenantIndex,
          pooledTable: [pooledArn],
          siloTables: [siloTablesArn],
          collectionTables: [collectionTablesArn],
          tenantDataBucket: [props.tenantDataBucket.bucketArn],
          tenantDataObjects: [props.tenantDataBucket.arnForObjects('*')],
        },
      }).function,
      erasureVerify: new TenantryFunction(this, fnId('erasureVerify'), {
        contract: erasureVerifyContract,
        config,
        environment: {
          ...pooledEnv,
          TENANT_DATA_BUCKET_NAME: props.tenantDataBucket.bucketName,
          USER_POOL_ID: props.userPool.userPoolId,
        },
        grants: {
          pooledTable: [pooledArn],
          collectionTables: [collectionTablesArn],
          tenantDataBucket: [props.tenantDataBucket.bucketArn],
          userPool: [props.userPool.userPoolArn],
          siloStacks: siloStacksArns,
          siloKeys: {
            resources: keysArns,
            conditions: { 'ForAnyValue:StringLike': { 'kms:ResourceAliases': [siloAliasPattern] } },
          },
          assumeDeploymentRole,
        },
      }).function,
      identityPurge: new TenantryFunction(this, fnId('identityPurge'), {
        contract: identityPurgeContract,
        config,
        environment: { USER_POOL_ID: props.userPool.userPoolId },
        grants: { userPool: [props.userPool.userPoolArn] },
      }).function,
      userTiers: new TenantryFunction(this, fnId('userTiers'), {
        contract: userTiersContract,
        config,
        environment: { USER_POOL_ID: props.userPool.userPoolId, ...catalogEnv },
        grants: { userPool: [props.userPool.userPoolArn], catalog },
      }).function,
      siloDeprovision: new TenantryFunction(this, fnId('siloDeprovision'), {
        contract: siloDeprovisionContract,
        config,
        environment: {},
        grants: {
          siloStacks: siloStacksArns,
          siloTables: siloTablesArns,
          siloKeys: {
            resources: keysArns,
            conditions: { 'ForAnyValue:StringLike': { 'kms:ResourceAliases': [siloAliasPattern] } },
          },
          passDeploymentRole: [this.siloDeploymentRole.roleArn],
          assumeDeploymentRole,
        },
      }).function,
    };

    // --- the silo template, synthesized from the silo stack construct -----------------------------
    // One template in this stack's asset bucket: CloudFormation reads a TemplateURL from a bucket in
    // another region of the same partition with the caller's permissions (workflows/README.md).
    const templateDir = mkdtempSync(join(tmpdir(), 'tenantry-silo-template-'));
    mkdirSync(templateDir, { recursive: true });
    const templateFile = join(templateDir, 'silo-tenant.template.json');
    writeFileSync(templateFile, JSON.stringify(siloTemplate(config)));
    const template = new s3assets.Asset(this, 'SiloTemplate', { path: templateFile });
    // Where `tenantry silos update` finds the current template: the artifacts bucket's copy (the same
    // template), which a tenant account's stack can read too (one URL for every silo stack's update).
    new CfnOutput(this, SILO_TEMPLATE_URL_OUTPUT, {
      value: siloArtifactsTemplateUrl(config, this.account, this.region),
    });

    const functions = {
      ...taskFunctions,
      siloStack: new TenantryFunction(this, fnId('siloStack'), {
        contract: siloStackContract,
        config,
        environment: {
          SILO_TEMPLATE_URL: template.httpUrl,
          SILO_DEPLOYMENT_ROLE_ARN: this.siloDeploymentRole.roleArn,
          TENANT_ACCESS_ROLE_ARN: props.tenantAccessRole.roleArn,
          PLATFORM_ACCOUNT_ID: this.account,
          ROUTER_ROLE_ARN: props.routerRole.roleArn,
          // The copy SiloServiceCodeStack publishes in the primary region (tenant accounts may read it).
          ACCOUNT_TEMPLATE_URL: siloArtifactsTemplateUrl(config, this.account, this.region),
          DATA_MOVER_ROLE_ARNS: Fn.join(',', [
            taskFunctions.copy.role?.roleArn ?? '',
            taskFunctions.verify.role?.roleArn ?? '',
            taskFunctions.purge.role?.roleArn ?? '',
            taskFunctions.rows.role?.roleArn ?? '',
          ]),
        },
        grants: {
          siloStacks: siloStacksArns,
          createSiloStacks: {
            resources: siloStacksArns,
            conditions: { StringEquals: { 'cloudformation:TemplateUrl': template.httpUrl } },
          },
          siloTemplate: [template.bucket.arnForObjects(template.s3ObjectKey)],
          passDeploymentRole: [this.siloDeploymentRole.roleArn],
          assumeDeploymentRole,
        },
      }).function,
    } satisfies Record<OwnFunction, lambda.IFunction>;

    // --- tenants in their own AWS account (issue 15) ------------------------------------------------
    // Organizations' ARNs: the organization and root ids are not known here (o-*, r-*); the OU is.
    const orgArn = (resource: string) => `arn:${this.partition}:organizations::${this.account}:${resource}`;
    const memberAccounts = orgArn('account/o-*/*');
    const runtimeRoles =
      config.accounts === undefined ? [] : [memberAccountRole(this, config.accounts.runtimeRoleName)];
    this.accountFunction =
      config.accounts === undefined
        ? undefined
        : new TenantryFunction(this, fnId('account'), {
            contract: accountContract,
            config,
            environment: {
              AUTHORIZER_ROLE_ARN: props.authorizerRole.roleArn,
              TENANT_DATA_BUCKET_NAME: props.tenantDataBucket.bucketName,
              // Its own role (the probe's principal), known once the function has created it.
              PROBE_ROLE_ARN: Lazy.string({ produce: () => this.accountFunction?.role?.roleArn }),
            },
            grants: {
              accounts: ['*'],
              // Into the tenants' OU, and an adopted account back to whichever OU or root it came from.
              moveAccounts: [memberAccounts, orgArn('ou/o-*/ou-*'), orgArn('root/o-*/r-*')],
              closeAccounts: [memberAccounts],
              assumeDeploymentRole,
              probeRuntimeRole: { resources: runtimeRoles, conditions: inThisOrganization },
            },
          }).function;
    const allow = (
      grantee: iam.IGrantable,
      actions: string[],
      resources: string[],
      conditions?: Record<string, unknown>,
    ) =>
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions, resources, conditions }),
      );

    // --- what the silo deployment role may do (CloudFormation deploys and deletes silo stacks) --------
    allow(
      this.siloDeploymentRole,
      [
        'dynamodb:CreateTable',
        'dynamodb:DeleteTable',
        'dynamodb:DescribeTable',
        'dynamodb:UpdateContinuousBackups',
        'dynamodb:DescribeContinuousBackups',
        'dynamodb:TagResource',
        'dynamodb:UntagResource',
        'dynamodb:ListTagsOfResource',
      ],
      siloTablesArns,
    );
    // CreateKey has no resource ARN; the key must be created carrying the tenant tag (the stack's tags).
    allow(this.siloDeploymentRole, ['kms:CreateKey'], ['*'], {
      Null: { [`aws:RequestTag/${SILO_TENANT_TAG}`]: 'false' },
    });
    // Key administration only on keys tagged as a tenant's silo key (the silo template tags its key).
    allow(
      this.siloDeploymentRole,
      [
        'kms:DescribeKey',
        'kms:PutKeyPolicy',
        'kms:GetKeyPolicy',
        'kms:EnableKeyRotation',
        'kms:GetKeyRotationStatus',
        'kms:ScheduleKeyDeletion',
        'kms:CreateGrant',
        'kms:ListResourceTags',
        'kms:TagResource',
        'kms:CreateAlias',
        'kms:DeleteAlias',
      ],
      keysArns,
      { Null: { [`aws:ResourceTag/${SILO_TENANT_TAG}`]: 'false' } },
    );
    // The alias side of CreateAlias/DeleteAlias: only silo aliases (aliases carry no tags).
    allow(this.siloDeploymentRole, ['kms:CreateAlias', 'kms:DeleteAlias'], siloAliasArns);
    // Everything else the silo template contains (function, network, database, migration): see
    // infra/private/silo-deployment-grants.ts; test/unit/infra/silo-deployment-role.test.ts proves it
    // covers each resource type of the template.
    // Two managed policies (IAM's size limits: 10,240 characters of inline policy per role, 6,144 per
    // managed policy), each wildcard resource acknowledged with its statement's reason.
    const siloGrants = siloDeploymentStatements(
      { config, partition: this.partition, account: this.account },
      config.regions.siloAllowed,
    );
    const networkFrom = siloGrants.findIndex((s) => s.sid === 'SiloNetworkCreatedTagged');
    [siloGrants.slice(0, networkFrom), siloGrants.slice(networkFrom)].forEach((statements, i) => {
      const policy = new iam.ManagedPolicy(this, `SiloDeploymentGrants${i + 1}`, {
        roles: [this.siloDeploymentRole],
        statements,
      });
      for (const statement of statements) {
        const wildcards = statement.resources.filter((r) => r.includes('*'));
        const reason = SILO_DEPLOYMENT_WILDCARD_REASONS[statement.sid ?? ''];
        if (wildcards.length > 0 && reason === undefined)
          throw new Error(`no wildcard reason for ${statement.sid}`);
        for (const resource of wildcards)
          Validations.of(policy).acknowledge({
            id: `AwsSolutions-IAM5[Resource::${flattenCfnReference(this.resolve(resource))}]`,
            reason: reason ?? '',
          });
      }
    });

    // --- state machines -----------------------------------------------------------------------------
    const functionArn = (key: LambdaFunction) => {
      if (key === 'billingFinal') return props.billingFinalFunction.functionArn;
      // Not deployed without `accounts`: the definitions then never name it (substitutions are picked per machine).
      if (key === 'account') return this.accountFunction?.functionArn ?? '';
      return functions[key].functionArn;
    };
    const substitutions: Substitutions = {
      ...functionArnSubstitutions(functionArn),
      UserPoolId: props.userPool.userPoolId,
      EventBusName: props.eventBus.eventBusName,
      WriteFreezeSeconds: String(writeFreezeSeconds(config)),
      OffboardingFreezeSeconds: String(offboardingFreezeSeconds(config)),
    };
    const invokedBy: Record<WorkflowName, LambdaFunction[]> = {
      onboarding: [
        'validate',
        'catalog',
        'collections',
        'transition',
        'identityPurge',
        'siloStack',
        'siloDeprovision',
        ...(this.accountFunction === undefined ? [] : (['account'] as const)),
      ],
      promotion: [
        'validate',
        'catalog',
        'transition',
        'copy',
        'verify',
        'userTiers',
        'purge',
        'siloStack',
        'siloDeprovision',
      ],
      offboarding: [
        'validate',
        'transition',
        'billingFinal',
        'identityPurge',
        'collections',
        'siloDeprovision',
        'purge',
        'erasureVerify',
        ...(this.accountFunction === undefined ? [] : (['catalog', 'account'] as const)),
      ],
    };
    const machines = {} as Record<WorkflowName, sfn.StateMachine>;
    const roles = {} as Record<WorkflowName, iam.Role>;
    for (const name of workflowNames) {
      const role = new iam.Role(this, `${pascal(name)}Role`, {
        assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
        description: `Tenantry ${name} state machine`,
      });
      roles[name] = role;
      allow(role, ['lambda:InvokeFunction'], invokedBy[name].map(functionArn));
      allow(role, ['events:PutEvents'], [props.eventBus.eventBusArn]);
      if (name === 'onboarding') {
        allow(
          role,
          [
            'cognito-idp:CreateGroup',
            'cognito-idp:AdminCreateUser',
            'cognito-idp:AdminGetUser',
            'cognito-idp:AdminAddUserToGroup',
          ],
          [props.userPool.userPoolArn],
        );
      }
      const logGroup = new logs.LogGroup(this, `${pascal(name)}Logs`, {
        retention: logs.RetentionDays.ONE_YEAR,
      });
      machines[name] = new sfn.StateMachine(this, pascal(name), {
        stateMachineName: stateMachineName(config, name),
        definitionBody: sfn.DefinitionBody.fromString(definitionJson(name, config)),
        definitionSubstitutions: Object.fromEntries(
          usedSubstitutions(definitionJson(name, config)).map((used) => [
            used,
            substitutions[used] as string,
          ]),
        ),
        role,
        tracingEnabled: true,
        // ALL without execution data: every state transition is logged, never tenant payloads.
        logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      });
    }
    this.stateMachines = machines;

    // --- signup → onboarding --------------------------------------------------------------------
    const signupStarter = new TenantryFunction(this, fnId('signupStarter'), {
      contract: signupStarterContract,
      config,
      environment: { ONBOARDING_STATE_MACHINE_ARN: machines.onboarding.stateMachineArn },
      grants: { onboardingStateMachine: [machines.onboarding.stateMachineArn] },
    }).function;
    const signupTarget = new DeadLetteredLambdaTarget(this, 'SignupTarget', {
      config,
      name: 'signup-to-onboarding',
      function: signupStarter,
      retryAttempts: 8,
      maxEventAge: Duration.hours(24),
    });
    this.deadLetteredTargets = [signupTarget];
    this.signupRule = new events.Rule(this, 'SignupRule', {
      ruleName: resourceName(config, 'signup-to-onboarding'),
      eventBus: props.eventBus,
      eventPattern: {
        source: [...signupEventPattern.source],
        detailType: [...signupEventPattern['detail-type']],
      },
      targets: [signupTarget.target],
    });
    this.functions = { ...functions, signupStarter };

    const xray = 'X-Ray PutTraceSegments/PutTelemetryRecords (tracing) have no resource ARN.';
    const stateMachineWildcards = 'Step Functions log delivery and X-Ray actions have no resource ARN.';
    const siloStacks = 'Silo stacks are <product>-<stage>-silo-<tenantId>, in each allowed silo region.';
    const siloTables =
      'Silo tables are named <product>-<stage>-silo-data-<tenantId>: one pattern for every tenant.';
    const collectionTables =
      'Collection tables are named <product>-<stage>-collection-<tenantId>.<collection>: one pattern for every tenant.';
    // Tenants in their own account: the deployment role in any account of the organization (aws:ResourceOrgID).
    const deploymentRoles = Array.isArray(assumeDeploymentRole) ? [] : assumeDeploymentRole.resources;
    const inOrganization = ' The deployment role in any account of this organization (aws:ResourceOrgID).';
    const accountFunction = this.accountFunction;
    acknowledgeWildcards(this, [
      ...(accountFunction === undefined || config.accounts === undefined
        ? []
        : [
            {
              principal: accountFunction,
              resources: [
                '*',
                ...deploymentRoles,
                ...runtimeRoles,
                memberAccounts,
                orgArn('ou/o-*/ou-*'),
                orgArn('root/o-*/r-*'),
              ],
              reason:
                `${xray} CreateAccount and the Organizations reads have no resource ARN; MoveAccount/CloseAccount ` +
                `only on this organization's accounts, root and OUs (an adopted account returns to its former parent); the runtime role (assumability probe).${inOrganization}`,
            },
          ]),
      ...[
        functions.validate,
        functions.catalog,
        functions.transition,
        functions.identityPurge,
        signupStarter,
      ].map((principal) => ({ principal, resources: ['*'], reason: xray })),
      {
        principal: functions.rows,
        resources: ['*', ...siloClustersArns, ...siloSecretsArns, ...deploymentRoles],
        reason:
          `${xray} Silo clusters are named after their stack <product>-<stage>-silo-<tenantId>-… and tagged ` +
          'with the tenant; their RDS-managed master secrets (rds!cluster-*) only when tagged with such a ' +
          `cluster (aws:rds:primaryDBClusterArn), and decryptable only with a silo key naming this role.${inOrganization}`,
      },
      ...[functions.copy, functions.verify].map((principal) => ({
        principal,
        resources: ['*', ...siloTablesArns, collectionTablesArn, ...deploymentRoles],
        reason: `${xray} ${siloTables} ${collectionTables}${inOrganization}`,
      })),
      {
        principal: functions.purge,
        resources: ['*', siloTablesArn, collectionTablesArn, props.tenantDataBucket.arnForObjects('*')],
        reason: `${xray} ${siloTables} ${collectionTables} Tenant objects are addressed by their <tenantId>/ prefix in the one data bucket.`,
      },
      {
        principal: functions.erasureVerify,
        resources: ['*', collectionTablesArn, ...siloStacksArns, ...keysArns, ...deploymentRoles],
        reason: `${xray} ${collectionTables} ${siloStacks} Keys only with a silo alias (kms:ResourceAliases).${inOrganization}`,
      },
      {
        principal: functions.collections,
        resources: ['*', collectionTablesArn],
        reason: `${xray} ${collectionTables}`,
      },
      {
        principal: functions.siloStack,
        resources: ['*', ...siloStacksArns, ...deploymentRoles],
        reason: `${xray} ${siloStacks} CreateStack only with the silo template URL.${inOrganization}`,
      },
      {
        principal: functions.siloDeprovision,
        resources: ['*', ...siloStacksArns, ...siloTablesArns, ...keysArns, ...deploymentRoles],
        reason: `${xray} ${siloStacks} ${siloTables} Keys only with a silo alias (kms:ResourceAliases).${inOrganization}`,
      },
      {
        principal: this.siloDeploymentRole,
        resources: ['*', ...siloTablesArns, ...siloAliasArns, ...keysArns],
        reason:
          `kms:CreateKey has no resource ARN (requires the tenant tag on the request). ${siloTables} ` +
          'Silo key aliases are <product>-<stage>-silo-*; keys only when tagged tenantry:tenant-id (aws:ResourceTag).',
      },
      ...workflowNames.map((name) => ({
        principal: roles[name],
        resources: ['*'],
        reason: stateMachineWildcards,
      })),
    ]);
  }
}

/**
 * The AwsSolutions-IAM5 findings of this stack, acknowledged one by one: each entry names a principal
 * and the exact wildcard resources its policy was given on purpose, and the finding id
 * `AwsSolutions-IAM5[Resource::<resource>]` is acknowledged for those resources only (resolved at
 * validation time, when cross-stack references are final). A wildcard added without an entry here is
 * reported by cdk-nag.
 */
interface WildcardGrant {
  readonly principal: iam.IGrantable;
  readonly resources: readonly string[];
  readonly reason: string;
}

function acknowledgeWildcards(stack: Stack, grants: readonly WildcardGrant[]): void {
  stack.node.addValidation({
    validate: () => {
      for (const grant of grants) {
        const principal = grant.principal.grantPrincipal as unknown as Construct;
        const policy = principal.node.tryFindChild('DefaultPolicy')?.node.defaultChild;
        if (policy === undefined) continue;
        for (const resource of grant.resources) {
          Validations.of(policy).acknowledge({
            id: `AwsSolutions-IAM5[Resource::${flattenCfnReference(stack.resolve(resource))}]`,
            reason: grant.reason,
          });
        }
      }
      return [];
    },
  });
}

function pascal(name: string): string {
  return `${name[0]?.toUpperCase()}${name.slice(1)}`;
}

/** A role of that name in any account (narrowed by `aws:ResourceOrgID` where it is granted). */
function memberAccountRole(stack: Stack, roleName: string): string {
  return stack.formatArn({
    service: 'iam',
    region: '',
    account: '*',
    resource: 'role',
    resourceName: roleName,
  });
}
