import { z } from 'zod';
import { documentClient } from '../../domain/aws/clients';
import { CatalogRepository } from '../../domain/catalog/repository';
import { loadConfig } from '../../domain/config';
import { envVar, readEnv } from '../../domain/env';
import { parseInput, planOffboarding, planOnboarding, planPromotion } from '../../domain/lifecycle/plan';
import { lifecycleLogger, withTenant } from '../../domain/lifecycle/runtime';

/** First state of every lifecycle workflow: validates the input and returns the workflow's plan. */
const env = readEnv({ CATALOG_TABLE_NAME: envVar.name() });
const config = loadConfig();
const catalog = new CatalogRepository({ client: documentClient(), tableName: env.CATALOG_TABLE_NAME });
const logger = lifecycleLogger('lifecycle-validate');

const requestSchema = z.object({
  kind: z.enum(['onboarding', 'promotion', 'offboarding']),
  input: z.unknown(),
});

export const handler = async (event: unknown) => {
  const request = parseInput(requestSchema, event, 'lifecycle-validate request');
  const tenantId = (request.input as { tenantId?: unknown } | null)?.tenantId;
  return withTenant(logger, tenantId, async () => {
    const plan =
      request.kind === 'onboarding'
        ? planOnboarding(config, request.input)
        : request.kind === 'promotion'
          ? planPromotion(config, await catalog.get(String(tenantId)), request.input)
          : planOffboarding(config, await catalog.get(String(tenantId)), request.input);
    logger.info('lifecycle input valid', { kind: request.kind });
    return plan;
  });
};
