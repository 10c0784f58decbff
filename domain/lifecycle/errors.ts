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
 * DynamoDB kept returning UnprocessedItems after every retry of one batch. Transient by nature: the
 * workflow retries the task, and the writes are idempotent (same keys, same items).
 */
export class UnprocessedItemsError extends TenantryError {
  public constructor(table: string, remaining: number, attempts: number) {
    super(`${remaining} items still unprocessed in ${table} after ${attempts} BatchWriteItem attempts`, {
      table,
      remaining,
      attempts,
    });
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
