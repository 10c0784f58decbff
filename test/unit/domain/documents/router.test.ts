import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../domain/config';
import { type DocumentRouterDependencies, routeDocumentRequest } from '../../../../domain/documents/router';
import { credentialContextKeys } from '../../../../domain/identity/request-context';
import type { Tenant } from '../../../../domain/tenant/tenant';

const POOLED = 'arn:aws:lambda:us-east-1:111122223333:function:documents-pooled';
const SILO = 'arn:aws:lambda:eu-central-1:111122223333:function:tenantry-dev-initech-documents';
const at = '2026-01-01T00:00:00.000Z';

function tenant(tenantId: string, isolation: 'pool' | 'silo', serviceFunctionArn?: string): Tenant {
  return {
    tenantId,
    name: tenantId,
    tier: isolation === 'pool' ? 'pro' : 'enterprise',
    isolation,
    status: 'ACTIVE',
    region: isolation === 'pool' ? 'us-east-1' : 'eu-central-1',
    ...(isolation === 'silo'
      ? {
          silo: {
            stackId: 'arn:aws:cloudformation:eu-central-1:111122223333:stack/tenantry-dev-silo-initech/1',
            tableName: 'tenantry-dev-silo-data-initech',
            tableArn: 'arn:aws:dynamodb:eu-central-1:111122223333:table/tenantry-dev-silo-data-initech',
            kmsKeyArn: 'arn:aws:kms:eu-central-1:111122223333:key/1',
            ...(serviceFunctionArn === undefined ? {} : { serviceFunctionArn }),
          },
        }
      : {}),
    createdAt: at,
    updatedAt: at,
    version: 1,
    history: [],
  };
}

function event(tenantId: string, route: string) {
  return {
    httpMethod: 'GET',
    pathParameters: null,
    body: null,
    requestContext: {
      authorizer: {
        tenantId,
        tier: 'pro',
        route,
        accessLevel: 'read-write',
        [credentialContextKeys.accessKeyId]: 'ASIAFAKEKEY1',
        [credentialContextKeys.secretAccessKey]: 'fake-secret',
        [credentialContextKeys.sessionToken]: 'fake-token',
        [credentialContextKeys.expiration]: '2099-01-01T00:00:00.000Z',
      },
    },
  };
}

function router(records: Tenant[]) {
  const invoked: string[] = [];
  const deps: DocumentRouterDependencies = {
    config: defaultConfig,
    tenants: async (id) => records.find((t) => t.tenantId === id),
    pooledFunctionArn: POOLED,
    invoke: async (functionArn) => {
      invoked.push(functionArn);
      return { statusCode: 200, headers: {}, body: '{}' };
    },
    logger: new Logger({ serviceName: 'router-test', logLevel: 'SILENT' }),
  };
  return { deps, invoked };
}

describe('routeDocumentRequest', () => {
  it('sends a pooled tenant to the pooled function and a silo tenant to its recorded function', async () => {
    const { deps, invoked } = router([tenant('acme', 'pool'), tenant('initech', 'silo', SILO)]);

    const pooled = await routeDocumentRequest(deps, event('acme', 'pool'));
    const silo = await routeDocumentRequest(deps, event('initech', 'silo:tenantry-dev-silo-initech'));

    expect([pooled.functionArn, silo.functionArn]).toEqual([POOLED, SILO]);
    expect(invoked).toEqual([POOLED, SILO]);
  });

  it.each([
    [
      'a silo with no recorded function',
      [tenant('initech', 'silo')],
      'initech',
      'silo:tenantry-dev-silo-initech',
      503,
    ],
    ['a route the catalog no longer has', [tenant('initech', 'silo', SILO)], 'initech', 'pool', 503],
    ['an unknown tenant', [], 'ghost', 'pool', 503],
  ])('invokes nothing for %s', async (_case, records, tenantId, route, status) => {
    const { deps, invoked } = router(records);

    const routed = await routeDocumentRequest(deps, event(tenantId, route));

    expect([routed.response.statusCode, routed.functionArn, invoked]).toEqual([status, undefined, []]);
  });

  it('answers 403 to a request without the authorizer context', async () => {
    const { deps, invoked } = router([tenant('acme', 'pool')]);

    const routed = await routeDocumentRequest(deps, {
      ...event('acme', 'pool'),
      requestContext: { authorizer: null },
    });

    expect([routed.response.statusCode, invoked]).toEqual([403, []]);
  });
});
