import { TenantryError } from '../domain/errors';

/** The target environment cannot be reached (exit code `unreachable`). */
export class EnvironmentUnavailableError extends TenantryError {
  public constructor(message: string, context: Record<string, unknown> = {}) {
    super(message, context);
  }
}

/** An argument the library's parser accepted but the command refuses (exit code `usage`). */
export class ArgumentError extends TenantryError {
  public constructor(argument: string, message: string) {
    super(`${argument}: ${message}`, { argument });
  }
}
