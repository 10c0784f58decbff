import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { baseClientConfig, documentClient } from '../../domain/aws/clients';
import { CatalogRepository } from '../../domain/catalog/repository';
import { loadConfig } from '../../domain/config';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import {
  collectionTablesBeyond,
  createCollectionTables,
  deleteCollectionTables,
  recordCollectionTables,
} from '../../domain/lifecycle/collections';
import { lifecycleLogger, withTenant } from '../../domain/lifecycle/runtime';
import { contract } from './contract';

const env = readFunctionEnv(contract);
const config = loadConfig();
const dynamo = new DynamoDBClient(baseClientConfig());
const catalog = new CatalogRepository({ client: documentClient(), tableName: env.CATALOG_TABLE_NAME });
const logger = lifecycleLogger(contract.name);

export const handler = contractHandler(contract, async (request) =>
  withTenant(logger, request.tenantId, async () => {
    if (request.action === 'create') {
      const tables = await createCollectionTables(dynamo, config, request.tenantId, request.tier);
      if (request.record && tables.length > 0) {
        await recordCollectionTables(catalog, request.tenantId, tables, request.executionArn);
      }
      logger.info('collection tables ready', { tables: tables.map((t) => t.tableName) });
      return { tenantId: request.tenantId, tables, deleted: [] };
    }
    const tenant = request.allowMissing
      ? await catalog.find(request.tenantId)
      : await catalog.get(request.tenantId);
    const owner = tenant ?? { tenantId: request.tenantId };
    const { remove, keep } = collectionTablesBeyond(config, owner, request.keepTier);
    const deleted = await deleteCollectionTables(dynamo, remove);
    if (tenant !== undefined)
      await recordCollectionTables(catalog, request.tenantId, keep, request.executionArn);
    logger.info('collection tables deleted', { deleted, kept: keep.map((t) => t.tableName) });
    return { tenantId: request.tenantId, tables: keep, deleted };
  }),
);
