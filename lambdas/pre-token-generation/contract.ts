import { PreTokenGenerationTriggerSchemaV2AndV3 } from '@aws-lambda-powertools/parser/schemas/cognito';
import { z } from 'zod';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';
import { claimsOverrideSchema } from '../../domain/identity/pre-token';

const event = PreTokenGenerationTriggerSchemaV2AndV3.loose();

export const contract = defineFunction({
  name: 'pre-token-generation',
  description:
    'Cognito pre-token-generation trigger (V2): adds the tenant claims from the catalog to the ID ' +
    'and access tokens, or refuses the sign-in',
  env: {
    CATALOG_TABLE_NAME: envVar.name(),
    CATALOG_CACHE_SECONDS: envVar.seconds(60),
    /** Path of a configuration file; default configuration when unset. */
    TENANTRY_CONFIG: z.string().optional(),
  },
  input: event,
  // Cognito reads the event back with the claims to add in its response.
  output: event.extend({
    response: z.object({ claimsAndScopeOverrideDetails: claimsOverrideSchema }).loose(),
  }),
  timeoutSeconds: 5,
  grants: {
    /** The user's tenant record. */
    readCatalog: { actions: ['dynamodb:GetItem'] },
  },
});
