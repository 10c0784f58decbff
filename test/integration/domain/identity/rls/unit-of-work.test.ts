import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ROLE, OWNER_ROLE, rlsMigrations } from '../../../../../domain/identity/rls/migrations';
import { migrate, withoutTenant, withTenant } from '../../../../../domain/identity/rls/unit-of-work';

// Real PostgreSQL (PGlite, in process). PGlite's session user is a superuser, which bypasses RLS:
// every unit of work below switches to the non-superuser application (or owner) role first.

let db: PGlite;
const asApp = { role: APP_ROLE };
const asOwner = { role: OWNER_ROLE };

type Doc = { tenant_id: string; id: string; title: string };

beforeAll(async () => {
  db = new PGlite();
  await migrate(db, rlsMigrations);
  await db.exec(`
    INSERT INTO tenantry.documents (tenant_id, id, title) VALUES
      ('tenant-a', 'a1', 'A one'), ('tenant-a', 'a2', 'A two'), ('tenant-b', 'b1', 'B one');
  `);
});

afterAll(async () => {
  await db.close();
});

describe('PostgreSQL row-level security', () => {
  it('the roles are neither superusers nor BYPASSRLS', async () => {
    const { rows } = await db.query<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean }>(
      'SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname',
      [[APP_ROLE, OWNER_ROLE]],
    );
    expect(rows).toEqual([
      { rolname: 'tenantry_app', rolsuper: false, rolbypassrls: false },
      { rolname: 'tenantry_owner', rolsuper: false, rolbypassrls: false },
    ]);
    const { rows: table } = await db.query<{
      relrowsecurity: boolean;
      relforcerowsecurity: boolean;
      owner: string;
    }>(
      `SELECT relrowsecurity, relforcerowsecurity, pg_get_userbyid(relowner) AS owner
         FROM pg_class WHERE oid = 'tenantry.documents'::regclass`,
    );
    expect(table).toEqual([{ relrowsecurity: true, relforcerowsecurity: true, owner: 'tenantry_owner' }]);
  });

  it('tenant A sees only its rows', async () => {
    const rows = await withTenant(
      db,
      'tenant-a',
      async (tx) => (await tx.query<Doc>('SELECT id FROM tenantry.documents ORDER BY id')).rows,
      asApp,
    );
    expect(rows.map((r) => r.id)).toEqual(['a1', 'a2']);
  });

  it('tenant A cannot read B rows even by naming them', async () => {
    const rows = await withTenant(
      db,
      'tenant-a',
      async (tx) =>
        (await tx.query<Doc>("SELECT id FROM tenantry.documents WHERE tenant_id = 'tenant-b'")).rows,
      asApp,
    );
    expect(rows).toEqual([]);
  });

  it('tenant A cannot insert a row for B', async () => {
    const attempt = withTenant(
      db,
      'tenant-a',
      (tx) =>
        tx.query("INSERT INTO tenantry.documents (tenant_id, id, title) VALUES ('tenant-b', 'x', 'planted')"),
      asApp,
    );
    await expect(attempt).rejects.toThrow(/row-level security/);
  });

  it('tenant A cannot update B rows, nor move its own rows to B', async () => {
    const touched = await withTenant(
      db,
      'tenant-a',
      async (tx) =>
        (await tx.query("UPDATE tenantry.documents SET title = 'hijacked' WHERE id = 'b1' RETURNING id"))
          .rows,
      asApp,
    );
    expect(touched).toEqual([]);
    const move = withTenant(
      db,
      'tenant-a',
      (tx) => tx.query("UPDATE tenantry.documents SET tenant_id = 'tenant-b' WHERE id = 'a1'"),
      asApp,
    );
    await expect(move).rejects.toThrow(/row-level security/);
    const { rows } = await db.query<Doc>("SELECT title FROM tenantry.documents WHERE id = 'b1'");
    expect(rows).toEqual([{ title: 'B one' }]);
  });

  it('tenant A cannot delete B rows', async () => {
    const deleted = await withTenant(
      db,
      'tenant-a',
      async (tx) =>
        (await tx.query("DELETE FROM tenantry.documents WHERE tenant_id = 'tenant-b' RETURNING id")).rows,
      asApp,
    );
    expect(deleted).toEqual([]);
  });

  it('the table owner is filtered too (FORCE)', async () => {
    const rows = await withTenant(
      db,
      'tenant-b',
      async (tx) => (await tx.query<Doc>('SELECT id FROM tenantry.documents')).rows,
      asOwner,
    );
    expect(rows.map((r) => r.id)).toEqual(['b1']);
    const none = await withoutTenant(
      db,
      async (tx) => (await tx.query('SELECT id FROM tenantry.documents')).rows,
      asOwner,
    );
    expect(none).toEqual([]);
  });

  it('a unit of work without a tenant sees zero rows, not all rows', async () => {
    const rows = await withoutTenant(
      db,
      async (tx) => (await tx.query('SELECT id FROM tenantry.documents')).rows,
      asApp,
    );
    expect(rows).toEqual([]);
  });

  it('the tenant setting does not outlive its transaction', async () => {
    await withTenant(db, 'tenant-a', (tx) => tx.query('SELECT 1'), asApp);
    const rows = await withoutTenant(
      db,
      async (tx) => (await tx.query('SELECT id FROM tenantry.documents')).rows,
      asApp,
    );
    expect(rows).toEqual([]);
  });

  it('a tenant writes its own rows', async () => {
    await withTenant(
      db,
      'tenant-b',
      (tx) =>
        tx.query("INSERT INTO tenantry.documents (tenant_id, id, title) VALUES ('tenant-b', 'b2', 'B two')"),
      asApp,
    );
    const rows = await withTenant(
      db,
      'tenant-b',
      async (tx) => (await tx.query<Doc>('SELECT id FROM tenantry.documents ORDER BY id')).rows,
      asApp,
    );
    expect(rows.map((r) => r.id)).toEqual(['b1', 'b2']);
  });

  it('refuses an invalid tenant id before touching the database', async () => {
    await expect(withTenant(db, "x' OR '1'='1", async () => 1, asApp)).rejects.toThrow(
      /must be 3-40 characters/,
    );
  });

  it('migrations are idempotent', async () => {
    expect(await migrate(db, rlsMigrations)).toEqual([]);
  });
});
