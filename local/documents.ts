import { KinesisClient } from '@aws-sdk/client-kinesis';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { baseClientConfig, documentClient, kinesisClientConfig } from '../domain/aws/clients';
import { CatalogRepository } from '../domain/catalog/repository';
import type { HttpResponse } from '../domain/documents/request';
import {
  type DocumentServiceDependencies,
  type DocumentServiceEvent,
  handleDocumentRequest,
} from '../domain/documents/service';
import type { TransactionalDatabase } from '../domain/identity/rls/unit-of-work';
import { UsageEmitter } from '../domain/usage/emitter';
import type { LocalPlace } from './postgres';

export interface LocalDocumentOptions {
  /**
   * The places' databases on the local PostgreSQL server (local/postgres.ts): the pooled function's
   * `deps.database` is the pool's; a silo function gets its silo's, as its stack's cluster on AWS.
   */
  readonly places: { database(place: LocalPlace): Promise<TransactionalDatabase> };
  /** Gives the Lambda client that sees the function's account (default: this process's credentials). */
  readonly lambdaFor?: (functionArn: string) => LambdaClient;
}

/**
 * The router's Lambda Invoke on the local environment. moto runs no Lambda code, so a documents
 * function runs here, in process: the pooled function with `deps`, a silo tenant's function (created
 * by its silo stack on moto's CloudFormation) with its own configuration as moto holds it —
 * `SILO_TENANT_ID`, and the catalog and usage stream its environment names (by ARN: in a tenant's own
 * account they are the platform's) — and its own database: the silo's, in the platform's account or
 * the tenant's. An ARN moto does not know fails as Lambda would (ResourceNotFoundException). On AWS
 * the router's role invokes across accounts through the function's policy, which moto does not evaluate.
 */
export function localDocumentFunctions(
  deps: DocumentServiceDependencies,
  pooledFunctionArn: string,
  options: LocalDocumentOptions,
): { invoke(functionArn: string, event: unknown): Promise<HttpResponse>; readonly invoked: string[] } {
  const invoked: string[] = [];
  const lambdaFor =
    options.lambdaFor ??
    ((functionArn: string) =>
      new LambdaClient(baseClientConfig({ region: functionArn.split(':')[3] as string })));
  return {
    invoked,
    async invoke(functionArn, event) {
      invoked.push(functionArn);
      if (functionArn === pooledFunctionArn)
        return handleDocumentRequest(deps, event as DocumentServiceEvent);
      const fn = await lambdaFor(functionArn).send(
        new GetFunctionConfigurationCommand({ FunctionName: functionArn }),
      );
      const env = fn.Environment?.Variables ?? {};
      const own = ownConfiguration(deps, env);
      const tenantId = env.SILO_TENANT_ID;
      const accountId = functionArn.split(':')[4] as string;
      const database =
        tenantId === undefined
          ? deps.database
          : await options.places.database({
              place: 'silo',
              tenantId,
              ...(accountId === pooledFunctionArn.split(':')[4] ? {} : { accountId }),
            });
      return handleDocumentRequest({ ...deps, ...own, database }, event as DocumentServiceEvent);
    },
  };
}

/** What a silo function's environment changes from the pooled function's dependencies. */
function ownConfiguration(
  deps: DocumentServiceDependencies,
  env: Record<string, string>,
): Partial<DocumentServiceDependencies> {
  const controlPlane = { region: env.CONTROL_PLANE_REGION ?? deps.config.regions.primary };
  const catalog =
    env.CATALOG_TABLE_NAME === undefined
      ? undefined
      : new CatalogRepository({ client: documentClient(controlPlane), tableName: env.CATALOG_TABLE_NAME });
  return {
    ...(env.SILO_TENANT_ID === undefined ? {} : { siloTenantId: env.SILO_TENANT_ID }),
    ...(catalog === undefined ? {} : { tenants: (id: string) => catalog.find(id) }),
    ...(env.USAGE_STREAM_NAME === undefined
      ? {}
      : {
          usage: new UsageEmitter({
            client: new KinesisClient(kinesisClientConfig(controlPlane)),
            streamName: env.USAGE_STREAM_NAME,
            ...(env.USAGE_STREAM_ARN === undefined ? {} : { streamArn: env.USAGE_STREAM_ARN }),
            config: deps.config,
          }),
        }),
  };
}
