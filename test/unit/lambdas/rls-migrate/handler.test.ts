import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { functionEnvironment } from '../../../../domain/function-contract';
import { contract } from '../../../../lambdas/rls-migrate/contract';
import { importHandler } from '../../support/lambda';

// node-postgres replaced by a pool recording what it is given and every statement sent.
const pgState = vi.hoisted(() => ({
  options: [] as Record<string, unknown>[],
  statements: [] as string[],
  ended: 0,
}));
vi.mock('pg', () => {
  class Pool {
    constructor(options: Record<string, unknown>) {
      pgState.options.push(options);
    }
    async connect() {
      return {
        query: async (sql: string) => {
          pgState.statements.push(sql);
          return { rows: [] };
        },
        release: () => undefined,
      };
    }
    async end() {
      pgState.ended++;
    }
  }
  return { default: { Pool } };
});

const secrets = mockClient(SecretsManagerClient);
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:tenantry-dev-pooled-db-AbCdEf';
const environment = functionEnvironment(contract, {
  DATABASE_SECRET_ARN: SECRET_ARN,
  DATABASE_NAME: 'tenantry',
});
const load = () => import('../../../../lambdas/rls-migrate/handler');

beforeEach(() => {
  secrets.reset();
  pgState.options = [];
  pgState.statements = [];
  pgState.ended = 0;
  secrets.on(GetSecretValueCommand).resolves({
    SecretString: JSON.stringify({
      username: 'tenantry_admin',
      password: 'pw',
      host: 'db.example',
      port: 5432,
    }),
  });
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('rls-migrate handler', () => {
  it('applies the RLS migrations and the Aurora IAM login grant as the secret administrator', async () => {
    // Prepare
    const { handler } = await importHandler(load, environment);

    // Act
    const result = await handler({ RequestType: 'Create' });

    // Assess
    expect(result).toEqual({
      PhysicalResourceId: 'tenantry-rls-migrations',
      Data: {
        applied: '0001_roles,0002_documents,aurora_0001_app_iam_login,aurora_0002_admin_sets_app_role',
      },
    });
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: SECRET_ARN });
    expect(pgState.options[0]).toMatchObject({
      host: 'db.example',
      port: 5432,
      user: 'tenantry_admin',
      database: 'tenantry',
      ssl: { rejectUnauthorized: true },
    });
    expect(pgState.statements).toContain('GRANT rds_iam TO tenantry_app;');
    expect(pgState.statements).toContain('GRANT tenantry_app TO CURRENT_USER;');
    expect(pgState.statements.some((s) => s.includes('FORCE ROW LEVEL SECURITY'))).toBe(true);
    expect(pgState.ended).toBe(1);
  });

  it('keeps the database on Delete and reads no secret', async () => {
    const { handler } = await importHandler(load, environment);

    const result = await handler({ RequestType: 'Delete', PhysicalResourceId: 'tenantry-rls-migrations' });

    expect(result).toEqual({ PhysicalResourceId: 'tenantry-rls-migrations' });
    expect(secrets.calls()).toHaveLength(0);
    expect(pgState.options).toHaveLength(0);
  });

  it("connects to the endpoint its environment names when the secret is RDS-managed (a silo's cluster: user and password only)", async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ username: 'tenantry_admin', password: 'pw' }),
    });
    const siloEnvironment = functionEnvironment(contract, {
      DATABASE_SECRET_ARN: SECRET_ARN,
      DATABASE_NAME: 'tenantry',
      DATABASE_HOST: 'silo-db.cluster-abc.eu-central-1.rds.amazonaws.com',
      DATABASE_PORT: '5432',
    });
    const { handler } = await importHandler(load, siloEnvironment);

    // Act
    const result = await handler({ RequestType: 'Create' });

    // Assess
    expect(result.Data?.applied).toBe(
      '0001_roles,0002_documents,aurora_0001_app_iam_login,aurora_0002_admin_sets_app_role',
    );
    expect(pgState.options[0]).toMatchObject({
      host: 'silo-db.cluster-abc.eu-central-1.rds.amazonaws.com',
      port: 5432,
      user: 'tenantry_admin',
    });
  });

  it('fails with the secret named when neither the secret nor the environment names the endpoint', async () => {
    secrets.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ username: 'tenantry_admin', password: 'pw' }),
    });
    const { handler } = await importHandler(load, environment);

    await expect(handler({ RequestType: 'Create' })).rejects.toMatchObject({
      name: 'DatabaseEndpointMissingError',
      context: { secretArn: SECRET_ARN },
    });
    expect(pgState.options).toHaveLength(0);
  });
});
