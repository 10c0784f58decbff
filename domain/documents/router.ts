import type { Logger } from '@aws-lambda-powertools/logger';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { TenantryConfig } from '../config';
import { tenantRoute } from '../identity/claims';
import { PlanLimitExceededError, TenantContextMissingError } from '../identity/errors';
import { type TenantRequest, tenantRequestFrom } from '../identity/request-context';
import type { TenantLookup } from '../identity/tenant-lookup';
import { DocumentFunctionFailedError } from './errors';
import { type HttpResponse, httpResponseSchema } from './request';
import { type DocumentServiceEvent, problem } from './service';

/** What the router needs; the handler builds it once per cold start. */
export interface DocumentRouterDependencies {
  readonly config: TenantryConfig;
  /** The catalog (cached): which function serves the tenant. */
  readonly tenants: TenantLookup;
  /** The pooled documents function (pool tenants, business tenants). */
  readonly pooledFunctionArn: string;
  /** Invokes a documents function with the event and returns its answer (Lambda Invoke on AWS). */
  readonly invoke: (functionArn: string, event: unknown) => Promise<HttpResponse>;
  readonly logger: Logger;
}

/** The service's answer and the function that gave it (undefined when the router answered itself). */
export interface RoutedResponse {
  readonly response: HttpResponse;
  readonly functionArn?: string;
}

/**
 * Sends a documents request to the function of the tenant's plane: a silo tenant's own function
 * (the ARN its silo stack reported, recorded in the catalog), else the pooled function. The event is
 * forwarded unchanged: the tenant context is the one API Gateway set from the authorizer's answer,
 * and only this router's role may invoke the functions, so no caller can hand a function another
 * context. The function checks the context and the catalog again and refuses a tenant it does not
 * serve.
 */
export async function routeDocumentRequest(
  deps: DocumentRouterDependencies,
  event: DocumentServiceEvent,
): Promise<RoutedResponse> {
  const { logger } = deps;
  let request: TenantRequest;
  try {
    request = tenantRequestFrom(event);
  } catch (error) {
    if (error instanceof PlanLimitExceededError) return { response: problem(429, 'plan limit exceeded') };
    if (error instanceof TenantContextMissingError) {
      logger.error('request without the tenant authorizer context', { fields: error.context.fields });
      return { response: problem(403, 'no tenant context') };
    }
    throw error;
  }
  logger.appendKeys({ tenantId: request.tenantId, route: request.route });
  try {
    const tenant = await deps.tenants(request.tenantId);
    if (tenant === undefined || tenantRoute(deps.config, tenant) !== request.route) {
      logger.warn('tenant route changed', { catalogRoute: tenant && tenantRoute(deps.config, tenant) });
      return { response: problem(503, 'tenant placement changed; retry') };
    }
    const functionArn =
      tenant.isolation === 'pool' ? deps.pooledFunctionArn : tenant.silo?.serviceFunctionArn;
    if (functionArn === undefined) {
      logger.error("the catalog records no function for the tenant's silo");
      return { response: problem(503, "the tenant's service is not deployed") };
    }
    const response = await deps.invoke(functionArn, event);
    logger.info('document request routed', { functionArn, statusCode: response.statusCode });
    return { response, functionArn };
  } catch (error) {
    logger.error('document request not routed', {
      errorName: (error as Error).name,
      error: (error as Error).message,
    });
    return { response: problem(502, 'the tenant service failed') };
  } finally {
    logger.resetKeys();
  }
}

/**
 * Lambda Invoke (request/response) in the function's own region: a silo function lives in its
 * tenant's region, and a Lambda client calls the endpoint of its region only. The answer must be the
 * documents service's HTTP answer.
 */
export function lambdaInvoker(
  clientFor: (region: string) => LambdaClient,
): (functionArn: string, event: unknown) => Promise<HttpResponse> {
  return async (functionArn, event) => {
    const region = functionArn.split(':')[3] as string;
    const result = await clientFor(region).send(
      new InvokeCommand({
        FunctionName: functionArn,
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    );
    if (result.FunctionError !== undefined || result.Payload === undefined) {
      throw new DocumentFunctionFailedError(functionArn, result.FunctionError ?? 'no payload');
    }
    return httpResponseSchema.parse(JSON.parse(new TextDecoder().decode(result.Payload)));
  };
}
