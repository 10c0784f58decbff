import { APP_ROLE } from './migrations';

/**
 * Migrations only Aurora PostgreSQL has (its `rds_iam` role does not exist elsewhere, e.g. PGlite):
 * the application role logs in with IAM database authentication tokens, never a password.
 * Applied after `rlsMigrations` by the migration custom resource (lambdas/rls-migrate).
 */
export const auroraMigrations = [
  { id: 'aurora_0001_app_iam_login', sql: `GRANT rds_iam TO ${APP_ROLE};` },
] as const;
