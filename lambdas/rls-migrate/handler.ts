import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { baseClientConfig } from '../../domain/aws/clients';
import { nodePostgresDatabase } from '../../domain/documents/postgres';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { DatabaseEndpointMissingError } from '../../domain/identity/errors';
import { auroraMigrations } from '../../domain/identity/rls/aurora';
import { rlsMigrations } from '../../domain/identity/rls/migrations';
import { migrate } from '../../domain/identity/rls/unit-of-work';
import { contract, databaseSecretSchema } from './contract';

const env = readFunctionEnv(contract);
const secrets = new SecretsManagerClient(baseClientConfig());
const PHYSICAL_ID = 'tenantry-rls-migrations';

export const handler = contractHandler(contract, async (event) => {
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId ?? PHYSICAL_ID };
  const { SecretString } = await secrets.send(
    new GetSecretValueCommand({ SecretId: env.DATABASE_SECRET_ARN }),
  );
  const secret = databaseSecretSchema.parse(JSON.parse(SecretString ?? '{}'));
  const host = env.DATABASE_HOST ?? secret.host;
  if (host === undefined) throw new DatabaseEndpointMissingError(env.DATABASE_SECRET_ARN);
  const pool = new pg.Pool({
    host,
    port: env.DATABASE_PORT ?? secret.port ?? 5432,
    user: secret.username,
    password: secret.password,
    database: env.DATABASE_NAME,
    // The Lambda Node.js runtime trusts the Amazon RDS certificate authorities (NODE_EXTRA_CA_CERTS).
    ssl: { rejectUnauthorized: true },
    max: 1,
  });
  try {
    const applied = await migrate(nodePostgresDatabase(pool), [...rlsMigrations, ...auroraMigrations]);
    return { PhysicalResourceId: PHYSICAL_ID, Data: { applied: applied.join(',') } };
  } finally {
    await pool.end();
  }
});
