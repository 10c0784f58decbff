import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RDSDataClient,
  RollbackTransactionCommand,
} from '@aws-sdk/client-rds-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  accountDatabaseSessionPolicy,
  dataApiClients,
  dataApiDatabase,
  namedPlaceholders,
  sqlParameter,
} from '../../../../domain/documents/data-api';
import { DataApiParameterError, DataApiTransactionError } from '../../../../domain/documents/errors';
import { ValidationError } from '../../../../domain/errors';
import { withTenant } from '../../../../domain/identity/rls/unit-of-work';
import { accountDeployment } from '../../../../domain/lifecycle/silo-stack';
import { accountConfig, accountsSettings } from '../../support/account-config';
import { deployedSiloKeyPolicy } from '../../support/silo-key-policy';

const CLUSTER = 'arn:aws:rds:eu-central-1:123456789012:cluster:tenantry-dev-pooled';
const SECRET = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:tenantry-dev-pooled-db-admin-AbCdEf';
const TX = 'tx-0001';
const rdsData = mockClient(RDSDataClient);
const database = () =>
  dataApiDatabase({
    client: new RDSDataClient({ region: 'eu-central-1' }),
    resourceArn: CLUSTER,
    secretArn: SECRET,
    database: 'tenantry',
  });

beforeEach(() => {
  rdsData.reset();
  rdsData.on(BeginTransactionCommand).resolves({ transactionId: TX });
  rdsData.on(CommitTransactionCommand).resolves({ transactionStatus: 'Transaction Committed' });
  rdsData.on(RollbackTransactionCommand).resolves({ transactionStatus: 'Rollback Complete' });
});

describe('dataApiDatabase', () => {
  it('runs the unit of work in one transaction and commits it', async () => {
    // Prepare
    rdsData.on(ExecuteStatementCommand).resolves({});
    rdsData
      .on(ExecuteStatementCommand, { sql: 'SELECT id, title FROM tenantry.documents WHERE tenant_id = :p1' })
      .resolves({ formattedRecords: '[{"id":"d1","title":"One"},{"id":"d2","title":null}]' });

    // Act
    const rows = await withTenant(
      database(),
      'acme',
      async (tx) =>
        (await tx.query('SELECT id, title FROM tenantry.documents WHERE tenant_id = $1', ['acme'])).rows,
      { role: 'tenantry_app' },
    );

    // Assess
    expect(rows).toEqual([
      { id: 'd1', title: 'One' },
      { id: 'd2', title: null },
    ]);
    expect(rdsData).toHaveReceivedCommandWith(BeginTransactionCommand, {
      resourceArn: CLUSTER,
      secretArn: SECRET,
      database: 'tenantry',
    });
    const statements = rdsData.commandCalls(ExecuteStatementCommand).map((c) => c.args[0].input);
    expect(statements.map((s) => s.sql)).toEqual([
      'SET LOCAL ROLE tenantry_app',
      'SELECT set_config(:p1, :p2, true)',
      'SELECT id, title FROM tenantry.documents WHERE tenant_id = :p1',
    ]);
    for (const statement of statements) {
      expect(statement).toMatchObject({
        resourceArn: CLUSTER,
        secretArn: SECRET,
        database: 'tenantry',
        transactionId: TX,
        formatRecordsAs: 'JSON',
      });
    }
    expect(statements[1]?.parameters).toEqual([
      { name: 'p1', value: { stringValue: 'app.current_tenant' } },
      { name: 'p2', value: { stringValue: 'acme' } },
    ]);
    expect(rdsData).toHaveReceivedCommandTimes(CommitTransactionCommand, 1);
    expect(rdsData).toHaveReceivedCommandWith(CommitTransactionCommand, {
      resourceArn: CLUSTER,
      secretArn: SECRET,
      transactionId: TX,
    });
    expect(rdsData).not.toHaveReceivedCommand(RollbackTransactionCommand);
  });

  it('returns no rows for a statement without a result set', async () => {
    // Prepare
    rdsData.on(ExecuteStatementCommand).resolves({ numberOfRecordsUpdated: 1 });

    // Act
    const result = await database().transaction((tx) => tx.query('DELETE FROM t WHERE id = $1', ['x']));

    // Assess
    expect(result).toEqual({ rows: [] });
  });

  it('rolls back when the work throws, and rethrows the work error', async () => {
    // Prepare
    rdsData.on(ExecuteStatementCommand).resolves({});
    const failure = new Error('the DynamoDB write was refused');

    // Act
    const run = database().transaction(async (tx) => {
      await tx.query('INSERT INTO t (id) VALUES ($1)', ['x']);
      throw failure;
    });

    // Assess
    await expect(run).rejects.toBe(failure);
    expect(rdsData).toHaveReceivedCommandWith(RollbackTransactionCommand, {
      resourceArn: CLUSTER,
      secretArn: SECRET,
      transactionId: TX,
    });
    expect(rdsData).not.toHaveReceivedCommand(CommitTransactionCommand);
  });

  it('reports the statement error, not the failed rollback', async () => {
    // Prepare
    const refused = new Error('new row violates row-level security policy');
    rdsData.on(ExecuteStatementCommand).rejects(refused);
    rdsData.on(RollbackTransactionCommand).rejects(new Error('transaction not found'));

    // Act
    const run = database().transaction((tx) => tx.query('INSERT INTO t (id) VALUES ($1)', ['x']));

    // Assess
    await expect(run).rejects.toThrow('new row violates row-level security policy');
    expect(rdsData).toHaveReceivedCommandTimes(RollbackTransactionCommand, 1);
  });

  it('refuses a transaction the Data API began without an id', async () => {
    // Prepare
    rdsData.on(BeginTransactionCommand).resolves({});

    // Act
    const run = database().transaction(async () => 'never');

    // Assess
    await expect(run).rejects.toBeInstanceOf(DataApiTransactionError);
    expect(rdsData).not.toHaveReceivedCommand(ExecuteStatementCommand);
  });

  it('fails the commit when CommitTransaction fails', async () => {
    // Prepare
    rdsData.on(CommitTransactionCommand).rejects(new Error('serialization failure'));

    // Act
    const run = database().transaction(async () => 'done');

    // Assess
    await expect(run).rejects.toThrow('serialization failure');
  });
});

describe('namedPlaceholders', () => {
  it.each([
    ['SELECT set_config($1, $2, true)', 'SELECT set_config(:p1, :p2, true)'],
    [
      'INSERT INTO tenantry.documents (tenant_id, id, title, created_at) VALUES ($1, $2, $3, $4)',
      'INSERT INTO tenantry.documents (tenant_id, id, title, created_at) VALUES (:p1, :p2, :p3, :p4)',
    ],
    ['SELECT $10, $1::timestamptz', 'SELECT :p10, :p1::timestamptz'],
    ["SELECT '$1', $1", "SELECT '$1', :p1"],
    ["SELECT 'it''s $1', $2", "SELECT 'it''s $1', :p2"],
    ['SELECT "col$1", $1', 'SELECT "col$1", :p1'],
    ['SELECT $$ $1 $$, $1', 'SELECT $$ $1 $$, :p1'],
    ['SELECT $fn$ body $2 $fn$, $1', 'SELECT $fn$ body $2 $fn$, :p1'],
    ['SELECT a$1 FROM t WHERE x = $1', 'SELECT a$1 FROM t WHERE x = :p1'],
    ['SELECT 1 -- $1\nWHERE x = $1', 'SELECT 1 -- $1\nWHERE x = :p1'],
    ['SELECT /* $1 */ $1', 'SELECT /* $1 */ :p1'],
    ['SET LOCAL ROLE tenantry_app', 'SET LOCAL ROLE tenantry_app'],
  ])('%s', (sql, expected) => {
    // Act
    const rewritten = namedPlaceholders(sql);

    // Assess
    expect(rewritten).toBe(expected);
  });
});

describe('sqlParameter', () => {
  it.each([
    ['a string', 'acme', { value: { stringValue: 'acme' } }],
    ['an integer', 42, { value: { longValue: 42 } }],
    ['a fraction', 1.5, { value: { doubleValue: 1.5 } }],
    ['a boolean', false, { value: { booleanValue: false } }],
    ['null', null, { value: { isNull: true } }],
    ['undefined', undefined, { value: { isNull: true } }],
    [
      'a Date',
      new Date('2026-01-02T03:04:05.678Z'),
      { value: { stringValue: '2026-01-02 03:04:05.678' }, typeHint: 'TIMESTAMP' },
    ],
    ['bytes', new Uint8Array([1, 2]), { value: { blobValue: new Uint8Array([1, 2]) } }],
  ])('carries %s', (_kind, value, expected) => {
    // Act
    const parameter = sqlParameter('p1', value);

    // Assess
    expect(parameter).toEqual({ name: 'p1', ...expected });
  });

  it.each([
    ['NaN', Number.NaN],
    ['an invalid Date', new Date('not a date')],
    ['an object', { title: 'x' }],
  ])('refuses %s', (_kind, value) => {
    // Act
    const convert = () => sqlParameter('p3', value);

    // Assess
    expect(convert).toThrow(DataApiParameterError);
  });
});

describe('dataApiClients', () => {
  it('creates one client per region and refuses a region no silo may be in', () => {
    // Prepare
    const clients = dataApiClients(accountConfig, 'rows place');

    // Act
    const first = clients.platform('eu-central-1');
    const again = clients.platform('eu-central-1');
    const elsewhere = () => clients.platform('ap-south-2');

    // Assess
    expect(again).toBe(first);
    expect(elsewhere).toThrow(ValidationError);
  });
});

describe('accountDatabaseSessionPolicy', () => {
  it("caps the deployment role's session to the tenant's cluster, its secret and key use through Secrets Manager", () => {
    // Prepare
    const place = {
      clusterArn: 'arn:aws:rds:eu-central-1:210987654321:cluster:tenantry-dev-silo-acme-db',
      secretArn: 'arn:aws:secretsmanager:eu-central-1:210987654321:secret:rds!cluster-0a1b-AbCdEf',
    };

    // Act
    const policy = accountDatabaseSessionPolicy('eu-central-1', place);

    // Assess
    expect(policy.Statement).toEqual([
      {
        Sid: 'TheTenantClusterOnly',
        Effect: 'Allow',
        Action: [
          'rds-data:BeginTransaction',
          'rds-data:ExecuteStatement',
          'rds-data:CommitTransaction',
          'rds-data:RollbackTransaction',
        ],
        Resource: place.clusterArn,
      },
      {
        Sid: 'ItsSecretOnly',
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue'],
        Resource: place.secretArn,
      },
      {
        Sid: 'ItsKeyThroughSecretsManagerOnly',
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: 'arn:aws:kms:eu-central-1:210987654321:key/*',
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-central-1.amazonaws.com' } },
      },
    ]);
  });
});

// The deployment role in a tenant's account may do anything there; the rows session must be capped
// to the tenant's cluster, its secret and that secret's key by the session policy, and the key policy
// (as the silo-stack task deploys it there) must admit the deployment role through Secrets Manager.
describe("the rows session in the tenant's account (deployment role + session policy, policy evaluator)", () => {
  const ACCOUNT = '210987654321';
  const REGION = 'eu-central-1';
  const cluster = `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:tenantry-dev-silo-acme-databasecluster-1a2b`;
  const secret = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!cluster-0a1b-AbCdEf`;
  const key = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0a1b2c3d-0000-4000-8000-000000000001`;
  const deployment = accountDeployment(
    {
      templateUrl: 'https://s3.us-east-1.amazonaws.com/assets/silo.json',
      deploymentRoleArn: 'arn:aws:iam::123456789012:role/tenantry-dev-silo-deployment',
      tenantAccessRoleArn: 'arn:aws:iam::123456789012:role/tenantry-dev-tenant-runtime',
      dataMoverRoleArns: ['arn:aws:iam::123456789012:role/rows'],
    },
    {
      accountId: '123456789012',
      routerRoleArn: 'arn:aws:iam::123456789012:role/tenantry-dev-documents-router',
      templateUrl: 'https://s3.us-east-1.amazonaws.com/artifacts/silo.json',
    },
    accountsSettings,
    ACCOUNT,
  );
  const viaSecrets = { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` };
  const viaDynamoDb = { 'kms:ViaService': `dynamodb.${REGION}.amazonaws.com` };

  async function verdict(action: string, resource: string, context: Record<string, string> = {}) {
    const role = `arn:aws:iam::${ACCOUNT}:role/${accountsSettings.deploymentRoleName}`;
    const result = await runSimulation(
      {
        request: {
          principal: `arn:aws:sts::${ACCOUNT}:assumed-role/${accountsSettings.deploymentRoleName}/tenantry-rows-acme`,
          action,
          resource: { resource, accountId: ACCOUNT },
          contextVariables: { 'aws:PrincipalArn': role, ...context },
        },
        identityPolicies: [
          {
            name: 'AdministratorAccess',
            policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
          },
        ],
        sessionPolicy: accountDatabaseSessionPolicy(REGION, { clusterArn: cluster, secretArn: secret }),
        ...(resource.startsWith('arn:aws:kms:')
          ? {
              resourcePolicy: deployedSiloKeyPolicy({
                tenantId: 'acme',
                region: REGION,
                account: ACCOUNT,
                tenantAccessRoleArn: deployment.tenantAccessRoleArn,
                dataMoverRoleArns: deployment.dataMoverRoleArns,
              }),
            }
          : {}),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    if (result.resultType === 'error') throw new Error(`simulation error: ${JSON.stringify(result.errors)}`);
    return result.overallResult as string;
  }

  it.each([
    ['rds-data:BeginTransaction', cluster, {}],
    ['rds-data:ExecuteStatement', cluster, {}],
    ['rds-data:CommitTransaction', cluster, {}],
    ['secretsmanager:GetSecretValue', secret, {}],
    ['kms:Decrypt', key, viaSecrets],
  ] as const)('allows %s on %s', async (action, resource, context) => {
    // Act
    const result = await verdict(action, resource, context);

    // Assess
    expect(result).toBe('Allowed');
  });

  it.each([
    ['rds-data:ExecuteStatement', cluster.replace('silo-acme', 'silo-other'), {}],
    ['rds:DeleteDBCluster', cluster, {}],
    ['secretsmanager:GetSecretValue', secret.replace('0a1b', '9f8e'), {}],
    ['secretsmanager:PutSecretValue', secret, {}],
    ['kms:Decrypt', key, {}],
    ['kms:Decrypt', key, viaDynamoDb],
    ['kms:Encrypt', key, viaSecrets],
  ] as const)('denies %s on %s', async (action, resource, context) => {
    // Act
    const result = await verdict(action, resource, context);

    // Assess
    expect(result).not.toBe('Allowed');
  });
});
