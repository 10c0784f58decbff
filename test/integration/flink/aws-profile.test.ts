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

/** The six sinks' tables (flink/sql.ts). */
const SINK_TABLES = [
  'hourly_totals',
  'daily_totals',
  'cumulative_totals',
  'late_events',
  'rejected_events',
  'progress',
];

interface JobGraphNode {
  readonly type: string;
  readonly contents: string;
  readonly parallelism: number;
  readonly predecessors: readonly { readonly ship_strategy: string }[];
}

/** The job graph the runner prints after EXPLAIN (StreamExecutionEnvironment#getExecutionPlan). */
function jobGraph(explained: string): JobGraphNode[] {
  const json = explained.slice(explained.indexOf('== Job graph ==') + '== Job graph =='.length);
  const nodes: JobGraphNode[] = JSON.parse(json).nodes;
  return nodes.map((node) => ({ ...node, predecessors: node.predecessors ?? [] }));
}

function writeSql(sql: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tenantry-flink-aws-')), 'metering.sql');
  writeFileSync(path, sql);
  return path;
}

describe('aws profile planning', () => {
  it('plans one job: one parse, the totals operator keyed by tenant, the progress windows, six sinks', async () => {
    // Prepare
    const sqlPath = writeSql(generateMeteringSql({ config: defaultConfig, profile }));

    // Act
    const explained = await explainJob(sqlPath);

    // Assess
    const optimized = explained.slice(
      explained.indexOf('== Optimized Execution Plan =='),
      explained.indexOf('== Job graph =='),
    );
    const nodes = jobGraph(explained);
    const named = (pattern: RegExp) => nodes.filter((node) => pattern.test(node.type));
    // One source, one parse, one watermark assigner for every branch.
    expect(named(/^Source: usage_raw/)).toHaveLength(1);
    expect(named(/^WatermarkAssigner/)).toHaveLength(1);
    expect(nodes.filter((node) => node.contents.includes('USAGE_LINE(line, '))).toHaveLength(1);
    expect(explained).not.toContain('JSON_QUERY');
    // De-duplication, lateness and the totals in one operator, hashed by tenant at the configured parallelism.
    const [totals, ...others] = named(/^usage totals: /);
    expect(others).toHaveLength(0);
    expect(totals?.parallelism).toBe(defaultConfig.metering.flink.parallelism);
    expect(totals?.predecessors.map((p) => p.ship_strategy)).toEqual(['HASH']);
    expect(optimized).not.toContain('Deduplicate');
    // The only SQL windows left are the progress windows (global: one task), minutes then days from them.
    const windows = named(/^WindowAggregate/);
    expect(windows).toHaveLength(2);
    for (const window of windows) {
      expect(window.parallelism).toBe(1);
      expect(window.predecessors.map((p) => p.ship_strategy)).toEqual(['GLOBAL']);
    }
    expect(optimized).toMatch(/WindowAggregate\(window=\[TUMBLE\(time_col=\[ts\], size=\[1 min\]\)\]/);
    expect(optimized).toMatch(/WindowAggregate\(window=\[TUMBLE\(time_col=\[minute_time\], size=\[1 d\]\)\]/);
    // The counters sinks' writers take the totals' rows without another exchange: one writer per tenant, so a
    // running total's steps reach DynamoDB in order.
    for (const sink of ['hourly_totals', 'daily_totals', 'cumulative_totals']) {
      const [writer] = named(new RegExp(`^${sink}\\[\\d+\\]: Writer`));
      expect(writer?.predecessors.map((p) => p.ship_strategy)).toEqual(['FORWARD']);
    }
    for (const sink of SINK_TABLES) {
      expect(optimized).toContain(`Sink(table=[default_catalog.default_database.${sink}]`);
    }
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
