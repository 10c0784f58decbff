import { App, type AppProps, Tags, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { TenantryConfig } from '../domain/config';
import { lifecycleStackName } from '../domain/lifecycle/silo';
import { BillingStack } from './billing-stack';
import { ControlPlaneStack } from './control-plane-stack';
import { DocumentsServiceStack } from './documents-service-stack';
import { EdgeStack } from './edge-stack';
import { IdentityStack } from './identity-stack';
import { LifecycleStack } from './lifecycle-stack';
import { MeteringStack } from './metering-stack';
import { ObservabilityStack } from './observability-stack';
import { POOLED_DATABASE_NAME, PooledPlaneStack } from './pooled-plane-stack';
import { SiloServiceCodeStack, siloTemplateBuild } from './silo-stack';

export interface TenantryStacks {
  readonly app: App;
  readonly controlPlane: ControlPlaneStack;
  readonly pooledPlane: PooledPlaneStack;
  readonly documents: DocumentsServiceStack;
  readonly identity: IdentityStack;
  readonly metering: MeteringStack;
  readonly billing: BillingStack;
  readonly lifecycle: LifecycleStack;
  readonly edge: EdgeStack;
  readonly observability: ObservabilityStack;
}

/**
 * Builds every Tenantry stack from one configuration. cdk-nag's AwsSolutions checks are
 * registered as a validation plugin, so `app.synth()` fails on any unacknowledged finding.
 */
export function buildTenantryApp(config: TenantryConfig, appProps: AppProps = {}): TenantryStacks {
  const app = new App({
    ...appProps,
    // Cross-stack references protect their producer (an export cannot be removed while imported).
    context: {
      '@aws-cdk/core:defaultCrossStackReferences': 'strong',
      // Grant S3 log delivery through a bucket policy, not the legacy LogDeliveryWrite ACL.
      '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
      ...appProps.context,
    },
  });
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: config.regions.primary };
  const prefix = `${config.naming.product}-${config.naming.stage}`;

  const controlPlane = new ControlPlaneStack(app, `${prefix}-control-plane`, { config, env });
  const pooledPlane = new PooledPlaneStack(app, `${prefix}-pooled-plane`, { config, env });
  const metering = new MeteringStack(app, `${prefix}-metering`, { config, env });
  const documents = new DocumentsServiceStack(app, `${prefix}-documents`, {
    config,
    env,
    catalogTable: controlPlane.catalogTable,
    pooledTable: pooledPlane.pooledTable,
    tenantDataBucket: pooledPlane.tenantDataBucket,
    usageStream: metering.stream,
    vpc: pooledPlane.vpc,
    serviceSecurityGroup: pooledPlane.serviceSecurityGroup,
    database: pooledPlane.database,
    databaseName: POOLED_DATABASE_NAME,
  });
  const identity = new IdentityStack(app, `${prefix}-identity`, {
    config,
    env,
    catalogTable: controlPlane.catalogTable,
    pooledTable: pooledPlane.pooledTable,
    tenantDataBucket: pooledPlane.tenantDataBucket,
    countersTable: metering.countersTable,
    documentsFunction: documents.router.function,
  });
  const billing = new BillingStack(app, `${prefix}-billing`, {
    config,
    env,
    catalogTable: controlPlane.catalogTable,
    countersTable: metering.countersTable,
    eventBus: controlPlane.eventBus,
  });

  const lifecycle = new LifecycleStack(app, lifecycleStackName(config), {
    config,
    env,
    catalogTable: controlPlane.catalogTable,
    eventBus: controlPlane.eventBus,
    pooledTable: pooledPlane.pooledTable,
    tenantDataBucket: pooledPlane.tenantDataBucket,
    pooledDatabase: pooledPlane.database,
    pooledDatabaseSecret: pooledPlane.databaseSecret,
    userPool: identity.userPool,
    tenantAccessRole: identity.tenantRuntimeRole,
    authorizerRole: identity.authorizerFunction.function.role as iam.IRole,
    routerRole: documents.router.function.role as iam.IRole,
    billingFinalFunction: billing.finalBillFunction,
  });
  // The silo artifacts (the functions' code: documents, database migration; the silo template), in every
  // region a silo may be created in.
  for (const region of config.regions.siloAllowed) {
    const artifacts = new SiloServiceCodeStack(app, `${prefix}-silo-code-${region}`, {
      env: { account: env.account, region },
      config,
      build: siloTemplateBuild(config),
    });
    // A tenant account's CreateStack reads the primary region's copy of the template.
    if (region === config.regions.primary) lifecycle.addDependency(artifacts);
  }
  const edge = new EdgeStack(app, `${prefix}-edge`, {
    config,
    env: { account: env.account, region: 'us-east-1' },
  });

  const observability = new ObservabilityStack(app, `${prefix}-observability`, {
    config,
    env,
    api: identity.api,
    authorizerFunction: identity.authorizerFunction.function,
    stateMachines: lifecycle.stateMachines,
    flinkApplicationName: metering.application.applicationName,
    tenantLogGroups: [
      identity.authorizerFunction.function,
      identity.preTokenFunction.function,
      billing.hourlyFunction,
      billing.finalBillFunction,
    ].map(logGroupName),
    deadLetteredTargets: [
      ...metering.deadLetteredTargets,
      ...billing.deadLetteredTargets,
      ...lifecycle.deadLetteredTargets,
    ],
  });

  Tags.of(app).add('product', config.naming.product);
  Tags.of(app).add('stage', config.naming.stage);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return {
    app,
    controlPlane,
    pooledPlane,
    documents,
    identity,
    metering,
    billing,
    lifecycle,
    edge,
    observability,
  };
}

/** The log group of a project function (TenantryFunction gives each its own). */
function logGroupName(fn: lambda.IFunction): string {
  if (!(fn instanceof lambda.Function)) throw new Error(`${fn.node.path} is not a project function`);
  return fn.logGroup.logGroupName;
}
