import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransactionalDatabase } from '../../../../domain/identity/rls/unit-of-work';
import { RowsVerificationError } from '../../../../domain/lifecycle/errors';
import { copyTenantRows, eraseTenantRows, verifyTenantRows } from '../../../../domain/lifecycle/tenant-rows';
import type { TenantId } from '../../../../domain/tenant/tenant-id';
import { localDatabaseName, localPostgresPlaces } from '../../../../local/postgres';
import { resetLocalAws, useLocalAws } from '../../support';

// The real engine: the local environment's PostgreSQL server, one database per place (the pool and a
// silo), migrated with the row-level-security migrations; rows are read back with an administrative
// connection that bypasses RLS, so what the assertions see is what the databases hold.

const TENANT = 'rows-co' as TenantId;
const NEIGHBOUR = 'other-co' as TenantId;
const never = () => false;

let places: ReturnType<typeof localPostgresPlaces>;
let pool: TransactionalDatabase;
let silo: TransactionalDatabase;
let adminUrl: string;

/** Every row of `tenant` in a place's database, as the database holds it (superuser: no RLS). */
async function rowsIn(
  database: string,
  tenant: string,
): Promise<{ id: string; title: string; created_at: string }[]> {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rows } = await client.query(
      "SELECT id, title, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS created_at FROM tenantry.documents WHERE tenant_id = $1 ORDER BY id",
      [tenant],
    );
    return rows;
  } finally {
    await client.end();
  }
}

async function seed(database: string, tenant: string, count: number, prefix = 'doc'): Promise<void> {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO tenantry.documents (tenant_id, id, title, created_at)
       SELECT $1, $2 || lpad(n::text, 5, '0'), 'title ' || n || ' ''quoted'' ünïcode',
              timestamptz '2026-01-01 00:00:00.123456+00' + n * interval '1 minute'
       FROM generate_series(1, $3::int) AS n`,
      [tenant, prefix, count],
    );
  } finally {
    await client.end();
  }
}

const digest = (rows: unknown[]) => createHash('sha256').update(JSON.stringify(rows)).digest('hex');

beforeAll(async () => {
  const aws = useLocalAws();
  await resetLocalAws();
  adminUrl = aws.postgresUrl;
  places = localPostgresPlaces(adminUrl);
  pool = await places.database({ place: 'pool' });
  silo = await places.database({ place: 'silo', tenantId: TENANT });
});

afterAll(async () => {
  await places.close();
});

describe('tenant rows between the pooled and a silo database', () => {
  it('copies every row in chunks across invocations, byte for byte, and only the tenant’s', async () => {
    // Prepare: 1,234 rows of the tenant and 50 of a neighbour in the pool
    await seed('tenantry_pool', TENANT, 1_234);
    await seed('tenantry_pool', NEIGHBOUR, 50, 'n');
    const before = await rowsIn('tenantry_pool', TENANT);
    // Act: chunks of 100, a deadline after every second chunk (a cursor handed from call to call)
    let afterKey: string | null = null;
    let copied = 0;
    let calls = 0;
    for (;;) {
      let chunks = 0;
      const result = await copyTenantRows(pool, silo, TENANT, afterKey, {
        maxRows: 100,
        deadline: () => ++chunks >= 2,
      });
      calls += 1;
      copied += result.copied;
      afterKey = result.afterKey;
      if (result.done) break;
    }
    // Assess
    expect(before).toHaveLength(1_234);
    expect(copied).toBe(1_234);
    expect(calls).toBe(7); // 13 chunks (12 full, 1 partial), two per call
    expect(digest(await rowsIn(localDatabaseName({ place: 'silo', tenantId: TENANT }), TENANT))).toBe(
      digest(before),
    );
    expect(await rowsIn(localDatabaseName({ place: 'silo', tenantId: TENANT }), NEIGHBOUR)).toEqual([]);
    expect(await verifyTenantRows(pool, silo, TENANT)).toBe(1_234);
  });

  it('a retried chunk changes nothing (ON CONFLICT DO NOTHING), and a row already at the target is kept', async () => {
    // Prepare: the silo's copy of doc00001 changed after the copy (newer)
    const siloDb = localDatabaseName({ place: 'silo', tenantId: TENANT });
    const url = new URL(adminUrl);
    url.pathname = `/${siloDb}`;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    await client.query(
      "UPDATE tenantry.documents SET title = 'newer' WHERE tenant_id = $1 AND id = 'doc00001'",
      [TENANT],
    );
    await client.end();
    // Act: the whole copy again
    const again = await copyTenantRows(pool, silo, TENANT, null, { maxRows: 500, deadline: never });
    // Assess
    expect(again.done).toBe(true);
    expect(await rowsIn(siloDb, TENANT)).toHaveLength(1_234);
    expect((await rowsIn(siloDb, TENANT))[0]?.title).toBe('newer');
  });

  it('verification names the table when a row differs or is missing', async () => {
    // Act / Assess: the changed title above
    const mismatch = await verifyTenantRows(pool, silo, TENANT).catch((e: unknown) => e);
    expect(mismatch).toBeInstanceOf(RowsVerificationError);
    expect((mismatch as Error).message).toMatch(
      /tenantry\.documents: the source has 1234 rows .* the target 1234/,
    );
    // a missing row
    await eraseTenantRows(silo, TENANT, { maxRows: 1_000, deadline: never });
    const missing = await verifyTenantRows(pool, silo, TENANT).catch((e: unknown) => e);
    expect((missing as Error).message).toMatch(/the source has 1234 rows .* the target 0 \(checksum 0\)/);
  });

  it('erasure removes every row of the tenant in chunks and leaves the neighbour whole', async () => {
    // Act: chunks of 100 with a deadline after 3 statements
    let erased = 0;
    let calls = 0;
    for (;;) {
      let statements = 0;
      const result = await eraseTenantRows(pool, TENANT, { maxRows: 100, deadline: () => ++statements >= 3 });
      erased += result.erased;
      calls += 1;
      if (result.done) break;
    }
    // Assess
    expect(erased).toBe(1_234);
    expect(calls).toBe(5);
    expect(await rowsIn('tenantry_pool', TENANT)).toEqual([]);
    expect(await rowsIn('tenantry_pool', NEIGHBOUR)).toHaveLength(50);
  });
});
