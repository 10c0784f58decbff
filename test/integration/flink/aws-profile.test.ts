import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import { explainJob } from '../../../flink/local';
import { type AwsProfile, generateMeteringSql } from '../../../flink/sql';

// The `aws` profile planned by Flink with the bundled Kinesis and DynamoDB table factories (runner JAR).
const profile: AwsProfile = {
  kind: 'aws',
  region: 'us-east-1',
  streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/tenantry-dev-usage',
  countersTable: 'tenantry-dev-usage-counters',
  lakeUri: 's3://tenantry-dev-lake/metering',
  initialPosition: 'TRIM_HORIZON',
  kinesisConnector: '4.x',
};

function writeSql(sql: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tenantry-flink-aws-')), 'metering.sql');
  writeFileSync(path, sql);
  return path;
}

describe('aws profile planning', () => {
  it('plans one job: dedup, late split, hourly/daily/cumulative windows, five sinks', async () => {
    const plan = await explainJob(writeSql(generateMeteringSql({ config: defaultConfig, profile })));
    const optimized = plan.slice(plan.indexOf('== Optimized Execution Plan =='));
    // De-duplication keyed by the 16-byte DEDUP_KEY of (tenant_id, event_id), not by the two strings.
    // One de-duplication (one state) for the on-time and late branches.
    expect(optimized.match(/Deduplicate\(keep=\[FirstRow\], key=\[\$\d+\]/g)).toHaveLength(1);
    expect(optimized).toMatch(/DEDUP_KEY\(u\.tenant_id, u\.event_id\) AS \$\d+/);
    // One-phase window aggregation (no local pre-aggregation): the hourly and step windows share one
    // exchange on (tenant_id, metric), the daily window has the other (two-phase planned one each: three).
    expect(optimized).toMatch(
      /(?<!Local|Global)WindowAggregate\(groupBy=\[tenant_id, metric\], window=\[TUMBLE\(.*size=\[1 h\]/,
    );
    expect(optimized).not.toContain('LocalWindowAggregate');
    expect(optimized.match(/Exchange\(distribution=\[hash\[tenant_id, metric\]\]\)/g)).toHaveLength(2);
    expect(optimized).toMatch(/window=\[TUMBLE\(.*size=\[1 d\]/);
    // Running totals: step totals (only steps with events fire), summed over the UTC day in event-time order.
    expect(optimized).toMatch(/window=\[TUMBLE\(.*size=\[1 min\]/);
    expect(optimized).toMatch(
      /OverAggregate\(partitionBy=\[tenant_id, metric, \$\d+\], orderBy=\[window_time ASC\], window=\[ ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW\]/,
    );
    expect(optimized).not.toContain('CUMULATE');
    // Progress: the minute windows count the events, the day windows count the minutes (every event
    // crosses the single-task exchange once, not once per window size).
    expect(optimized).toMatch(/WindowAggregate\(window=\[TUMBLE\(time_col=\[minute_time\], size=\[1 d\]\)\]/);
    expect(optimized.match(/WindowAggregate\(window=\[TUMBLE\(time_col=\[ts\]/g)).toHaveLength(1);
    for (const sink of [
      'hourly_totals',
      'daily_totals',
      'cumulative_totals',
      'late_events',
      'rejected_events',
    ]) {
      expect(optimized).toContain(`Sink(table=[default_catalog.default_database.${sink}]`);
    }
    expect(optimized).toContain('CURRENT_WATERMARK');
    // One source branch for the totals and the progress windows: one parse and one watermark assigner.
    expect(optimized.match(/TableSourceScan\(/g)).toHaveLength(1);
    expect(optimized.match(/WatermarkAssigner\(/g)).toHaveLength(1);
    expect(optimized.match(/USAGE_LINE\(line, /g)).toHaveLength(2);
    expect(optimized).not.toContain('JSON_QUERY');
  }, 180_000);

  it('fails planning with the connector named when an option is not one the bundled Kinesis connector knows', async () => {
    // The 5.x option names (stream.arn) are refused by the bundled 4.3.0-1.19 factory: the real factory validates.
    const sql = generateMeteringSql({
      config: defaultConfig,
      profile: { ...profile, kinesisConnector: '5.x' },
    });
    await expect(explainJob(writeSql(sql))).rejects.toThrow(
      /Unable to create a source for reading table '[^']*usage_raw'[\s\S]*Missing required options are:\s+stream/,
    );
  }, 180_000);
});
