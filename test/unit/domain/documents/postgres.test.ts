import { describe, expect, it } from 'vitest';
import { iamAuthPool, nodePostgresDatabase } from '../../../../domain/documents/postgres';

/** A node-postgres pool stand-in recording each statement and how the connection was released. */
function fakePool(failOn?: string) {
  const log: string[] = [];
  const client = {
    query: async (sql: string) => {
      log.push(sql);
      if (sql === failOn) throw new Error(`${sql} failed`);
      return { rows: [{ ok: 1 }] };
    },
    release: (destroy?: boolean | Error) => {
      log.push(`release(${destroy === true ? 'destroy' : 'keep'})`);
    },
  };
  return { log, pool: { connect: async () => client } };
}

describe('nodePostgresDatabase', () => {
  it('runs the work between BEGIN and COMMIT and returns its result', async () => {
    // Prepare
    const { log, pool } = fakePool();

    // Act
    const result = await nodePostgresDatabase(pool).transaction(
      async (tx) => (await tx.query('SELECT 1')).rows,
    );

    // Assess
    expect(result).toEqual([{ ok: 1 }]);
    expect(log).toEqual(['BEGIN', 'SELECT 1', 'COMMIT', 'release(keep)']);
  });

  it('rolls back and rethrows when the work throws', async () => {
    const { log, pool } = fakePool('BAD');

    const attempt = nodePostgresDatabase(pool).transaction((tx) => tx.query('BAD'));

    await expect(attempt).rejects.toThrow('BAD failed');
    expect(log).toEqual(['BEGIN', 'BAD', 'ROLLBACK', 'release(keep)']);
  });

  it('destroys the connection when the rollback fails too', async () => {
    const { log, pool } = fakePool('ROLLBACK');

    const attempt = nodePostgresDatabase(pool).transaction(async () => {
      throw new Error('work failed');
    });

    await expect(attempt).rejects.toThrow('work failed');
    expect(log).toEqual(['BEGIN', 'ROLLBACK', 'release(destroy)']);
  });
});

describe('iamAuthPool', () => {
  it('listens for the errors of idle connections, so a failover does not end the function', () => {
    // Prepare / Act: no connection is opened until a unit of work asks for one
    const pool = iamAuthPool({
      host: 'cluster.example.internal',
      port: 5432,
      database: 'tenantry',
      user: 'documents',
      region: 'eu-west-1',
    });

    // Assess
    expect(pool.listenerCount('error')).toBe(1);
  });
});
