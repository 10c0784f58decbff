import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';
import { AUTHORIZER_CATALOG_CACHE_SECONDS } from '../../domain/identity/usage-limit';
import { contract as documentsContract } from '../documents/contract';

/**
 * The documents API's entry behind the tenant authorizer: sends each request, unchanged, to the
 * function of the tenant's plane (a silo tenant's own function, else the pooled one). Outside any
 * VPC: it reaches Lambda in every silo region through the public endpoints, which the pooled
 * service's isolated subnets cannot.
 */
export const contract = defineFunction({
  name: 'documents-router',
  description: "Routes documents requests to the pooled function or the silo tenant's own function",
  env: {
    CATALOG_TABLE_NAME: envVar.name(),
    POOLED_SERVICE_FUNCTION_ARN: envVar.arn(),
    CATALOG_CACHE_SECONDS: envVar.seconds(AUTHORIZER_CATALOG_CACHE_SECONDS),
  },
  input: documentsContract.input,
  output: documentsContract.output,
  timeoutSeconds: 15,
  memoryMb: 256,
  grants: {
    /** The tenant's catalog record (which function serves it). */
    readCatalog: { actions: ['dynamodb:GetItem'] },
    /** The pooled documents function and the silo tenants' documents functions. */
    invokeServices: { actions: ['lambda:InvokeFunction'] },
    /**
     * Account tenants' documents functions, in their own accounts (any account of this organization:
     * `aws:ResourceOrgID`); each function's policy names this router's role as well.
     */
    invokeAccountServices: { actions: ['lambda:InvokeFunction'] },
  },
});
