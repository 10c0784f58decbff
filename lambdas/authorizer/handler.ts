import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { STSClient } from '@aws-sdk/client-sts';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { z } from 'zod';
import { baseClientConfig, documentClient } from '../../domain/aws/clients';
import { countersDocumentClient } from '../../domain/billing/counters';
import { planLimitCheck } from '../../domain/billing/plan-limits';
import { CatalogRepository } from '../../domain/catalog/repository';
import { loadConfig, type TenantryConfig } from '../../domain/config';
import { envVar, readEnv } from '../../domain/env';
import { type AuthorizerDecision, TenantAuthorizer } from '../../domain/identity/authorizer';
import { AuthorizerUnavailableError } from '../../domain/identity/errors';
import { authorizerResultContext } from '../../domain/identity/request-context';
import { cachedTenantLookup } from '../../domain/identity/tenant-lookup';
import { TokenVendingMachine } from '../../domain/identity/token-vending';
import {
  AUTHORIZER_CATALOG_CACHE_SECONDS,
  allowAllUsage,
  cachedUsageLimitCheck,
  planLimitCacheSeconds,
  type UsageLimitCheck,
} from '../../domain/identity/usage-limit';
import { asTokenVerifier, createCognitoVerifier } from '../../domain/identity/verifier';

/**
 * API Gateway REST API Lambda REQUEST authorizer (identity sources: the Authorization header and the
 * HTTP method, so cached results are per token and method).
 * Outcomes (decision kinds, also the `Authorizer.<kind>` metrics and the log's `decision`):
 * - `unauthorized`: thrown `Unauthorized` → 401 (the only error API Gateway does not turn into 500);
 * - `forbidden`: a deny-all policy → 403;
 * - `quota-exceeded`: an ALLOW policy with the quota-exhausted usage plan's key as
 *   `usageIdentifierKey` (throttle rate 0 / burst 0), a `planLimit: exceeded` context and NO
 *   credentials → API Gateway answers 429 itself (THROTTLED). A thrown error cannot produce a 429:
 *   API Gateway answers any error other than "Unauthorized" with 500 (AuthorizerConfigurationException);
 * - `allow`: an allow policy, the tier's usage-plan key, the tenant context and credentials;
 * - `error` (catalog, STS, configuration): logged, counted, then thrown as `AuthorizerUnavailableError`
 *   → the identity stack answers 503 (never 429, so an outage is never mistaken for a quota).
 * Nothing is allowed on an error (fail closed). Only ALLOW results carry the tenant's credentials
 * (see domain/identity/request-context.ts).
 */

/** Environment of the authorizer function (validated at cold start). */
export const authorizerEnvShape = {
  USER_POOL_ID: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$/, 'must be a Cognito user pool id'),
  USER_POOL_CLIENT_ID: z.string().regex(/^[0-9A-Za-z]{1,128}$/, 'must be a Cognito app client id'),
  TOKEN_USE: z.enum(['access', 'id']).default('access'),
  CATALOG_TABLE_NAME: envVar.name(),
  POOLED_TABLE_ARN: envVar.arn(),
  TENANT_BUCKET_NAME: envVar.name(),
  TENANT_RUNTIME_ROLE_ARN: envVar.arn(),
  /** Metering counters; when set, plan limits are enforced from today's running totals. */
  COUNTERS_TABLE_NAME: envVar.name().optional(),
  CATALOG_CACHE_SECONDS: envVar.seconds(AUTHORIZER_CATALOG_CACHE_SECONDS),
  /** Default: one cumulative metering step (`planLimitCacheSeconds(config)`). */
  USAGE_CACHE_SECONDS: z.coerce.number().int().nonnegative().optional(),
  CREDENTIALS_MIN_REMAINING_SECONDS: envVar.seconds(180),
  TENANTRY_LOCAL: z.enum(['true', 'false']).default('false'),
  LOCAL_JWKS_URI: z.url().optional(),
  /** Path of a configuration file; default configuration when unset. */
  TENANTRY_CONFIG: z.string().optional(),
  POWERTOOLS_METRICS_NAMESPACE: z.string().min(1).max(255).default('Tenantry'),
  /** Set by the Lambda runtime; with no AWS_ENDPOINT_URL it means real Lambda, not the emulator. */
  AWS_LAMBDA_FUNCTION_NAME: z.string().optional(),
  AWS_ENDPOINT_URL: z.string().optional(),
};

/** Header and query parameter through which a caller might (wrongly) name a tenant. */
export const TENANT_HEADER = 'x-tenant-id';
export const TENANT_QUERY_PARAMETER = 'tenantId';

/** Settings resolved at cold start (defaults applied), for the log and for tests. */
export interface AuthorizerSettings {
  readonly tokenUse: 'access' | 'id';
  readonly catalogCacheSeconds: number;
  readonly usageCacheSeconds: number;
  readonly credentialsMinRemainingSeconds: number;
  readonly planLimits: 'counters' | 'none' | 'injected';
  readonly metricsNamespace: string;
  readonly localJwks: boolean;
}

export interface AuthorizerDependencies {
  readonly authorizer: TenantAuthorizer;
  readonly settings?: AuthorizerSettings;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export interface AuthorizerWiring {
  readonly config?: TenantryConfig;
  /** Plan-limit check; default: billing's check over COUNTERS_TABLE_NAME (none when unset). Cached for USAGE_CACHE_SECONDS. */
  readonly usageLimit?: UsageLimitCheck;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/** Builds the authorizer from validated environment variables (throws EnvironmentError naming each bad one). */
export function dependenciesFromEnv(
  source: NodeJS.ProcessEnv = process.env,
  wiring: AuthorizerWiring = {},
): AuthorizerDependencies {
  const env = readEnv(authorizerEnvShape, source);
  const config = wiring.config ?? loadConfig(env.TENANTRY_CONFIG ?? '');
  const verifier = createCognitoVerifier({
    userPoolId: env.USER_POOL_ID,
    clientId: env.USER_POOL_CLIENT_ID,
    tokenUse: env.TOKEN_USE,
    localJwksUri: env.LOCAL_JWKS_URI,
    localFlag: env.TENANTRY_LOCAL === 'true',
    deployed: env.AWS_LAMBDA_FUNCTION_NAME !== undefined && env.AWS_ENDPOINT_URL === undefined,
  });
  const settings: AuthorizerSettings = {
    tokenUse: env.TOKEN_USE,
    catalogCacheSeconds: env.CATALOG_CACHE_SECONDS,
    usageCacheSeconds: env.USAGE_CACHE_SECONDS ?? planLimitCacheSeconds(config),
    credentialsMinRemainingSeconds: env.CREDENTIALS_MIN_REMAINING_SECONDS,
    planLimits:
      wiring.usageLimit !== undefined
        ? 'injected'
        : env.COUNTERS_TABLE_NAME === undefined
          ? 'none'
          : 'counters',
    metricsNamespace: env.POWERTOOLS_METRICS_NAMESPACE,
    localJwks: env.LOCAL_JWKS_URI !== undefined,
  };
  const catalog = new CatalogRepository({ client: documentClient(), tableName: env.CATALOG_TABLE_NAME });
  return {
    settings,
    authorizer: new TenantAuthorizer({
      config,
      verifier: asTokenVerifier(verifier),
      tenants: cachedTenantLookup((id) => catalog.find(id), env.CATALOG_CACHE_SECONDS),
      usageLimit: cachedUsageLimitCheck(
        wiring.usageLimit ??
          (env.COUNTERS_TABLE_NAME === undefined
            ? allowAllUsage
            : planLimitCheck({
                config,
                client: countersDocumentClient(),
                countersTable: env.COUNTERS_TABLE_NAME,
              })),
        settings.usageCacheSeconds,
      ),
      vending: new TokenVendingMachine({
        sts: new STSClient(baseClientConfig()),
        roleArn: env.TENANT_RUNTIME_ROLE_ARN,
        minRemainingSeconds: env.CREDENTIALS_MIN_REMAINING_SECONDS,
      }),
      dataLocation: { pooledTableArn: env.POOLED_TABLE_ARN, bucketName: env.TENANT_BUCKET_NAME },
    }),
    logger: wiring.logger ?? new Logger({ serviceName: 'tenantry-authorizer' }),
    metrics:
      wiring.metrics ??
      new Metrics({
        namespace: env.POWERTOOLS_METRICS_NAMESPACE,
        serviceName: 'authorizer',
      }),
  };
}

export function createAuthorizerHandler(deps: AuthorizerDependencies) {
  const { authorizer, logger, metrics } = deps;
  return async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const headers = lowerCaseKeys(event.headers);
    const claimed = [headers[TENANT_HEADER], event.queryStringParameters?.[TENANT_QUERY_PARAMETER]].filter(
      (v): v is string => typeof v === 'string' && v !== '',
    );
    let decision: AuthorizerDecision;
    try {
      decision = await authorizer.decide({
        authorization: headers.authorization,
        methodArn: event.methodArn,
        httpMethod: event.httpMethod ?? event.requestContext?.httpMethod ?? '',
        claimedTenantIds: claimed,
      });
    } catch (error) {
      // Fail closed without leaking: an error here is ours (catalog, STS), never the caller's token.
      const name = (error as Error).name;
      logger.error('authorizer failed; refusing the request', {
        decision: 'error',
        errorName: name,
        error: (error as Error).message,
      });
      metrics.addMetric('Authorizer.error', MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
      throw new AuthorizerUnavailableError(name);
    }
    try {
      if ('tenantId' in decision) logger.appendKeys({ tenantId: decision.tenantId });
      for (const warning of decision.warnings)
        logger.warn('suspicious request', { warning: warning.kind, detail: warning.detail });
      logger.info('authorizer decision', {
        decision: decision.kind,
        reason: 'reason' in decision ? decision.reason : undefined,
        tier: 'tier' in decision ? decision.tier : undefined,
        route: decision.kind === 'allow' ? decision.route : undefined,
        planLimitMetric: decision.kind === 'quota-exceeded' ? decision.metric : undefined,
        method: event.httpMethod,
      });
      const tier = 'tier' in decision ? decision.tier : 'unknown';
      metrics.addDimension('tier', tier);
      if ('tenantId' in decision) metrics.addMetadata('tenantId', decision.tenantId);
      metrics.addMetric(`Authorizer.${decision.kind}`, MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
      return toResult(decision);
    } finally {
      logger.resetKeys();
    }
  };
}

function toResult(decision: AuthorizerDecision): APIGatewayAuthorizerResult {
  switch (decision.kind) {
    case 'unauthorized':
      throw new Error('Unauthorized');
    case 'quota-exceeded':
      // Allow + the quota-exhausted plan's key: API Gateway throttles (429); no credentials.
      return {
        principalId: decision.principalId,
        policyDocument: decision.policy,
        context: authorizerResultContext(decision),
        usageIdentifierKey: decision.usageIdentifierKey,
      };
    case 'forbidden':
      return {
        principalId: decision.principalId,
        policyDocument: decision.policy,
        context: authorizerResultContext(decision),
      };
    case 'allow':
      return {
        principalId: decision.principalId,
        policyDocument: decision.policy,
        context: authorizerResultContext(decision),
        usageIdentifierKey: decision.usageIdentifierKey,
      };
  }
}

function lowerCaseKeys(
  headers: Record<string, string | undefined> | null | undefined,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers ?? {})) out[k.toLowerCase()] = v;
  return out;
}

let instance: ReturnType<typeof createAuthorizerHandler> | undefined;

export const handler = (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  instance ??= createAuthorizerHandler(dependenciesFromEnv());
  return instance(event);
};
