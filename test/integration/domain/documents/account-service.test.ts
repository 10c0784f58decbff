import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient, type DynamoDBClientConfig, ScanCommand } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { CreateStreamCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  ListRootsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  baseClientConfig,
  documentClient,
  kinesisClientConfig,
  s3ClientConfig,
} from '../../../../domain/aws/clients';
import { CatalogRepository } from '../../../../domain/catalog/repository';
import { defaultConfig, resourceName, type TenantryConfig } from '../../../../domain/config';
import { routeDocumentRequest } from '../../../../domain/documents/router';
import type { DocumentServiceDependencies } from '../../../../domain/documents/service';
import type { TenantAuthorizer } from '../../../../domain/identity/authorizer';
import { authorizerResultContext } from '../../../../domain/identity/request-context';
import { APP_ROLE } from '../../../../domain/identity/rls/migrations';
import { TenantClientFactory } from '../../../../domain/identity/tenant-clients';
import { cachedTenantLookup } from '../../../../domain/identity/tenant-lookup';
import { ensureRuntimeRole } from '../../../../domain/lifecycle/member-account';
import { siloServiceFunctionName, siloTableName } from '../../../../domain/lifecycle/silo';
import { accountDeployment, createSiloStack, siloClients } from '../../../../domain/lifecycle/silo-stack';
import { tableName } from '../../../../domain/tables';
import { UsageEmitter } from '../../../../domain/usage/emitter';
import { siloTemplateBuild } from '../../../../infra/silo-stack';
import { provisionLocalControlPlane } from '../../../../local/control-plane';
import { localDocumentFunctions } from '../../../../local/documents';
import { LOCAL_ACCOUNT } from '../../../../local/lifecycle';
import { localPostgresPlaces } from '../../../../local/postgres';
import { publishSiloServiceCode } from '../../../../local/silo-code';
import { createLocalTenantUsers } from '../../../../local/tenant-users';
import { accountConfigIn, accountsSettings } from '../../../unit/support/account-config';
import { resetLocalAws, useLocalAws } from '../../support';
import { usageOnStream } from './support';

// The reference service for a tenant in its own AWS account (issue 15), on the local environment. moto
// serves Organizations and maps credentials assumed into a member account's role to that account: the
// tenant's silo stack is created from the real silo template by moto's CloudFormation IN THE ACCOUNT
// (with the deployment role assumed there), code and template read from the platform's silo artifacts
// bucket; its documents function therefore exists in that account only. A request with the tenant's
// real token goes through the authorizer (credentials vended by the runtime role of the account) and the
// router to that function, which runs here with its own configuration as moto holds it (catalog and
// usage stream by their platform ARNs). moto evaluates no IAM: the resource policies that let the
// account reach the platform (artifacts, catalog, stream, data bucket), the runtime role's trust and the
// router's cross-account invoke are proven with the policy evaluator in
// test/unit/domain/identity/organization-access.test.ts, test/unit/domain/lifecycle/member-account.test.ts
// and test/unit/infra/silo-stack.test.ts.

const US = 'us-east-1';
const EU = 'eu-central-1';
// The role names the configuration gives (one definition: test/unit/support/account-config.ts).
const { deploymentRoleName: DEPLOYMENT_ROLE, runtimeRoleName: RUNTIME_ROLE } = accountsSettings;
const tenants = {
  account: { tenantId: 'rhein', tier: 'sovereign', isolation: 'account' },
  pool: { tenantId: 'acct-pool-b', tier: 'pro', isolation: 'pool' },
} as const;
type TenantKey = keyof typeof tenants;

let config: TenantryConfig;
let accountId: string;
let functionArn: string;
let places: ReturnType<typeof localPostgresPlaces>;
let deps: DocumentServiceDependencies;
let authorizer: TenantAuthorizer;
let stageArn: string;
let functions: ReturnType<typeof localDocumentFunctions>;
const tokens = {} as Record<TenantKey, string>;
const pooledFunctionArn = `arn:aws:lambda:${US}:${LOCAL_ACCOUNT}:function:pooled-documents`;
const streamName = resourceName(defaultConfig, 'usage');

/** Client settings acting in the tenant's account (its deployment role, as the lifecycle assumes it). */
async function inAccount(region: string) {
  const { Credentials: c } = await new STSClient(baseClientConfig({ region: US })).send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${accountId}:role/${DEPLOYMENT_ROLE}`,
      RoleSessionName: 'account-service-test',
    }),
  );
  return {
    ...baseClientConfig({ region }),
    credentials: {
      accessKeyId: c?.AccessKeyId as string,
      secretAccessKey: c?.SecretAccessKey as string,
      sessionToken: c?.SessionToken as string,
    },
  };
}

async function request(who: TenantKey, method: string, options: { documentId?: string; body?: string } = {}) {
  const path = options.documentId === undefined ? 'documents' : `documents/${options.documentId}`;
  const decision = await authorizer.decide({
    authorization: `Bearer ${tokens[who]}`,
    methodArn: `${stageArn}/${method}/${path}`,
  });
  expect(decision.kind).toBe('allow');
  const event = {
    httpMethod: method,
    pathParameters: options.documentId === undefined ? null : { documentId: options.documentId },
    body: options.body ?? null,
    requestContext: { authorizer: authorizerResultContext(decision) },
  };
  const { response, functionArn: servedBy } = await routeDocumentRequest(
    { config, tenants: deps.tenants, pooledFunctionArn, invoke: functions.invoke, logger: deps.logger },
    event,
  );
  return {
    statusCode: response.statusCode,
    body: response.body === '' ? {} : (JSON.parse(response.body) as Record<string, unknown>),
    servedBy,
    event,
  };
}

async function itemsOf(table: string, settings: DynamoDBClientConfig) {
  const { Items } = await new DynamoDBClient(settings).send(new ScanCommand({ TableName: table }));
  return (Items ?? []).map((item) => unmarshall(item));
}

beforeAll(async () => {
  const aws = useLocalAws();
  await resetLocalAws();
  // The organization, the tenants' OU and the tenant's account (moto completes CreateAccount at once).
  const org = new OrganizationsClient(baseClientConfig({ region: US }));
  const { Organization } = await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  const { Roots } = await org.send(new ListRootsCommand({}));
  const unit = await org.send(
    new CreateOrganizationalUnitCommand({ ParentId: Roots?.[0]?.Id as string, Name: 'tenants' }),
  );
  config = accountConfigIn(unit.OrganizationalUnit?.Id as string, Organization?.Id);

  const created = await org.send(
    new CreateAccountCommand({
      Email: 'aws+rhein@tenantry.example',
      AccountName: 'rhein',
      RoleName: DEPLOYMENT_ROLE,
    }),
  );
  accountId = created.CreateAccountStatus?.AccountId as string;

  await provisionLocalControlPlane(config);
  stageArn = `arn:aws:execute-api:${aws.region}:${LOCAL_ACCOUNT}:docsapi/${config.naming.stage}`;
  await new KinesisClient(kinesisClientConfig()).send(
    new CreateStreamCommand({ StreamName: streamName, ShardCount: 1 }),
  );
  const catalog = new CatalogRepository({
    client: documentClient(),
    tableName: tableName(config, 'catalog'),
  });
  const bucketName = resourceName(config, 'tenant-data');

  // What onboarding does for the account tenant: the runtime role there, then the silo stack there.
  await ensureRuntimeRole(new IAMClient(await inAccount(US)), config, 'rhein', accountId, {
    authorizerRoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${resourceName(config, 'authorizer')}`,
    bucketArn: `arn:aws:s3:::${bucketName}`,
    probeRoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${resourceName(config, 'tenant-account')}`,
  });
  const s3 = new S3Client({ ...s3ClientConfig(), endpoint: aws.endpoint, forcePathStyle: true });
  const templateUrl = await publishSiloServiceCode(
    s3,
    config,
    LOCAL_ACCOUNT,
    siloTemplateBuild(config, 'in-process'),
    aws.endpoint,
  );
  const stack = await createSiloStack(
    siloClients({ region: EU, accountId, roleName: DEPLOYMENT_ROLE }),
    config,
    tenants.account,
    accountDeployment(
      {
        templateUrl: 'https://unused.example/silo.json',
        deploymentRoleArn: null,
        tenantAccessRoleArn: '',
        dataMoverRoleArns: [],
      },
      {
        accountId: LOCAL_ACCOUNT,
        routerRoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${resourceName(config, 'documents-router')}`,
        templateUrl,
      },
      { runtimeRoleName: RUNTIME_ROLE, deploymentRoleName: DEPLOYMENT_ROLE },
      accountId,
    ),
  );
  expect([stack.status, stack.statusReason]).toEqual(['CREATE_COMPLETE', null]);
  functionArn = stack.silo?.serviceFunctionArn as string;
  await catalog.create({ ...tenants.account, name: 'Bank Rhein', region: EU });
  await catalog.update('rhein', (t) => ({
    ...t,
    accountId,
    accountStatus: 'ACTIVE',
    silo: stack.silo ?? undefined,
  }));
  await catalog.create({ ...tenants.pool, name: 'Pool B', region: US });
  for (const tenant of Object.values(tenants)) {
    await catalog.transition(tenant.tenantId, 'ACTIVE', { reason: 'account service test' });
  }

  places = localPostgresPlaces(aws.postgresUrl);
  deps = {
    config,
    tenants: cachedTenantLookup((id) => catalog.find(id), 30),
    location: {
      pooledTableArn: `arn:aws:dynamodb:${US}:${LOCAL_ACCOUNT}:table/${tableName(config, 'pooled')}`,
      bucketName,
    },
    clientsFor: (region) => new TenantClientFactory({ region }),
    database: await places.database({ place: 'pool' }),
    databaseRole: APP_ROLE,
    usage: new UsageEmitter({ client: new KinesisClient(kinesisClientConfig()), streamName, config }),
    logger: new Logger({ serviceName: 'account-service-test', logLevel: 'SILENT' }),
  };
  const accountLambda = new LambdaClient(await inAccount(EU));
  functions = localDocumentFunctions(deps, pooledFunctionArn, {
    places,
    lambdaFor: (arn) =>
      arn.split(':')[4] === accountId
        ? accountLambda
        : new LambdaClient(baseClientConfig({ region: arn.split(':')[3] as string })),
  });
  const users = await createLocalTenantUsers(config, aws.endpoint);
  for (const key of Object.keys(tenants) as TenantKey[]) {
    tokens[key] = await users.signIn(tenants[key], `user@${tenants[key].tenantId}.example`);
  }
  authorizer = users.authorizer({
    tenants: (id) => catalog.find(id),
    dataLocation: deps.location,
  }).authorizer;
}, 240_000);

afterAll(async () => {
  await places?.close();
});

describe('the reference service serves an account tenant in its own account', () => {
  it("its documents function exists in the tenant's account only, from the same code, pointed at the platform's catalog and stream", async () => {
    // Act
    const there = await new LambdaClient(await inAccount(EU)).send(
      new GetFunctionConfigurationCommand({ FunctionName: siloServiceFunctionName(config, 'rhein') }),
    );
    const inPlatform = new LambdaClient(baseClientConfig({ region: EU })).send(
      new GetFunctionConfigurationCommand({ FunctionName: siloServiceFunctionName(config, 'rhein') }),
    );

    // Assess
    expect(functionArn).toBe(
      `arn:aws:lambda:${EU}:${accountId}:function:${siloServiceFunctionName(config, 'rhein')}`,
    );
    expect(there.FunctionArn).toBe(functionArn);
    expect(there.Environment?.Variables).toMatchObject({
      SILO_TENANT_ID: 'rhein',
      CATALOG_TABLE_NAME: `arn:aws:dynamodb:${US}:${LOCAL_ACCOUNT}:table/${tableName(config, 'catalog')}`,
      USAGE_STREAM_ARN: `arn:aws:kinesis:${US}:${LOCAL_ACCOUNT}:stream/${streamName}`,
      TENANT_BUCKET_NAME: `tenantry-dev-tenant-data-${LOCAL_ACCOUNT}`,
    });
    await expect(inPlatform).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it("a request with the tenant's token goes through the authorizer and the router to that function, and writes only to the account's table", async () => {
    // Prepare
    functions.invoked.length = 0;

    // Act
    const created = await request('account', 'POST', {
      body: JSON.stringify({ title: 'ledger', content: 'rhein only' }),
    });
    const listed = await request('account', 'GET');

    // Assess
    expect([created.statusCode, created.servedBy]).toEqual([201, functionArn]);
    expect(functions.invoked).toEqual([functionArn, functionArn]);
    expect(listed.body).toEqual({
      documents: [{ documentId: created.body.documentId, title: 'ledger', createdAt: expect.any(String) }],
    });
    // The vended credentials act in the tenant's account (role chaining into its runtime role).
    const context = created.event.requestContext.authorizer as Record<string, string>;
    const identity = await new STSClient({
      ...baseClientConfig({ region: US }),
      credentials: {
        accessKeyId: context.tenantAccessKeyId as string,
        secretAccessKey: context.tenantSecretAccessKey as string,
        sessionToken: context.tenantSessionToken as string,
      },
    }).send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toMatch(new RegExp(`^arn:aws:sts::${accountId}:assumed-role/${RUNTIME_ROLE}/`));
    // The document is in the account's table, and nowhere in the platform account.
    const table = siloTableName(config, 'rhein');
    expect((await itemsOf(table, await inAccount(EU))).map((i) => [i.pk, i.sk])).toEqual([
      ['TENANT#rhein#documents', created.body.documentId],
    ]);
    await expect(itemsOf(table, baseClientConfig({ region: EU }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    expect(await itemsOf(tableName(config, 'pooled'), baseClientConfig())).toEqual([]);
  });

  it("its usage reaches the platform's stream, keyed by the verified tenant", async () => {
    const usage = (await usageOnStream(streamName)).filter((u) => u.tenantId === 'rhein');

    expect(usage.every((u) => u.partitionKey === 'rhein')).toBe(true);
    expect(usage.filter((u) => u.metric === 'doc.processed')).toHaveLength(1);
    expect(usage.filter((u) => u.metric === 'api.call').length).toBeGreaterThanOrEqual(2);
  });

  it("tenant B is refused: its requests never reach the account tenant's documents, and its context is refused by that function", async () => {
    // Prepare
    const own = await request('account', 'GET');
    const documentId = (own.body.documents as { documentId: string }[])[0]?.documentId as string;
    const before = await itemsOf(siloTableName(config, 'rhein'), await inAccount(EU));

    // Act
    const get = await request('pool', 'GET', { documentId });
    const del = await request('pool', 'DELETE', { documentId });
    const astray = await request('pool', 'POST', { body: JSON.stringify({ title: 'astray', content: 'b' }) });
    const direct = await functions.invoke(functionArn, astray.event);

    // Assess
    expect([get.statusCode, get.servedBy]).toEqual([404, pooledFunctionArn]);
    expect(del.statusCode).toBe(404);
    expect(direct.statusCode).toBe(421);
    expect(await itemsOf(siloTableName(config, 'rhein'), await inAccount(EU))).toEqual(before);
  });
});
