import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  type ExecuteStatementCommandInput,
  RDSDataClient,
  RollbackTransactionCommand,
} from '@aws-sdk/client-rds-data';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { expectColdStartToRequire, importHandler } from '../../support/lambda';

// The AWS path of the tenant-rows function: every place through the RDS Data API (mocked here; the
// SQL itself runs against the real engine in test/integration/domain/lifecycle/tenant-rows.test.ts).

const POOLED_CLUSTER = 'arn:aws:rds:us-east-1:111122223333:cluster:tenantry-dev-pooled';
const POOLED_SECRET = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:pooled-AbCdEf';
const SILO_CLUSTER = 'arn:aws:rds:eu-central-1:111122223333:cluster:tenantry-dev-silo-acme-db';
const SILO_SECRET = 'arn:aws:secretsmanager:eu-central-1:111122223333:secret:rds!cluster-1-AbCdEf';
const ENV = {
  POOLED_DATABASE_CLUSTER_ARN: POOLED_CLUSTER,
  POOLED_DATABASE_SECRET_ARN: POOLED_SECRET,
  DATABASE_NAME: 'tenantry',
  LOCAL_POSTGRES_URL: undefined,
  ROWS_CHUNK: undefined,
};
const load = () => import('../../../../lambdas/tenant-rows/handler');
const rds = mockClient(RDSDataClient);
const silo = { place: 'silo', clusterArn: SILO_CLUSTER, secretArn: SILO_SECRET } as const;

/** The Data API answers a tally (count and checksum) per cluster, and nothing else. */
function tallies(byCluster: Record<string, { count: string; checksum: string }>) {
  rds.on(BeginTransactionCommand).callsFake((input) => ({ transactionId: `tx-${input.resourceArn}` }));
  rds.on(CommitTransactionCommand).resolves({});
  rds.on(RollbackTransactionCommand).resolves({});
  rds.on(ExecuteStatementCommand).callsFake((input: ExecuteStatementCommandInput) => {
    if (input.sql?.includes('count(*)')) {
      return { formattedRecords: JSON.stringify([byCluster[input.resourceArn as string]]) };
    }
    return { formattedRecords: '[]' };
  });
}

beforeEach(() => {
  rds.reset();
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('tenant-rows handler (RDS Data API)', () => {
  it('verify: each side is read on its own cluster, with its secret, inside the tenant’s unit of work', async () => {
    // Prepare
    tallies({
      [POOLED_CLUSTER]: { count: '3', checksum: '123456789' },
      [SILO_CLUSTER]: { count: '3', checksum: '123456789' },
    });
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({ tenantId: 'acme', action: 'verify', from: { place: 'pool' }, to: silo });

    // Assess
    expect(result).toMatchObject({ tenantId: 'acme', action: 'verify', rows: 3, done: true });
    expect(rds).toHaveReceivedCommandWith(BeginTransactionCommand, {
      resourceArn: POOLED_CLUSTER,
      secretArn: POOLED_SECRET,
      database: 'tenantry',
    });
    expect(rds).toHaveReceivedCommandWith(BeginTransactionCommand, {
      resourceArn: SILO_CLUSTER,
      secretArn: SILO_SECRET,
      database: 'tenantry',
    });
    // the application role (RLS binds it) and the tenant, set in the transaction before the tally
    const statements = rds
      .commandCalls(ExecuteStatementCommand)
      .filter((c) => c.args[0].input.resourceArn === SILO_CLUSTER)
      .map((c) => c.args[0].input);
    expect(statements.map((s) => s.sql?.slice(0, 32))).toEqual([
      'SET LOCAL ROLE tenantry_app',
      'SELECT set_config(:p1, :p2, true',
      "SELECT set_config('TimeZone', 'U",
      'SELECT count(*)::text AS count, ',
    ]);
    expect(statements[1]?.parameters).toEqual([
      { name: 'p1', value: { stringValue: 'app.current_tenant' } },
      { name: 'p2', value: { stringValue: 'acme' } },
    ]);
    expect(statements.every((s) => s.transactionId === `tx-${SILO_CLUSTER}`)).toBe(true);
    expect(rds).toHaveReceivedCommandTimes(CommitTransactionCommand, 2);
  });

  it('verify: a different checksum is RowsVerificationError naming the table, and nothing is retried', async () => {
    // Prepare
    tallies({
      [POOLED_CLUSTER]: { count: '3', checksum: '123456789' },
      [SILO_CLUSTER]: { count: '3', checksum: '987654321' },
    });
    const { handler } = await importHandler(load, ENV);

    // Act
    const failing = handler({ tenantId: 'acme', action: 'verify', from: { place: 'pool' }, to: silo });

    // Assess
    await expect(failing).rejects.toMatchObject({
      name: 'RowsVerificationError',
      message:
        'tenant acme: tenantry.documents: the source has 3 rows (checksum 123456789), the target 3 (checksum 987654321)',
    });
  });

  it('a silo whose database was never recorded is refused by name before any call', async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);

    // Act
    const failing = handler({ tenantId: 'acme', action: 'erase', from: { place: 'silo' } });

    // Assess
    await expect(failing).rejects.toMatchObject({
      name: 'RowsPlaceError',
      message:
        "tenant acme: cannot reach the rows' database: the silo has no database cluster and secret recorded",
    });
    expect(rds.calls()).toHaveLength(0);
  });

  it('a silo outside the allowed regions is refused by name', async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);
    const elsewhere = {
      ...silo,
      clusterArn: 'arn:aws:rds:ap-south-1:111122223333:cluster:tenantry-dev-silo-acme-db',
    };

    // Act
    const failing = handler({ tenantId: 'acme', action: 'erase', from: elsewhere });

    // Assess
    await expect(failing).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('ap-south-1'),
    });
    expect(rds.calls()).toHaveLength(0);
  });

  it('refuses a cursor without a target for copy, or with one for erase, naming the field', async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);

    // Act / Assess
    await expect(
      handler({ tenantId: 'acme', action: 'copy', from: { place: 'pool' } }),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('to: is required with copy and verify, and not allowed with erase'),
    });
    await expect(
      handler({ tenantId: 'acme', action: 'erase', from: { place: 'pool' }, to: silo }),
    ).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringContaining('to:') });
  });

  it.each(['POOLED_DATABASE_CLUSTER_ARN', 'POOLED_DATABASE_SECRET_ARN', 'DATABASE_NAME'])(
    'cold start requires %s',
    async (variable) => {
      await expectColdStartToRequire(load, ENV, variable);
    },
  );
});
