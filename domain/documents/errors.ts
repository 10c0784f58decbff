import { TenantryError } from '../errors';

/**
 * Errors of the documents service a client can act on: each carries the HTTP status the service
 * answers and a reason safe to show the caller (no tenant data beyond the caller's own request).
 */
export class DocumentRequestError extends TenantryError {
  public constructor(
    public readonly httpStatus: 400 | 403 | 404 | 405 | 413,
    public readonly reason: string,
  ) {
    super(`document request refused (${httpStatus}): ${reason}`, { httpStatus, reason });
  }
}

/**
 * The catalog places the tenant elsewhere than the route the authorizer stamped (a promotion moved
 * it between the two reads): the caller retries once the authorizer cache has caught up.
 */
export class DocumentRouteChangedError extends TenantryError {
  public readonly httpStatus = 503;

  public constructor(tenantId: string, authorizerRoute: string, catalogRoute: string) {
    super(`tenant ${tenantId} is routed to ${catalogRoute}, the request to ${authorizerRoute}`, {
      tenantId,
      authorizerRoute,
      catalogRoute,
    });
  }
}

/**
 * The request reached a function that must not serve the tenant: a silo tenant at the pooled
 * function, or any other tenant at a silo tenant's own function (the router sends each tenant to
 * the function its catalog record names).
 */
export class DocumentMisroutedError extends TenantryError {
  public readonly httpStatus = 421;

  public constructor(tenantId: string, servedHere: string) {
    super(`tenant ${tenantId} is not served by this function (it serves ${servedHere})`, {
      tenantId,
      servedHere,
    });
  }
}

/** A documents function answered with a function error (or no answer) to the router's invocation. */
export class DocumentFunctionFailedError extends TenantryError {
  public constructor(functionArn: string, functionError: string) {
    super(`documents function ${functionArn} failed: ${functionError}`, { functionArn, functionError });
  }
}

/** A value of a SQL statement's parameters has no RDS Data API type (`sqlParameter`). */
export class DataApiParameterError extends TenantryError {
  public constructor(parameter: string, kind: string) {
    super(`parameter ${parameter} is ${kind}, which the RDS Data API cannot carry`, { parameter, kind });
  }
}

/** The RDS Data API answered a transaction call without what it must return (a transaction id). */
export class DataApiTransactionError extends TenantryError {
  public constructor(resourceArn: string, step: 'begin') {
    super(`the RDS Data API did not ${step} a transaction on ${resourceArn}`, { resourceArn, step });
  }
}
