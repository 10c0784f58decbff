import { Logger } from '@aws-lambda-powertools/logger';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  baseClientConfig,
  documentClient,
  kinesisClientConfig,
  s3ClientConfig,
} from '../../../../domain/aws/clients';
import { CatalogRepository } from '../../../../domain/catalog/repository';
import { loadConfig, resourceName } from '../../../../domain/config';
import { MAX_DOCUMENT_BODY_BYTES } from '../../../../domain/documents/request';
import { routeDocumentRequest } from '../../../../domain/documents/router';
import type { DocumentServiceDependencies, DocumentServiceEvent } from '../../../../domain/documents/service';
import type { TenantAuthorizer } from '../../../../domain/identity/authorizer';
import { authorizerResultContext } from '../../../../domain/identity/request-context';
import { APP_ROLE } from '../../../../domain/identity/rls/migrations';
import { withTenant } from '../../../../domain/identity/rls/unit-of-work';
import {
  collectionTableArnPattern,
  type PolicyDocument,
  siloTableArnPatterns,
  tenantRuntimeRolePolicy,
} from '../../../../domain/identity/session-policy';
import { TenantClientFactory } from '../../../../domain/identity/tenant-clients';
import { cachedTenantLookup } from '../../../../domain/identity/tenant-lookup';
import { createCollectionTables, recordCollectionTables } from '../../../../domain/lifecycle/collections';
import { siloServiceFunctionName, siloStackOutputs, siloTableName } from '../../../../domain/lifecycle/silo';
import { createSiloStack, siloClients } from '../../../../domain/lifecycle/silo-stack';
import { collectionTableName, tableName } from '../../../../domain/tables';
import { UsageEmitter } from '../../../../domain/usage/emitter';
import { siloTemplateBuild } from '../../../../infra/silo-stack';
import { provisionLocalControlPlane } from '../../../../local/control-plane';
import { localDocumentFunctions } from '../../../../local/documents';
import { LOCAL_ACCOUNT } from '../../../../local/lifecycle';
import { type LocalPlace, localDatabaseName, localPostgresPlaces } from '../../../../local/postgres';
import { publishSiloServiceCode } from '../../../../local/silo-code';
import { createLocalTenantUsers } from '../../../../local/tenant-users';
import { resetLocalAws, useLocalAws } from '../../support';
import { usageOnStream } from './support';

// The request path on the local environment: a user of each plane signs in on the local Cognito
// (moto, real RS256 tokens), the tenant authorizer verifies the token and vends credentials (STS on
// moto), and the documents service runs with the authorizer's hand-off as API Gateway passes it:
// DynamoDB and Kinesis on moto, PostgreSQL with the row-level-security migrations on the local
// PostgreSQL server (a database for the pool, one for the silo, as on AWS), behind the same
// `TransactionalDatabase` the service uses with node-postgres on AWS. moto does not enforce
// IAM session policies: isolation here is the service's (keys from the verified tenant, RLS).
// Every request goes through the router (domain/documents/router.ts), as API Gateway sends it. The
// silo tenant's stack is created from the real silo template by moto's CloudFormation in the tenant's
// region (eu-central-1); its function's ARN comes from the stack outputs via the catalog. moto runs no
// Lambda code, so "invoking" a function here runs the service in this process with that function's own
// configuration as moto holds it (its environment) and its own database (the silo's).

const config = loadConfig('');
const tenants = {
  poolA: { tenantId: 'docs-pool-a', tier: 'pro', isolation: 'pool' },
  poolB: { tenantId: 'docs-pool-b', tier: 'starter', isolation: 'pool' },
  business: { tenantId: 'docs-business', tier: 'business', isolation: 'pool' },
  businessB: { tenantId: 'docs-business-b', tier: 'business', isolation: 'pool' },
  silo: { tenantId: 'docs-silo', tier: 'enterprise', isolation: 'silo' },
} as const;
const SILO_REGION = 'eu-central-1';
/** What the silo stack's function is: `<product>-<stage>-<tenantId>-documents` in the tenant's region. */
const SILO_FUNCTION_ARN = `arn:aws:lambda:${SILO_REGION}:${LOCAL_ACCOUNT}:function:tenantry-dev-docs-silo-documents`;
type TenantKey = keyof typeof tenants;

let places: ReturnType<typeof localPostgresPlaces>;
let postgresUrl: string;
let deps: DocumentServiceDependencies;
let authorizer: TenantAuthorizer;
let stageArn: string;
const tokens = {} as Record<TenantKey, string>;
const created = {} as Record<TenantKey, string>;
const streamName = resourceName(config, 'usage');
const pooledTable = tableName(config, 'pooled');
const documentsTable = (key: 'business' | 'businessB') =>
  collectionTableName(config, tenants[key].tenantId, 'documents');
/** The session policy of each AssumeRole the authorizer made, by tenant (as STS received it). */
const vendedPolicies = new Map<string, PolicyDocument>();

/** The pooled documents function (the router's POOLED_SERVICE_FUNCTION_ARN). */
let pooledFunctionArn: string;
/** The documents functions as the router invokes them locally (local/documents.ts). */
let functions: ReturnType<typeof localDocumentFunctions>;
const invoke = (functionArn: string, event: unknown) => functions.invoke(functionArn, event);

/** STS on moto, keeping the session policy each AssumeRole carried (moto does not evaluate it). */
function recordingSts(): STSClient {
  const sts = new STSClient(baseClientConfig());
  sts.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { Policy?: string; Tags?: { Key?: string; Value?: string }[] };
      const tenantId = input.Tags?.find((t) => t.Key === 'tenantId')?.Value;
      if (input.Policy !== undefined && tenantId !== undefined) {
        vendedPolicies.set(tenantId, JSON.parse(input.Policy) as PolicyDocument);
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordSessionPolicy' },
  );
  return sts;
}

/**
 * IAM's verdict for a tenant session (the deployed role's identity policy ∩ the vended session
 * policy), with the policy evaluator: moto enforces neither.
 */
async function sessionVerdict(tenantId: string, action: string, table: string, leadingKeyTenant: string) {
  const sessionPolicy = vendedPolicies.get(tenantId);
  if (sessionPolicy === undefined) throw new Error(`no session was vended for ${tenantId}`);
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${resourceName(config, 'tenant-runtime')}/${tenantId}`,
        action,
        resource: {
          resource: `arn:aws:dynamodb:${config.regions.primary}:${LOCAL_ACCOUNT}:table/${table}`,
          accountId: LOCAL_ACCOUNT,
        },
        contextVariables: {
          'aws:PrincipalTag/tenantId': tenantId,
          'dynamodb:LeadingKeys': [`TENANT#${leadingKeyTenant}#documents`],
        },
      },
      identityPolicies: [
        {
          name: 'tenant-runtime',
          policy: tenantRuntimeRolePolicy({
            tableArns: [
              deps.location.pooledTableArn,
              ...siloTableArnPatterns(config, 'aws', LOCAL_ACCOUNT),
              collectionTableArnPattern(config, 'aws', config.regions.primary, LOCAL_ACCOUNT),
            ],
            bucketArn: `arn:aws:s3:::${deps.location.bucketName}`,
          }),
        },
      ],
      sessionPolicy,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`simulation error: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

/** API Gateway's path: the authorizer decides on the token, the service gets its hand-off. */
async function request(
  who: TenantKey,
  method: string,
  options: { documentId?: string; body?: string } = {},
): Promise<{ statusCode: number; body: Record<string, unknown>; servedBy: string | undefined }> {
  const path = options.documentId === undefined ? 'documents' : `documents/${options.documentId}`;
  const decision = await authorizer.decide({
    authorization: `Bearer ${tokens[who]}`,
    methodArn: `${stageArn}/${method}/${path}`,
  });
  expect(decision.kind).toBe('allow');
  const { response, functionArn } = await routeDocumentRequest(
    { config, tenants: deps.tenants, pooledFunctionArn, invoke, logger: deps.logger },
    {
      httpMethod: method,
      pathParameters: options.documentId === undefined ? null : { documentId: options.documentId },
      body: options.body ?? null,
      requestContext: { authorizer: authorizerResultContext(decision) },
    },
  );
  return {
    statusCode: response.statusCode,
    body: response.body === '' ? {} : JSON.parse(response.body),
    servedBy: functionArn,
  };
}

/** The service event API Gateway sends for `who`'s token (authorizer decision included). */
async function serviceEvent(
  who: TenantKey,
  method: string,
  body: string | null = null,
): Promise<DocumentServiceEvent> {
  const decision = await authorizer.decide({
    authorization: `Bearer ${tokens[who]}`,
    methodArn: `${stageArn}/${method}/documents`,
  });
  expect(decision.kind).toBe('allow');
  return {
    httpMethod: method,
    pathParameters: null,
    body,
    requestContext: { authorizer: authorizerResultContext(decision) },
  };
}

async function tableItems(table: string, region?: string): Promise<Record<string, unknown>[]> {
  const { Items } = await new DynamoDBClient(baseClientConfig(region === undefined ? {} : { region })).send(
    new ScanCommand({ TableName: table }),
  );
  return (Items ?? []).map((item) => unmarshall(item));
}

/** Every row of a place's database, read as the server's superuser (no RLS: what the database holds). */
async function rowsIn(place: LocalPlace): Promise<{ tenant_id: string; id: string }[]> {
  const url = new URL(postgresUrl);
  url.pathname = `/${localDatabaseName(place)}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return (await client.query('SELECT tenant_id, id FROM tenantry.documents ORDER BY tenant_id, id')).rows;
  } finally {
    await client.end();
  }
}

/** Every row of the pooled database and of the silo's. */
async function allRows(): Promise<{ tenant_id: string; id: string }[]> {
  return [
    ...(await rowsIn({ place: 'pool' })),
    ...(await rowsIn({ place: 'silo', tenantId: tenants.silo.tenantId })),
  ];
}

beforeAll(async () => {
  const aws = useLocalAws();
  await resetLocalAws();
  await provisionLocalControlPlane(config);
  stageArn = `arn:aws:execute-api:${aws.region}:${LOCAL_ACCOUNT}:docsapi/${config.naming.stage}`;
  const dynamo = new DynamoDBClient(baseClientConfig());
  await new KinesisClient(kinesisClientConfig()).send(
    new CreateStreamCommand({ StreamName: streamName, ShardCount: 1 }),
  );
  const catalog = new CatalogRepository({
    client: documentClient(),
    tableName: tableName(config, 'catalog'),
  });
  for (const tenant of Object.values(tenants)) {
    const region = tenant.isolation === 'silo' ? SILO_REGION : config.regions.primary;
    await catalog.create({ ...tenant, name: tenant.tenantId, region });
    // The business tier's documents table, created and recorded as onboarding does.
    const tables = await createCollectionTables(dynamo, config, tenant.tenantId, tenant.tier);
    await recordCollectionTables(catalog, tenant.tenantId, tables, 'documents-test');
  }
  // The silo tenant's stack, from the silo template, with its code published as `cdk deploy` would.
  const s3 = new S3Client({ ...s3ClientConfig(), endpoint: aws.endpoint, forcePathStyle: true });
  const build = siloTemplateBuild(config, 'in-process');
  await publishSiloServiceCode(s3, config, LOCAL_ACCOUNT, build, aws.endpoint);
  const templateBucket = resourceName(config, 'templates');
  await s3.send(new CreateBucketCommand({ Bucket: templateBucket }));
  await s3.send(
    new PutObjectCommand({ Bucket: templateBucket, Key: 'silo.json', Body: JSON.stringify(build.template) }),
  );
  const siloRegionClients = siloClients({ region: SILO_REGION });
  const siloStack = await createSiloStack(siloRegionClients, config, tenants.silo, {
    templateUrl: `${aws.endpoint.replace('127.0.0.1', 'localhost')}/${templateBucket}/silo.json`,
    deploymentRoleArn: null,
    tenantAccessRoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${resourceName(config, 'tenant-runtime')}`,
    dataMoverRoleArns: [`arn:aws:iam::${LOCAL_ACCOUNT}:role/${resourceName(config, 'tenant-data-copy')}`],
  });
  expect([siloStack.status, siloStack.statusReason]).toEqual(['CREATE_COMPLETE', null]);
  const siloResources = siloStack.silo;
  await catalog.update(tenants.silo.tenantId, (t) => ({ ...t, silo: siloResources ?? undefined }));
  for (const tenant of Object.values(tenants)) {
    await catalog.transition(tenant.tenantId, 'ACTIVE', { reason: 'documents test' });
  }
  postgresUrl = aws.postgresUrl;
  places = localPostgresPlaces(postgresUrl);
  deps = {
    config,
    tenants: cachedTenantLookup((id) => catalog.find(id), 30),
    location: {
      pooledTableArn: `arn:aws:dynamodb:${aws.region}:${LOCAL_ACCOUNT}:table/${pooledTable}`,
      bucketName: resourceName(config, 'tenant-data'),
    },
    clientsFor: (region) => new TenantClientFactory({ region }),
    database: await places.database({ place: 'pool' }),
    // The local connection is the server's superuser (bypasses RLS); on AWS the IAM user is the application role.
    databaseRole: APP_ROLE,
    usage: new UsageEmitter({ client: new KinesisClient(kinesisClientConfig()), streamName, config }),
    logger: new Logger({ serviceName: 'documents-test', logLevel: 'SILENT' }),
  };
  pooledFunctionArn = `arn:aws:lambda:${aws.region}:${LOCAL_ACCOUNT}:function:pooled-documents`;
  functions = localDocumentFunctions(deps, pooledFunctionArn, { places });
  const users = await createLocalTenantUsers(config, aws.endpoint);
  for (const [key, tenant] of Object.entries(tenants) as [TenantKey, (typeof tenants)[TenantKey]][]) {
    tokens[key] = await users.signIn(tenant, `user@${tenant.tenantId}.example`);
  }
  authorizer = users.authorizer({
    tenants: (id) => catalog.find(id),
    dataLocation: deps.location,
    sts: recordingSts(),
  }).authorizer;
  for (const key of Object.keys(tenants) as TenantKey[]) {
    const response = await request(key, 'POST', {
      body: JSON.stringify({ title: `${key} plan`, content: `secret of ${tenants[key].tenantId}` }),
    });
    expect(response.statusCode).toBe(201);
    created[key] = String(response.body.documentId);
  }
});

afterAll(async () => {
  await places?.close();
});

describe('documents on every plane, through the authorizer', () => {
  it.each(Object.keys(tenants) as TenantKey[])('%s lists and reads only its own document', async (key) => {
    // Act
    const list = await request(key, 'GET');
    const got = await request(key, 'GET', { documentId: created[key] });

    // Assess
    expect(list).toEqual({
      statusCode: 200,
      body: {
        documents: [{ documentId: created[key], title: `${key} plan`, createdAt: expect.any(String) }],
      },
      servedBy: key === 'silo' ? SILO_FUNCTION_ARN : pooledFunctionArn,
    });
    expect(got.body).toMatchObject({
      documentId: created[key],
      content: `secret of ${tenants[key].tenantId}`,
    });
  });

  it("writes pooled tenants' items to the pooled table, business tenants' to their own documents table, the silo tenant's to its table", async () => {
    const pooled = await tableItems(pooledTable);
    const business = await tableItems(documentsTable('business'));
    const businessB = await tableItems(documentsTable('businessB'));
    const silo = await tableItems(siloTableName(config, tenants.silo.tenantId), SILO_REGION);

    // Nothing of a business tenant's hot collection in the pooled table.
    expect(pooled.map((i) => [i.pk, i.sk, i.tenantId]).sort()).toEqual(
      [
        ['TENANT#docs-pool-a#documents', created.poolA, 'docs-pool-a'],
        ['TENANT#docs-pool-b#documents', created.poolB, 'docs-pool-b'],
      ].sort(),
    );
    expect(business.map((i) => [i.pk, i.sk, i.tenantId])).toEqual([
      ['TENANT#docs-business#documents', created.business, 'docs-business'],
    ]);
    expect(businessB.map((i) => [i.pk, i.sk])).toEqual([
      ['TENANT#docs-business-b#documents', created.businessB],
    ]);
    expect(silo.map((i) => [i.pk, i.sk])).toEqual([['TENANT#docs-silo#documents', created.silo]]);
  });

  it("business tenant B never sees A's documents, and B's vended session cannot reach A's table", async () => {
    const rowsBefore = await allRows();

    // Act: B's token, A's document id.
    const get = await request('businessB', 'GET', { documentId: created.business });
    const del = await request('businessB', 'DELETE', { documentId: created.business });

    // Assess: one answer for "not yours", nothing deleted, and IAM (evaluated) keeps B off A's table.
    expect([get.statusCode, get.body]).toEqual([404, { error: 'unknown document' }]);
    expect(del.statusCode).toBe(404);
    expect(await allRows()).toEqual(rowsBefore);
    expect((await tableItems(documentsTable('business'))).map((i) => i.sk)).toEqual([created.business]);
    const b = tenants.businessB.tenantId;
    const a = tenants.business.tenantId;
    for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem']) {
      expect(await sessionVerdict(b, action, documentsTable('business'), a)).not.toBe('Allowed');
      expect(await sessionVerdict(b, action, documentsTable('business'), b)).not.toBe('Allowed');
      expect(await sessionVerdict(b, action, documentsTable('businessB'), b)).toBe('Allowed');
    }
    expect(await sessionVerdict(a, 'dynamodb:GetItem', documentsTable('business'), a)).toBe('Allowed');
  });

  it("never shows tenant A's document to tenant B, by id, and never deletes it", async () => {
    const rowsBefore = await allRows();

    const get = await request('poolB', 'GET', { documentId: created.poolA });
    const del = await request('poolB', 'DELETE', { documentId: created.poolA });
    const siloGet = await request('silo', 'GET', { documentId: created.poolA });

    expect([get.statusCode, get.body]).toEqual([404, { error: 'unknown document' }]);
    expect([del.statusCode, del.body]).toEqual([404, { error: 'unknown document' }]);
    expect(siloGet.statusCode).toBe(404);
    expect(await allRows()).toEqual(rowsBefore);
    expect((await tableItems(pooledTable)).some((i) => i.sk === created.poolA)).toBe(true);
  });

  it('row-level security: a buggy query with no WHERE clause returns only the tenant rows', async () => {
    // Prepare: the pooled table holds every pooled tenant's rows; the silo tenant's row is in its own database.
    expect(new Set((await rowsIn({ place: 'pool' })).map((r) => r.tenant_id)).size).toBe(4);
    expect(
      (await rowsIn({ place: 'silo', tenantId: tenants.silo.tenantId })).map((r) => r.tenant_id),
    ).toEqual([tenants.silo.tenantId]);

    // Act: the bug — no tenant filter — inside the service's unit of work, on the service's database.
    const rows = await withTenant(
      deps.database,
      tenants.poolB.tenantId,
      async (tx) =>
        (await tx.query<{ tenant_id: string; id: string }>('SELECT tenant_id, id FROM tenantry.documents'))
          .rows,
      { role: APP_ROLE },
    );

    // Assess
    expect(rows).toEqual([{ tenant_id: 'docs-pool-b', id: created.poolB }]);
  });

  it('refuses bad input with a 4xx and a reason, writing nothing', async () => {
    const rowsBefore = await allRows();
    const itemsBefore = (await tableItems(pooledTable)).length;

    const answers = await Promise.all([
      request('poolA', 'POST', { body: '{"title": "half' }),
      request('poolA', 'POST', {
        body: JSON.stringify({ title: 't', content: 'x'.repeat(MAX_DOCUMENT_BODY_BYTES) }),
      }),
      request('poolA', 'GET', { documentId: 'doc-00000000-0000-4000-8000-000000000000' }),
      request('poolA', 'GET', { documentId: `..%2F${tenants.poolB.tenantId}%2F${created.poolB}` }),
    ]);

    expect(answers.map((a) => [a.statusCode, a.body.error])).toEqual([
      [400, 'body is not valid JSON'],
      [413, expect.stringMatching(/^body is \d+ bytes, over the 16384-byte limit$/)],
      [404, 'unknown document'],
      [400, 'documentId must be a document id (doc-<uuid>)'],
    ]);
    expect(await allRows()).toEqual(rowsBefore);
    expect((await tableItems(pooledTable)).length).toBe(itemsBefore);
  });

  it('deletes a document from both stores', async () => {
    const del = await request('business', 'DELETE', { documentId: created.business });
    const after = await request('business', 'GET', { documentId: created.business });

    expect(del.statusCode).toBe(204);
    expect(after.statusCode).toBe(404);
    expect((await allRows()).some((r) => r.id === created.business)).toBe(false);
    expect(await tableItems(documentsTable('business'))).toEqual([]);
  });

  it("emits each served request's usage to the metering stream, keyed by the verified tenant", async () => {
    const usage = await usageOnStream(streamName);

    for (const tenant of Object.values(tenants)) {
      const own = usage.filter((u) => u.partitionKey === tenant.tenantId);
      expect(own.every((u) => u.tenantId === tenant.tenantId)).toBe(true);
      expect(own.filter((u) => u.metric === 'doc.processed')).toHaveLength(1);
      expect(own.filter((u) => u.metric === 'api.call').length).toBeGreaterThanOrEqual(3);
    }
    expect(usage.every((u) => u.partitionKey === u.tenantId)).toBe(true);
  });
});

describe("silo compute: the silo tenant's requests run in its own function", () => {
  it('records the function its silo stack created, from the stack outputs, in the tenant region', async () => {
    // Prepare
    const tenant = await deps.tenants(tenants.silo.tenantId);
    const { Stacks } = await siloClients({ region: SILO_REGION }).cfn.send(
      new DescribeStacksCommand({ StackName: tenant?.silo?.stackId }),
    );
    const output = Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === siloStackOutputs.serviceFunctionArn);

    // Act
    const fn = await new LambdaClient(baseClientConfig({ region: SILO_REGION })).send(
      new GetFunctionConfigurationCommand({ FunctionName: tenant?.silo?.serviceFunctionArn }),
    );

    // Assess
    expect(tenant?.silo?.serviceFunctionArn).toBe(SILO_FUNCTION_ARN);
    expect(output?.OutputValue).toBe(tenant?.silo?.serviceFunctionArn);
    expect(fn.FunctionName).toBe(siloServiceFunctionName(config, tenants.silo.tenantId));
    expect(fn.Environment?.Variables).toMatchObject({
      SILO_TENANT_ID: 'docs-silo',
      CONTROL_PLANE_REGION: config.regions.primary,
    });
  });

  it("serves the silo tenant's request in the tenant's function, its document in the silo table only", async () => {
    // Prepare
    functions.invoked.length = 0;

    // Act
    const created = await request('silo', 'POST', { body: JSON.stringify({ title: 'own', content: 'x' }) });
    const pooled = await request('poolA', 'GET');

    // Assess
    expect([created.statusCode, created.servedBy]).toEqual([201, SILO_FUNCTION_ARN]);
    expect([pooled.statusCode, pooled.servedBy]).toEqual([200, pooledFunctionArn]);
    expect(functions.invoked).toEqual([SILO_FUNCTION_ARN, pooledFunctionArn]);
    const siloItems = await tableItems(siloTableName(config, tenants.silo.tenantId), SILO_REGION);
    expect(siloItems.map((i) => i.sk)).toContain(created.body.documentId);
    expect((await tableItems(pooledTable)).some((i) => i.sk === created.body.documentId)).toBe(false);
  });

  it("the pooled function refuses a silo tenant's request and writes nothing", async () => {
    // Prepare
    const event = await serviceEvent('silo', 'POST', JSON.stringify({ title: 'astray', content: 'y' }));
    const rowsBefore = await allRows();
    const siloItemsBefore = await tableItems(siloTableName(config, tenants.silo.tenantId), SILO_REGION);

    // Act
    const answer = await invoke(pooledFunctionArn, event);

    // Assess
    expect([answer.statusCode, JSON.parse(answer.body)]).toEqual([
      421,
      { error: "this function does not serve the tenant's plane" },
    ]);
    expect(await allRows()).toEqual(rowsBefore);
    expect(await tableItems(siloTableName(config, tenants.silo.tenantId), SILO_REGION)).toEqual(
      siloItemsBefore,
    );
  });

  it("the silo tenant's function refuses every other tenant, even with a valid context", async () => {
    // Prepare
    const event = await serviceEvent('poolB', 'GET');

    // Act
    const answer = await invoke(SILO_FUNCTION_ARN, event);

    // Assess
    expect(answer.statusCode).toBe(421);
  });

  it("never shows the silo tenant's document to a pooled tenant", async () => {
    const answer = await request('poolA', 'GET', { documentId: created.silo });

    expect([answer.statusCode, answer.body, answer.servedBy]).toEqual([
      404,
      { error: 'unknown document' },
      pooledFunctionArn,
    ]);
  });
});
