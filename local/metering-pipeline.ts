// The metered path on the local environment, end to end, with nothing hand-written in between:
// usage → the authorizer's verified request context → the emitter → Kinesis (moto) → the generated
// SQL's aws profile on a local Flink (endpoint options pointing at moto) → DynamoDB counters (moto).
// Billing and the plan-limit check then read what Flink wrote. Used by `make demo`, `make bench` and
// test/integration/local/metering-pipeline.test.ts.
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  PutRecordCommand,
} from '@aws-sdk/client-kinesis';
import { STSClient } from '@aws-sdk/client-sts';
import { type DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { baseClientConfig, kinesisClientConfig } from '../domain/aws/clients';
import { resourceName, type TenantryConfig } from '../domain/config';
import { TenantryError } from '../domain/errors';
import { type AuthorizerDecision, TenantAuthorizer } from '../domain/identity/authorizer';
import {
  authorizerResultContext,
  type TenantRequest,
  tenantRequestFrom,
} from '../domain/identity/request-context';
import type { TenantLookup } from '../domain/identity/tenant-lookup';
import { TokenVendingMachine } from '../domain/identity/token-vending';
import type { UsageLimitCheck } from '../domain/identity/usage-limit';
import { asTokenVerifier } from '../domain/identity/verifier';
import { UsageEmitter, type UsageRecord } from '../domain/usage/emitter';
import { readSinkDir } from '../flink/local';
import { runRunnerUntil } from '../flink/runner';
import { generateMeteringSql } from '../flink/sql';

/** moto's account id. */
const LOCAL_ACCOUNT = '123456789012';
const USER_POOL_ID = 'us-east-1_LocalPipe1';
const CLIENT_ID = 'localpipelineclient';

/** Creates the usage stream (one shard: the local job runs at parallelism 1) and returns its ARN. */
export async function createUsageStream(kinesis: KinesisClient, streamName: string): Promise<string> {
  await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 1 }));
  const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
  const arn = summary.StreamDescriptionSummary?.StreamARN;
  if (!arn) throw new TenantryError(`stream ${streamName} has no ARN`, { streamName });
  return arn;
}

export interface LocalUsageStream {
  readonly kinesis: KinesisClient;
  readonly streamArn: string;
  /** The emitter services use, putting onto the stream. */
  readonly emitter: UsageEmitter;
}

/** The usage stream, created on moto (`createUsageStream`), and the emitter onto it on the clock `now`. */
export async function localUsageStream(options: {
  readonly config: TenantryConfig;
  readonly region: string;
  readonly streamName: string;
  readonly now: () => Date;
}): Promise<LocalUsageStream> {
  const { config, streamName, now } = options;
  const kinesis = new KinesisClient(kinesisClientConfig({ region: options.region }));
  const streamArn = await createUsageStream(kinesis, streamName);
  return { kinesis, streamArn, emitter: new UsageEmitter({ client: kinesis, streamName, config, now }) };
}

/** Every item of the counters table: the window totals (and progress) the job wrote. */
export async function scanCounters(
  docs: DynamoDBDocumentClient,
  countersTable: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateScan({ client: docs }, { TableName: countersTable })) {
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
  }
  return items;
}

/**
 * A local token issuer: an RS256 key of its own, whose JWKS the authorizer's aws-jwt-verify verifier
 * holds (moto's Cognito signs with a key the verifier would have to fetch; this keeps the path offline).
 */
class LocalTokenIssuer {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private readonly kid = 'local-pipeline-key';

  constructor(private readonly region: string) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
  }

  verifier() {
    const verifier = CognitoJwtVerifier.create({
      userPoolId: USER_POOL_ID,
      clientId: CLIENT_ID,
      tokenUse: 'access',
    });
    verifier.cacheJwks({
      keys: [
        {
          ...(this.publicKey.export({ format: 'jwk' }) as { kty: 'RSA'; n: string; e: string }),
          kid: this.kid,
          alg: 'RS256',
          use: 'sig',
        },
      ],
    });
    return asTokenVerifier(verifier);
  }

  /** An access token of a user of `tenantId` (the claims the pre-token trigger adds). */
  tokenFor(tenantId: string, tier: string): string {
    const now = Math.floor(Date.now() / 1000);
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const head = b64({ alg: 'RS256', typ: 'JWT', kid: this.kid });
    const body = b64({
      sub: `user-${tenantId}`,
      iss: `https://cognito-idp.${this.region}.amazonaws.com/${USER_POOL_ID}`,
      client_id: CLIENT_ID,
      token_use: 'access',
      scope: 'openid',
      auth_time: now,
      iat: now,
      exp: now + 3600,
      jti: `jti-${tenantId}-${now}`,
      username: `user-${tenantId}`,
      tenantId,
      tier,
    });
    const signature = sign('RSA-SHA256', Buffer.from(`${head}.${body}`), this.privateKey).toString(
      'base64url',
    );
    return `${head}.${body}.${signature}`;
  }
}

export interface LocalAuthorizerOptions {
  readonly config: TenantryConfig;
  readonly region: string;
  readonly tenants: TenantLookup;
  /** The plan-limit check as the authorizer composes it (cached planLimitCheck over the counters). */
  readonly usageLimit: UsageLimitCheck;
}

/** The stage the local authorizer decides for. */
const STAGE_ARN = `arn:aws:execute-api:us-east-1:${LOCAL_ACCOUNT}:local/prod`;

/**
 * The authorizer's decision logic wired to moto's STS, deciding for `POST /documents` of a tenant's user
 * (an access token from a `LocalTokenIssuer` of its own).
 */
export function localAuthorizer(options: LocalAuthorizerOptions): {
  decide: (tenantId: string, tier: string) => Promise<AuthorizerDecision>;
} {
  const { config } = options;
  const issuer = new LocalTokenIssuer(options.region);
  const authorizer = new TenantAuthorizer({
    config,
    verifier: issuer.verifier(),
    tenants: options.tenants,
    usageLimit: options.usageLimit,
    vending: new TokenVendingMachine({
      sts: new STSClient(baseClientConfig()),
      roleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${resourceName(config, 'tenant-runtime')}`,
    }),
    dataLocation: {
      pooledTableArn: `arn:aws:dynamodb:${options.region}:${LOCAL_ACCOUNT}:table/${resourceName(config, 'pooled-data')}`,
      bucketName: resourceName(config, 'tenant-data'),
    },
  });
  return {
    decide: (tenantId, tier) =>
      authorizer.decide({
        authorization: `Bearer ${issuer.tokenFor(tenantId, tier)}`,
        methodArn: `${STAGE_ARN}/POST/documents`,
      }),
  };
}

/** The request context pooled compute receives for an ALLOW decision (what API Gateway hands on). */
export function verifiedRequest(decision: AuthorizerDecision): TenantRequest {
  return tenantRequestFrom({ requestContext: { authorizer: authorizerResultContext(decision) } });
}

export interface EmitStats {
  readonly requests: number;
  readonly records: number;
  readonly putMs: number;
}

/**
 * Emits usage lines (JSON usage events) as services do: per verified request of the line's tenant,
 * one request per run of consecutive lines of one tenant (the arrival order stays the line order).
 * `requestOf` answers a tenant's verified request context (the authorizer's ALLOW, see `verifiedRequest`).
 */
export async function emitUsageLines(
  emitter: UsageEmitter,
  lines: readonly string[],
  requestOf: (tenantId: string) => Promise<TenantRequest>,
): Promise<EmitStats> {
  const started = Date.now();
  const runs: { tenantId: string; records: UsageRecord[] }[] = [];
  for (const line of lines) {
    const record = JSON.parse(line) as UsageRecord & { tenantId: string };
    const last = runs.at(-1);
    if (last?.tenantId === record.tenantId) last.records.push(record);
    else runs.push({ tenantId: record.tenantId, records: [record] });
  }
  let records = 0;
  for (const run of runs) records += await emitter.emit(await requestOf(run.tenantId), run.records);
  return { requests: runs.length, records, putMs: Date.now() - started };
}

export interface MeteringRunOptions {
  readonly config: TenantryConfig;
  readonly kinesis: KinesisClient;
  readonly region: string;
  /** moto's endpoint: the job's `aws.endpoint` (static test credentials). */
  readonly endpoint: string;
  readonly streamArn: string;
  readonly countersTable: string;
  /** Working folder: the SQL, the late/rejected lake (`lake/`), the stop savepoint. */
  readonly dir: string;
  /** The clock of the job's age/future bounds (ISO). */
  readonly now: string;
  readonly timeoutMs?: number;
  readonly jvmFlags?: readonly string[];
}

export interface MeteringRunResult {
  readonly sqlPath: string;
  /** `file://` folder of the late and rejected sinks. */
  readonly lakeDir: string;
  readonly durationMs: number;
}

/**
 * Runs the generated job (aws profile, Kinesis connector 4.x, endpoint options pointing at moto) over
 * everything on the stream, then stops it with drain — Flink's end of input: the watermark jumps past
 * every window, so each window fires and the sinks flush before the job ends.
 *
 * "Everything" is proven, not waited for: a marker line (not JSON, so the job rejects it) is put last
 * on the one shard; once the job has written it to its rejected sink, every earlier record has been
 * read, and only then is the stop requested.
 */
export async function runMeteringOnKinesis(options: MeteringRunOptions): Promise<MeteringRunResult> {
  const { dir } = options;
  mkdirSync(dir, { recursive: true });
  const lakeDir = join(dir, 'lake');
  const sqlPath = join(dir, 'metering.sql');
  writeFileSync(
    sqlPath,
    generateMeteringSql({
      config: options.config,
      parallelism: 1,
      now: options.now,
      profile: {
        kind: 'aws',
        region: options.region,
        streamArn: options.streamArn,
        countersTable: options.countersTable,
        lakeUri: `file://${lakeDir}`,
        initialPosition: 'TRIM_HORIZON',
        kinesisConnector: '4.x',
        endpoint: { url: options.endpoint, accessKeyId: 'testing', secretAccessKey: 'testing' },
      },
    }),
  );
  const marker = `end-of-input ${Date.now().toString(36)}`;
  const streamName = options.streamArn.split(':stream/')[1];
  await options.kinesis.send(
    new PutRecordCommand({
      StreamName: streamName,
      PartitionKey: 'end-of-input',
      Data: new TextEncoder().encode(marker),
    }),
  );
  const stopFile = join(dir, 'stop');
  const result = runRunnerUntil({
    args: [
      '--sql',
      sqlPath,
      '--stop-when-file',
      stopFile,
      '--drain',
      '--savepoint-dir',
      `file://${join(dir, 'sp')}`,
    ],
    env: { ...process.env, AWS_CBOR_DISABLE: 'true' },
    jvmFlags: ['-Dcom.amazonaws.sdk.disableCbor=true', ...(options.jvmFlags ?? [])],
    timeoutMs: options.timeoutMs ?? 300_000,
    stopFile,
    reached: () => readSinkDir(join(lakeDir, 'rejected'), true).some((row) => row.line === marker),
  });
  const { durationMs } = await result;
  return { sqlPath, lakeDir, durationMs };
}
