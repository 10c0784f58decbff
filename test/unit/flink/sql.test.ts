import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import { TENANT_ID_PATTERN } from '../../../domain/tenant/tenant-id';
import { USAGE_EVENT_LIMITS } from '../../../domain/usage/event';
import { canonicalDecimal, toUnits } from '../../../flink/reference';
import { generateMeteringSql } from '../../../flink/sql';

const local = generateMeteringSql({
  config: defaultConfig,
  profile: { kind: 'local', eventsPath: '/data/events.jsonl', outDir: '/data/out' },
});

describe('generateMeteringSql', () => {
  it('puts every INSERT in one statement set', () => {
    const inserts = local.match(/^INSERT INTO/gm) ?? [];
    expect(inserts).toHaveLength(5);
    expect(local.match(/EXECUTE STATEMENT SET BEGIN/g)).toHaveLength(1);
    expect(local.indexOf('EXECUTE STATEMENT SET BEGIN')).toBeLessThan(local.indexOf('INSERT INTO'));
  });

  it('pins UTC, the idle timeout, the dedup horizon and the watermark delay from the config', () => {
    const m = defaultConfig.metering;
    expect(local).toContain("SET 'table.local-time-zone' = 'UTC';");
    expect(local).toContain(`SET 'table.exec.source.idle-timeout' = '${m.idleTimeoutSeconds} s';`);
    expect(local).toContain(`SET 'table.exec.state.ttl' = '${m.dedupHorizonHours} h';`);
    expect(local).toMatch(
      new RegExp(
        `WATERMARK FOR ts AS CASE WHEN [\\s\\S]* IS NULL THEN ts ELSE TIMESTAMP '1970-01-01 00:00:00' END - INTERVAL '${m.watermarkDelaySeconds}' SECOND\\(3\\)`,
      ),
    );
    expect(local).toContain(`INTERVAL '${m.cumulativeStepMinutes}' MINUTE, INTERVAL '1' DAY`);
  });

  it('derives validation from the shared limits (no copy of the rules)', () => {
    expect(local).toContain(USAGE_EVENT_LIMITS.eventIdPattern.source.slice(1, -1));
    expect(local).toContain(TENANT_ID_PATTERN.source.slice(1, -1));
    expect(local).toContain(
      `DECIMAL(${USAGE_EVENT_LIMITS.quantityPrecision}, ${USAGE_EVENT_LIMITS.quantityScale})`,
    );
    for (const metric of defaultConfig.metrics) {
      expect(local).toContain(`WHEN '${metric.name}' THEN ${metric.maxQuantityPerEvent}`);
    }
    expect(local).not.toMatch(/ignore-parse-errors|DOUBLE|FLOAT/);
  });

  it('uses the explicit start position and the DynamoDB key partitioning in the aws profile', () => {
    const aws = generateMeteringSql({
      config: defaultConfig,
      profile: {
        kind: 'aws',
        region: 'eu-central-1',
        streamArn: 'arn:aws:kinesis:eu-central-1:123456789012:stream/usage',
        countersTable: 'counters',
        lakeUri: 's3://lake/metering',
        initialPosition: 'TRIM_HORIZON',
        kinesisConnector: '5.x',
      },
    });
    expect(aws).toContain("'stream.arn' = 'arn:aws:kinesis:eu-central-1:123456789012:stream/usage'");
    expect(aws).toContain("'source.init.position' = 'TRIM_HORIZON'");
    expect(aws.match(/PARTITIONED BY \(pk, sk\)/g)).toHaveLength(3);
    expect(aws).toContain(`SET 'parallelism.default' = '${defaultConfig.metering.flink.parallelism}';`);
  });
});

describe('reference decimals', () => {
  it('keeps quantities exact in micro-units', () => {
    expect(toUnits(0.1) + toUnits(0.2)).toBe(300_000n);
    expect(canonicalDecimal(toUnits('1.500000'))).toBe('1.5');
    expect(canonicalDecimal(toUnits('1e-6'))).toBe('0.000001');
    expect(() => toUnits('0.1234567')).toThrow(/more than 6 decimal places/);
  });
});
