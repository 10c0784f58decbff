import { z } from 'zod';
import { envVar } from '../env';
import { APP_ROLE, TENANT_TABLES, type TenantTable } from '../identity/rls/migrations';
import { type SqlExecutor, type TransactionalDatabase, withTenant } from '../identity/rls/unit-of-work';
import type { TenantId } from '../tenant/tenant-id';
import { accountTableTargetSchema } from './account-data';
import { RowsVerificationError } from './errors';

/**
 * Where a tenant's relational rows are (every table of TENANT_TABLES, under row-level security): the
 * pooled database, or the tenant's silo database — its silo stack's Aurora cluster, reached through
 * the RDS Data API with the stack's secret; in the tenant's own account through the deployment role.
 * A silo template built for the local environment has no cluster (`in-process`): then both ARNs are
 * null and the local PostgreSQL server (local/postgres.ts) holds the silo's database.
 */
export const rowsPlaceSchema = z.discriminatedUnion('place', [
  z.object({ place: z.literal('pool') }),
  z.object({
    place: z.literal('silo'),
    /** The silo stack's `DatabaseClusterArn` output; null where the template has no cluster (local). */
    clusterArn: envVar.arn().nullable().default(null),
    /** The silo stack's `DatabaseSecretArn` output (the Data API authenticates with it). */
    secretArn: envVar.arn().nullable().default(null),
    /** A silo in the tenant's own account: its account and region. */
    account: accountTableTargetSchema.optional(),
  }),
]);
export type RowsPlace = z.infer<typeof rowsPlaceSchema>;

/** Opens the database of a tenant's place (the Data API on AWS, the local server's database locally). */
export interface RowsDatabases {
  database(tenantId: TenantId, place: RowsPlace): Promise<TransactionalDatabase>;
}

export interface RowsOptions {
  /** Rows per statement. */
  readonly maxRows: number;
  /** True once the invocation must return its cursor. */
  readonly deadline: () => boolean;
  /** Default TENANT_TABLES. */
  readonly tables?: readonly TenantTable[];
}

/** Where a copy or an erasure stands: the table (index into the tables) and the last key done there. */
interface RowsPosition {
  readonly table: number;
  readonly key: readonly unknown[] | null;
}

const positionSchema = z.object({
  table: z.number().int().nonnegative(),
  key: z.array(z.unknown()).nullable(),
});

function positionOf(afterKey: string | null): RowsPosition {
  if (afterKey === null) return { table: 0, key: null };
  return positionSchema.parse(JSON.parse(afterKey));
}

/**
 * The tenant's unit of work for moving rows: the application role (row-level security binds it, as it
 * binds the service) and UTC, so timestamps read as JSON mean the same instant in every database.
 */
function tenantRows<T>(db: TransactionalDatabase, tenantId: TenantId, work: (tx: SqlExecutor) => Promise<T>) {
  return withTenant(
    db,
    tenantId,
    async (tx) => {
      await tx.query("SELECT set_config('TimeZone', 'UTC', true)");
      return work(tx);
    },
    { role: APP_ROLE },
  );
}

const columnList = (table: TenantTable) => table.columns.map((c) => c.name).join(', ');
const keyList = (table: TenantTable) => table.key.join(', ');

/** `(k1, k2) > ($2::t1, $3::t2)`: the rows after the last key copied, in key order. */
function afterKeySql(table: TenantTable, firstParam: number): string {
  const types = table.key.map((k) => table.columns.find((c) => c.name === k)?.type ?? 'text');
  return `(${keyList(table)}) > (${types.map((t, i) => `$${firstParam + i}::${t}`).join(', ')})`;
}

/**
 * Copies chunks of a tenant's rows from `source` to `target`, table by table in key order, until all
 * are copied or the deadline nears. Rows are read as JSON (`row_to_json`) and written with
 * `jsonb_to_recordset`, one statement per chunk whatever the driver; `ON CONFLICT DO NOTHING` makes a
 * retried chunk harmless and never overwrites a row already at the target (it may be newer).
 */
export async function copyTenantRows(
  source: TransactionalDatabase,
  target: TransactionalDatabase,
  tenantId: TenantId,
  afterKey: string | null,
  options: RowsOptions,
): Promise<{ afterKey: string | null; copied: number; done: boolean }> {
  const tables = options.tables ?? TENANT_TABLES;
  let position = positionOf(afterKey);
  let copied = 0;
  while (position.table < tables.length) {
    const table = tables[position.table] as TenantTable;
    const rows = await tenantRows(source, tenantId, async (tx) => {
      const after = position.key === null ? '' : ` AND ${afterKeySql(table, 2)}`;
      const { rows } = await tx.query<{ row: string }>(
        `SELECT row_to_json(r)::text AS row FROM (SELECT ${columnList(table)} FROM ${table.name} ` +
          `WHERE tenant_id = $1${after} ORDER BY ${keyList(table)} LIMIT ${options.maxRows}) r`,
        [tenantId, ...(position.key ?? [])],
      );
      return rows.map((r) => r.row);
    });
    if (rows.length > 0) {
      const recordType = table.columns.map((c) => `${c.name} ${c.type}`).join(', ');
      await tenantRows(target, tenantId, (tx) =>
        tx.query(
          `INSERT INTO ${table.name} (${columnList(table)}) SELECT ${columnList(table)} ` +
            `FROM jsonb_to_recordset($1::jsonb) AS r(${recordType}) ` +
            `ON CONFLICT (tenant_id, ${keyList(table)}) DO NOTHING`,
          [`[${rows.join(',')}]`],
        ),
      );
      copied += rows.length;
    }
    if (rows.length < options.maxRows) {
      position = { table: position.table + 1, key: null };
    } else {
      const last = JSON.parse(rows[rows.length - 1] as string) as Record<string, unknown>;
      position = { table: position.table, key: table.key.map((k) => last[k]) };
    }
    if (options.deadline()) break;
  }
  const done = position.table >= tables.length;
  return { afterKey: done ? null : JSON.stringify(position), copied, done };
}

export interface RowsTally {
  readonly count: number;
  readonly checksum: string;
}

/** Count and an order-independent checksum (sum of 60-bit prefixes of each row's JSON md5) of a table. */
async function tally(db: TransactionalDatabase, tenantId: TenantId, table: TenantTable): Promise<RowsTally> {
  return tenantRows(db, tenantId, async (tx) => {
    const { rows } = await tx.query<{ count: string; checksum: string }>(
      `SELECT count(*)::text AS count, coalesce(sum(('x' || substr(md5(row_to_json(r)::text), 1, 15))::bit(60)::bigint), 0)::text AS checksum ` +
        `FROM (SELECT ${columnList(table)} FROM ${table.name} WHERE tenant_id = $1) r`,
      [tenantId],
    );
    const row = rows[0] as { count: string; checksum: string };
    return { count: Number(row.count), checksum: row.checksum };
  });
}

/**
 * Verifies a copy: per table, the tenant's rows at the target have the source's count and checksum.
 * A difference is RowsVerificationError naming the table. Returns the rows verified.
 */
export async function verifyTenantRows(
  source: TransactionalDatabase,
  target: TransactionalDatabase,
  tenantId: TenantId,
  tables: readonly TenantTable[] = TENANT_TABLES,
): Promise<number> {
  let rows = 0;
  for (const table of tables) {
    const [from, to] = await Promise.all([tally(source, tenantId, table), tally(target, tenantId, table)]);
    if (from.count !== to.count || from.checksum !== to.checksum)
      throw new RowsVerificationError(tenantId, table.name, from, to);
    rows += from.count;
  }
  return rows;
}

/**
 * Erases a tenant's rows at `db`, children before parents, a chunk per statement until none is left or
 * the deadline nears; done only when a count finds none (the proof the erasure record cites).
 */
export async function eraseTenantRows(
  db: TransactionalDatabase,
  tenantId: TenantId,
  options: RowsOptions,
): Promise<{ erased: number; done: boolean }> {
  const tables = [...(options.tables ?? TENANT_TABLES)].reverse();
  let erased = 0;
  for (const table of tables) {
    for (;;) {
      const deleted = await tenantRows(db, tenantId, async (tx) => {
        const { rows } = await tx.query<{ n: string }>(
          `WITH gone AS (DELETE FROM ${table.name} WHERE tenant_id = $1 AND (${keyList(table)}) IN ` +
            `(SELECT ${keyList(table)} FROM ${table.name} WHERE tenant_id = $1 LIMIT ${options.maxRows}) RETURNING 1) ` +
            'SELECT count(*)::text AS n FROM gone',
          [tenantId],
        );
        return Number((rows[0] as { n: string }).n);
      });
      erased += deleted;
      if (deleted < options.maxRows) break;
      if (options.deadline()) return { erased, done: false };
    }
  }
  for (const table of tables) {
    const left = await tally(db, tenantId, table);
    if (left.count !== 0)
      throw new RowsVerificationError(tenantId, table.name, { count: 0, checksum: '0' }, left);
  }
  return { erased, done: true };
}
