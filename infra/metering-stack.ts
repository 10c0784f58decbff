import * as flink from '@aws-cdk/aws-kinesisanalytics-flink-alpha';
import { Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { resourceName, type TenantryConfig } from '../domain/config';
import { METERING_PROGRESS_PK } from '../domain/keys';
import { artifactsBucketName, lakeBucketName, regionalBucketName } from '../domain/naming';
import { tableDefinitions, tableName } from '../domain/tables';
import { generateMeteringSql } from '../flink/sql';
import { contract as heartbeatContract } from '../lambdas/metering-heartbeat/contract';
import { DeadLetteredLambdaTarget } from './private/dead-letter-queue';
import { admitTenantAccounts } from './private/resource-policy';
import { definedTable } from './private/table';
import { TenantryFunction } from './private/tenantry-function';

export interface MeteringStackProps extends StackProps {
  readonly config: TenantryConfig;
  /** S3 key of the runner JAR in the artifacts bucket (uploaded by the release, see flink/operations.ts). */
  readonly runnerJarKey?: string;
  /** S3 key of the generated SQL script in the artifacts bucket. */
  readonly sqlKey?: string;
}

/**
 * Usage metering: Kinesis Data Streams (partition key = tenantId) → Firehose → S3 raw lake
 * (system of record, partitioned by date and hour); Kinesis → Managed Service for Apache Flink
 * (the generated SQL run by flink/runner) → DynamoDB counters and S3 (late and rejected events).
 */
export class MeteringStack extends Stack {
  public readonly stream: kinesis.Stream;
  public readonly lakeBucket: s3.Bucket;
  public readonly artifactsBucket: s3.Bucket;
  public readonly countersTable: dynamodb.Table;
  public readonly deliveryStream: firehose.DeliveryStream;
  public readonly application: flink.Application;
  /** The `aws`-profile SQL for this deployment: upload it to `s3://<artifacts>/<sqlKey>`. */
  public readonly meteringSql: string;
  public readonly sqlLocation: string;
  /** Every minute: a heartbeat tick per shard, so the job's progress advances through idle periods. */
  public readonly heartbeatSchedule: events.Rule;
  /** The heartbeat schedule's Lambda target and the dead-letter queue of its lost ticks. */
  public readonly deadLetteredTargets: DeadLetteredLambdaTarget[];

  public constructor(scope: Construct, id: string, props: MeteringStackProps) {
    super(scope, id, props);
    const { config } = props;
    const m = config.metering;
    const sqlKey = props.sqlKey ?? 'flink/metering.sql';
    const jarKey = props.runnerJarKey ?? 'flink/tenantry-flink-runner.jar';

    const streamName = resourceName(config, 'usage');
    this.stream = new kinesis.Stream(this, 'UsageStream', {
      streamName,
      shardCount: m.kinesis.shards,
      retentionPeriod: Duration.hours(Math.max(24, m.dedupHorizonHours)),
      encryption: kinesis.StreamEncryption.MANAGED,
    });
    admitTenantAccounts(config, { usageStream: this.stream });

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Named buckets so the generated SQL (uploaded out of band) holds concrete names; needs an explicit env.
    const bucket = (bucketId: string, prefix: string) =>
      new s3.Bucket(this, bucketId, {
        bucketName: regionalBucketName(config, prefix, this.account, this.region),
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        versioned: true,
        serverAccessLogsBucket: accessLogs,
        serverAccessLogsPrefix: `${prefix}/`,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    this.lakeBucket = bucket('UsageLake', 'lake');
    this.artifactsBucket = bucket('Artifacts', 'artifacts');

    // The raw lake: every event as received, by UTC date and hour — the system of record.
    this.deliveryStream = new firehose.DeliveryStream(this, 'RawLake', {
      deliveryStreamName: resourceName(config, 'usage-raw'),
      source: new firehose.KinesisStreamSource(this.stream),
      destination: new firehose.S3Bucket(this.lakeBucket, {
        dataOutputPrefix: 'raw/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/',
        errorOutputPrefix:
          'raw-errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/',
        bufferingInterval: Duration.seconds(60),
        compression: firehose.Compression.GZIP,
      }),
    });

    this.countersTable = definedTable(this, 'Counters', {
      definition: tableDefinitions.counters,
      tableName: tableName(config, 'counters'),
    });

    this.meteringSql = generateMeteringSql({
      config,
      profile: {
        kind: 'aws',
        region: this.region,
        streamArn: `arn:${this.partition}:kinesis:${this.region}:${this.account}:stream/${streamName}`,
        countersTable: tableName(config, 'counters'),
        lakeUri: `s3://${lakeBucketName(config, this.account, this.region)}/metering`,
        initialPosition: 'TRIM_HORIZON',
        kinesisConnector: '4.x',
      },
    });
    this.sqlLocation = `s3://${artifactsBucketName(config, this.account, this.region)}/${sqlKey}`;

    const role = new iam.Role(this, 'MeteringRole', {
      assumedBy: new iam.ServicePrincipal('kinesisanalytics.amazonaws.com'),
      description: 'Tenantry metering Flink job: read the usage stream, write counters and the lake prefix',
    });
    this.application = new flink.Application(this, 'Metering', {
      applicationName: resourceName(config, 'metering'),
      runtime:
        m.flink.runtime === 'FLINK-1_20' ? flink.Runtime.FLINK_1_20 : flink.Runtime.of(m.flink.runtime),
      code: flink.ApplicationCode.fromBucket(this.artifactsBucket, jarKey),
      role,
      checkpointingEnabled: true,
      checkpointInterval: Duration.seconds(60),
      snapshotsEnabled: true,
      parallelism: m.flink.parallelism,
      parallelismPerKpu: m.flink.parallelismPerKpu,
      autoScalingEnabled: false,
      propertyGroups: { TenantryMetering: { 'sql.location': this.sqlLocation } },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Least privilege: read this stream, put items into this table (and query its progress partition), write under metering/ in the lake,
    // read the runner artifacts.
    this.stream.grantRead(role);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:DescribeTable'],
        resources: [this.countersTable.tableArn],
      }),
    );
    // The restore guard reads the last published progress at start (flink/runner ProgressFloor.java):
    // a query of the progress partition only.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [this.countersTable.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [METERING_PROGRESS_PK] } },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [this.lakeBucket.arnForObjects('metering/*')],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.lakeBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['metering/*'] } },
      }),
    );
    // (The Flink construct grants read on the code bucket: the JAR and the SQL under flink/.)

    // Idle shards still advance the watermark, so the published progress does (flink/README.md).
    const heartbeat = new TenantryFunction(this, 'Heartbeat', {
      contract: heartbeatContract,
      config,
      environment: { USAGE_STREAM_ARN: this.stream.streamArn },
      grants: { putHeartbeats: [this.stream.streamArn] },
    });
    // A tick is worth nothing a minute later (the next one follows): no retry, dead-lettered at once.
    const heartbeatTarget = new DeadLetteredLambdaTarget(this, 'HeartbeatTarget', {
      config,
      name: 'metering-heartbeat',
      function: heartbeat.function,
      retryAttempts: 0,
      maxEventAge: Duration.minutes(1),
    });
    this.deadLetteredTargets = [heartbeatTarget];
    this.heartbeatSchedule = new events.Rule(this, 'HeartbeatSchedule', {
      ruleName: resourceName(config, 'metering-heartbeat'),
      description: 'A heartbeat tick on every shard of the usage stream, each minute',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [heartbeatTarget.target],
    });

    acknowledgeWildcards(
      this,
      role,
      'Object keys under fixed prefixes (lake metering/, artifacts) are the narrowest S3 object scope; the ' +
        'Managed Flink construct adds CloudWatch metrics/log-group statements that support no narrower resource.',
    );
    acknowledgeWildcards(
      this,
      this.deliveryStream,
      'Firehose writes objects under date/hour prefixes of the lake bucket (CDK grant): object wildcards are required.',
    );
    Validations.of(this.deliveryStream).acknowledge({
      id: 'AwsSolutions-KDF1',
      reason:
        'A delivery stream with a Kinesis stream source cannot use Firehose SSE; the source stream is KMS-encrypted ' +
        'and the lake bucket encrypts at rest (SSE-S3).',
    });
  }
}

/** The flat form cdk-nag uses in finding ids (Join joined, Ref as `<Name>`, GetAtt as `<Id.Attr>`). */
function flatten(node: unknown): string {
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/}/g, '>');
  if (node !== null && typeof node === 'object') {
    const n = node as Record<string, unknown>;
    if (Array.isArray(n['Fn::Join'])) {
      const [delimiter, items] = n['Fn::Join'] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if (n.Ref !== undefined) return `<${flatten(n.Ref)}>`;
    if (Array.isArray(n['Fn::GetAtt'])) {
      const [resource, attribute] = n['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
  }
  return JSON.stringify(node);
}

/** Acknowledges each wildcard action and resource (AwsSolutions-IAM5) of the policies under `scope`, with a reason. */
function acknowledgeWildcards(stack: Stack, scope: Construct, reason: string): void {
  const ids = new Set<string>();
  for (const child of scope.node.findAll()) {
    if (!(child instanceof iam.Policy)) continue;
    const document = stack.resolve(child.document.toJSON()) as { Statement?: Record<string, unknown>[] };
    for (const statement of document.Statement ?? []) {
      const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
      for (const action of list(statement.Action)) {
        if (typeof action === 'string' && action.includes('*')) ids.add(`Action::${action}`);
      }
      for (const resource of list(statement.Resource)) {
        const flat = flatten(resource);
        if (flat.includes('*')) ids.add(`Resource::${flat}`);
      }
    }
  }
  for (const id of ids) Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[${id}]`, reason });
}
