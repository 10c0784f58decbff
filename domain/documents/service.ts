import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { TenantryConfig } from '../config';
import { tenantRoute } from '../identity/claims';
import { PlanLimitExceededError, TenantContextMissingError } from '../identity/errors';
import { type TenantRequest, tenantRequestFrom } from '../identity/request-context';
import type { TransactionalDatabase } from '../identity/rls/unit-of-work';
import { parseTableArn } from '../identity/session-policy';
import type { TenantClientFactory } from '../identity/tenant-clients';
import type { TenantLookup } from '../identity/tenant-lookup';
import { type TenantDataLocation, tenantDataResources } from '../identity/tenant-resources';
import type { Tenant } from '../tenant/tenant';
import type { UsageEmitter, UsageRecord } from '../usage/emitter';
import { DocumentMisroutedError, DocumentRequestError, DocumentRouteChangedError } from './errors';
import { DOCUMENTS_COLLECTION, DocumentRepository } from './repository';
import {
  type DocumentHttpEvent,
  type DocumentRequest,
  type HttpResponse,
  parseDocumentRequest,
} from './request';

/** What the documents service needs; the handler builds it once per cold start. */
export interface DocumentServiceDependencies {
  readonly config: TenantryConfig;
  /** The catalog (cached): where the tenant's data lives. */
  readonly tenants: TenantLookup;
  readonly location: TenantDataLocation;
  /** Clients per region of the tenant's table, signing with the vended credentials. */
  readonly clientsFor: (region: string) => TenantClientFactory;
  readonly database: TransactionalDatabase;
  readonly databaseRole?: string;
  /** Set in a silo tenant's own function: the one tenant it serves (the pooled function serves no silo). */
  readonly siloTenantId?: string;
  readonly usage: UsageEmitter;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly newDocumentId?: () => string;
}

/** What API Gateway sends the service: the HTTP request and the authorizer's hand-off. */
export type DocumentServiceEvent = DocumentHttpEvent & Parameters<typeof tenantRequestFrom>[0];

/**
 * One request of the reference tenant service: the tenant from the authorizer's hand-off only, the
 * request parsed before anything is read or written, the tenant's table from the catalog, clients
 * from the vended credentials, every SQL statement in the tenant's unit of work, usage emitted for
 * the verified request. Logs carry the tenant on every line and never the event (credentials).
 */
export async function handleDocumentRequest(
  deps: DocumentServiceDependencies,
  event: DocumentServiceEvent,
): Promise<HttpResponse> {
  const { logger } = deps;
  let request: TenantRequest;
  try {
    request = tenantRequestFrom(event);
  } catch (error) {
    if (error instanceof PlanLimitExceededError) return problem(429, 'plan limit exceeded');
    if (error instanceof TenantContextMissingError) {
      logger.error('request without the tenant authorizer context', { fields: error.context.fields });
      return problem(403, 'no tenant context');
    }
    throw error;
  }
  logger.appendKeys({ tenantId: request.tenantId, tier: request.tier, route: request.route });
  try {
    const parsed = parseDocumentRequest(event);
    if ((parsed.kind === 'create' || parsed.kind === 'delete') && request.access !== 'read-write') {
      throw new DocumentRequestError(403, `the tenant's access is ${request.access}`);
    }
    const result = await perform(deps, request, parsed);
    await emitUsage(deps, request, parsed);
    logger.info('document request', { operation: parsed.kind, statusCode: result.statusCode });
    return result;
  } catch (error) {
    if (error instanceof DocumentRequestError) {
      logger.warn('document request refused', { statusCode: error.httpStatus, reason: error.reason });
      return problem(error.httpStatus, error.reason);
    }
    if (error instanceof DocumentMisroutedError) {
      logger.error('request for a tenant this function does not serve', { ...error.context });
      return problem(421, "this function does not serve the tenant's plane");
    }
    if (error instanceof DocumentRouteChangedError) {
      logger.warn('tenant route changed', { ...error.context });
      return problem(503, 'tenant placement changed; retry');
    }
    logger.error('document request failed', {
      errorName: (error as Error).name,
      error: (error as Error).message,
    });
    return problem(500, 'internal error');
  } finally {
    logger.resetKeys();
  }
}

async function perform(
  deps: DocumentServiceDependencies,
  request: TenantRequest,
  parsed: DocumentRequest,
): Promise<HttpResponse> {
  const repository = await repositoryFor(deps, request);
  const tenantId = request.tenantId;
  switch (parsed.kind) {
    case 'create': {
      const documentId = deps.newDocumentId?.() ?? `doc-${randomUUID()}`;
      const created = await repository.create(
        tenantId,
        documentId,
        parsed.document,
        deps.now?.() ?? new Date(),
      );
      return json(201, created);
    }
    case 'list':
      return json(200, { documents: await repository.list(tenantId) });
    case 'get':
      return json(200, await repository.get(tenantId, parsed.documentId));
    case 'delete':
      await repository.delete(tenantId, parsed.documentId);
      return { statusCode: 204, headers: {}, body: '' };
  }
}

/** The documents' table from the catalog's recorded resources, checked against the authorizer's route. */
async function repositoryFor(deps: DocumentServiceDependencies, request: TenantRequest) {
  const tenant = await deps.tenants(request.tenantId);
  if (tenant === undefined) throw new DocumentRouteChangedError(request.tenantId, request.route, 'none');
  const catalogRoute = tenantRoute(deps.config, tenant);
  if (catalogRoute !== request.route) {
    throw new DocumentRouteChangedError(request.tenantId, request.route, catalogRoute);
  }
  // Silo compute: the tenant's own function serves it, and nothing else does.
  const servedHere =
    tenant.isolation === 'pool' ? deps.siloTenantId === undefined : deps.siloTenantId === tenant.tenantId;
  if (!servedHere) throw new DocumentMisroutedError(tenant.tenantId, deps.siloTenantId ?? 'pool');
  const table = parseTableArn(documentsTableArn(deps.config, deps.location, tenant));
  return new DocumentRepository({
    dynamo: deps.clientsFor(table.region).forRequest(request).dynamo,
    tableName: table.name,
    database: deps.database,
    ...(deps.databaseRole === undefined ? {} : { databaseRole: deps.databaseRole }),
  });
}

/**
 * Every served request is one `api.call`; a created document is also one `doc.processed`. A failed
 * emission is logged with its count, not turned into a failed request: the data is already written,
 * and the emitter names every unwritten record (resending is safe, the metering job deduplicates).
 */
async function emitUsage(deps: DocumentServiceDependencies, request: TenantRequest, parsed: DocumentRequest) {
  const timestamp = (deps.now?.() ?? new Date()).toISOString();
  const records: UsageRecord[] = [{ eventId: randomUUID(), metric: 'api.call', quantity: 1, timestamp }];
  if (parsed.kind === 'create')
    records.push({ eventId: randomUUID(), metric: 'doc.processed', quantity: 1, timestamp });
  try {
    await deps.usage.emit(request, records);
  } catch (error) {
    deps.logger.error('usage not emitted', {
      errorName: (error as Error).name,
      error: (error as Error).message,
    });
  }
}

function json(statusCode: number, body: unknown): HttpResponse {
  return { statusCode, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
}

export function problem(statusCode: number, reason: string): HttpResponse {
  return json(statusCode, { error: reason });
}

/**
 * The table a tenant's documents live in: the documents collection's own table when the catalog records
 * one (a business tenant), else the tenant's table — the pooled table or its silo table.
 */
export function documentsTableArn(
  config: TenantryConfig,
  location: TenantDataLocation,
  tenant: Tenant,
): string {
  const resources = tenantDataResources(config, location, tenant);
  return (resources.collectionTableArns[DOCUMENTS_COLLECTION] ?? resources.tableArns[0]) as string;
}
