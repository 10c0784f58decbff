import { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../../../../domain/config';
import {
  type DocumentServiceDependencies,
  handleDocumentRequest,
} from '../../../../domain/documents/service';
import { credentialContextKeys, planLimitContextKeys } from '../../../../domain/identity/request-context';
import type { SqlExecutor, TransactionalDatabase } from '../../../../domain/identity/rls/unit-of-work';
import { TenantClientFactory } from '../../../../domain/identity/tenant-clients';
import type { Tenant } from '../../../../domain/tenant/tenant';
import { UsageEmitter } from '../../../../domain/usage/emitter';
import { captureProcessOutput } from '../../support/lambda';
import { BUCKET, POOLED_TABLE_ARN, tenantRecord } from '../../support/tokens';

const dynamo = mockClient(DynamoDBDocumentClient);
const kinesis = mockClient(KinesisClient);
const NOW = new Date('2026-11-30T12:00:00.000Z');
const NEW_ID = 'doc-11111111-2222-4333-8444-555555555555';
const SECRET = 'fake-secret-access-key-1';
const SESSION_TOKEN = 'fake-session-token-1';

/** A database recording each unit of work's statements; `rows` answers SELECT/DELETE … RETURNING. */
function recordingDatabase(rows: Record<string, unknown>[] = []) {
  const units: { statements: [string, unknown[] | undefined][]; outcome?: 'commit' | 'rollback' }[] = [];
  const database: TransactionalDatabase = {
    async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      const unit: (typeof units)[number] = { statements: [] };
      units.push(unit);
      const tx = {
        query: async <Row>(sql: string, params?: unknown[]) => {
          unit.statements.push([sql, params]);
          return { rows: (/^(SELECT id|DELETE)/.test(sql) ? rows : []) as Row[] };
        },
      };
      try {
        const result = await work(tx);
        unit.outcome = 'commit';
        return result;
      } catch (error) {
        unit.outcome = 'rollback';
        throw error;
      }
    },
  };
  return { database, units };
}

function proxyEvent(
  method: string,
  options: { documentId?: string; body?: string; authorizer?: Record<string, unknown> | null } = {},
) {
  return {
    httpMethod: method,
    pathParameters: options.documentId === undefined ? null : { documentId: options.documentId },
    body: options.body ?? null,
    requestContext: {
      authorizer:
        options.authorizer === undefined ? authorizerContext('acme', 'pro', 'pool') : options.authorizer,
    },
  };
}

/** The context the tenant authorizer hands off on an ALLOW (request-context.ts). */
function authorizerContext(tenantId: string, tier: string, route: string, accessLevel = 'read-write') {
  return {
    tenantId,
    tier,
    route,
    accessLevel,
    [credentialContextKeys.accessKeyId]: 'ASIAFAKEKEY1',
    [credentialContextKeys.secretAccessKey]: SECRET,
    [credentialContextKeys.sessionToken]: SESSION_TOKEN,
    [credentialContextKeys.expiration]: new Date(NOW.getTime() + 900_000).toISOString(),
  };
}

let captured: string[];
let tenants: Map<string, Tenant>;
let catalogReads: number;

function dependencies(database: TransactionalDatabase): DocumentServiceDependencies {
  return {
    config: defaultConfig,
    tenants: async (id) => {
      catalogReads++;
      return tenants.get(id);
    },
    location: { pooledTableArn: POOLED_TABLE_ARN, bucketName: BUCKET },
    clientsFor: (region) => new TenantClientFactory({ region }),
    database,
    usage: new UsageEmitter({
      client: new KinesisClient({ region: 'us-east-1' }),
      streamName: 'tenantry-dev-usage',
      config: defaultConfig,
      now: () => NOW,
    }),
    logger: new Logger({ serviceName: 'documents-test' }),
    now: () => NOW,
    newDocumentId: () => NEW_ID,
  };
}

function logLines(): Record<string, unknown>[] {
  return captured
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function usageSent(): { partitionKey: string; tenantId: string; metric: string }[] {
  return kinesis.commandCalls(PutRecordsCommand).flatMap((call) =>
    (call.args[0].input.Records ?? []).map((r) => {
      const event = JSON.parse(new TextDecoder().decode(r.Data)) as { tenantId: string; metric: string };
      return { partitionKey: String(r.PartitionKey), tenantId: event.tenantId, metric: event.metric };
    }),
  );
}

beforeEach(() => {
  dynamo.reset();
  kinesis.reset();
  kinesis.on(PutRecordsCommand).callsFake(async (input) => ({
    FailedRecordCount: 0,
    Records: input.Records.map(() => ({ SequenceNumber: '1', ShardId: 'shardId-0' })),
  }));
  tenants = new Map(
    [tenantRecord('acme', 'pro', 'ACTIVE'), tenantRecord('initech', 'enterprise', 'ACTIVE', 'silo')].map(
      (t) => [t.tenantId, t],
    ),
  );
  catalogReads = 0;
  captured = captureProcessOutput();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('handleDocumentRequest', () => {
  it('creates a pooled document: PostgreSQL row and DynamoDB item under the tenant, usage for the tenant', async () => {
    // Prepare
    const { database, units } = recordingDatabase();
    dynamo.on(PutCommand).resolves({});

    // Act
    const response = await handleDocumentRequest(
      dependencies(database),
      proxyEvent('POST', { body: JSON.stringify({ title: 'Plan', content: 'text' }) }),
    );

    // Assess
    expect(response.statusCode).toBe(201);
    expect(JSON.parse(response.body)).toEqual({
      documentId: NEW_ID,
      title: 'Plan',
      createdAt: NOW.toISOString(),
    });
    expect(units).toHaveLength(1);
    expect(units[0]?.outcome).toBe('commit');
    expect(units[0]?.statements).toEqual([
      ['SELECT set_config($1, $2, true)', ['app.current_tenant', 'acme']],
      [
        'INSERT INTO tenantry.documents (tenant_id, id, title, created_at) VALUES ($1, $2, $3, $4)',
        ['acme', NEW_ID, 'Plan', NOW.toISOString()],
      ],
    ]);
    const put = dynamo.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put).toEqual({
      TableName: 'tenantry-dev-pooled-data',
      Item: {
        pk: 'TENANT#acme#documents',
        sk: NEW_ID,
        tenantId: 'acme',
        title: 'Plan',
        content: 'text',
        createdAt: NOW.toISOString(),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(usageSent()).toEqual([
      { partitionKey: 'acme', tenantId: 'acme', metric: 'api.call' },
      { partitionKey: 'acme', tenantId: 'acme', metric: 'doc.processed' },
    ]);
  });

  it("signs DynamoDB requests with the authorizer's vended credentials", async () => {
    const { database } = recordingDatabase();
    dynamo.on(GetCommand).resolves({ Item: { title: 'T', content: 'c', createdAt: NOW.toISOString() } });

    await handleDocumentRequest(dependencies(database), proxyEvent('GET', { documentId: NEW_ID }));

    const client = dynamo.commandCalls(GetCommand)[0]?.thisValue as DynamoDBDocumentClient;
    const identity = await (client.config.credentials as () => Promise<{ accessKeyId: string }>)();
    expect(identity.accessKeyId).toBe('ASIAFAKEKEY1');
  });

  it("in the silo tenant's own function, reads its document from its silo table, recorded in the catalog", async () => {
    const { database } = recordingDatabase();
    dynamo.on(GetCommand).resolves({ Item: { title: 'T', content: 'c', createdAt: NOW.toISOString() } });

    const response = await handleDocumentRequest(
      { ...dependencies(database), siloTenantId: 'initech' },
      proxyEvent('GET', {
        documentId: NEW_ID,
        authorizer: authorizerContext('initech', 'enterprise', 'silo:tenantry-dev-silo-initech'),
      }),
    );

    expect(response.statusCode).toBe(200);
    expect(dynamo.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: 'tenantry-dev-silo-data-initech',
      Key: { pk: 'TENANT#initech#documents', sk: NEW_ID },
    });
  });

  it("writes a business tenant's documents to its recorded collection table, under its key", async () => {
    // Prepare
    const tableArn = POOLED_TABLE_ARN.replace(
      'tenantry-dev-pooled-data',
      'tenantry-dev-collection-lumen.documents',
    );
    tenants.set('lumen', {
      ...tenantRecord('lumen', 'business', 'ACTIVE'),
      collections: [
        { collection: 'documents', tableName: 'tenantry-dev-collection-lumen.documents', tableArn },
      ],
    });
    const { database } = recordingDatabase();
    dynamo.on(PutCommand).resolves({});

    // Act
    const response = await handleDocumentRequest(
      dependencies(database),
      proxyEvent('POST', {
        body: JSON.stringify({ title: 'Plan', content: 'text' }),
        authorizer: authorizerContext('lumen', 'business', 'pool+documents'),
      }),
    );

    // Assess
    expect(response.statusCode).toBe(201);
    expect(
      dynamo.commandCalls(PutCommand).map((c) => [c.args[0].input.TableName, c.args[0].input.Item?.pk]),
    ).toEqual([['tenantry-dev-collection-lumen.documents', 'TENANT#lumen#documents']]);
  });

  it("the pooled function refuses a silo tenant's request before reading or writing", async () => {
    const { database, units } = recordingDatabase();

    const response = await handleDocumentRequest(
      dependencies(database),
      proxyEvent('POST', {
        body: JSON.stringify({ title: 'T', content: 'c' }),
        authorizer: authorizerContext('initech', 'enterprise', 'silo:tenantry-dev-silo-initech'),
      }),
    );

    expect([response.statusCode, JSON.parse(response.body)]).toEqual([
      421,
      { error: "this function does not serve the tenant's plane" },
    ]);
    expect([units.length, dynamo.calls().length]).toEqual([0, 0]);
  });

  it("a silo tenant's function refuses every other tenant", async () => {
    const { database, units } = recordingDatabase();

    const response = await handleDocumentRequest(
      { ...dependencies(database), siloTenantId: 'initech' },
      proxyEvent('GET', { documentId: NEW_ID }),
    );

    expect(response.statusCode).toBe(421);
    expect([units.length, dynamo.calls().length]).toEqual([0, 0]);
  });

  it('lists through the unit of work that sets the tenant', async () => {
    const { database, units } = recordingDatabase([{ id: NEW_ID, title: 'Plan', created_at: NOW }]);

    const response = await handleDocumentRequest(dependencies(database), proxyEvent('GET'));

    expect(JSON.parse(response.body)).toEqual({
      documents: [{ documentId: NEW_ID, title: 'Plan', createdAt: NOW.toISOString() }],
    });
    expect(units[0]?.statements[0]).toEqual([
      'SELECT set_config($1, $2, true)',
      ['app.current_tenant', 'acme'],
    ]);
  });

  it('answers an unknown document with 404, emits no usage and writes nothing', async () => {
    const { database, units } = recordingDatabase([]);
    dynamo.on(GetCommand).resolves({});

    const get = await handleDocumentRequest(
      dependencies(database),
      proxyEvent('GET', { documentId: NEW_ID }),
    );
    const del = await handleDocumentRequest(
      dependencies(database),
      proxyEvent('DELETE', { documentId: NEW_ID }),
    );

    expect([get.statusCode, JSON.parse(get.body)]).toEqual([404, { error: 'unknown document' }]);
    expect([del.statusCode, JSON.parse(del.body)]).toEqual([404, { error: 'unknown document' }]);
    expect(units[0]?.outcome).toBe('rollback');
    expect(dynamo.commandCalls(DeleteCommand)).toHaveLength(0);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it('refuses malformed JSON before reading the catalog or touching any store', async () => {
    const { database, units } = recordingDatabase();

    const response = await handleDocumentRequest(
      dependencies(database),
      proxyEvent('POST', { body: '{oops' }),
    );

    expect([response.statusCode, JSON.parse(response.body)]).toEqual([
      400,
      { error: 'body is not valid JSON' },
    ]);
    expect(catalogReads).toBe(0);
    expect(units).toHaveLength(0);
    expect(dynamo.calls()).toHaveLength(0);
    expect(kinesis.calls()).toHaveLength(0);
  });

  it('refuses writes for a read-only tenant with 403', async () => {
    const { database, units } = recordingDatabase();

    const response = await handleDocumentRequest(
      dependencies(database),
      proxyEvent('POST', {
        body: JSON.stringify({ title: 'x', content: 'y' }),
        authorizer: authorizerContext('acme', 'pro', 'pool', 'read-only'),
      }),
    );

    expect([response.statusCode, JSON.parse(response.body)]).toEqual([
      403,
      { error: "the tenant's access is read-only" },
    ]);
    expect(units).toHaveLength(0);
  });

  it('refuses a request without the authorizer hand-off (403) and one over its plan limit (429)', async () => {
    const { database } = recordingDatabase();

    const missing = await handleDocumentRequest(
      dependencies(database),
      proxyEvent('GET', { authorizer: null }),
    );
    const overLimit = await handleDocumentRequest(
      dependencies(database),
      proxyEvent('GET', {
        authorizer: { tenantId: 'acme', tier: 'pro', [planLimitContextKeys.state]: 'exceeded' },
      }),
    );

    expect(missing.statusCode).toBe(403);
    expect(overLimit.statusCode).toBe(429);
    expect(catalogReads).toBe(0);
  });

  it('rolls the PostgreSQL row back when the DynamoDB write is refused', async () => {
    const { database, units } = recordingDatabase();
    dynamo.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));

    const response = await handleDocumentRequest(
      dependencies(database),
      proxyEvent('POST', { body: JSON.stringify({ title: 'x', content: 'y' }) }),
    );

    expect(response.statusCode).toBe(500);
    expect(units[0]?.outcome).toBe('rollback');
    expect(kinesis.calls()).toHaveLength(0);
  });

  it('answers 503 when the catalog routes the tenant elsewhere than the authorizer did', async () => {
    const { database, units } = recordingDatabase();

    const response = await handleDocumentRequest(
      dependencies(database),
      proxyEvent('GET', { authorizer: authorizerContext('acme', 'pro', 'silo:tenantry-dev-silo-acme') }),
    );

    expect(response.statusCode).toBe(503);
    expect(units).toHaveLength(0);
  });

  it('logs the tenant on every line and never a credential', async () => {
    const { database } = recordingDatabase();
    dynamo.on(PutCommand).resolves({});
    dynamo.on(GetCommand).resolves({});

    await handleDocumentRequest(
      dependencies(database),
      proxyEvent('POST', { body: JSON.stringify({ title: 'a', content: 'b' }) }),
    );
    await handleDocumentRequest(dependencies(database), proxyEvent('GET', { documentId: NEW_ID }));

    const lines = logLines();
    expect(lines.map((l) => [l.message, l.tenantId])).toEqual([
      ['document request', 'acme'],
      ['document request refused', 'acme'],
    ]);
    const text = captured.join('');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(SESSION_TOKEN);
  });
});
