import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import type { CatalogRepository } from '../catalog/repository';
import { findTier, type IsolationModel, type TenantryConfig } from '../config';
import { TenantAlreadyExistsError, ValidationError } from '../errors';
import { collectionTableName } from '../tables';
import { type ErasureRecord, nothingRemains } from '../tenant/erasure';
import type { TenantStatus } from '../tenant/status';
import {
  type AccountStatus,
  type CollectionTable,
  type ConcurrencyQuota,
  type HistoryEntry,
  type NewTenant,
  newTenant,
  retiredSiloSchema,
  type SiloResources,
  type Tenant,
  transition,
} from '../tenant/tenant';
import { ErasureNotProvenError, StaleLifecyclePlanError } from './errors';
import { parseInput } from './plan';

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
  /** True when the record was a FAILED tenant's, moved back to PENDING for this onboarding. */
  readonly reonboarded: boolean;
}

/**
 * Registers the PENDING tenant with the execution ARN on its first history entry, conditionally
 * (never overwrites). If the record exists:
 * - created (or re-opened) by the same execution: returned as it is (a retried task);
 * - FAILED (an earlier onboarding was compensated): re-onboarded — FAILED → PENDING through
 *   `CatalogRepository.update` + the domain's status rules, with this execution's ARN, and the record
 *   takes the new signup's name, tier, isolation and region (no silo references: the compensation
 *   removed the silo);
 * - anything else: TenantAlreadyExistsError (the duplicate signup is recognised).
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
    return { tenant, alreadyCreated: false, reonboarded: false };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  const existing = await repository.get(input.tenantId);
  if (openedBy(existing, executionArn)) return { tenant: existing, alreadyCreated: true, reonboarded: false };
  if (existing.status !== 'FAILED') throw new TenantAlreadyExistsError(input.tenantId);
  const reopened = await repository.update(input.tenantId, (current) => {
    if (current.status !== 'FAILED') throw new TenantAlreadyExistsError(input.tenantId);
    const moved = transition(current, 'PENDING', { at, executionArn, reason: 're-onboarding' });
    const { silo: _silo, ...rest } = moved;
    return {
      ...rest,
      name: base.name,
      tier: base.tier,
      isolation: base.isolation,
      region: base.region,
      ...(base.marketplace === undefined ? {} : { marketplace: base.marketplace }),
    };
  });
  return { tenant: reopened, alreadyCreated: false, reonboarded: true };
}

/** Did this execution create the record, or re-open it (FAILED → PENDING), and is it still PENDING? */
function openedBy(tenant: Tenant, executionArn: string): boolean {
  if (tenant.history[0]?.executionArn === executionArn) return true;
  const reopened = tenant.history.findLast((h) => h.from === 'FAILED' && h.to === 'PENDING');
  return reopened?.executionArn === executionArn;
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
  /**
   * Only transition from this catalog version (the one the workflow validated); otherwise
   * StaleLifecyclePlanError. Checked after recognising this execution's own earlier change.
   */
  readonly expectedVersion?: number;
  /** Required with OFFBOARDED: the verified erasure (nothing left), stored on the tenant record. */
  readonly erasure?: ErasureRecord;
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
  const expected = request.expectedVersion;
  if (expected !== undefined && current.version !== expected) {
    throw new StaleLifecyclePlanError(request.tenantId, expected, current.version);
  }
  const { erasure } = request;
  if (request.to === 'OFFBOARDED') {
    // A tenant is never marked OFFBOARDED with data left.
    if (erasure === undefined) throw new ErasureNotProvenError(request.tenantId, 'no erasure record');
    if (!nothingRemains(erasure.remaining)) {
      throw new ErasureNotProvenError(
        request.tenantId,
        `its erasure record shows data left (${JSON.stringify(erasure.remaining)})`,
      );
    }
  }
  const details: { executionArn: string; reason?: string } = { executionArn: request.executionArn };
  if (request.reason !== undefined) details.reason = request.reason;
  const next = await repository.update(request.tenantId, (tenant) => {
    if (expected !== undefined && tenant.version !== expected) {
      throw new StaleLifecyclePlanError(request.tenantId, expected, tenant.version);
    }
    const moved = transition(tenant, request.to, details);
    return erasure === undefined ? moved : { ...moved, erasure };
  });
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
  /**
   * The tenant's dedicated collection tables on this placement (a promotion switches them with the
   * tier, so the route never names a tier without its tables). Absent: the recorded ones are kept.
   */
  readonly collections?: readonly CollectionTable[];
}

/** Prefix of the `reason` of a placement history entry (status unchanged: `from` = `to`). */
const PLACEMENT_REASON_PREFIX = 'placement: ';

/**
 * Checks a placement against the configuration: the tier must exist and the isolation model must be
 * the tier's; silo references only with the silo model (a silo tier without references is allowed:
 * the compensation of a silo onboarding clears them). Throws ValidationError (never retried).
 */
function validatePlacement(config: TenantryConfig, placement: Placement): void {
  const tier = findTier(config, placement.tier);
  if (tier === undefined) {
    throw new ValidationError('placement', [
      {
        field: 'tier',
        message: `unknown tier "${placement.tier}" (known: ${config.tiers.map((t) => t.name).join(', ')})`,
      },
    ]);
  }
  if (tier.isolation !== placement.isolation) {
    throw new ValidationError('placement', [
      {
        field: 'isolation',
        message: `tier ${tier.name} is ${tier.isolation}, not ${placement.isolation}`,
      },
    ]);
  }
  if (placement.isolation === 'pool' && placement.silo !== null) {
    throw new ValidationError('placement', [
      { field: 'silo', message: 'a pooled placement cannot carry silo references' },
    ]);
  }
  const dedicated = tier.dedicatedCollections ?? [];
  for (const table of placement.collections ?? []) {
    if (!dedicated.includes(table.collection)) {
      throw new ValidationError('placement', [
        {
          field: 'collections',
          message: `"${table.collection}" is not a dedicated collection of tier ${tier.name} (${dedicated.join(', ') || 'none'})`,
        },
      ]);
    }
  }
}

/**
 * Records where the tenant is served from (tier, isolation model, silo references) — the catalog
 * switch of a promotion and its rollback, and the silo references of a silo onboarding — after
 * validating it against the configuration (`validatePlacement`). The change is audited: a history entry
 * with the execution ARN, `from` = `to` = the unchanged status and `reason` `placement: <from> → <to>`.
 * A no-op (no version bump, no entry) when the record already says so.
 */
export async function setPlacement(
  repository: CatalogRepository,
  config: TenantryConfig,
  tenantId: string,
  placement: Placement,
  executionArn: string,
  at: () => Date = () => new Date(),
): Promise<Tenant> {
  validatePlacement(config, placement);
  for (const table of placement.collections ?? []) {
    const expected = collectionTableName(config, tenantId, table.collection);
    if (table.tableName !== expected || !table.tableArn.endsWith(`:table/${expected}`)) {
      throw new ValidationError('placement', [
        { field: 'collections', message: `"${table.tableArn}" is not the table ${expected}` },
      ]);
    }
  }
  return repository.update(tenantId, (tenant) => {
    if (samePlacement(tenant, placement)) return tenant;
    const { silo: _previous, collections: recorded, ...rest } = tenant;
    const collections = placement.collections ?? recorded ?? [];
    const now = at().toISOString();
    const entry: HistoryEntry = {
      from: tenant.status,
      to: tenant.status,
      at: now,
      reason:
        `${PLACEMENT_REASON_PREFIX}${describePlacement(tenant.tier, tenant.isolation, tenant.silo ?? null, recorded ?? [])} → ${describePlacement(placement.tier, placement.isolation, placement.silo, collections)}`.slice(
          0,
          500,
        ),
      executionArn,
    };
    const next: Tenant = {
      ...rest,
      tier: placement.tier,
      isolation: placement.isolation,
      updatedAt: now,
      history: [...tenant.history, entry],
    };
    if (placement.silo !== null) next.silo = placement.silo;
    if (collections.length > 0) next.collections = [...collections];
    return next;
  });
}

function describePlacement(
  tier: string,
  isolation: IsolationModel,
  silo: SiloResources | null,
  collections: readonly CollectionTable[],
): string {
  const tables = [...(silo === null ? [] : [silo.tableName]), ...collections.map((t) => t.tableName)];
  return `${tier}/${isolation}${tables.length === 0 ? '' : ` (${tables.join(', ')})`}`;
}

function samePlacement(tenant: Tenant, placement: Placement): boolean {
  const silo = tenant.silo ?? null;
  const sameSilo =
    silo === null || placement.silo === null
      ? silo === placement.silo
      : silo.stackId === placement.silo.stackId &&
        silo.tableName === placement.silo.tableName &&
        silo.tableArn === placement.silo.tableArn &&
        silo.kmsKeyArn === placement.silo.kmsKeyArn;
  const sameCollections =
    placement.collections === undefined ||
    JSON.stringify(tenant.collections ?? []) === JSON.stringify(placement.collections);
  return (
    tenant.tier === placement.tier && tenant.isolation === placement.isolation && sameSilo && sameCollections
  );
}

/**
 * Records the tenant's own AWS account and where it stands (isolation `account`): as soon as the
 * account exists, and again when it is closed or could not be closed (CLOSE_FAILED: flagged for an
 * operator), so no account is ever forgotten. Audited like a placement (history entry with the
 * execution ARN, status unchanged); a no-op when the record already says so.
 */
export async function recordAccount(
  repository: CatalogRepository,
  tenantId: string,
  account: { readonly accountId: string; readonly status: AccountStatus },
  executionArn: string,
  at: () => Date = () => new Date(),
): Promise<Tenant> {
  return repository.update(tenantId, (tenant) => {
    if (tenant.accountId === account.accountId && tenant.accountStatus === account.status) return tenant;
    return withAuditedChange(
      tenant,
      { accountId: account.accountId, accountStatus: account.status },
      { reason: `account: ${account.accountId} ${account.status}`, executionArn, at },
    );
  });
}

/**
 * Flags a CreateAccount request a compensation could not see finish (still IN_PROGRESS after its
 * bound): the account it makes is the tenant's and must be closed by an operator. Audited like
 * `recordAccount` (history entry with the execution ARN, status unchanged); a no-op when already flagged.
 */
export async function recordPendingAccountRequest(
  repository: CatalogRepository,
  tenantId: string,
  requestId: string,
  executionArn: string,
  at: () => Date = () => new Date(),
): Promise<Tenant> {
  return repository.update(tenantId, (tenant) => {
    if (tenant.pendingAccountRequestId === requestId) return tenant;
    return withAuditedChange(
      tenant,
      { pendingAccountRequestId: requestId },
      {
        reason: `account request: ${requestId} IN_PROGRESS (flagged: close its account once created)`,
        executionArn,
        at,
      },
    );
  });
}

/**
 * Flags the increase of the account's Lambda concurrency quota the lifecycle requested because the
 * quota could not keep the tier's reservation (the silo stack reserves none until an operator applies
 * it). Audited like `recordAccount` (history entry with the execution ARN, status unchanged); a no-op
 * when the record already says so.
 */
export async function recordConcurrencyQuota(
  repository: CatalogRepository,
  tenantId: string,
  quota: ConcurrencyQuota,
  executionArn: string,
  at: () => Date = () => new Date(),
): Promise<Tenant> {
  return repository.update(tenantId, (tenant) => {
    if (JSON.stringify(tenant.concurrencyQuota) === JSON.stringify(quota)) return tenant;
    return withAuditedChange(
      tenant,
      { concurrencyQuota: { requestId: quota.requestId, desired: quota.desired, status: quota.status } },
      {
        reason: `concurrency quota: request ${quota.requestId} for ${quota.desired} ${quota.status} (flagged: no reserved concurrency until applied)`,
        executionArn,
        at,
      },
    );
  });
}

/**
 * Records where the teardown of a silo left behind by a promotion to an account stands (one entry per
 * silo stack, replaced in place), audited like a placement (history entry with the execution ARN,
 * status unchanged); a no-op when the record already says so. ERASED is refused without a clean
 * verification (the schema's rule).
 */
export async function recordRetiredSilo(
  repository: CatalogRepository,
  tenantId: string,
  retired: z.input<typeof retiredSiloSchema>,
  at: () => Date = () => new Date(),
): Promise<Tenant> {
  const record = parseInput(retiredSiloSchema, retired, 'retired silo');
  return repository.update(tenantId, (tenant) => {
    const others = (tenant.retiredSilos ?? []).filter((r) => r.silo.stackId !== record.silo.stackId);
    const known = (tenant.retiredSilos ?? []).find((r) => r.silo.stackId === record.silo.stackId);
    if (known !== undefined && JSON.stringify(known) === JSON.stringify(record)) return tenant;
    return withAuditedChange(
      tenant,
      { retiredSilos: [...others, record] },
      {
        reason: `retired silo: ${record.silo.tableArn} ${record.status}${record.error === null ? '' : `: ${record.error}`}`,
        executionArn: record.executionArn,
        at,
      },
    );
  });
}

/**
 * The tenant with `changes` and an audited history entry for them: status unchanged (`from` = `to`),
 * the execution ARN, the reason cut to the schema's 500 characters.
 */
function withAuditedChange(
  tenant: Tenant,
  changes: Partial<Tenant>,
  audit: { readonly reason: string; readonly executionArn: string; readonly at: () => Date },
): Tenant {
  const now = audit.at().toISOString();
  const entry: HistoryEntry = {
    from: tenant.status,
    to: tenant.status,
    at: now,
    reason: audit.reason.slice(0, 500),
    executionArn: audit.executionArn,
  };
  return { ...tenant, ...changes, updatedAt: now, history: [...tenant.history, entry] };
}
