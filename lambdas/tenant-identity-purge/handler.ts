import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { z } from 'zod';
import { baseClientConfig } from '../../domain/aws/clients';
import { envVar, readEnv } from '../../domain/env';
import { purgeTenantIdentities } from '../../domain/lifecycle/identity';
import { parseInput } from '../../domain/lifecycle/plan';
import { lifecycleLogger, withTenant } from '../../domain/lifecycle/runtime';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

/** Disables and deletes a tenant's users and deletes its group (offboarding, onboarding compensation). */
const env = readEnv({ USER_POOL_ID: envVar.name() });
const client = new CognitoIdentityProviderClient(baseClientConfig());
const logger = lifecycleLogger('tenant-identity-purge');

const requestSchema = z.object({
  tenantId: tenantIdSchema,
  usernames: z.array(z.string().min(1).max(128)).max(50).optional(),
});

export const handler = async (event: unknown) => {
  const request = parseInput(requestSchema, event, 'tenant-identity-purge request');
  return withTenant(logger, request.tenantId, async () => {
    const result = await purgeTenantIdentities(
      client,
      env.USER_POOL_ID,
      request.tenantId,
      request.usernames ?? [],
    );
    logger.info('tenant identities purged', { ...result });
    return { tenantId: request.tenantId, ...result };
  });
};
