import { TenantryError } from '../errors';

/**
 * Errors raised by the lifecycle tasks. Their `name` is what Step Functions Retry/Catch match
 * (the Lambda runtime reports `error.name` as the error type), so renaming one is a breaking change
 * for workflows/*.ts.
 */

/** The copied items do not match the source (count or checksum). Never retried: it is a data error. */
export class DataVerificationError extends TenantryError {
  public constructor(
    tenantId: string,
    source: { count: number; checksum: string },
    target: { count: number; checksum: string },
  ) {
    super(
      `tenant ${tenantId}: copy verification failed: source has ${source.count} items (checksum ${source.checksum}), ` +
        `target has ${target.count} items (checksum ${target.checksum})`,
      { tenantId, source, target },
    );
  }
}

/**
 * A tenant's PostgreSQL rows at the target differ from the source (count or checksum, per table), or
 * rows remain after an erasure. Never retried: it is a data error; the move rolls back.
 */
export class RowsVerificationError extends TenantryError {
  public constructor(
    tenantId: string,
    table: string,
    source: { count: number; checksum: string },
    target: { count: number; checksum: string },
  ) {
    super(
      `tenant ${tenantId}: ${table}: the source has ${source.count} rows (checksum ${source.checksum}), ` +
        `the target ${target.count} (checksum ${target.checksum})`,
      { tenantId, table, source, target },
    );
  }
}

/** A tenant-rows place cannot be reached: e.g. a silo whose database references were never recorded. */
export class RowsPlaceError extends TenantryError {
  public constructor(tenantId: string, reason: string) {
    super(`tenant ${tenantId}: cannot reach the rows' database: ${reason}`, { tenantId, reason });
  }
}

/** The tenant is not in a state the requested lifecycle operation can start from. */
export class LifecyclePreconditionError extends TenantryError {
  public constructor(tenantId: string, operation: string, reason: string) {
    super(`tenant ${tenantId} cannot be ${operation}: ${reason}`, { tenantId, operation, reason });
  }
}

/** A silo stack is in a state the workflow cannot continue from (e.g. DELETE_FAILED). */
export class SiloStackError extends TenantryError {
  public constructor(stackName: string, status: string, reason?: string) {
    super(`silo stack ${stackName} is ${status}${reason ? `: ${reason}` : ''}`, {
      stackName,
      status,
      reason,
    });
  }
}

/**
 * The pool purge of a promotion found items it may not delete: the tenant's pooled item has no copy in
 * the silo, or its copy differs (written or changed after the copy was verified, e.g. through cached
 * read-write access). Nothing of that page was deleted. Never retried: the promotion rolls back (the
 * pool keeps the newer items; the restore never overwrites an item present in the pool).
 */
export class PurgeRefusedError extends TenantryError {
  public constructor(tenantId: string, missing: number, differing: number, sample: readonly string[]) {
    super(
      `tenant ${tenantId}: refusing to purge the pool: ${missing} items have no silo copy and ${differing} differ from it (e.g. ${sample.join(', ')})`,
      { tenantId, missing, differing, sample },
    );
  }
}

/**
 * The tenant's record changed between a workflow's Validate and its first write (e.g. another
 * promotion ran in between): the plan is stale. Never retried: the run is rejected and changes nothing.
 */
export class StaleLifecyclePlanError extends TenantryError {
  public constructor(tenantId: string, expected: number, actual: number) {
    super(`tenant ${tenantId} changed since it was validated (version ${expected}, now ${actual})`, {
      tenantId,
      expected,
      actual,
    });
  }
}

/** OFFBOARDED was asked for without an erasure record proving nothing of the tenant is left. */
export class ErasureNotProvenError extends TenantryError {
  public constructor(tenantId: string, reason: string) {
    super(`tenant ${tenantId} cannot be marked OFFBOARDED: ${reason}`, { tenantId, reason });
  }
}

/**
 * A tenant's AWS account cannot be used: its creation failed, it is not in the organization, or it is
 * not ACTIVE. Never retried: the onboarding compensates (issue 15).
 */
export class MemberAccountError extends TenantryError {
  public constructor(tenantId: string, account: string, reason: string) {
    super(`tenant ${tenantId}: account ${account}: ${reason}`, { tenantId, account, reason });
  }
}

/** A tenant account's Lambda concurrency could not be read, or its quota increase not requested. */
export class ConcurrencyQuotaError extends TenantryError {
  public constructor(tenantId: string, reason: string) {
    super(`tenant ${tenantId}: Lambda concurrency quota: ${reason}`, { tenantId, reason });
  }
}
