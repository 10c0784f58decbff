import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import { METERING_PROGRESS_PK } from '../../../domain/keys';
import { MeteringStack } from '../../../infra/metering-stack';

describe('MeteringStack', () => {
  const stack = new MeteringStack(new App(), 'Metering', {
    config: defaultConfig,
    env: { region: 'us-east-1', account: '123456789012' },
  });
  const template = Template.fromStack(stack);

  it('sizes the stream and the Flink application from the configuration, snapshots and checkpoints on', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: defaultConfig.metering.kinesis.shards,
    });
    template.hasResourceProperties('AWS::KinesisAnalyticsV2::Application', {
      RuntimeEnvironment: 'FLINK-1_20',
      ApplicationConfiguration: Match.objectLike({
        ApplicationSnapshotConfiguration: { SnapshotsEnabled: true },
        FlinkApplicationConfiguration: Match.objectLike({
          CheckpointConfiguration: Match.objectLike({ CheckpointingEnabled: true }),
          ParallelismConfiguration: Match.objectLike({
            Parallelism: defaultConfig.metering.flink.parallelism,
            ParallelismPerKPU: defaultConfig.metering.flink.parallelismPerKpu,
          }),
        }),
        EnvironmentProperties: {
          PropertyGroups: [
            { PropertyGroupId: 'TenantryMetering', PropertyMap: { 'sql.location': Match.anyValue() } },
          ],
        },
      }),
    });
  });

  it('lands the raw stream in S3 partitioned by date and hour', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix: 'raw/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/',
      }),
    });
  });

  it('builds the counters table from the shared definition', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'tenantry-dev-usage-counters',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('lets the job only put items into the counters table (no delete, no scan)', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const actions = Object.values(policies).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) =>
        Array.isArray(s.Action) ? s.Action : [s.Action],
      ),
    );
    const dynamo = actions.filter((a) => a.startsWith('dynamodb:'));
    expect(new Set(dynamo)).toEqual(
      new Set(['dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:DescribeTable', 'dynamodb:Query']),
    );
    expect(actions).not.toContain('s3:*');
    expect(actions).not.toContain('dynamodb:*');
  });

  it('lets the job query only the progress partition of the counters table (the restore guard)', () => {
    // Prepare
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Condition?: unknown }[],
    );

    // Act
    const queries = statements.filter((s) => [s.Action].flat().includes('dynamodb:Query'));

    // Assess
    expect(queries).toHaveLength(1);
    expect(queries[0]?.Action).toBe('dynamodb:Query');
    expect(queries[0]?.Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [METERING_PROGRESS_PK] },
    });
  });

  it('generates the aws-profile SQL with the stream, table and explicit start position', () => {
    expect(stack.meteringSql).toContain("'connector' = 'kinesis'");
    expect(stack.meteringSql).toContain("'scan.stream.initpos' = 'TRIM_HORIZON'");
    expect(stack.meteringSql).toContain("'table-name' = 'tenantry-dev-usage-counters'");
    expect(stack.meteringSql).toContain('PARTITIONED BY (pk, sk)');
  });
});
