// The local environment's PostgreSQL: a private PostgreSQL server (Debian's postgresql-15 package) on
// loopback, standing in for the pooled Aurora cluster and every silo stack's cluster — one database
// per place, so a promotion that forgets the tenant's rows loses them here as it would on AWS.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { nodePostgresDatabase, survivingIdleDisconnects } from '../domain/documents/postgres';
import { rlsMigrations } from '../domain/identity/rls/migrations';
import { migrate, type TransactionalDatabase } from '../domain/identity/rls/unit-of-work';
import type { RowsDatabases } from '../domain/lifecycle/tenant-rows';
import { awsAccountIdSchema } from '../domain/tenant/tenant';
import { tenantIdSchema } from '../domain/tenant/tenant-id';

/** The superuser of the local server; the application connects as it and switches to the app role. */
const ADMIN_USER = 'tenantry_admin';
const SERVER_USER = 'postgres';
const BIN_DIRS = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'];

export class LocalPostgresError extends Error {
  override name = 'LocalPostgresError';
}

export interface LocalPostgres {
  /** postgres://tenantry_admin@127.0.0.1:<port>/postgres — the administrative URL. */
  readonly url: string;
  readonly log: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * Where a tenant's rows live locally: the pool, the tenant's silo in the platform's account, or its
 * silo in its own account (`accountId`).
 */
export type LocalPlace =
  | { readonly place: 'pool' }
  | { readonly place: 'silo'; readonly tenantId: string; readonly accountId?: string };

/** The database of a place on the local server (≤ 63 characters: `silo_` + account + tenant). */
export function localDatabaseName(place: LocalPlace): string {
  if (place.place === 'pool') return 'tenantry_pool';
  const tenant = tenantIdSchema.parse(place.tenantId).replaceAll('-', '_');
  if (place.accountId === undefined) return `silo_${tenant}`;
  return `silo_${awsAccountIdSchema.parse(place.accountId)}_${tenant}`;
}

/** The tenant-rows function's places on the local server (the RDS Data API's stand-in). */
export function localRowsDatabases(adminUrl: string): RowsDatabases & { close(): Promise<void> } {
  const places = localPostgresPlaces(adminUrl);
  return {
    database: (tenantId, place) =>
      places.database(
        place.place === 'pool'
          ? place
          : {
              place: 'silo',
              tenantId,
              ...(place.account === undefined ? {} : { accountId: place.account.accountId }),
            },
      ),
    close: () => places.close(),
  };
}

/** The administrative URL of the local server on `port`. */
export function localPostgresUrl(port: number): string {
  return `postgres://${ADMIN_USER}@127.0.0.1:${port}/postgres`;
}

function binary(name: string): string {
  for (const dir of BIN_DIRS) if (existsSync(join(dir, name))) return join(dir, name);
  throw new LocalPostgresError(
    `PostgreSQL's ${name} is not installed (looked in ${BIN_DIRS.join(', ')}): apt-get install postgresql-15`,
  );
}

/**
 * PostgreSQL refuses to run as root: then its programs run as the `postgres` user, through setpriv,
 * which execs (no child process), so signals reach the server itself.
 */
function asServerUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0
    ? ['setpriv', ['--reuid', SERVER_USER, '--regid', SERVER_USER, '--init-groups', '--', command, ...args]]
    : [command, args];
}

/**
 * Starts a throwaway server on `port`: initdb in a temporary directory, durability off (a test
 * server), TCP on loopback only, trust authentication (nothing else can reach it). `stop` removes it.
 */
export async function startLocalPostgres(options: {
  port: number;
  logFile: string;
  detached?: boolean;
  timeoutMs?: number;
}): Promise<LocalPostgres> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tenantry-pg-'));
  const root = process.getuid?.() === 0;
  if (root) {
    const { uid, gid } = serverUserIds();
    chownSync(dataDir, uid, gid);
  }
  const [initdb, initArgs] = asServerUser(binary('initdb'), [
    '-D',
    dataDir,
    '-U',
    ADMIN_USER,
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  try {
    execFileSync(initdb, initArgs, { stdio: 'pipe' });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? String(error);
    throw new LocalPostgresError(`initdb failed: ${stderr.trim()}`);
  }
  const fd = openSync(options.logFile, 'w');
  if (root) chownSync(options.logFile, serverUserIds().uid, serverUserIds().gid);
  let child: ChildProcess;
  try {
    const [postgres, args] = asServerUser(binary('postgres'), [
      '-D',
      dataDir,
      '-p',
      String(options.port),
      '-h',
      '127.0.0.1',
      '-k',
      dataDir,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
      '-c',
      'TimeZone=UTC',
    ]);
    child = spawn(postgres, args, { stdio: ['ignore', fd, fd], detached: options.detached ?? false });
    if (options.detached) child.unref();
  } finally {
    closeSync(fd);
  }
  const url = localPostgresUrl(options.port);
  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      // SIGINT: PostgreSQL's fast shutdown (SIGTERM waits for the clients to leave).
      child.kill('SIGINT');
      await new Promise<void>((done) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          done();
        }, 5_000);
        child.once('exit', () => {
          clearTimeout(timer);
          done();
        });
      });
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new LocalPostgresError(
        `the PostgreSQL server exited (${child.exitCode}); see ${options.logFile}`,
      );
    }
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      break;
    } catch {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) {
        await stop();
        throw new LocalPostgresError(
          `the PostgreSQL server did not accept connections; see ${options.logFile}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, log: options.logFile, pid: child.pid ?? -1, stop };
}

function serverUserIds(): { uid: number; gid: number } {
  const line = execFileSync('id', ['-u', SERVER_USER]).toString().trim();
  const group = execFileSync('id', ['-g', SERVER_USER]).toString().trim();
  return { uid: Number(line), gid: Number(group) };
}

/** Drops every place's database: the local environment's reset between test files. */
export async function dropLocalDatabases(adminUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname = 'tenantry_pool' OR datname LIKE 'silo\\_%'",
    );
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/**
 * The places' databases on a local server, each created and migrated on first use — what the silo
 * stack's cluster and its migration custom resource do on AWS. Connections log in as the server's
 * superuser; `withTenant(..., { role: APP_ROLE })` then switches to the application role, which row-level
 * security binds (as the RDS Data API's secret user does on Aurora).
 */
export function localPostgresPlaces(adminUrl: string): {
  database(place: LocalPlace): Promise<TransactionalDatabase>;
  close(): Promise<void>;
} {
  const pools = new Map<string, Promise<pg.Pool>>();
  const open = async (name: string): Promise<pg.Pool> => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (rows.length === 0) {
        await admin.query(`CREATE DATABASE "${name}"`).catch((error: { code?: string }) => {
          // 42P04: another process (a worker thread, the demo) created it first.
          if (error.code !== '42P04' && error.code !== '23505') throw error;
        });
      }
    } finally {
      await admin.end();
    }
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const pool = survivingIdleDisconnects(new pg.Pool({ connectionString: url.toString(), max: 4 }));
    await migrate(nodePostgresDatabase(pool), rlsMigrations).catch(async (error: { code?: string }) => {
      // Two first users migrating at once: one wins the migrations table, the other re-checks.
      if (error.code !== '23505' && error.code !== '42P07') throw error;
      await migrate(nodePostgresDatabase(pool), rlsMigrations);
    });
    return pool;
  };
  return {
    async database(place) {
      const name = localDatabaseName(place);
      let pool = pools.get(name);
      if (pool === undefined) {
        pool = open(name);
        pools.set(name, pool);
        pool.catch(() => pools.delete(name));
      }
      return nodePostgresDatabase(await pool);
    },
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.end()));
    },
  };
}
