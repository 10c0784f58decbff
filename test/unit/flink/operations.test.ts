import {
  CreateApplicationSnapshotCommand,
  DescribeApplicationCommand,
  KinesisAnalyticsV2Client,
  ListApplicationSnapshotsCommand,
  StartApplicationCommand,
  StopApplicationCommand,
  UpdateApplicationCommand,
} from '@aws-sdk/client-kinesis-analytics-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { MeteringApplication } from '../../../flink/operations';

const kda = mockClient(KinesisAnalyticsV2Client);
const app = () =>
  new MeteringApplication('tenantry-dev-metering', new KinesisAnalyticsV2Client({ region: 'us-east-1' }));

function describeReturns(snapshotsEnabled: boolean) {
  kda.on(DescribeApplicationCommand).resolves({
    ApplicationDetail: {
      ApplicationARN: 'arn:aws:kinesisanalytics:us-east-1:123456789012:application/tenantry-dev-metering',
      ApplicationName: 'tenantry-dev-metering',
      RuntimeEnvironment: 'FLINK-1_20',
      ApplicationStatus: 'RUNNING',
      ApplicationVersionId: 7,
      ApplicationConfigurationDescription: {
        ApplicationSnapshotConfigurationDescription: { SnapshotsEnabled: snapshotsEnabled },
        EnvironmentPropertyDescriptions: {
          PropertyGroupDescriptions: [
            {
              PropertyGroupId: 'TenantryMetering',
              PropertyMap: { 'sql.location': 'classpath:metering.sql' },
            },
          ],
        },
      },
    },
  });
}

describe('MeteringApplication', () => {
  beforeEach(() => kda.reset());

  it('reports status, version and the SQL pointer', async () => {
    describeReturns(true);
    await expect(app().status()).resolves.toEqual({
      status: 'RUNNING',
      versionId: 7,
      sqlLocation: 'classpath:metering.sql',
      snapshotsEnabled: true,
    });
  });

  it('deploys a new version against the current version id, restoring from the latest snapshot', async () => {
    describeReturns(true);
    kda.on(UpdateApplicationCommand).resolves({ ApplicationDetail: { ApplicationVersionId: 8 } as never });
    const version = await app().deploy({
      bucketArn: 'arn:aws:s3:::tenantry-dev-artifacts',
      jarKey: 'flink/tenantry-flink-runner-42.jar',
      sqlLocation: 's3://tenantry-dev-artifacts/flink/metering-42.sql',
    });
    expect(version).toBe(8);
    const input = kda.commandCalls(UpdateApplicationCommand)[0]?.args[0].input;
    expect(input?.CurrentApplicationVersionId).toBe(7);
    expect(input?.RunConfigurationUpdate?.ApplicationRestoreConfiguration?.ApplicationRestoreType).toBe(
      'RESTORE_FROM_LATEST_SNAPSHOT',
    );
    expect(input?.ApplicationConfigurationUpdate?.EnvironmentPropertyUpdates?.PropertyGroups).toEqual([
      {
        PropertyGroupId: 'TenantryMetering',
        PropertyMap: { 'sql.location': 's3://tenantry-dev-artifacts/flink/metering-42.sql' },
      },
    ]);
    expect(
      input?.ApplicationConfigurationUpdate?.ApplicationCodeConfigurationUpdate?.CodeContentUpdate
        ?.S3ContentLocationUpdate?.FileKeyUpdate,
    ).toBe('flink/tenantry-flink-runner-42.jar');
  });

  it('refuses to ship the SQL text itself as a property (2048-character cap)', async () => {
    describeReturns(true);
    await expect(
      app().deploy({
        bucketArn: 'arn:aws:s3:::b',
        jarKey: 'k.jar',
        sqlLocation: `SELECT ${'x'.repeat(2100)}`,
      }),
    ).rejects.toThrow(/sql.location is 2107 characters; runtime property values are capped at 2048/);
    expect(kda.commandCalls(UpdateApplicationCommand)).toHaveLength(0);
  });

  it('refuses to deploy when snapshots are disabled (state would be lost)', async () => {
    describeReturns(false);
    await expect(
      app().deploy({ bucketArn: 'arn:aws:s3:::b', jarKey: 'k.jar', sqlLocation: 'classpath:metering.sql' }),
    ).rejects.toThrow(/snapshots are disabled/);
  });

  it('starts from the latest snapshot, stops gracefully, takes named snapshots', async () => {
    kda.on(StartApplicationCommand).resolves({});
    kda.on(StopApplicationCommand).resolves({});
    kda.on(CreateApplicationSnapshotCommand).resolves({});
    await app().start();
    await app().stop();
    await app().snapshot('before-release-42');
    expect(
      kda.commandCalls(StartApplicationCommand)[0]?.args[0].input.RunConfiguration
        ?.ApplicationRestoreConfiguration,
    ).toEqual({
      ApplicationRestoreType: 'RESTORE_FROM_LATEST_SNAPSHOT',
    });
    expect(kda.commandCalls(StopApplicationCommand)[0]?.args[0].input.Force).toBe(false);
    expect(kda.commandCalls(CreateApplicationSnapshotCommand)[0]?.args[0].input.SnapshotName).toBe(
      'before-release-42',
    );
    await expect(app().snapshot('bad name!')).rejects.toThrow(/snapshot name "bad name!"/);
  });

  it('finds the latest READY snapshot', async () => {
    kda.on(ListApplicationSnapshotsCommand).resolves({
      SnapshotSummaries: [
        {
          SnapshotName: 'old',
          SnapshotStatus: 'READY',
          ApplicationVersionId: 5,
          SnapshotCreationTimestamp: new Date('2026-11-01T00:00:00Z'),
        },
        {
          SnapshotName: 'creating',
          SnapshotStatus: 'CREATING',
          ApplicationVersionId: 7,
          SnapshotCreationTimestamp: new Date('2026-11-03T00:00:00Z'),
        },
        {
          SnapshotName: 'new',
          SnapshotStatus: 'READY',
          ApplicationVersionId: 6,
          SnapshotCreationTimestamp: new Date('2026-11-02T00:00:00Z'),
        },
      ],
    });
    await expect(app().latestSnapshot()).resolves.toEqual({
      name: 'new',
      createdAt: new Date('2026-11-02T00:00:00Z'),
    });
  });
});
