import { Logger } from '@aws-lambda-powertools/logger';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { kinesisClientConfig } from '../domain/aws/clients';
import { resourceName } from '../domain/config';
import { routeDocumentRequest } from '../domain/documents/router';
import { type DocumentServiceDependencies, documentsTableArn } from '../domain/documents/service';
import { authorizerResultContext } from '../domain/identity/request-context';
import { APP_ROLE } from '../domain/identity/rls/migrations';
import { TenantClientFactory } from '../domain/identity/tenant-clients';
import { cachedTenantLookup } from '../domain/identity/tenant-lookup';
import { UsageEmitter } from '../domain/usage/emitter';
import { localDocumentFunctions } from '../local/documents';
import { LOCAL_ACCOUNT } from '../local/lifecycle';
import { localDatabaseName, localPostgresPlaces } from '../local/postgres';
import { createLocalTenantUsers } from '../local/tenant-users';
import type { DemoContext } from './context';

/** The sample tenant shown for each plane (pool, business, silo), by tier. */
const planes = [
  { plane: 'pool', tier: 'pro' },
  { plane: 'business', tier: 'business' },
  { plane: 'silo', tier: 'enterprise' },
] as const;

/**
 * One documents request per plane, as API Gateway runs it: a user of the plane's sample tenant signs
 * in on the local Cognito, the tenant authorizer verifies the token and vends credentials, the router
 * sends the request to the plane's function — the pooled one, or the silo tenant's own function that
 * its silo stack created — and the service answers. Printed: the answer, the function and the table.
 */
export async function documentsDemo(ctx: DemoContext): Promise<void> {
  const { config, log, catalog, aws } = ctx;
  // The local PostgreSQL server: the pool's database for the pooled function, a silo's for its own.
  const places = localPostgresPlaces(aws.postgresUrl);
  try {
    const tenants = cachedTenantLookup((id) => catalog.find(id), 30);
    const location = {
      pooledTableArn: `arn:aws:dynamodb:${aws.region}:${LOCAL_ACCOUNT}:table/${ctx.controlPlane.tables.pooled}`,
      bucketName: resourceName(config, 'tenant-data'),
    };
    const deps: DocumentServiceDependencies = {
      config,
      tenants,
      location,
      clientsFor: (region) => new TenantClientFactory({ region }),
      database: await places.database({ place: 'pool' }),
      // The local connection is the server's superuser (bypasses RLS): each unit of work switches role.
      databaseRole: APP_ROLE,
      usage: new UsageEmitter({
        client: new KinesisClient(kinesisClientConfig()),
        streamName: resourceName(config, 'usage'),
        config,
      }),
      logger: new Logger({ serviceName: 'tenantry-documents', logLevel: 'SILENT' }),
    };
    const pooledFunctionArn = `arn:aws:lambda:${aws.region}:${LOCAL_ACCOUNT}:function:${resourceName(config, 'documents')}`;
    const functions = localDocumentFunctions(deps, pooledFunctionArn, { places });
    const users = await createLocalTenantUsers(config, aws.endpoint);
    const { authorizer } = users.authorizer({ tenants, dataLocation: location });
    const stageArn = `arn:aws:execute-api:${aws.region}:${LOCAL_ACCOUNT}:demoapi/${config.naming.stage}`;

    for (const { plane, tier } of planes) {
      const sample = ctx.tenants.find((t) => t.tier === tier);
      const tenant = sample && (await catalog.find(sample.tenantId));
      if (tenant === undefined) throw new Error(`the demo has no ${tier} tenant for the ${plane} plane`);
      const token = await users.signIn(tenant, `writer@${tenant.tenantId}.example`);
      const decision = await authorizer.decide({
        authorization: `Bearer ${token}`,
        methodArn: `${stageArn}/POST/documents`,
      });
      if (decision.kind !== 'allow')
        throw new Error(`the authorizer refused ${tenant.tenantId}: ${decision.reason}`);
      const { response, functionArn } = await routeDocumentRequest(
        { config, tenants, pooledFunctionArn, invoke: functions.invoke, logger: deps.logger },
        {
          httpMethod: 'POST',
          pathParameters: null,
          body: JSON.stringify({ title: `${tenant.name} plan`, content: 'quarterly figures' }),
          requestContext: { authorizer: authorizerResultContext(decision) },
        },
      );
      if (response.statusCode !== 201) throw new Error(`${plane}: ${response.statusCode} ${response.body}`);
      const table = documentsTableArn(config, location, tenant);
      log(
        `${plane.padEnd(8)} ${tenant.tenantId.padEnd(16)} POST /documents → ${response.statusCode} ` +
          `${(JSON.parse(response.body) as { documentId: string }).documentId}`,
      );
      log(`${''.padEnd(8)} served by function ${functionArn}`);
      log(`${''.padEnd(8)} stored in table ${table}`);
      // The relational row: the pool's database, or the silo's own (its stack's cluster on AWS).
      const database = localDatabaseName(
        tenant.isolation === 'pool' ? { place: 'pool' } : { place: 'silo', tenantId: tenant.tenantId },
      );
      log(`${''.padEnd(8)} its row in PostgreSQL database ${database} (local server; Aurora on AWS)`);
    }
  } finally {
    await places.close();
  }
}
