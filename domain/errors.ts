/**
 * Named errors shared by every part of Tenantry. Each carries the context a caller (or an
 * operator reading a log line) needs to see what was wrong, and a stable `name` that Step
 * Functions Retry/Catch clauses can match.
 */
export class TenantryError extends Error {
  public readonly context: Readonly<Record<string, unknown>>;

  public constructor(message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.context = context;
  }
}

/** One offending field of an input, as reported by validation. */
export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

/** Input (an event, a request, a config file) failed validation; `issues` names each bad field. */
export class ValidationError extends TenantryError {
  public readonly issues: readonly FieldIssue[];

  public constructor(subject: string, issues: readonly FieldIssue[]) {
    super(`invalid ${subject}: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, {
      subject,
      issues,
    });
    this.issues = issues;
  }
}

/** The Tenantry configuration is invalid. */
export class ConfigurationError extends ValidationError {
  public constructor(issues: readonly FieldIssue[]) {
    super('configuration', issues);
  }
}

/** An environment variable a function needs is missing or malformed (raised at cold start). */
export class EnvironmentError extends ValidationError {
  public constructor(issues: readonly FieldIssue[]) {
    super('environment', issues);
  }
}

export class TenantNotFoundError extends TenantryError {
  public constructor(tenantId: string) {
    super(`tenant ${tenantId} does not exist`, { tenantId });
  }
}

export class TenantAlreadyExistsError extends TenantryError {
  public constructor(tenantId: string) {
    super(`tenant ${tenantId} already exists`, { tenantId });
  }
}

export class IllegalTransitionError extends TenantryError {
  public constructor(tenantId: string, from: string, to: string) {
    super(`tenant ${tenantId} cannot go from ${from} to ${to}`, { tenantId, from, to });
  }
}

/** Optimistic concurrency gave up after repeated conflicting writes. */
export class ConcurrentModificationError extends TenantryError {
  public constructor(tenantId: string, attempts: number) {
    super(`tenant ${tenantId} kept changing under us; gave up after ${attempts} attempts`, {
      tenantId,
      attempts,
    });
  }
}

/**
 * DynamoDB kept returning UnprocessedItems (or UnprocessedKeys) round after round. Transient by
 * nature: callers retry the whole operation, and batch requests are idempotent.
 */
export class UnprocessedItemsError extends TenantryError {
  public constructor(table: string, remaining: number, attempts: number) {
    super(`${remaining} items still unprocessed in ${table} after ${attempts} batch attempts`, {
      table,
      remaining,
      attempts,
    });
  }
}
