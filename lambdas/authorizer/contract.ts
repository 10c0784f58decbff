import { APIGatewayRequestAuthorizerEventSchema } from '@aws-lambda-powertools/parser/schemas/api-gateway';
import { z } from 'zod';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';
import { apiPolicyDocumentSchema } from '../../domain/identity/api-policy';
import { AUTHORIZER_CATALOG_CACHE_SECONDS } from '../../domain/identity/usage-limit';
import { METRICS_NAMESPACE } from '../../domain/metrics';

/** A string/string map API Gateway may send as null when empty. */
const stringMap = z.record(z.string(), z.string()).nullish();

export const contract = defineFunction({
  name: 'authorizer',
  description:
    'API Gateway REQUEST authorizer: verifies the Cognito token, takes the tenant from its claims, ' +
    'checks the catalog and plan limits, and vends tenant-scoped credentials',
  env: {
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
    /** Default: half a cumulative metering step (`planLimitCacheSeconds(config)`). */
    USAGE_CACHE_SECONDS: z.coerce.number().int().nonnegative().optional(),
    /** Must cover API Gateway's authorizer result cache plus a margin (identity stack). */
    CREDENTIALS_MIN_REMAINING_SECONDS: envVar.seconds(180),
    /** LOCAL ONLY, never set in a deployment: JWKS location and the flag it needs (verifier.ts). */
    TENANTRY_LOCAL: z.enum(['true', 'false']).default('false'),
    LOCAL_JWKS_URI: envVar.url().optional(),
    /** Path of a configuration file; default configuration when unset. */
    TENANTRY_CONFIG: z.string().optional(),
    POWERTOOLS_METRICS_NAMESPACE: envVar.name().default(METRICS_NAMESPACE),
    /** Set by the Lambda runtime; with no AWS_ENDPOINT_URL it means real Lambda, not the emulator. */
    AWS_LAMBDA_FUNCTION_NAME: z.string().optional(),
    AWS_ENDPOINT_URL: z.string().optional(),
  },
  // The fields the authorizer reads; API Gateway's other fields pass through unchecked.
  input: APIGatewayRequestAuthorizerEventSchema.pick({ type: true, methodArn: true, httpMethod: true })
    .extend({ headers: stringMap, queryStringParameters: stringMap })
    .loose(),
  // An unauthorized request is no output: the handler throws "Unauthorized" (API Gateway's 401).
  output: z.object({
    principalId: z.string().min(1),
    policyDocument: apiPolicyDocumentSchema,
    /** The tenant context; on an allow, also the credential hand-off (request-context.ts). */
    context: z.record(z.string(), z.string()),
    /** The usage plan API Gateway applies (apiKeySource AUTHORIZER); none on a deny. */
    usageIdentifierKey: z.string().min(1).optional(),
  }),
  timeoutSeconds: 5,
  memoryMb: 512,
  grants: {
    /** The tenant's catalog record. */
    readCatalog: { actions: ['dynamodb:GetItem'] },
    /** Today's running totals, for plan limits. */
    readCounters: { actions: ['dynamodb:BatchGetItem'] },
    /** Vending tenant credentials: the tenant-runtime role, with tenant session tags. */
    assumeTenantRuntimeRole: { actions: ['sts:AssumeRole', 'sts:TagSession'] },
    /** Account tenants (issue 15): the runtime role in their own account, only in this organization. */
    assumeAccountRuntimeRoles: { actions: ['sts:AssumeRole', 'sts:TagSession'] },
  },
});
