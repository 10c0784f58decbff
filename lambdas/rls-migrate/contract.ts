import { z } from 'zod';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';

/**
 * The database administrator's secret (Secrets Manager, rotated). A secret CDK generates carries the
 * endpoint; one RDS manages itself (ManageMasterUserPassword: a silo's cluster) carries only the user
 * and password, and the function's DATABASE_HOST/DATABASE_PORT name the endpoint.
 */
export const databaseSecretSchema = z.object({
  username: z.string().min(1),
  password: z.string().min(1),
  host: z.string().min(1).optional(),
  port: z.coerce.number().int().min(1).max(65_535).optional(),
});

/**
 * The CloudFormation custom resource (Provider framework `onEvent`) that applies the row-level
 * security migrations to an Aurora cluster at deploy (the pooled one, and each silo's own): idempotent, so every Create and
 * Update re-applies what is missing; Delete keeps the data.
 */
export const contract = defineFunction({
  name: 'rls-migrate',
  description: 'Applies the row-level-security migrations to the pooled Aurora PostgreSQL cluster at deploy',
  env: {
    DATABASE_SECRET_ARN: envVar.arn(),
    DATABASE_NAME: envVar.name(),
    /** The cluster endpoint, when the secret does not carry it. */
    DATABASE_HOST: envVar.name().optional(),
    DATABASE_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
  },
  input: z
    .object({
      RequestType: z.enum(['Create', 'Update', 'Delete']),
      PhysicalResourceId: z.string().optional(),
    })
    .loose(),
  output: z.object({
    PhysicalResourceId: z.string().min(1),
    Data: z.object({ applied: z.string() }).optional(),
  }),
  timeoutSeconds: 120,
  grants: {
    /** The administrator secret (to create the roles and tables). */
    readDatabaseSecret: { actions: ['secretsmanager:GetSecretValue'] },
  },
});
