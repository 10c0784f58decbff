import { loadConfig } from '../../domain/config';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { deadlineOf, lifecycleLogger, type RemainingTime, withTenant } from '../../domain/lifecycle/runtime';
import {
  copyTenantRows,
  eraseTenantRows,
  type RowsDatabases,
  verifyTenantRows,
} from '../../domain/lifecycle/tenant-rows';
import { dataApiRowsDatabases } from '../../domain/lifecycle/tenant-rows-data-api';
import { localRowsDatabases } from '../../local/postgres';
import { contract } from './contract';

const env = readFunctionEnv(contract);
const config = loadConfig();
const logger = lifecycleLogger(contract.name);
// On AWS the RDS Data API; on the local environment its PostgreSQL server (one database per place).
const databases: RowsDatabases =
  env.LOCAL_POSTGRES_URL === undefined
    ? dataApiRowsDatabases(config, {
        pooled: { clusterArn: env.POOLED_DATABASE_CLUSTER_ARN, secretArn: env.POOLED_DATABASE_SECRET_ARN },
        databaseName: env.DATABASE_NAME,
      })
    : localRowsDatabases(env.LOCAL_POSTGRES_URL);

export const handler = contractHandler(contract, async (cursor, context?: RemainingTime) =>
  withTenant(logger, cursor.tenantId, async () => {
    const source = await databases.database(cursor.tenantId, cursor.from);
    const options = { maxRows: env.ROWS_CHUNK, deadline: deadlineOf(context) };
    if (cursor.action === 'erase') {
      const { erased, done } = await eraseTenantRows(source, cursor.tenantId, options);
      logger.info('erased rows', { place: cursor.from.place, erased, done });
      return { ...cursor, rows: cursor.rows + erased, done };
    }
    // The contract requires a target with copy and verify.
    const target = await databases.database(cursor.tenantId, cursor.to as NonNullable<typeof cursor.to>);
    if (cursor.action === 'verify') {
      const rows = await verifyTenantRows(source, target, cursor.tenantId);
      logger.info('verified rows', { from: cursor.from.place, to: cursor.to?.place, rows });
      return { ...cursor, rows, done: true };
    }
    const chunk = await copyTenantRows(source, target, cursor.tenantId, cursor.afterKey, options);
    logger.info('copied rows', { from: cursor.from.place, to: cursor.to?.place, ...chunk });
    return { ...cursor, afterKey: chunk.afterKey, rows: cursor.rows + chunk.copied, done: chunk.done };
  }),
);
