import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import { METERING_PROGRESS_PK } from '../../../domain/keys';
import { TENANT_ID_PATTERN } from '../../../domain/tenant/tenant-id';
import { COUNTER_FIELDS, counterItem, counterItemSchema } from '../../../domain/usage/counters';
import { classifyUsageLine, rejectionReasons, USAGE_EVENT_LIMITS } from '../../../domain/usage/event';
import { HEARTBEAT_FIELD } from '../../../domain/usage/progress';
import { canonicalDecimal, toUnits } from '../../../flink/reference';
import {
  generateMeteringSql,
  PROGRESS_FLOOR_PLACEHOLDER,
  RESTORE_GUARD_OPTIONS,
  usageLineRules,
} from '../../../flink/sql';
import { readUsageLineCases } from '../../../flink/usage-line-cases';

const local = generateMeteringSql({
  config: defaultConfig,
  profile: { kind: 'local', eventsPath: '/data/events.jsonl', outDir: '/data/out' },
});

describe('generateMeteringSql', () => {
  it('puts every INSERT in one statement set', () => {
    const inserts = local.match(/^INSERT INTO/gm) ?? [];
    expect(inserts).toHaveLength(6);
    expect(local.match(/EXECUTE STATEMENT SET BEGIN/g)).toHaveLength(1);
    expect(local.indexOf('EXECUTE STATEMENT SET BEGIN')).toBeLessThan(local.indexOf('INSERT INTO'));
  });

  it('writes only the sinks asked for (the bench prices each stage), and refuses a job that writes none', () => {
    // Prepare
    const profile = { kind: 'local', eventsPath: '/data/events.jsonl', outDir: '/data/out' } as const;

    // Act
    const partial = generateMeteringSql({ config: defaultConfig, profile, sinks: ['rejected', 'late'] });
    const rejectedOnly = generateMeteringSql({ config: defaultConfig, profile, sinks: ['rejected'] });

    // Assess: the totals operator runs only when a sink reads it
    expect(partial.match(/^INSERT INTO \w+/gm)).toEqual([
      'INSERT INTO late_events',
      'INSERT INTO rejected_events',
    ]);
    expect(partial).toMatch(/^DATASTREAM USAGE_TOTALS /m);
    expect(rejectedOnly).not.toContain('DATASTREAM');
    expect(rejectedOnly).not.toContain('metered');
    expect(() => generateMeteringSql({ config: defaultConfig, profile, sinks: [] })).toThrow(
      'sinks: a metering job writes at least one sink; got none',
    );
  });

  it('pins UTC, the idle timeout, the dedup horizon and the watermark delay from the config', () => {
    const m = defaultConfig.metering;
    expect(local).toContain("SET 'table.local-time-zone' = 'UTC';");
    expect(local).toContain(`SET 'table.exec.source.idle-timeout' = '${m.idleTimeoutSeconds} s';`);
    expect(local).toMatch(
      new RegExp(
        `WATERMARK FOR ts AS CASE WHEN u\\.reason IS NULL OR u\\.is_tick THEN ts ELSE TIMESTAMP '1970-01-01 00:00:00' END - INTERVAL '${m.watermarkDelaySeconds}' SECOND\\(3\\)`,
      ),
    );
    expect(local).toContain(
      `HORIZON ${m.dedupHorizonHours} HOURS STEP ${m.cumulativeStepMinutes} MINUTES QUANTITY SCALE ${USAGE_EVENT_LIMITS.quantityScale}`,
    );
  });

  it("de-duplicates, splits late events and sums every window in the runner's one keyed operator", () => {
    // Prepare: the statement the runner parses (flink/runner UsageTotalsStatement.java; every Flink
    // integration test runs it)
    const statement =
      /^DATASTREAM USAGE_TOTALS FROM usage_checked INTO metered HORIZON \d+ HOURS STEP \d+ MINUTES QUANTITY SCALE \d+ RESTORE FLOOR @@PROGRESS_FLOOR@@;$/m;

    // Act
    const views = [...local.matchAll(/^CREATE TEMPORARY VIEW (\w+) AS\n[^;]*FROM metered_(\w+);$/gm)];

    // Assess: one statement after the parse, the views the totals sinks read over its rows, no SQL window
    // or de-duplication over events left
    expect(local.match(statement)).toHaveLength(1);
    expect(local.indexOf('CREATE TEMPORARY VIEW usage_checked')).toBeLessThan(local.search(statement));
    expect(views.map((v) => [v[1], v[2]])).toEqual([
      ['hourly', 'hour'],
      ['daily', 'day'],
      ['cumulative', 'cumulative'],
      ['usage_late', 'late'],
    ]);
    expect(local).not.toContain('ROW_NUMBER()');
    expect(local).not.toContain('CUMULATE(');
    expect(local.match(/TUMBLE\(TABLE (\w+)/g)).toEqual([
      'TUMBLE(TABLE watermark_rows',
      'TUMBLE(TABLE progress_minutes',
    ]);
  });

  it('emits the watermark after each record locally, every 200 ms in the aws profile and the periodic (bench) profile', () => {
    // Prepare
    const periodic = generateMeteringSql({
      config: defaultConfig,
      profile: {
        kind: 'local',
        eventsPath: '/data/events.jsonl',
        outDir: '/data/out',
        watermarks: 'periodic',
      },
    });
    const aws = generateMeteringSql({
      config: defaultConfig,
      profile: {
        kind: 'aws',
        region: 'us-east-1',
        streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/usage',
        countersTable: 'counters',
        lakeUri: 's3://lake/p',
        initialPosition: 'TRIM_HORIZON',
        kinesisConnector: '4.x',
      },
    });
    const interval = /^SET 'pipeline\.auto-watermark-interval' = '([^']+)';$/m;
    // Assess: the bench's job is the test job but for the watermark interval
    expect(local.match(interval)?.[1]).toBe('0 ms');
    expect(aws.match(interval)?.[1]).toBe('200 ms');
    expect(periodic.match(interval)?.[1]).toBe('200 ms');
    expect(periodic.replace(interval, '')).toBe(local.replace(interval, ''));
  });

  it('writes the counters item of domain/usage/counters.ts: the totals sinks map every field, in order', () => {
    // Prepare: the item as the TypeScript writers build it, and the fields the reader parses
    const written = Object.keys(
      counterItem({
        tenantId: 'tacme',
        metric: 'api.call',
        granularity: 'HOUR',
        windowStart: new Date('2026-11-20T10:00:00.000Z'),
        windowEnd: new Date('2026-11-20T11:00:00.000Z'),
        quantity: '1',
        eventCount: 1,
      }),
    );
    const fields = Object.keys(COUNTER_FIELDS);
    const aws = generateMeteringSql({
      config: defaultConfig,
      profile: {
        kind: 'aws',
        region: 'us-east-1',
        streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/usage',
        countersTable: 'counters',
        lakeUri: 's3://lake/p',
        initialPosition: 'TRIM_HORIZON',
        kinesisConnector: '4.x',
      },
    });

    // Act
    const sinkColumns = (sql: string, table: string) =>
      [
        ...(sql.match(new RegExp(`CREATE TABLE ${table} \\(\\n([\\s\\S]*?)\\n\\)`))?.[1] ?? '').matchAll(
          /^ {2}(\w+) (.+?),?$/gm,
        ),
      ].map((m) => `${m[1]} ${m[2]}`);
    const insertAliases = (sql: string, table: string) =>
      [
        ...(sql.match(new RegExp(`INSERT INTO ${table}\\nSELECT ([\\s\\S]*?)\\nFROM `))?.[1] ?? '').matchAll(
          / AS (\w+)(?:,|$)/gm,
        ),
      ].map((m) => m[1]);

    // Assess
    expect(written).toEqual(fields);
    expect(Object.keys(counterItemSchema.shape)).toEqual(fields);
    for (const sql of [local, aws]) {
      for (const table of ['hourly_totals', 'daily_totals', 'cumulative_totals']) {
        expect(sinkColumns(sql, table)).toEqual([
          'pk STRING',
          'sk STRING',
          'tenantId STRING',
          'metric STRING',
          'granularity STRING',
          'windowStart STRING',
          'windowEnd STRING',
          'quantity DECIMAL(38, 6)',
          'eventCount BIGINT',
          'expiresAt BIGINT',
        ]);
        expect(sinkColumns(sql, table).map((c) => c.split(' ')[0])).toEqual(fields);
        expect(insertAliases(sql, table)).toEqual(fields);
      }
    }
  });

  it('derives validation from the shared limits (no copy of the rules)', () => {
    // Prepare: the rules, as USAGE_LINE receives them, in every call the script makes
    const rules = usageLineRules(defaultConfig);
    const calls = [...local.matchAll(/USAGE_LINE\(line, ([^,]+), '([^']*)'\)/g)];

    // Assess
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const [, now, json] of calls) {
      expect(now).toBe('CAST(CURRENT_TIMESTAMP AS TIMESTAMP(3))');
      expect(JSON.parse(json ?? '')).toEqual(rules);
    }
    expect(rules.eventIdPattern).toBe(USAGE_EVENT_LIMITS.eventIdPattern.source.slice(1, -1));
    expect(rules.tenantIdPattern).toBe(TENANT_ID_PATTERN.source.slice(1, -1));
    expect(rules.timestampPattern).toBe(USAGE_EVENT_LIMITS.timestampPattern.source.slice(1, -1));
    expect(rules).toMatchObject({
      maxEventBytes: USAGE_EVENT_LIMITS.maxEventBytes,
      quantityPrecision: USAGE_EVENT_LIMITS.quantityPrecision,
      quantityScale: USAGE_EVENT_LIMITS.quantityScale,
      maxFutureSkewSeconds: defaultConfig.metering.maxFutureSkewSeconds,
      maxEventAgeDays: defaultConfig.metering.maxEventAgeDays,
      heartbeatField: HEARTBEAT_FIELD,
    });
    expect(rules.maxQuantityPerEvent).toEqual(
      Object.fromEntries(defaultConfig.metrics.map((m) => [m.name, String(m.maxQuantityPerEvent)])),
    );
    expect(local).toContain(
      `CAST(quantity AS DECIMAL(${USAGE_EVENT_LIMITS.quantityPrecision}, ${USAGE_EVENT_LIMITS.quantityScale}))`,
    );
    expect(local).toContain(`QUANTITY SCALE ${USAGE_EVENT_LIMITS.quantityScale}`);
    expect(local).not.toMatch(/ignore-parse-errors|DOUBLE|FLOAT|JSON_QUERY|JSON_VALUE/);
  });

  it('passes a fixed clock to USAGE_LINE when one is given', () => {
    const fixed = generateMeteringSql({
      config: defaultConfig,
      profile: { kind: 'local', eventsPath: '/data/events.jsonl', outDir: '/data/out' },
      now: '2026-11-21T06:00:00.000Z',
    });
    expect(fixed).toContain("USAGE_LINE(line, TIMESTAMP '2026-11-21 06:00:00.000', '");
    expect(fixed).not.toContain('CURRENT_TIMESTAMP');
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
    expect(aws.match(/PARTITIONED BY \(pk, sk\)/g)).toHaveLength(4);
    expect(aws).toContain(`SET 'parallelism.default' = '${defaultConfig.metering.flink.parallelism}';`);
  });

  it('writes the running totals one batch at a time, so a later step never lands before an earlier one', () => {
    // Prepare
    const profile = {
      kind: 'aws',
      region: 'us-east-1',
      streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/usage',
      countersTable: 'counters',
      lakeUri: 's3://lake/metering',
      initialPosition: 'TRIM_HORIZON',
      kinesisConnector: '4.x',
    } as const;
    // Act
    const aws = generateMeteringSql({ config: defaultConfig, profile });
    // Assess: only the CUMULATIVE sink overwrites an item with a newer value.
    const sinkWith = (table: string) =>
      aws.slice(aws.indexOf(`CREATE TABLE ${table} (`)).split(');')[0] ?? '';
    expect(sinkWith('cumulative_totals')).toContain("'sink.requests.max-inflight' = '1'");
    expect(sinkWith('hourly_totals')).not.toContain('max-inflight');
    expect(sinkWith('daily_totals')).not.toContain('max-inflight');
  });

  it('leaves one place for the restore floor, guarding the windows and naming the progress sink for the runner', () => {
    // Prepare: the runner's own names for the placeholder and the options (flink/runner ProgressFloor.java)
    const java = readFileSync(
      fileURLToPath(
        new URL('../../../flink/runner/src/main/java/dev/tenantry/flink/ProgressFloor.java', import.meta.url),
      ),
      'utf8',
    );

    // Act
    const floorUses = local.split(PROGRESS_FLOOR_PLACEHOLDER).length - 1;

    // Assess: one floor, in the operator both the counted and the late rows come from
    expect(floorUses).toBe(1);
    expect(local).toContain(`RESTORE FLOOR ${PROGRESS_FLOOR_PLACEHOLDER};`);
    expect(local).toContain(`SET '${RESTORE_GUARD_OPTIONS.progressTable}' = 'progress';`);
    expect(local).toContain(`SET '${RESTORE_GUARD_OPTIONS.progressPk}' = '${METERING_PROGRESS_PK}';`);
    expect(local).toMatch(/^CREATE TABLE progress \(/m);
    expect(java).toContain(`PLACEHOLDER = "${PROGRESS_FLOOR_PLACEHOLDER}"`);
    expect(java).toContain(`TABLE_OPTION = "${RESTORE_GUARD_OPTIONS.progressTable}"`);
    expect(java).toContain(`PK_OPTION = "${RESTORE_GUARD_OPTIONS.progressPk}"`);
  });

  it('counts each rejected line by reason in the CloudWatch-forwarded rejectedEvents metric', () => {
    // Prepare
    const reasonFunction = 'COUNTED_VALUE';

    // Act
    const declarations = [
      ...local.matchAll(/^CREATE TEMPORARY SYSTEM FUNCTION (\w+) AS '([\w.]+)' LANGUAGE JAVA;$/gm),
    ];
    const declaration = declarations.find((d) => d[1] === reasonFunction);
    const rejectedInsert = local.slice(local.indexOf('INSERT INTO rejected_events')).split(';')[0] ?? '';

    // Assess
    expect(declarations.map((d) => d.slice(1))).toEqual([
      ['USAGE_LINE', 'dev.tenantry.flink.UsageLine'],
      [reasonFunction, 'dev.tenantry.flink.CountedValue'],
    ]);
    expect(local.indexOf(declaration?.[0] ?? '-')).toBeLessThan(local.indexOf('EXECUTE STATEMENT SET BEGIN'));
    expect(local.indexOf('CREATE TEMPORARY SYSTEM FUNCTION USAGE_LINE')).toBeLessThan(
      local.indexOf('CREATE TABLE usage_raw'),
    );
    expect(rejectedInsert).toContain(`SELECT ${reasonFunction}('rejectedEvents', 'reason', reason), line,`);
    expect(rejectedInsert).toContain('WHERE reason IS NOT NULL AND NOT is_tick');
    expect(local.match(/COUNTED_VALUE\(/g)).toHaveLength(1);
  });
});

describe('the table of USAGE_LINE cases (flink/runner/src/test/resources/usage-line-cases.json)', () => {
  // The same file is read by UsageLineTest.java and by test/integration/flink/usage-line.test.ts.
  const file = readUsageLineCases();

  it('holds the rules the generator passes to USAGE_LINE', () => {
    expect(file.rules).toEqual(usageLineRules(defaultConfig));
  });

  it('expects of each line what classifyUsageLine (domain/usage/event.ts) decides', () => {
    // Act
    const decided = file.cases.map((c) => {
      const result = classifyUsageLine(c.line, { config: defaultConfig, now: new Date(file.now) });
      return {
        name: c.name,
        reason: result.ok ? null : result.reason,
        event: result.ok ? result.event : undefined,
      };
    });

    // Assess (as JSON, which is how the file stores them: JSON writes -0 as 0)
    expect(JSON.parse(JSON.stringify(decided))).toEqual(
      file.cases.map(({ name, reason, event }) => ({ name, reason, event })),
    );
    expect(new Set(file.cases.map((c) => c.reason))).toEqual(new Set([null, ...rejectionReasons]));
    expect(file.cases.filter((c) => c.tick)).toHaveLength(1);
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
