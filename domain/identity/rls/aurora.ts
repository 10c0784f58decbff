import { APP_ROLE } from './migrations';

/**
 * Migrations only Aurora PostgreSQL has (its `rds_iam` role does not exist elsewhere, e.g. PGlite):
 * the application role logs in with IAM database authentication tokens, never a password.
 * The administrative user (the cluster secret's, which the migration runs as) becomes a member of
 * the application role: the RDS Data API logs in as that user (`tenant-rows`), and each unit of work
 * switches to the application role (`SET LOCAL ROLE`), so row-level security applies to it. Since
 * PostgreSQL 16 creating a role gives its creator ADMIN on it but not SET: this grant adds SET.
 * Applied after `rlsMigrations` by the migration custom resource (lambdas/rls-migrate).
 */
export const auroraMigrations = [
  { id: 'aurora_0001_app_iam_login', sql: `GRANT rds_iam TO ${APP_ROLE};` },
  { id: 'aurora_0002_admin_sets_app_role', sql: `GRANT ${APP_ROLE} TO CURRENT_USER;` },
] as const;
