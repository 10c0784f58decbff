import {
  Aws,
  CfnOutput,
  Duration,
  Lazy,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { Construct } from 'constructs';
import { resourceName, type TenantryConfig } from '../domain/config';
import { ConfigurationError } from '../domain/errors';
import { tenantAttributeNames } from '../domain/identity/claims';
import { planLimitContextKeys } from '../domain/identity/request-context';
import {
  collectionTableArnPattern,
  sessionTagKeys,
  siloTableArnPatterns,
  tenantRuntimeRolePolicy,
} from '../domain/identity/session-policy';
import { TENANT_SESSION_SECONDS } from '../domain/identity/token-vending';
import {
  AUTHORIZER_CATALOG_CACHE_SECONDS,
  defaultAuthorizerResultCacheSeconds,
  maxAuthorizerResultCacheSeconds,
  planLimitCacheSeconds,
  stepSeconds,
} from '../domain/identity/usage-limit';
import {
  QUOTA_EXHAUSTED_PLAN,
  quotaExhaustedKeyValue,
  usagePlanKeyValue,
} from '../domain/identity/usage-plans';
import { METRICS_NAMESPACE } from '../domain/metrics';
import { contract as authorizerContract } from '../lambdas/authorizer/contract';
import { contract as preTokenContract } from '../lambdas/pre-token-generation/contract';
import { TenantryFunction } from './private/tenantry-function';

export interface IdentityStackProps extends StackProps {
  readonly config: TenantryConfig;
  /** The tenant catalog (control plane): both functions read it (GetItem only). */
  readonly catalogTable: dynamodb.ITable;
  /** The pooled data table: tenant sessions reach it under `TENANT#<id>#` partition keys only. */
  readonly pooledTable: dynamodb.ITable;
  /** The shared bucket holding tenant objects under `<tenantId>/`. */
  readonly tenantDataBucket: s3.IBucket;
  /** Metering counters (Flink's near-real-time totals): the authorizer enforces plan limits from them. */
  readonly countersTable: dynamodb.ITable;
  /**
   * API Gateway's authorizer result cache. Vended credentials are handed out only while they have
   * at least this plus two minutes left. At most one cumulative metering step (a cached Allow of an
   * over-limit tenant, or a cached quota-exceeded result, must not outlive one step); default
   * min(60 s, one step).
   */
  readonly authorizerCacheTtl?: Duration;
  /** The documents router (documents-service stack), served at `/documents` behind the authorizer: it sends each tenant to its plane's function. */
  readonly documentsFunction?: lambda.IFunction;
}

/**
 * Identity and tenant isolation: the tenant-user pool (read-only tenant attributes, Essentials plan,
 * pre-token-generation V2), the REST API guarded by the tenant authorizer, one usage plan per tier,
 * and the tenant-runtime role the authorizer vends tenant-scoped credentials for.
 */
export class IdentityStack extends Stack {
  public readonly userPool: cognito.UserPool;
  public readonly spaClient: cognito.UserPoolClient;
  public readonly api: apigw.RestApi;
  public readonly authorizerFunction: TenantryFunction<typeof authorizerContract>;
  public readonly preTokenFunction: TenantryFunction<typeof preTokenContract>;
  public readonly tenantRuntimeRole: iam.Role;
  public readonly usagePlans: Readonly<Record<string, apigw.UsagePlan>>;
  /** Throttle rate 0 / burst 0: the plan the authorizer assigns to tenants over their plan limit. */
  public readonly quotaExhaustedPlan: apigw.UsagePlan;

  public constructor(scope: Construct, id: string, props: IdentityStackProps) {
    super(scope, id, props);
    const { config } = props;
    // Plan-limit cache + authorizer result cache together stay within one cumulative step.
    const resultCacheBudget = maxAuthorizerResultCacheSeconds(config);
    const cacheTtl =
      props.authorizerCacheTtl ?? Duration.seconds(defaultAuthorizerResultCacheSeconds(config));
    if (cacheTtl.toSeconds() > resultCacheBudget) {
      throw new ConfigurationError([
        {
          field: 'authorizerCacheTtl',
          message: `${cacheTtl.toSeconds()} s plus the plan-limit cache (${planLimitCacheSeconds(config)} s) is longer than one cumulative metering step (${stepSeconds(config)} s): a plan-limit crossing would take longer than a step to answer 429`,
        },
      ]);
    }

    // --- Cognito ----------------------------------------------------------------------------------
    this.preTokenFunction = new TenantryFunction(this, 'PreTokenGeneration', {
      contract: preTokenContract,
      config,
      environment: { CATALOG_TABLE_NAME: props.catalogTable.tableName, CATALOG_CACHE_SECONDS: '60' },
      // GetItem on the table itself only (Table.grant would add its indexes too).
      grants: { readCatalog: [props.catalogTable.tableArn] },
    });

    this.userPool = new cognito.UserPool(this, 'TenantUsers', {
      userPoolName: resourceName(config, 'tenant-users'),
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      selfSignUpEnabled: false, // tenant users are created by onboarding / tenant admins, server-side
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      customAttributes: {
        // Immutable: set once at user creation by the control plane; no client can write it.
        [tenantAttributeNames.tenantId]: new cognito.StringAttribute({
          minLen: 3,
          maxLen: 40,
          mutable: false,
        }),
        // Mutable by the control plane only (promotion/demotion); app clients cannot write it.
        [tenantAttributeNames.tier]: new cognito.StringAttribute({ minLen: 2, maxLen: 20, mutable: true }),
      },
      passwordPolicy: {
        minLength: 12,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: true,
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.userPool.addTrigger(
      cognito.UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG,
      this.preTokenFunction.function,
      cognito.LambdaVersion.V2_0,
    );
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason:
        'MFA is offered (TOTP) and enforced per tenant by the tenant admin; B2B tenants bring SSO policies.',
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        'The design uses the Essentials feature plan (access-token customisation); Plus is an operator upgrade.',
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG3',
      reason:
        'The design uses the Essentials feature plan; threat protection (enforced mode) needs the Plus plan.',
    });

    const customRead = Object.values(tenantAttributeNames);
    this.spaClient = this.userPool.addClient('Spa', {
      userPoolClientName: resourceName(config, 'spa'),
      generateSecret: false,
      authFlows: { userSrp: true },
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(1),
      readAttributes: new cognito.ClientAttributes()
        .withStandardAttributes({ email: true, emailVerified: true })
        .withCustomAttributes(...customRead),
      // No custom attribute here: a user can never change their own tenant or tier.
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true }),
    });

    // --- tenant-runtime role + authorizer ----------------------------------------------------------
    // The role's ARN is only known once the role exists, and its trust names the authorizer's role.
    const tenantRuntimeRoleArn = Lazy.string({ produce: () => this.tenantRuntimeRole.roleArn });
    this.authorizerFunction = new TenantryFunction(this, 'Authorizer', {
      contract: authorizerContract,
      config,
      environment: {
        USER_POOL_ID: this.userPool.userPoolId,
        USER_POOL_CLIENT_ID: this.spaClient.userPoolClientId,
        TOKEN_USE: 'access',
        CATALOG_TABLE_NAME: props.catalogTable.tableName,
        POOLED_TABLE_ARN: props.pooledTable.tableArn,
        TENANT_BUCKET_NAME: props.tenantDataBucket.bucketName,
        TENANT_RUNTIME_ROLE_ARN: tenantRuntimeRoleArn,
        COUNTERS_TABLE_NAME: props.countersTable.tableName,
        CATALOG_CACHE_SECONDS: String(AUTHORIZER_CATALOG_CACHE_SECONDS),
        USAGE_CACHE_SECONDS: String(planLimitCacheSeconds(config)),
        CREDENTIALS_MIN_REMAINING_SECONDS: String(cacheTtl.toSeconds() + 120),
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        // LOCAL_JWKS_URI / TENANTRY_LOCAL are never set in a deployment.
      },
      grants: {
        readCatalog: [props.catalogTable.tableArn],
        readCounters: [props.countersTable.tableArn],
        assumeTenantRuntimeRole: [tenantRuntimeRoleArn],
        assumeAccountRuntimeRoles:
          config.accounts === undefined
            ? []
            : {
                resources: [accountRuntimeRolesArn(this, config.accounts.runtimeRoleName)],
                // biome-ignore lint/suspicious/noTemplateCurlyInString: IAM policy variable
                conditions: { StringEquals: { 'aws:ResourceOrgID': '${aws:PrincipalOrgID}' } },
              },
      },
    });
    if (config.accounts !== undefined) {
      const runtimeRoles = accountRuntimeRolesArn(this, config.accounts.runtimeRoleName);
      const authorizer = this.authorizerFunction.function;
      this.node.addValidation({
        validate: () => {
          Validations.of(authorizer).acknowledge({
            id: `AwsSolutions-IAM5[Resource::${flattenCfnReference(this.resolve(runtimeRoles))}]`,
            reason:
              "The runtime role of each tenant's own account: one role name, any account of this organization (aws:ResourceOrgID).",
          });
          return [];
        },
      });
    }
    const authorizerRole = this.authorizerFunction.function.role as iam.IRole;

    this.tenantRuntimeRole = new iam.Role(this, 'TenantRuntimeRole', {
      roleName: resourceName(config, 'tenant-runtime'),
      description: 'Tenant-scoped data access; assumed only by the authorizer, with tenant session tags',
      maxSessionDuration: Duration.seconds(Math.max(3600, TENANT_SESSION_SECONDS)),
      assumedBy: new iam.PrincipalWithConditions(
        new iam.SessionTagsPrincipal(new iam.ArnPrincipal(authorizerRole.roleArn)),
        {
          StringLike: { [`aws:RequestTag/${sessionTagKeys.tenantId}`]: '?*' },
          'ForAllValues:StringEquals': { 'aws:TagKeys': Object.values(sessionTagKeys) },
        },
      ),
      inlinePolicies: {
        TenantData: iam.PolicyDocument.fromJson(
          tenantRuntimeRolePolicy({
            tableArns: [
              props.pooledTable.tableArn,
              ...siloTableArnPatterns(config, Aws.PARTITION, Aws.ACCOUNT_ID),
              collectionTableArnPattern(config, Aws.PARTITION, Aws.REGION, Aws.ACCOUNT_ID),
            ],
            bucketArn: props.tenantDataBucket.bucketArn,
          }),
        ),
      },
    });
    acknowledgeTenantScopedWildcards(this, this.tenantRuntimeRole);

    // --- REST API ----------------------------------------------------------------------------------
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: resourceName(config, 'api'),
      apiKeySourceType: apigw.ApiKeySourceType.AUTHORIZER,
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: config.naming.stage,
        tracingEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false, // full request logging would write bearer tokens to CloudWatch
        metricsEnabled: true,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            method: '$context.httpMethod',
            path: '$context.resourcePath',
            status: '$context.status',
            tenantId: '$context.authorizer.tenantId',
            tier: '$context.authorizer.tier',
            authorizerError: '$context.authorizer.error',
            planLimit: `$context.authorizer.${planLimitContextKeys.state}`,
            latency: '$context.responseLatency',
          }),
        ),
      },
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'AmazonAPIGatewayPushToCloudWatchLogs is the account-level role API Gateway logging requires.',
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason: 'The SPA and API sit behind CloudFront with AWS WAF (edge stack); WAF is attached there.',
    });

    const authorizer = new apigw.RequestAuthorizer(this, 'TenantAuthorizer', {
      authorizerName: resourceName(config, 'tenant-authorizer'),
      handler: this.authorizerFunction.function,
      // Cached per token AND method: a forbidden write (read-only tenant) is a deny-all result without
      // credentials, and must not be served to the same token's reads.
      identitySources: [
        apigw.IdentitySource.header('Authorization'),
        apigw.IdentitySource.context('httpMethod'),
      ],
      resultsCacheTtl: cacheTtl,
    });

    // Gateway responses. 401 for a missing/invalid token (with a challenge). 429 for a plan limit
    // comes from the quota-exhausted usage plan below (THROTTLED), never from an authorizer error:
    // API Gateway answers a Lambda authorizer that throws anything but "Unauthorized" with 500
    // (AuthorizerConfigurationException), so our own failures (catalog, STS) read 503 "retry later"
    // and are never confused with a quota. The credential hand-off in the authorizer context (ALLOW
    // only) must never reach a log: the access-log format above names no credential field and data
    // tracing is off.
    this.api.addGatewayResponse('Unauthorized', {
      type: apigw.ResponseType.UNAUTHORIZED,
      statusCode: '401',
      responseHeaders: { 'WWW-Authenticate': "'Bearer'" },
      templates: { 'application/json': '{"message":"Unauthorized"}' },
    });
    const unavailable = {
      statusCode: '503',
      responseHeaders: { 'Retry-After': "'5'" },
      templates: {
        'application/json':
          '{"message":"Service Unavailable: authorization is temporarily unavailable, retry later"}',
      },
    };
    this.api.addGatewayResponse('AuthorizerFailure', {
      type: apigw.ResponseType.AUTHORIZER_FAILURE,
      ...unavailable,
    });
    this.api.addGatewayResponse('AuthorizerConfigurationError', {
      type: apigw.ResponseType.AUTHORIZER_CONFIGURATION_ERROR,
      ...unavailable,
    });
    // THROTTLED covers the tiers' rate limits and the quota-exhausted plan alike (one body for both).
    this.api.addGatewayResponse('Throttled', {
      type: apigw.ResponseType.THROTTLED,
      statusCode: '429',
      templates: { 'application/json': '{"message":"Too Many Requests"}' },
    });
    this.api.addGatewayResponse('QuotaExceeded', {
      type: apigw.ResponseType.QUOTA_EXCEEDED,
      statusCode: '429',
      responseHeaders: { 'Retry-After': "'3600'" },
      templates: { 'application/json': '{"message":"Too Many Requests: quota exceeded"}' },
    });

    // `GET /me`: the caller's tenant as the authorizer established it (smoke test for the path).
    const me = this.api.root.addResource('me');
    // A mock integration never calls `tenantRequestFrom`, so it checks the plan-limit flag itself:
    // should the quota-exhausted plan let a flagged request through, it still answers 429.
    const flag = `$context.authorizer.${planLimitContextKeys.state}`;
    me.addMethod(
      'GET',
      new apigw.MockIntegration({
        requestTemplates: {
          'application/json': `#if("${flag}" == "exceeded"){"statusCode": 429}#else{"statusCode": 200}#end`,
        },
        integrationResponses: [
          {
            statusCode: '200',
            responseTemplates: {
              'application/json':
                '{"tenantId":"$context.authorizer.tenantId","tier":"$context.authorizer.tier","route":"$context.authorizer.route"}',
            },
          },
          {
            statusCode: '429',
            selectionPattern: '429',
            responseTemplates: { 'application/json': '{"message":"Too Many Requests: plan limit reached"}' },
          },
        ],
      }),
      {
        authorizer,
        authorizationType: apigw.AuthorizationType.CUSTOM,
        apiKeyRequired: true,
        requestValidatorOptions: { validateRequestBody: true, validateRequestParameters: true },
        methodResponses: [{ statusCode: '200' }, { statusCode: '429' }],
      },
    );
    // `/documents`: the reference tenant service (Lambda proxy), behind the same tenant authorizer.
    if (props.documentsFunction !== undefined) {
      const integration = new apigw.LambdaIntegration(props.documentsFunction);
      const options: apigw.MethodOptions = {
        authorizer,
        authorizationType: apigw.AuthorizationType.CUSTOM,
        apiKeyRequired: true,
        requestValidator: this.api.addRequestValidator('DocumentsValidator', {
          validateRequestParameters: true,
        }),
      };
      const documents = this.api.root.addResource('documents');
      documents.addMethod('GET', integration, options);
      documents.addMethod('POST', integration, options);
      const document = documents.addResource('{documentId}');
      document.addMethod('GET', integration, options);
      document.addMethod('DELETE', integration, options);
    }
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'The Lambda REQUEST authorizer verifies the Cognito tokens (aws-jwt-verify) and vends tenant credentials.',
    });

    // --- one usage plan (and its API key) per tier -------------------------------------------------
    const plans: Record<string, apigw.UsagePlan> = {};
    for (const tier of config.tiers) {
      const plan = this.api.addUsagePlan(`UsagePlan-${tier.name}`, {
        name: resourceName(config, `usage-plan-${tier.name}`),
        throttle: { rateLimit: tier.api.rateLimit, burstLimit: tier.api.burstLimit },
        quota: { limit: tier.api.quotaPerDay, period: apigw.Period.DAY },
        apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
      });
      const key = new apigw.ApiKey(this, `ApiKey-${tier.name}`, {
        apiKeyName: resourceName(config, `tier-${tier.name}`),
        value: usagePlanKeyValue(config, tier.name),
        description: `Usage-plan identifier of tier ${tier.name}; returned by the authorizer, never sent by clients`,
      });
      plan.addApiKey(key);
      plans[tier.name] = plan;
    }
    this.usagePlans = plans;

    // --- the quota-exhausted usage plan (one per stage) --------------------------------------------
    // A tenant over its plan limit gets an Allow policy with THIS plan's key as usageIdentifierKey,
    // a `planLimit: exceeded` context and no credentials (domain/identity/authorizer.ts): API Gateway
    // then rejects the request with 429 (THROTTLED) before any integration runs.
    // What this relies on (and what is NOT verified without a real AWS account):
    // - CloudFormation accepts RateLimit 0 / BurstLimit 0 (AWS::ApiGateway::UsagePlan ThrottleSettings:
    //   "Minimum: 0"), and the API Gateway guide says requests over a usage plan's rate and burst get
    //   "429 Too Many Requests" (developerguide/api-gateway-request-throttling.html). That a 0/0 plan
    //   rejects EVERY request with 429 is the console's documented "0 = disabled" behaviour as reported
    //   in aws/aws-cdk#10071; no AWS page states it for usage plans in those words, and moto does not
    //   enforce usage plans at all — so this is unverified until a deployed stage is probed.
    // - AWS also says usage-plan throttles and quotas are best effort, "not hard limits", and must not
    //   be relied on to block access (developerguide/api-gateway-api-usage-plans.html). Hence the
    //   second line: no credentials and the `planLimit` flag, which `tenantRequestFrom` refuses with
    //   PlanLimitExceededError (429) and `GET /me` checks in its mapping template.
    // Worst-case time from crossing a limit to the first 429: the Flink cumulative step (the counter
    // is written at the step's end, plus the watermark delay) + the authorizer's plan-limit cache
    // (one step) + this API's authorizer result cache (≤ one step, checked above). A cached over-limit
    // result likewise survives at most cache TTL + one step after usage falls back under the limit.
    const exhausted = this.api.addUsagePlan('UsagePlan-QuotaExhausted', {
      name: resourceName(config, `usage-plan-${QUOTA_EXHAUSTED_PLAN}`),
      description:
        'Tenants over their plan limit (assigned by the authorizer): every request is throttled (429)',
      throttle: { rateLimit: 0, burstLimit: 0 },
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });
    exhausted.addApiKey(
      new apigw.ApiKey(this, 'ApiKey-QuotaExhausted', {
        apiKeyName: resourceName(config, `plan-${QUOTA_EXHAUSTED_PLAN}`),
        value: quotaExhaustedKeyValue(config),
        description:
          'Usage-plan identifier of tenants over their plan limit; returned by the authorizer only',
      }),
    );
    this.quotaExhaustedPlan = exhausted;

    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'SpaClientId', { value: this.spaClient.userPoolClientId });
    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
    new CfnOutput(this, 'TenantRuntimeRoleArn', { value: this.tenantRuntimeRole.roleArn });
  }
}

const TENANT_SCOPED_REASON =
  'Tenant-scoped by ABAC: objects under <bucket>/<aws:PrincipalTag/tenantId>/*, items whose LeadingKeys all ' +
  'match TENANT#<aws:PrincipalTag/tenantId>#*, silo tables <product>-<stage>-silo-*, collection tables ' +
  '<product>-<stage>-collection-* (the same LeadingKeys rule; each session names its own); requests without leading ' +
  'keys and untagged sessions are explicitly denied (proven by the iam-simulate tests).';

/**
 * Acknowledges AwsSolutions-IAM5 for each wildcard resource of the tenant-runtime role's policy,
 * by its exact finding id. The ids contain cross-stack references (the bucket), which are only
 * final after CDK has resolved references, so this runs as a construct validation (after prepare).
 */
/** The tenant runtime role (accounts.runtimeRoleName) in any account; bound to the organization by a condition. */
function accountRuntimeRolesArn(stack: Stack, roleName: string): string {
  return stack.formatArn({
    service: 'iam',
    region: '',
    account: '*',
    resource: 'role',
    resourceName: roleName,
  });
}

function acknowledgeTenantScopedWildcards(stack: Stack, role: iam.Role): void {
  stack.node.addValidation({
    validate: () => {
      const cfnRole = role.node.defaultChild as iam.CfnRole;
      type Statement = { Effect: string; Resource: unknown };
      type Policy = {
        policyDocument?: { Statement: Statement[] };
        PolicyDocument?: { Statement: Statement[] };
      };
      const policies = (stack.resolve(cfnRole.policies) ?? []) as Policy[];
      for (const policy of policies) {
        for (const statement of (policy.policyDocument ?? policy.PolicyDocument)?.Statement ?? []) {
          if (statement.Effect !== 'Allow') continue;
          const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
          for (const resource of resources) {
            const flat = flattenCfnReference(resource);
            if (flat.includes('*')) {
              Validations.of(role).acknowledge({
                id: `AwsSolutions-IAM5[Resource::${flat}]`,
                reason: TENANT_SCOPED_REASON,
              });
            }
          }
        }
      }
      return [];
    },
  });
}
