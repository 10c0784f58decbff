import { type TenantId, tenantIdSchema } from '../../tenant/tenant-id';
import { TENANT_SETTING } from './migrations';

/** What a unit of work may do: run a parameterised query inside the transaction. */
export interface SqlExecutor {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: Row[] }>;
}

/**
 * A database that runs a callback inside one transaction on one connection, committing when it
 * resolves and rolling back when it throws. PGlite's `transaction` has this shape; for node-postgres
 * wrap a pooled client in BEGIN/COMMIT/ROLLBACK.
 */
export interface TransactionalDatabase {
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
}

interface UnitOfWorkOptions {
  /**
   * Switch to this role for the transaction only (`SET LOCAL ROLE`), when the connection's own user
   * is not already the application role (e.g. an administrative connection in tests).
   */
  readonly role?: string;
}

/**
 * Runs `work` in a transaction bound to one tenant: `set_config('app.current_tenant', id, true)` —
 * the parameterised form of `SET LOCAL app.current_tenant` — so the setting ends with the
 * transaction and can never carry over to the next unit of work on a pooled connection. Row-level
 * security then filters every statement to that tenant.
 */
export async function withTenant<T>(
  db: TransactionalDatabase,
  tenantId: TenantId,
  work: (tx: SqlExecutor) => Promise<T>,
  options: UnitOfWorkOptions = {},
): Promise<T> {
  const tenant = tenantIdSchema.parse(tenantId);
  return db.transaction(async (tx) => {
    if (options.role !== undefined) await tx.query(`SET LOCAL ROLE ${identifier(options.role)}`);
    await tx.query('SELECT set_config($1, $2, true)', [TENANT_SETTING, tenant]);
    return work(tx);
  });
}

/** A transaction with NO tenant set (RLS then shows zero rows): for tests and maintenance probes. */
export function withoutTenant<T>(
  db: TransactionalDatabase,
  work: (tx: SqlExecutor) => Promise<T>,
  options: UnitOfWorkOptions = {},
): Promise<T> {
  return db.transaction(async (tx) => {
    if (options.role !== undefined) await tx.query(`SET LOCAL ROLE ${identifier(options.role)}`);
    return work(tx);
  });
}

function identifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new RangeError(`"${name}" is not a plain SQL identifier`);
  return name;
}

/** A transaction that can also run multi-statement SQL (PGlite's `exec`; node-postgres' `query`). */
interface MigrationTransaction extends SqlExecutor {
  exec(sql: string): Promise<unknown>;
}

/** Applies migrations in order, each with its record in one transaction; already-applied ones are skipped. */
export async function migrate(
  db: { transaction<T>(work: (tx: MigrationTransaction) => Promise<T>): Promise<T> },
  migrations: readonly { id: string; sql: string }[],
): Promise<string[]> {
  await db.transaction((tx) =>
    tx.exec(
      'CREATE TABLE IF NOT EXISTS public.tenantry_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    ),
  );
  const applied: string[] = [];
  for (const migration of migrations) {
    const done = await db.transaction(async (tx) => {
      const { rows } = await tx.query('SELECT 1 FROM public.tenantry_migrations WHERE id = $1', [
        migration.id,
      ]);
      if (rows.length > 0) return false;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO public.tenantry_migrations (id) VALUES ($1)', [migration.id]);
      return true;
    });
    if (done) applied.push(migration.id);
  }
  return applied;
}
