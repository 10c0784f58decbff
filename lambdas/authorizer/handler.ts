import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { STSClient } from '@aws-sdk/client-sts';
import { baseClientConfig, documentClient } from '../../domain/aws/clients';
import { countersDocumentClient } from '../../domain/billing/counters';
import { planLimitCheck } from '../../domain/billing/plan-limits';
import { CatalogRepository } from '../../domain/catalog/repository';
import { loadConfig } from '../../domain/config';
import { type FunctionOutput, parseFunctionInput, readFunctionEnv } from '../../domain/function-contract';
import {
  type AuthorizerDecision,
  authorizerRequestFrom,
  TenantAuthorizer,
} from '../../domain/identity/authorizer';
import { AuthorizerUnavailableError } from '../../domain/identity/errors';
import { authorizerResultContext } from '../../domain/identity/request-context';
import { cachedTenantLookup } from '../../domain/identity/tenant-lookup';
import { TokenVendingMachine } from '../../domain/identity/token-vending';
import {
  allowAllUsage,
  cachedUsageLimitCheck,
  planLimitCacheSeconds,
} from '../../domain/identity/usage-limit';
import { asTokenVerifier, createCognitoVerifier } from '../../domain/identity/verifier';
import { metricNames, metricServices } from '../../domain/metrics';
import { traced } from '../../domain/tracing';
import { contract } from './contract';

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
 * - `error` (an event we cannot read, catalog, STS): logged, counted, then thrown as
 *   `AuthorizerUnavailableError` → the identity stack answers 503 (never 429, so an outage is never
 *   mistaken for a quota).
 * Nothing is allowed on an error (fail closed). Only ALLOW results carry the tenant's credentials
 * (see domain/identity/request-context.ts).
 */

const env = readFunctionEnv(contract);
const config = loadConfig(env.TENANTRY_CONFIG ?? '');
const logger = new Logger({ serviceName: 'tenantry-authorizer' });
const metrics = new Metrics({
  namespace: env.POWERTOOLS_METRICS_NAMESPACE,
  serviceName: metricServices.authorizer,
});
const catalog = new CatalogRepository({ client: documentClient(), tableName: env.CATALOG_TABLE_NAME });
const authorizer = new TenantAuthorizer({
  config,
  verifier: asTokenVerifier(
    createCognitoVerifier({
      userPoolId: env.USER_POOL_ID,
      clientId: env.USER_POOL_CLIENT_ID,
      tokenUse: env.TOKEN_USE,
      localJwksUri: env.LOCAL_JWKS_URI,
      localFlag: env.TENANTRY_LOCAL === 'true',
      deployed: env.AWS_LAMBDA_FUNCTION_NAME !== undefined && env.AWS_ENDPOINT_URL === undefined,
    }),
  ),
  tenants: cachedTenantLookup((id) => catalog.find(id), env.CATALOG_CACHE_SECONDS),
  usageLimit: cachedUsageLimitCheck(
    env.COUNTERS_TABLE_NAME === undefined
      ? allowAllUsage
      : planLimitCheck({ config, client: countersDocumentClient(), countersTable: env.COUNTERS_TABLE_NAME }),
    env.USAGE_CACHE_SECONDS ?? planLimitCacheSeconds(config),
  ),
  vending: new TokenVendingMachine({
    sts: new STSClient(baseClientConfig()),
    roleArn: env.TENANT_RUNTIME_ROLE_ARN,
    minRemainingSeconds: env.CREDENTIALS_MIN_REMAINING_SECONDS,
    // Published at once, apart from the decision's metrics: one STS call, dimension service only.
    onAssumeRole: () =>
      metrics.singleMetric().addMetric(metricNames.authorizerStsAssumeRole, MetricUnit.Count, 1),
  }),
  dataLocation: { pooledTableArn: env.POOLED_TABLE_ARN, bucketName: env.TENANT_BUCKET_NAME },
});

type AuthorizerResult = FunctionOutput<typeof contract>;

export const handler = traced(contract.name, async (event: unknown): Promise<AuthorizerResult> => {
  let decision: AuthorizerDecision;
  let method: string;
  try {
    const input = parseFunctionInput(contract, event);
    method = input.httpMethod;
    decision = await authorizer.decide(authorizerRequestFrom(input));
  } catch (error) {
    // Fail closed without leaking: an error here is ours (event, catalog, STS), never the caller's token.
    const name = (error as Error).name;
    logger.error('authorizer failed; refusing the request', {
      decision: 'error',
      errorName: name,
      error: (error as Error).message,
    });
    metrics.addMetric(metricNames.authorizerError, MetricUnit.Count, 1);
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
      method,
    });
    metrics.addDimension('tier', 'tier' in decision ? decision.tier : 'unknown');
    if ('tenantId' in decision) metrics.addMetadata('tenantId', decision.tenantId);
    metrics.addMetric(metricNames.authorizerDecision(decision.kind), MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
    return toResult(decision);
  } finally {
    logger.resetKeys();
  }
});

function toResult(decision: AuthorizerDecision): AuthorizerResult {
  switch (decision.kind) {
    case 'unauthorized':
      throw new Error('Unauthorized');
    case 'forbidden':
      return {
        principalId: decision.principalId,
        policyDocument: decision.policy,
        context: authorizerResultContext(decision),
      };
    // quota-exceeded: Allow + the quota-exhausted plan's key, so API Gateway throttles (429); no credentials.
    case 'quota-exceeded':
    case 'allow':
      return {
        principalId: decision.principalId,
        policyDocument: decision.policy,
        context: authorizerResultContext(decision),
        usageIdentifierKey: decision.usageIdentifierKey,
      };
  }
}
