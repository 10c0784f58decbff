import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { baseClientConfig } from '../domain/aws/clients';
import type { HttpResponse } from '../domain/documents/request';
import {
  type DocumentServiceDependencies,
  type DocumentServiceEvent,
  handleDocumentRequest,
} from '../domain/documents/service';

/**
 * The router's Lambda Invoke on the local environment. moto runs no Lambda code, and the service's
 * PostgreSQL is PGlite in this process, so a documents function runs here, in process: the pooled
 * function with `deps`, a silo tenant's function (created by its silo stack on moto's CloudFormation)
 * with its own configuration as moto holds it — `SILO_TENANT_ID` from its environment. An ARN moto
 * does not know fails as Lambda would (ResourceNotFoundException).
 */
export function localDocumentFunctions(
  deps: DocumentServiceDependencies,
  pooledFunctionArn: string,
): { invoke(functionArn: string, event: unknown): Promise<HttpResponse>; readonly invoked: string[] } {
  const invoked: string[] = [];
  return {
    invoked,
    async invoke(functionArn, event) {
      invoked.push(functionArn);
      if (functionArn === pooledFunctionArn)
        return handleDocumentRequest(deps, event as DocumentServiceEvent);
      const lambda = new LambdaClient(baseClientConfig({ region: functionArn.split(':')[3] as string }));
      const fn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionArn }));
      const siloTenantId = fn.Environment?.Variables?.SILO_TENANT_ID;
      return handleDocumentRequest(
        { ...deps, ...(siloTenantId === undefined ? {} : { siloTenantId }) },
        event as DocumentServiceEvent,
      );
    },
  };
}
