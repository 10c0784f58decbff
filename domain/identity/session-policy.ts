import type { TenantryConfig } from '../config';
import { tenantKeyPrefix, tenantObjectPrefix } from '../keys';
import { siloTableNamePrefix } from '../lifecycle/silo';
import { collectionTableNamePrefix } from '../tables';
import type { AccessLevel } from '../tenant/status';
import { type TenantId, tenantIdSchema } from '../tenant/tenant-id';
import { SessionPolicyTooLargeError } from './errors';

/**
 * IAM policies of the tenant-runtime role, generated from the key builders in domain/keys.ts so a
 * policy can never disagree with the keys the application writes.
 *
 * Two layers, both must allow a request:
 * - the role's identity policy (CDK), attribute-based: `${aws:PrincipalTag/tenantId}` from the
 *   session tag set at AssumeRole;
 * - the inline session policy passed at AssumeRole, naming the tenant explicitly.
 * Each layer allows only items whose partition keys ALL start with `TENANT#<id>#`
 * (`ForAllValues:StringLike dynamodb:LeadingKeys`) and explicitly denies requests that carry no
 * leading key at all (Scan, PartiQL), which `ForAllValues` alone would let through.
 * A silo session may also use its tenant's KMS key, only through DynamoDB in the key's region (DynamoDB
 * calls KMS with the caller's permissions, and the session policy caps what the key policy grants).
 * Both layers deny writing to Kinesis: usage is emitted by the platform's services for the verified
 * request (domain/usage/README.md), never with tenant credentials.
 */

export type PolicyStatement = {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
};
export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** Session tag keys set at AssumeRole (the trust policy allows sts:TagSession for these only). */
export const sessionTagKeys = { tenantId: 'tenantId', tier: 'tier' } as const;

const dynamoReadActions = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
] as const;
const dynamoWriteActions = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
] as const;
/** Requests that carry no partition key: denied outright. */
const dynamoUnkeyedActions = [
  'dynamodb:Scan',
  'dynamodb:PartiQLSelect',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
] as const;
const s3ReadActions = ['s3:GetObject'] as const;

/**
 * What DynamoDB needs of the caller on a table encrypted with a customer-managed key. The silo
 * session policy and the silo key policy (infra/silo-stack.ts) grant exactly these, both only with
 * `kms:ViaService` = DynamoDB in the key's region.
 */
export const siloKeyUseActions = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:DescribeKey'];

/** The `kms:ViaService` value of DynamoDB in a region. */
export function dynamoDbViaService(region: string): string {
  return `dynamodb.${region}.amazonaws.com`;
}

/** Kinesis writes: never with tenant credentials (a stream cannot restrict PutRecords by partition key). */
const kinesisWriteActions = ['kinesis:PutRecord', 'kinesis:PutRecords'];
const s3WriteActions = ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'] as const;

/** AssumeRole: the plaintext of an inline session policy may not exceed 2,048 characters. */
export const SESSION_POLICY_MAX_CHARS = 2048;

interface TableArnParts {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly name: string;
}

export function parseTableArn(arn: string): TableArnParts {
  const match = /^arn:(aws[a-z-]*):dynamodb:([a-z0-9-]+):(\d{12}):table\/([A-Za-z0-9_.-]{3,255})$/.exec(arn);
  if (match === null) {
    throw new RangeError(
      `"${arn}" is not a DynamoDB table ARN (arn:aws:dynamodb:<region>:<account>:table/<name>)`,
    );
  }
  const [, partition, region, account, name] = match as unknown as [string, string, string, string, string];
  return { partition, region, account, name };
}

/**
 * ARN patterns of every silo table, one per region of `regions.siloAllowed` (partition and account
 * may be CDK tokens): names start with the silo table prefix of domain/lifecycle/silo.ts
 * (`siloTableNamePrefix`, the builder of the real names). No other region: residency holds in the
 * role as well as in each session.
 */
export function siloTableArnPatterns(config: TenantryConfig, partition: string, account: string): string[] {
  return config.regions.siloAllowed.map(
    (region) => `arn:${partition}:dynamodb:${region}:${account}:table/${siloTableNamePrefix(config)}*`,
  );
}

/**
 * ARN pattern of every dedicated collection table (partition, region and account may be CDK tokens):
 * names start with `collectionTableNamePrefix` (domain/tables.ts). The session policy narrows a tenant
 * to its own recorded tables, and the LeadingKeys rule holds on them as on the pool.
 */
export function collectionTableArnPattern(
  config: TenantryConfig,
  partition: string,
  region: string,
  account: string,
): string {
  return `arn:${partition}:dynamodb:${region}:${account}:table/${collectionTableNamePrefix(config)}*`;
}

interface KeyArnParts {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** The parts of a KMS key ARN (`arn:aws:kms:<region>:<account>:key/<id>`); aliases are refused. */
export function parseKeyArn(arn: string): KeyArnParts {
  const match = /^arn:(aws[a-z-]*):kms:([a-z0-9-]+):(\d{12}):key\/[A-Za-z0-9-]{1,128}$/.exec(arn);
  if (match === null) {
    throw new RangeError(`"${arn}" is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)`);
  }
  const [, partition, region, account] = match as unknown as [string, string, string, string];
  return { partition, region, account };
}

/** `arn:<partition>:s3:::<bucket>` for a literal bucket name (validated). */
export function bucketArnOf(partition: string, bucketName: string): string {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucketName)) {
    throw new RangeError(`"${bucketName}" is not a valid S3 bucket name`);
  }
  return `arn:${partition}:s3:::${bucketName}`;
}

function dynamoActions(access: AccessLevel): string[] {
  if (access === 'none') return [];
  return access === 'read-write' ? [...dynamoReadActions, ...dynamoWriteActions] : [...dynamoReadActions];
}

export function s3Actions(access: AccessLevel): string[] {
  if (access === 'none') return [];
  return access === 'read-write' ? [...s3ReadActions, ...s3WriteActions] : [...s3ReadActions];
}

/** Statements shared by both layers: `keyPrefix` / `objectPrefix` are literal or policy variables. */
function tenantStatements(
  tableArns: readonly string[],
  bucket: string,
  keyPrefix: string,
  objectPrefix: string,
  access: AccessLevel,
): PolicyStatement[] {
  return [
    {
      Sid: 'TenantItemsOnly',
      Effect: 'Allow',
      Action: dynamoActions(access),
      Resource: [...tableArns],
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${keyPrefix}*`] } },
    },
    {
      Sid: 'DenyRequestsWithoutLeadingKeys',
      Effect: 'Deny',
      Action: 'dynamodb:*',
      Resource: '*',
      Condition: { Null: { 'dynamodb:LeadingKeys': 'true' } },
    },
    { Sid: 'DenyUnkeyedActions', Effect: 'Deny', Action: [...dynamoUnkeyedActions], Resource: '*' },
    {
      Sid: 'TenantObjectsOnly',
      Effect: 'Allow',
      Action: s3Actions(access),
      Resource: `${bucket}/${objectPrefix}*`,
    },
    {
      Sid: 'TenantListingOnly',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: bucket,
      Condition: { StringLike: { 's3:prefix': [`${objectPrefix}*`] } },
    },
    { Sid: 'DenyKinesisWrites', Effect: 'Deny', Action: [...kinesisWriteActions], Resource: '*' },
  ];
}

/** A silo session's use of its tenant's key: only through DynamoDB, in the key's region. */
function siloKeyStatement(keyArn: string): PolicyStatement {
  return {
    Sid: 'SiloKeyThroughDynamoDbOnly',
    Effect: 'Allow',
    Action: [...siloKeyUseActions],
    Resource: keyArn,
    Condition: { StringEquals: { 'kms:ViaService': dynamoDbViaService(parseKeyArn(keyArn).region) } },
  };
}

interface SessionPolicyInput {
  readonly tenantId: TenantId;
  readonly access: Exclude<AccessLevel, 'none'>;
  /** Tables the tenant's data lives in: the pooled table and its collection tables, or its silo table. */
  readonly tableArns: readonly string[];
  /** The shared bucket holding tenant objects under `<tenantId>/`. */
  readonly bucketArn: string;
  /** A silo tenant's KMS key (the ARN recorded in the catalog); absent for a pooled tenant. */
  readonly siloKeyArn?: string;
}

/** The inline session policy for one tenant (AssumeRole `Policy`), naming the tenant explicitly. */
export function tenantSessionPolicy(input: SessionPolicyInput): PolicyDocument {
  const tenantId = tenantIdSchema.parse(input.tenantId);
  if (input.tableArns.length === 0) throw new RangeError('a session policy needs at least one table');
  return {
    Version: '2012-10-17',
    Statement: tenantStatements(
      input.tableArns,
      input.bucketArn,
      tenantKeyPrefix(tenantId),
      tenantObjectPrefix(tenantId),
      input.access,
    ).concat(input.siloKeyArn === undefined ? [] : [siloKeyStatement(input.siloKeyArn)]),
  };
}

/** The session policy serialised for AssumeRole, checked against the size limit. */
export function serializeSessionPolicy(tenantId: TenantId, policy: PolicyDocument): string {
  const text = JSON.stringify(policy);
  if (text.length > SESSION_POLICY_MAX_CHARS) {
    throw new SessionPolicyTooLargeError(tenantId, text.length, SESSION_POLICY_MAX_CHARS);
  }
  return text;
}

const PRINCIPAL_TENANT = `\${aws:PrincipalTag/${sessionTagKeys.tenantId}}`;
/** A valid tenant id used only to derive the ABAC templates from the one key builder. */
const TEMPLATE_TENANT = 'templatetenant';

/** What the tenant-runtime role may reach. ARNs may be CDK tokens (they are not parsed here). */
interface RuntimeRoleResources {
  /** The pooled table ARN and the silo and collection table ARN patterns (`siloTableArnPatterns`, `collectionTableArnPattern`). */
  readonly tableArns: readonly string[];
  readonly bucketArn: string;
}

/**
 * The tenant-runtime role's identity policy (deployed by CDK): the same rules as the session
 * policy, with the tenant taken from the `tenantId` session tag. A session without that tag can do
 * nothing.
 */
export function tenantRuntimeRolePolicy(resources: RuntimeRoleResources): PolicyDocument {
  const keyPrefix = tenantKeyPrefix(TEMPLATE_TENANT).replace(TEMPLATE_TENANT, PRINCIPAL_TENANT);
  const objectPrefix = tenantObjectPrefix(TEMPLATE_TENANT).replace(TEMPLATE_TENANT, PRINCIPAL_TENANT);
  return {
    Version: '2012-10-17',
    Statement: [
      ...tenantStatements(resources.tableArns, resources.bucketArn, keyPrefix, objectPrefix, 'read-write'),
      {
        Sid: 'DenyUntaggedSessions',
        Effect: 'Deny',
        Action: ['dynamodb:*', 's3:*'],
        Resource: '*',
        Condition: { Null: { [`aws:PrincipalTag/${sessionTagKeys.tenantId}`]: 'true' } },
      },
    ],
  };
}
