import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDatabaseName, localPostgresPlaces } from '../../../local/postgres';
import { resetLocalAws, useLocalAws } from '../support';

// The real engine: the local environment's PostgreSQL server. The server ends the pool's idle connection
// (as a failover, a restart or the demo's shutdown does); the process must survive and the next unit of
// work must run on a new connection. Without a listener, node-postgres' pool `error` event is an uncaught
// exception and vitest fails the run.

let places: ReturnType<typeof localPostgresPlaces>;
let adminUrl: string;

beforeAll(async () => {
  adminUrl = useLocalAws().postgresUrl;
  await resetLocalAws();
  places = localPostgresPlaces(adminUrl);
});

afterAll(async () => {
  await places.close();
});

describe('localPostgresPlaces', () => {
  it('survives the server ending an idle pooled connection and reconnects for the next unit of work', async () => {
    // Prepare: one unit of work leaves its connection idle in the pool
    const database = await places.database({ place: 'pool' });
    const before = await database.transaction((tx) =>
      tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'),
    );
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();

    // Act: the server terminates it (an error nobody handles would surface as an uncaught exception)
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    try {
      const { rows } = await admin.query<{ ended: boolean }>(
        'SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE datname = $1 AND pid = $2',
        [localDatabaseName({ place: 'pool' }), before.rows[0]?.pid],
      );
      expect(rows).toEqual([{ ended: true }]);
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      process.off('uncaughtException', record);
      await admin.end();
    }
    const after = await database.transaction((tx) =>
      tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'),
    );

    // Assess: nothing uncaught; the next unit of work runs on another connection
    expect(uncaught).toEqual([]);
    expect(after.rows[0]?.pid).toEqual(expect.any(Number));
    expect(after.rows[0]?.pid).not.toBe(before.rows[0]?.pid);
  });
});
