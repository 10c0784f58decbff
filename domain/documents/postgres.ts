import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';
import type { SqlExecutor, TransactionalDatabase } from '../identity/rls/unit-of-work';

/**
 * The service's PostgreSQL driver on AWS: node-postgres against Aurora PostgreSQL with IAM database
 * authentication. Why not the RDS Data API: the unit of work needs one transaction on one connection
 * (`set_config(..., true)` then the statements); node-postgres gives that with plain SQL, and the
 * `TransactionalDatabase` it implements is the one PGlite implements locally, so the repository and
 * the row-level-security unit of work run the same statements in both places. IAM authentication
 * (a 15-minute token signed by the function's role, `rds-db:connect` on one database user) means no
 * password reaches the function; the master secret in Secrets Manager stays with the migration.
 */

interface PoolLike {
  connect(): Promise<PoolClientLike>;
}
interface PoolClientLike {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  release(destroy?: boolean | Error): void;
}

/** A transaction that can also run multi-statement SQL without parameters (migrations). */
interface NodePostgresTransaction extends SqlExecutor {
  exec(sql: string): Promise<unknown>;
}

/** One transaction per unit of work on one pooled connection: BEGIN, COMMIT, or ROLLBACK on throw. */
export function nodePostgresDatabase(pool: PoolLike): TransactionalDatabase & {
  transaction<T>(work: (tx: NodePostgresTransaction) => Promise<T>): Promise<T>;
} {
  return {
    async transaction<T>(work: (tx: NodePostgresTransaction) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      const tx: NodePostgresTransaction = {
        query: async <Row>(sql: string, params?: unknown[]) =>
          (await client.query(sql, params)) as { rows: Row[] },
        exec: (sql: string) => client.query(sql),
      };
      try {
        await client.query('BEGIN');
        const result = await work(tx);
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (error) {
        // A connection whose rollback failed is in an unknown state: destroy it, never reuse it.
        const rolledBack = await client.query('ROLLBACK').then(
          () => true,
          () => false,
        );
        client.release(!rolledBack);
        throw error;
      }
    },
  };
}

export interface IamDatabaseSettings {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly region: string;
}

/**
 * The pool, surviving the server ending an idle connection (an Aurora failover or restart, a local server
 * stopping): node-postgres drops that client and emits `error` on the pool, which ends the process when
 * nothing listens. The next unit of work opens a new connection; a query in flight still fails to its caller.
 */
export function survivingIdleDisconnects<P extends pg.Pool>(pool: P): P {
  pool.on('error', () => undefined);
  return pool;
}

/** A small connection pool (Lambda: one request at a time) authenticating with IAM tokens over TLS. */
export function iamAuthPool(settings: IamDatabaseSettings): pg.Pool {
  const signer = new Signer({
    hostname: settings.host,
    port: settings.port,
    username: settings.user,
    region: settings.region,
  });
  return survivingIdleDisconnects(
    new pg.Pool({
      host: settings.host,
      port: settings.port,
      database: settings.database,
      user: settings.user,
      password: () => signer.getAuthToken(),
      // The Lambda Node.js runtime trusts the Amazon RDS certificate authorities (NODE_EXTRA_CA_CERTS).
      ssl: { rejectUnauthorized: true },
      max: 2,
      idleTimeoutMillis: 60_000,
    }),
  );
}
