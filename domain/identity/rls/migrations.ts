/**
 * PostgreSQL migrations for pooled relational data isolated by row-level security.
 *
 * - `tenantry_owner` owns the tables: not a superuser, no BYPASSRLS, so FORCE ROW LEVEL SECURITY
 *   binds it too (superusers and BYPASSRLS roles always bypass RLS, even with FORCE).
 * - `tenantry_app` is what the application connects as: not a superuser, no BYPASSRLS, only DML.
 * - Every tenant table has a `tenant_id` column and one policy comparing it with the transaction's
 *   `app.current_tenant` setting. Unset (NULL, or '' after a transaction ends) matches no row.
 *
 * Apply them as a role that may create roles (the database administrator), in order, once each.
 */
interface Migration {
  readonly id: string;
  readonly sql: string;
}

export const OWNER_ROLE = 'tenantry_owner';
export const APP_ROLE = 'tenantry_app';
/** The setting the policy reads; set per transaction with `SET LOCAL` semantics. */
export const TENANT_SETTING = 'app.current_tenant';

/** Enables and forces RLS on a table with a `tenant_id text` column (identifier validated). */
function tenantRlsSql(table: string): string {
  if (!/^(?:[a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,62}$/.test(table)) {
    throw new RangeError(`"${table}" is not a plain (optionally schema-qualified) SQL identifier`);
  }
  return `
ALTER TABLE ${table} OWNER TO ${OWNER_ROLE};
ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON ${table};
CREATE POLICY tenant_isolation ON ${table}
  USING (tenant_id = current_setting('${TENANT_SETTING}', true))
  WITH CHECK (tenant_id = current_setting('${TENANT_SETTING}', true));
GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO ${APP_ROLE};
`;
}

/** A tenant table's columns and their SQL types (tenant_id first; the key follows it). */
export interface TenantTable {
  readonly name: string;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  /** The primary key after tenant_id: a tenant's rows are copied in this order. */
  readonly key: readonly string[];
}

/**
 * Every table that holds tenant rows, parents before children: what a promotion moves between the
 * pooled and a silo database and what offboarding erases (domain/lifecycle/tenant-rows.ts). A new tenant
 * table is added here with its migration.
 */
export const TENANT_TABLES: readonly TenantTable[] = [
  {
    name: 'tenantry.documents',
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'id', type: 'text' },
      { name: 'title', type: 'text' },
      { name: 'created_at', type: 'timestamptz' },
    ],
    key: ['id'],
  },
];

export const rlsMigrations: readonly Migration[] = [
  {
    id: '0001_roles',
    sql: `
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${OWNER_ROLE}') THEN
    CREATE ROLE ${OWNER_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_ROLE}') THEN
    CREATE ROLE ${APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB;
  END IF;
END $$;
CREATE SCHEMA IF NOT EXISTS tenantry AUTHORIZATION ${OWNER_ROLE};
GRANT USAGE ON SCHEMA tenantry TO ${APP_ROLE};
`,
  },
  {
    id: '0002_documents',
    sql: `
CREATE TABLE IF NOT EXISTS tenantry.documents (
  tenant_id  text        NOT NULL CHECK (tenant_id ~ '^[a-z][a-z0-9-]{1,38}[a-z0-9]$'),
  id         text        NOT NULL,
  title      text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
${tenantRlsSql('tenantry.documents')}
`,
  },
];
