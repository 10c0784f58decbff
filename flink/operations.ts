import {
  ApplicationRestoreType,
  CreateApplicationSnapshotCommand,
  DescribeApplicationCommand,
  KinesisAnalyticsV2Client,
  ListApplicationSnapshotsCommand,
  StartApplicationCommand,
  StopApplicationCommand,
  UpdateApplicationCommand,
} from '@aws-sdk/client-kinesis-analytics-v2';

/**
 * Operations on the Managed Service for Apache Flink application: ship a new SQL version (update the
 * code and the SQL pointer, restore from the latest snapshot), start, stop, status, snapshot.
 * The runner reads the SQL from the runtime property `TenantryMetering.sql.location` (a pointer).
 */
export const SQL_PROPERTY_GROUP = 'TenantryMetering';
export const SQL_LOCATION_KEY = 'sql.location';

export class FlinkOperationError extends Error {
  constructor(
    message: string,
    readonly applicationName: string,
  ) {
    super(`${applicationName}: ${message}`);
    this.name = 'FlinkOperationError';
  }
}

export interface ApplicationStatus {
  readonly status: string;
  readonly versionId: number;
  readonly sqlLocation: string | undefined;
  readonly snapshotsEnabled: boolean;
}

export class MeteringApplication {
  constructor(
    readonly applicationName: string,
    private readonly client: KinesisAnalyticsV2Client = new KinesisAnalyticsV2Client({}),
  ) {}

  async status(): Promise<ApplicationStatus> {
    const { ApplicationDetail: detail } = await this.client.send(
      new DescribeApplicationCommand({ ApplicationName: this.applicationName }),
    );
    if (!detail)
      throw new FlinkOperationError('DescribeApplication returned no detail', this.applicationName);
    const groups =
      detail.ApplicationConfigurationDescription?.EnvironmentPropertyDescriptions
        ?.PropertyGroupDescriptions ?? [];
    const group = groups.find((g) => g.PropertyGroupId === SQL_PROPERTY_GROUP);
    return {
      status: detail.ApplicationStatus ?? 'UNKNOWN',
      versionId: detail.ApplicationVersionId ?? 0,
      sqlLocation: group?.PropertyMap?.[SQL_LOCATION_KEY],
      snapshotsEnabled:
        detail.ApplicationConfigurationDescription?.ApplicationSnapshotConfigurationDescription
          ?.SnapshotsEnabled ?? false,
    };
  }

  /**
   * Ships a new job version: new JAR (S3 object, optionally a version) and SQL pointer, keeping state by
   * restoring from the latest snapshot when the application next (re)starts. The property value is a
   * pointer (≤ 2048 characters), never the SQL.
   */
  async deploy(input: {
    bucketArn: string;
    jarKey: string;
    jarObjectVersion?: string;
    sqlLocation: string;
  }): Promise<number> {
    if (input.sqlLocation.length > 2048) {
      throw new FlinkOperationError(
        `sql.location is ${input.sqlLocation.length} characters; runtime property values are capped at 2048 — pass a pointer (s3://… or classpath:…), not the SQL`,
        this.applicationName,
      );
    }
    const current = await this.status();
    if (!current.snapshotsEnabled) {
      throw new FlinkOperationError(
        'snapshots are disabled: a deploy would lose the dedup and window state',
        this.applicationName,
      );
    }
    const { ApplicationDetail: detail } = await this.client.send(
      new UpdateApplicationCommand({
        ApplicationName: this.applicationName,
        CurrentApplicationVersionId: current.versionId,
        ApplicationConfigurationUpdate: {
          ApplicationCodeConfigurationUpdate: {
            CodeContentTypeUpdate: 'ZIPFILE',
            CodeContentUpdate: {
              S3ContentLocationUpdate: {
                BucketARNUpdate: input.bucketArn,
                FileKeyUpdate: input.jarKey,
                ...(input.jarObjectVersion ? { ObjectVersionUpdate: input.jarObjectVersion } : {}),
              },
            },
          },
          EnvironmentPropertyUpdates: {
            PropertyGroups: [
              { PropertyGroupId: SQL_PROPERTY_GROUP, PropertyMap: { [SQL_LOCATION_KEY]: input.sqlLocation } },
            ],
          },
        },
        RunConfigurationUpdate: {
          ApplicationRestoreConfiguration: {
            ApplicationRestoreType: ApplicationRestoreType.RESTORE_FROM_LATEST_SNAPSHOT,
          },
          FlinkRunConfiguration: { AllowNonRestoredState: false },
        },
      }),
    );
    return detail?.ApplicationVersionId ?? current.versionId + 1;
  }

  /** Starts from the latest snapshot (never from scratch, which would re-apply the initial position). */
  async start(): Promise<void> {
    await this.client.send(
      new StartApplicationCommand({
        ApplicationName: this.applicationName,
        RunConfiguration: {
          ApplicationRestoreConfiguration: {
            ApplicationRestoreType: ApplicationRestoreType.RESTORE_FROM_LATEST_SNAPSHOT,
          },
          FlinkRunConfiguration: { AllowNonRestoredState: false },
        },
      }),
    );
  }

  /** Graceful stop: MSF takes a snapshot first when snapshots are enabled. `force` skips it. */
  async stop(force = false): Promise<void> {
    await this.client.send(
      new StopApplicationCommand({ ApplicationName: this.applicationName, Force: force }),
    );
  }

  async snapshot(name: string): Promise<void> {
    if (!/^[a-zA-Z0-9_.-]{1,256}$/.test(name)) {
      throw new FlinkOperationError(
        `snapshot name "${name}" must be 1-256 of letters, digits, "_", ".", "-"`,
        this.applicationName,
      );
    }
    await this.client.send(
      new CreateApplicationSnapshotCommand({ ApplicationName: this.applicationName, SnapshotName: name }),
    );
  }

  async latestSnapshot(): Promise<{ name: string; createdAt: Date | undefined } | undefined> {
    const { SnapshotSummaries: snapshots = [] } = await this.client.send(
      new ListApplicationSnapshotsCommand({ ApplicationName: this.applicationName, Limit: 50 }),
    );
    const ready = snapshots
      .filter((s) => s.SnapshotStatus === 'READY' && s.SnapshotName)
      .sort(
        (a, b) =>
          (b.SnapshotCreationTimestamp?.getTime() ?? 0) - (a.SnapshotCreationTimestamp?.getTime() ?? 0),
      );
    const first = ready[0];
    return first
      ? { name: first.SnapshotName as string, createdAt: first.SnapshotCreationTimestamp }
      : undefined;
  }
}
