import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { CatalogRepository } from '../catalog/repository';
import type { IsolationModel } from '../config';
import { TenantAlreadyExistsError } from '../errors';
import type { TenantStatus } from '../tenant/status';
import { type NewTenant, newTenant, type SiloResources, type Tenant } from '../tenant/tenant';

/**
 * The catalog operations the lifecycle workflows perform. Status changes all go through
 * `CatalogRepository.transition` (the domain's status rules); these functions only add what a
 * workflow step needs on top: recognising its own earlier attempt (a retried task must not fail on
 * the change it already made) and recording the execution ARN in the tenant's history.
 */

export interface CreatePendingResult {
  readonly tenant: Tenant;
  /** True when this execution had already created the record (a retried task). */
  readonly alreadyCreated: boolean;
}

/**
 * Registers the PENDING tenant with the execution ARN on its first history entry, conditionally
 * (never overwrites). If the record exists and was created by the same execution, returns it; if
 * anyone else created it, throws TenantAlreadyExistsError (the duplicate signup is recognised).
 */
export async function createPendingTenant(
  client: DynamoDBDocumentClient,
  tableName: string,
  repository: CatalogRepository,
  input: NewTenant,
  executionArn: string,
  at: Date = new Date(),
): Promise<CreatePendingResult> {
  const base = newTenant(input, at);
  const tenant: Tenant = { ...base, history: base.history.map((h) => ({ ...h, executionArn })) };
  try {
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: tenant,
        ConditionExpression: 'attribute_not_exists(tenantId)',
      }),
    );
    return { tenant, alreadyCreated: false };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  const existing = await repository.get(input.tenantId);
  if (existing.history[0]?.executionArn === executionArn) return { tenant: existing, alreadyCreated: true };
  throw new TenantAlreadyExistsError(input.tenantId);
}

export interface TransitionRequest {
  readonly tenantId: string;
  readonly to: TenantStatus;
  readonly executionArn: string;
  readonly reason?: string;
  /** Only transition when the tenant is currently in one of these; otherwise leave it unchanged. */
  readonly onlyFrom?: readonly TenantStatus[];
  /** Accept a tenant already in `to` whoever put it there (re-running an interrupted workflow). */
  readonly resume?: boolean;
  /** A missing tenant is not an error (compensation of a run that failed before creating it). */
  readonly allowMissing?: boolean;
}

export interface TransitionResult {
  readonly tenantId: string;
  readonly status: TenantStatus | null;
  readonly changed: boolean;
  readonly version: number | null;
}

/** A status change through the domain rules, idempotent for the execution that asks for it. */
export async function transitionTenant(
  repository: CatalogRepository,
  request: TransitionRequest,
): Promise<TransitionResult> {
  const current = await repository.find(request.tenantId);
  if (current === undefined) {
    if (request.allowMissing)
      return { tenantId: request.tenantId, status: null, changed: false, version: null };
    return unchanged(await repository.get(request.tenantId)); // throws TenantNotFoundError
  }
  const last = current.history.at(-1);
  if (current.status === request.to && (request.resume || last?.executionArn === request.executionArn)) {
    return unchanged(current);
  }
  if (request.onlyFrom !== undefined && !request.onlyFrom.includes(current.status)) return unchanged(current);
  const details: { executionArn: string; reason?: string } = { executionArn: request.executionArn };
  if (request.reason !== undefined) details.reason = request.reason;
  const next = await repository.transition(request.tenantId, request.to, details);
  return { tenantId: next.tenantId, status: next.status, changed: true, version: next.version };
}

function unchanged(tenant: Tenant): TransitionResult {
  return { tenantId: tenant.tenantId, status: tenant.status, changed: false, version: tenant.version };
}

export interface Placement {
  readonly tier: string;
  readonly isolation: IsolationModel;
  /** The silo the tenant is served from, or null for the pool. */
  readonly silo: SiloResources | null;
}

/**
 * Records where the tenant is served from (tier, isolation model, silo references) — the catalog
 * switch of a promotion and its rollback, and the silo references of a silo onboarding. A no-op
 * (no version bump) when the record already says so.
 */
export async function setPlacement(
  repository: CatalogRepository,
  tenantId: string,
  placement: Placement,
): Promise<Tenant> {
  const current = await repository.get(tenantId);
  if (samePlacement(current, placement)) return current;
  return repository.update(tenantId, (tenant) => {
    const { silo: _previous, ...rest } = tenant;
    const next: Tenant = { ...rest, tier: placement.tier, isolation: placement.isolation };
    if (placement.silo !== null) next.silo = placement.silo;
    return next;
  });
}

function samePlacement(tenant: Tenant, placement: Placement): boolean {
  const silo = tenant.silo ?? null;
  const sameSilo =
    silo === null || placement.silo === null
      ? silo === placement.silo
      : silo.stackId === placement.silo.stackId &&
        silo.tableName === placement.silo.tableName &&
        silo.kmsKeyArn === placement.silo.kmsKeyArn;
  return tenant.tier === placement.tier && tenant.isolation === placement.isolation && sameSilo;
}
