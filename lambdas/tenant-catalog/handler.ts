import { documentClient } from '../../domain/aws/clients';
import { CatalogRepository } from '../../domain/catalog/repository';
import { loadConfig } from '../../domain/config';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import {
  createPendingTenant,
  recordAccount,
  recordConcurrencyQuota,
  recordPendingAccountRequest,
  recordRetiredSilo,
  setPlacement,
} from '../../domain/lifecycle/catalog-ops';
import { lifecycleLogger, withTenant } from '../../domain/lifecycle/runtime';
import { contract } from './contract';

const env = readFunctionEnv(contract);
const client = documentClient();
const catalog = new CatalogRepository({ client, tableName: env.CATALOG_TABLE_NAME });
const logger = lifecycleLogger(contract.name);
const config = loadConfig();

export const handler = contractHandler(contract, async (request) =>
  withTenant(logger, request.tenantId, async () => {
    if (request.action === 'create') {
      const { action: _a, executionArn, ...tenant } = request;
      const result = await createPendingTenant(client, env.CATALOG_TABLE_NAME, catalog, tenant, executionArn);
      logger.info('tenant registered', {
        alreadyCreated: result.alreadyCreated,
        reonboarded: result.reonboarded,
      });
      return {
        tenantId: result.tenant.tenantId,
        status: result.tenant.status,
        alreadyCreated: result.alreadyCreated,
      };
    }
    if (request.action === 'record-account') {
      const tenant = await recordAccount(
        catalog,
        request.tenantId,
        { accountId: request.accountId, status: request.accountStatus },
        request.executionArn,
      );
      logger.info('tenant account recorded', { accountId: request.accountId, status: request.accountStatus });
      return {
        tenantId: tenant.tenantId,
        accountId: request.accountId,
        accountStatus: request.accountStatus,
      };
    }
    if (request.action === 'record-account-request') {
      await recordPendingAccountRequest(catalog, request.tenantId, request.requestId, request.executionArn);
      logger.warn('account request still in progress flagged', { requestId: request.requestId });
      return { tenantId: request.tenantId, pendingAccountRequestId: request.requestId };
    }
    if (request.action === 'record-concurrency-quota') {
      await recordConcurrencyQuota(catalog, request.tenantId, request.concurrencyQuota, request.executionArn);
      logger.warn('concurrency quota increase flagged', { ...request.concurrencyQuota });
      return { tenantId: request.tenantId, concurrencyQuota: request.concurrencyQuota };
    }
    if (request.action === 'record-retired-silo') {
      await recordRetiredSilo(catalog, request.tenantId, request.retired);
      logger.info('retired silo recorded', {
        stackId: request.retired.silo.stackId,
        status: request.retired.status,
      });
      return { tenantId: request.tenantId, retiredSiloStatus: request.retired.status };
    }
    if (request.allowMissing && (await catalog.find(request.tenantId)) === undefined) {
      logger.info('no tenant record: nothing to place');
      return { tenantId: request.tenantId, tier: null, isolation: null, silo: null };
    }
    const tenant = await setPlacement(
      catalog,
      config,
      request.tenantId,
      {
        tier: request.tier,
        isolation: request.isolation,
        silo: request.silo,
        ...(request.collections === undefined ? {} : { collections: request.collections }),
      },
      request.executionArn,
    );
    logger.info('tenant placement recorded', { tier: tenant.tier, isolation: tenant.isolation });
    return {
      tenantId: tenant.tenantId,
      tier: tenant.tier,
      isolation: tenant.isolation,
      silo: tenant.silo ?? null,
    };
  }),
);
