import type { TenantryConfig } from '../domain/config';
import { counterKey, METERING_PROGRESS_PK } from '../domain/keys';
import { flinkMetrics } from '../domain/metrics';
import { TENANT_ID_PATTERN } from '../domain/tenant/tenant-id';
import { COUNTER_FIELDS, COUNTER_RETENTION_SECONDS, type CounterField } from '../domain/usage/counters';
import { USAGE_EVENT_LIMITS } from '../domain/usage/event';
import {
  HEARTBEAT_FIELD,
  PROGRESS_FIELDS,
  PROGRESS_RETENTION_SECONDS,
  type ProgressField,
} from '../domain/usage/progress';

/**
 * The Flink SQL generator: one script for the whole metering job, from the configuration.
 * Both profiles share every statement; only connector options (and the DynamoDB sink's
 * `PARTITIONED BY`, which the connector uses for in-batch de-duplication) differ.
 *
 * Semantics (the reference aggregator in reference.ts reproduces them; see flink/README.md):
 *  1. every line is classified: a rejection reason (first failing rule, in the schema's order) or valid;
 *  2. the watermark is `max(event time of lines with a valid timestamp) − watermarkDelaySeconds`;
 *  3. valid events are de-duplicated on (tenantId, eventId), first arrival wins (state TTL = dedup horizon);
 *  4. a unique event with `ts <=` the watermark is late (late sink), otherwise it is counted; so is one at or
 *     below the restore floor (the watermark the last published progress proves, read by the runner at start);
 *  5. counted events are summed per tenant and metric into running totals over the UTC day per step (a row
 *     per step with new events); an hour's total is what the running sum gained in that hour (a row per
 *     metric with events in it), a day's is the running sum at the day's end (hourly and daily tumbling
 *     windows, in effect); steps 3–5 run in one keyed operator of the runner (UsageTotals.java), its rows
 *     read by the SQL sinks, one view per kind;
 *  6. progress (domain/usage/progress.ts): global one-minute and one-day windows over everything that moves
 *     the watermark (valid events and heartbeat ticks) publish each fired window's end — an instant the
 *     watermark has passed. Ticks are counted nowhere else and are never rejected.
 */

/**
 * The restore guard's floor (step 4): the one place in the script where the runner puts, at start, the
 * watermark the last published progress proves — `TIMESTAMP '…'`, or `NULL` before any progress
 * (flink/runner ProgressFloor.java names the same placeholder and options).
 */
export const PROGRESS_FLOOR_PLACEHOLDER = '@@PROGRESS_FLOOR@@';
/** Script options that tell the runner where the progress is: the sink table and its partition key. */
export const RESTORE_GUARD_OPTIONS = {
  progressTable: 'tenantry.restore-guard.progress-table',
  progressPk: 'tenantry.restore-guard.progress-pk',
} as const;

/**
 * Flink's default watermark interval, which Managed Flink keeps: the aws profile states it, the bench
 * measures with it. A per-record watermark flushes every window buffer and fires timers after each record.
 */
export const PERIODIC_WATERMARK_INTERVAL = '200 ms';

export const SINKS = ['hourly', 'daily', 'cumulative', 'late', 'rejected', 'progress'] as const;

/** The runner's scalar function that counts a value in a CloudWatch-forwarded metric (CountedValue.java). */
const COUNTED_VALUE_CLASS = 'dev.tenantry.flink.CountedValue';
/** The runner's scalar function that parses and classifies one line (UsageLine.java). */
const USAGE_LINE_CLASS = 'dev.tenantry.flink.UsageLine';
/** The views over the runner's totals operator, by the kind of its rows (UsageTotals.java Kind: one side output each). */
const METERED_VIEWS = [
  ['hourly', 'HOUR'],
  ['daily', 'DAY'],
  ['cumulative', 'CUMULATIVE'],
] as const;
/** The view the runner registers over the totals operator's rows of one kind (UsageTotalsStatement.java). */
const meteredView = (kind: (typeof METERED_VIEWS)[number][1] | 'LATE') => `metered_${kind.toLowerCase()}`;
/** The sinks that read the runner's totals operator: its views' and the late events'. */
const TOTALS_SINKS: readonly SinkName[] = [...METERED_VIEWS.map(([view]) => view), 'late'];
export type SinkName = (typeof SINKS)[number];

const QUANTITY_TYPE = `DECIMAL(${USAGE_EVENT_LIMITS.quantityPrecision}, ${USAGE_EVENT_LIMITS.quantityScale})`;
const TOTAL_TYPE = `DECIMAL(38, ${USAGE_EVENT_LIMITS.quantityScale})`;
/** SQL type of each kind of counters field (domain/usage/counters.ts). */
const COUNTER_SQL_TYPES = {
  text: 'STRING',
  decimal: TOTAL_TYPE,
  integer: 'BIGINT',
  epochSeconds: 'BIGINT',
} as const;

export interface LocalProfile {
  readonly kind: 'local';
  /** A JSON-lines file, or a directory of them (with `monitorIntervalMs`: watched continuously). */
  readonly eventsPath: string;
  /** Each sink writes JSON lines into `<outDir>/<sink>/`. */
  readonly outDir: string;
  readonly monitorIntervalMs?: number;
  /**
   * `per-record` (default): the watermark right after each record that advances it, so lateness is
   * deterministic (the tests). `periodic`: every PERIODIC_WATERMARK_INTERVAL, as the aws profile runs (the bench).
   */
  readonly watermarks?: 'per-record' | 'periodic';
}

export interface AwsEndpointOverride {
  /** For emulators: endpoint URL and static credentials; never for AWS itself. */
  readonly url: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface AwsProfile {
  readonly kind: 'aws';
  readonly region: string;
  readonly streamArn: string;
  readonly countersTable: string;
  /** `s3://bucket/prefix` for the late and rejected events. */
  readonly lakeUri: string;
  /** Where a fresh start (no snapshot) begins reading. Explicit: the connector default LATEST skips events. */
  readonly initialPosition: 'TRIM_HORIZON' | 'LATEST';
  /**
   * Option names of the Kinesis connector generation: `5.x` (`stream.arn`, `source.init.position`) or
   * `4.x` (`stream`, `scan.stream.initpos`). The runner JAR bundles 4.3.0-1.19 (see README).
   */
  readonly kinesisConnector: '4.x' | '5.x';
  readonly endpoint?: AwsEndpointOverride;
}

export interface GenerateOptions {
  readonly config: TenantryConfig;
  readonly profile: LocalProfile | AwsProfile;
  /** Fixed clock for the future/age bounds (ISO instant); default: processing time. */
  readonly now?: string;
  /** Defaults: 1 for the local profile (deterministic lateness), config.metering.flink.parallelism for aws. */
  readonly parallelism?: number;
  /**
   * The sinks the job writes; default all. A job with fewer sinks plans only the operators they read
   * (the planner drops the rest): the bench prices each stage this way.
   */
  readonly sinks?: readonly SinkName[];
}

/**
 * Event time of a line without a valid timestamp: the rowtime must not be NULL (the watermark assigner
 * fails on NULL), and the epoch is older than any valid event, so such lines never move the watermark.
 */
const EPOCH = "TIMESTAMP '1970-01-01 00:00:00'";
const NO_EVENT_TIME = EPOCH;

const q = (value: string) => `'${value.replaceAll("'", "''")}'`;
/** A seconds interval literal wide enough for its value (SECOND defaults to 2 digits). */
const seconds = (n: number) => `INTERVAL '${n}' SECOND(${Math.max(2, String(n).length)})`;
/**
 * ISO instant (`yyyy-MM-ddTHH:mm:ss.SSSZ`) of a TIMESTAMP(3) / TIMESTAMP_LTZ(3) in UTC: the cast prints all
 * three fraction digits; DATE_FORMAT wrote the same string through a SimpleDateFormat per row (bench, README).
 */
const iso = (expr: string) => `CONCAT(REPLACE(CAST(${expr} AS STRING), ' ', 'T'), 'Z')`;
/**
 * Epoch seconds of a window end plus a retention. Every window end is a whole minute (hour, day, minute
 * steps), so minutes since the epoch × 60 is exact; UNIX_TIMESTAMP(DATE_FORMAT(…)) formatted and parsed a
 * string per row. BIGINT before × 60: TIMESTAMPDIFF returns INT.
 */
const expiresAt = (windowEnd: string, retentionSeconds: number) =>
  `CAST(TIMESTAMPDIFF(MINUTE, ${EPOCH}, ${windowEnd}) AS BIGINT) * 60 + ${retentionSeconds}`;

/** The body of an anchored JS pattern (`^…$`) for embedding in a larger Java regex. */
function patternBody(pattern: RegExp): string {
  const source = pattern.source;
  if (!source.startsWith('^') || !source.endsWith('$') || pattern.flags !== '') {
    throw new Error(`pattern ${pattern} must be anchored (^…$) without flags to be used in Flink SQL`);
  }
  return source.slice(1, -1);
}

/**
 * The validation rules USAGE_LINE applies (UsageLine.java), from the one definition: USAGE_EVENT_LIMITS,
 * TENANT_ID_PATTERN and its "no --" rule (domain/tenant/tenant-id.ts), the configuration's metrics and
 * time bounds. Patterns are passed as bodies and matched whole (Java's `$` would accept a final newline).
 */
export function usageLineRules(config: TenantryConfig) {
  const limits = USAGE_EVENT_LIMITS;
  return {
    maxEventBytes: limits.maxEventBytes,
    eventIdPattern: patternBody(limits.eventIdPattern),
    tenantIdPattern: patternBody(TENANT_ID_PATTERN),
    tenantIdForbidden: '--',
    timestampPattern: patternBody(limits.timestampPattern),
    quantityPrecision: limits.quantityPrecision,
    quantityScale: limits.quantityScale,
    maxFutureSkewSeconds: config.metering.maxFutureSkewSeconds,
    maxEventAgeDays: config.metering.maxEventAgeDays,
    heartbeatField: HEARTBEAT_FIELD,
    maxQuantityPerEvent: Object.fromEntries(
      config.metrics.map((m) => [m.name, String(m.maxQuantityPerEvent)]),
    ),
  };
}

/** SQL expression building a counters key from column expressions, via the one key builder. */
function keyExpressions(granularity: 'HOUR' | 'DAY' | 'CUMULATIVE', windowStartIso: string) {
  const tenant = 'tplaceholdertenant';
  const metric = '@@metric@@';
  const start = '@@windowstart@@';
  const key = counterKey(tenant, metric, granularity, start);
  const toSql = (template: string) => {
    const parts = template.split(/(tplaceholdertenant|@@metric@@|@@windowstart@@)/).filter((p) => p !== '');
    return `CONCAT(${parts
      .map((p) =>
        p === tenant ? 'tenant_id' : p === metric ? 'metric' : p === start ? windowStartIso : q(p),
      )
      .join(', ')})`;
  };
  return { pk: toSql(key.pk), sk: toSql(key.sk) };
}

function sourceOptions(profile: LocalProfile | AwsProfile): Record<string, string> {
  if (profile.kind === 'local') {
    return {
      connector: 'filesystem',
      path: profile.eventsPath,
      format: 'raw',
      'raw.charset': 'UTF-8',
      ...(profile.monitorIntervalMs ? { 'source.monitor-interval': `${profile.monitorIntervalMs} ms` } : {}),
    };
  }
  const endpoint = awsEndpointOptions(profile);
  if (profile.kinesisConnector === '5.x') {
    return {
      connector: 'kinesis',
      'stream.arn': profile.streamArn,
      'aws.region': profile.region,
      'source.init.position': profile.initialPosition,
      format: 'raw',
      ...endpoint,
    };
  }
  const streamName = profile.streamArn.split(':stream/')[1];
  if (!streamName) throw new Error(`streamArn "${profile.streamArn}" is not a Kinesis stream ARN`);
  return {
    connector: 'kinesis',
    stream: streamName,
    'aws.region': profile.region,
    'scan.stream.initpos': profile.initialPosition,
    format: 'raw',
    ...endpoint,
  };
}

function awsEndpointOptions(profile: AwsProfile): Record<string, string> {
  if (!profile.endpoint) return {};
  return {
    'aws.endpoint': profile.endpoint.url,
    'aws.credentials.provider': 'BASIC',
    'aws.credentials.basic.accesskeyid': profile.endpoint.accessKeyId,
    'aws.credentials.basic.secretkey': profile.endpoint.secretAccessKey,
    'aws.trust.all.certificates': 'true',
  };
}

function sinkOptions(profile: LocalProfile | AwsProfile, sink: SinkName): Record<string, string> {
  if (profile.kind === 'local') {
    return {
      connector: 'filesystem',
      path: `${profile.outDir.replace(/\/$/, '')}/${sink}`,
      format: 'json',
      'json.encode.decimal-as-plain-number': 'true',
    };
  }
  if (!COUNTERS_TABLE_SINKS.has(sink)) {
    return {
      connector: 'filesystem',
      path: `${profile.lakeUri.replace(/\/$/, '')}/${sink}`,
      format: 'json',
      'json.encode.decimal-as-plain-number': 'true',
    };
  }
  return {
    connector: 'dynamodb',
    'table-name': profile.countersTable,
    'aws.region': profile.region,
    'sink.fail-on-error': 'true',
    // Running totals overwrite one item per tenant, metric and day at every step: two batches in
    // flight at once can land out of order and leave an older, lower total (the connector's default
    // allows 50). One in flight keeps the writes in step order; final HOUR/DAY totals are written once.
    ...(sink === 'cumulative' ? { 'sink.requests.max-inflight': '1' } : {}),
    ...awsEndpointOptions(profile),
    ...(profile.endpoint ? { 'aws.http.protocol.version': 'HTTP1_1' } : {}),
  };
}

/** The sinks written to the counters table in the aws profile (the others go to the lake). */
const COUNTERS_TABLE_SINKS: ReadonlySet<SinkName> = new Set(['hourly', 'daily', 'cumulative', 'progress']);

const withClause = (options: Record<string, string>) =>
  `WITH (\n${Object.entries(options)
    .map(([k, v]) => `  ${q(k)} = ${q(v)}`)
    .join(',\n')}\n)`;

/** Generates the metering script. */
export function generateMeteringSql(options: GenerateOptions): string {
  const { config, profile } = options;
  const m = config.metering;
  const parallelism = options.parallelism ?? (profile.kind === 'local' ? 1 : m.flink.parallelism);
  const now = options.now
    ? `TIMESTAMP ${q(options.now.replace('T', ' ').replace('Z', ''))}`
    : 'CAST(CURRENT_TIMESTAMP AS TIMESTAMP(3))';

  // One parse per line (USAGE_LINE, the runner's UsageLine.java) with the rules of domain/usage/event.ts.
  const usageLine = `USAGE_LINE(line, ${now}, ${q(JSON.stringify(usageLineRules(config)))})`;
  // The rowtime is the parsed timestamp (the epoch when it is not valid: the rowtime cannot be NULL);
  // only valid events and heartbeat ticks move the watermark (rejected lines, whatever their timestamp, never do).
  const eventTime = `COALESCE(${usageLine}.ts, ${NO_EVENT_TIME})`;
  const watermarkExpr = `CASE WHEN u.reason IS NULL OR u.is_tick THEN ts ELSE ${NO_EVENT_TIME} END - ${seconds(m.watermarkDelaySeconds)}`;

  const step = m.cumulativeStepMinutes;
  const rejected = flinkMetrics.rejectedEvents;

  const sinkSchemas: Record<SinkName, string> = {
    hourly: totalsColumns(),
    daily: totalsColumns(),
    cumulative: totalsColumns(),
    late: `  eventId STRING,\n  tenantId STRING,\n  metric STRING,\n  quantity ${QUANTITY_TYPE},\n  eventTime STRING,\n  watermarkTime STRING`,
    rejected: '  reason STRING,\n  line STRING,\n  receivedAt STRING',
    progress: progressColumns(),
  };
  const sinkTables: Record<SinkName, string> = {
    hourly: 'hourly_totals',
    daily: 'daily_totals',
    cumulative: 'cumulative_totals',
    late: 'late_events',
    rejected: 'rejected_events',
    progress: 'progress',
  };
  const sinkDdl = SINKS.map((sink) => {
    const partitioned =
      profile.kind === 'aws' && COUNTERS_TABLE_SINKS.has(sink) ? 'PARTITIONED BY (pk, sk)\n' : '';
    return `CREATE TABLE ${sinkTables[sink]} (\n${sinkSchemas[sink]}\n)\n${partitioned}${withClause(sinkOptions(profile, sink))};`;
  });

  const totalsInsert = (table: string, granularity: 'HOUR' | 'DAY' | 'CUMULATIVE', from: string) => {
    // The operator writes its bounds' ISO text (as iso() would, formatted once per instant: UsageTotals.java).
    const key = keyExpressions(granularity, 'window_start_text');
    // Every field of the counters item, from the window's columns (same order as the sink's columns).
    const select: Record<CounterField, string> = {
      pk: key.pk,
      sk: key.sk,
      tenantId: 'tenant_id',
      metric: 'metric',
      granularity: q(granularity),
      windowStart: 'window_start_text',
      windowEnd: 'window_end_text',
      quantity: 'quantity',
      eventCount: 'event_count',
      expiresAt: expiresAt('window_end', COUNTER_RETENTION_SECONDS[granularity]),
    };
    const columns = Object.keys(COUNTER_FIELDS) as CounterField[];
    return `INSERT INTO ${table}
SELECT ${columns.map((field) => `${select[field]} AS ${field}`).join(',\n  ')}
FROM ${from};`;
  };

  // A global window fires only when the watermark passes its end: that end is the published progress.
  // Minute windows track the stream; day windows carry a bounded run's final watermark past its last hour.
  // The day windows count the minute windows, not the events: every event crosses the single-task exchange
  // once (a day window holds an event exactly when one of its minutes does, and fires at the same watermark).
  const passed = iso('window_end');
  const progressSelect: Record<ProgressField, string> = {
    pk: q(METERING_PROGRESS_PK),
    sk: passed,
    passedAt: passed,
    expiresAt: expiresAt('window_end', PROGRESS_RETENTION_SECONDS),
  };
  const progressColumnsSelect = (Object.keys(PROGRESS_FIELDS) as ProgressField[])
    .map((field) => `${progressSelect[field]} AS ${field}`)
    .join(', ');
  const progressInsert = `INSERT INTO progress
SELECT ${progressColumnsSelect}
FROM (SELECT minute_end AS window_end FROM progress_minutes)
UNION ALL
SELECT ${progressColumnsSelect}
FROM TABLE(TUMBLE(TABLE progress_minutes, DESCRIPTOR(minute_time), INTERVAL '1' DAY))
GROUP BY window_start, window_end;`;

  const writes = new Set(options.sinks ?? SINKS);
  if (writes.size === 0) throw new Error('sinks: a metering job writes at least one sink; got none');
  const inserts: Record<SinkName, string> = {
    hourly: totalsInsert('hourly_totals', 'HOUR', 'hourly'),
    daily: totalsInsert('daily_totals', 'DAY', 'daily'),
    cumulative: totalsInsert('cumulative_totals', 'CUMULATIVE', 'cumulative'),
    late: `INSERT INTO late_events
SELECT event_id, tenant_id, metric, quantity, ts_text, wm_text FROM usage_late;`,
    rejected: `INSERT INTO rejected_events
SELECT COUNTED_VALUE(${q(rejected.name)}, ${q(rejected.dimension)}, reason), line, ${iso('proc_time')}
FROM usage_checked WHERE reason IS NOT NULL AND NOT is_tick;`,
    progress: progressInsert,
  };

  const settings: Record<string, string> = {
    'pipeline.name': `${config.naming.product}-${config.naming.stage}-metering`,
    'table.local-time-zone': 'UTC',
    'table.exec.source.idle-timeout': `${m.idleTimeoutSeconds} s`,
    // The progress windows in one phase: no local pre-aggregation buffer to flush at every window slice.
    'table.optimizer.agg-phase-strategy': 'ONE_PHASE',
    'parallelism.default': String(parallelism),
    // The lines are JSON strings; the sinks must never drop rows silently.
    'table.exec.sink.not-null-enforcer': 'ERROR',
    // Chained operators pass each record by reference instead of copying it per consumer: the totals
    // operator's rows feed four sink views, the parsed line two branches. Safe: no operator of the job keeps
    // a record after processing it (the table runtime's operators are written for it; UsageTotals copies
    // what it keeps into its state).
    'pipeline.object-reuse': 'true',
    // Where the runner reads the restore guard's floor: the progress sink, with its own connector options.
    [RESTORE_GUARD_OPTIONS.progressTable]: sinkTables.progress,
    [RESTORE_GUARD_OPTIONS.progressPk]: METERING_PROGRESS_PK,
  };
  // '0 ms': the watermark right after each record that advances it (deterministic lateness, see README).
  settings['pipeline.auto-watermark-interval'] =
    profile.kind === 'local' && profile.watermarks !== 'periodic' ? '0 ms' : PERIODIC_WATERMARK_INTERVAL;

  // Only a job that writes a totals or late sink runs the totals operator (the bench prices each stage).
  const totalsSection = TOTALS_SINKS.some((sink) => writes.has(sink))
    ? `-- De-duplication, lateness and every total in one keyed operator: the runner's UsageTotals.java (a
-- DataStream operator keyed by tenant; this statement is the runner's, not SQL). First arrival of (tenant id,
-- event id) wins, the id kept for the horizon (a state TTL); a unique event at or below the watermark, or
-- below the restore floor, is late; the others are summed into running totals per step, over the UTC day;
-- hours and days are what those gained. Its rows are one view per kind (\`metered_hour\`, \`metered_day\`,
-- \`metered_cumulative\`, \`metered_late\`), with the bounds' ISO text; usage_checked is registered again over the same stream
-- with what the SQL below reads (line for rejected lines only, ts with the source's watermarks, proc_time,
-- reason, is_tick): one source, one parse, one watermark assigner.
-- Restore guard: Flink does not checkpoint watermarks, so after a restore the watermark starts again from
-- the first new record. The runner replaces the floor with the watermark the last published progress
-- proves (NULL before any progress): nothing at or below it may reopen a window that already fired.
DATASTREAM USAGE_TOTALS FROM usage_checked INTO metered HORIZON ${m.dedupHorizonHours} HOURS STEP ${step} MINUTES QUANTITY SCALE ${USAGE_EVENT_LIMITS.quantityScale} RESTORE FLOOR ${PROGRESS_FLOOR_PLACEHOLDER};

${METERED_VIEWS.map(
  ([view, kind]) => `CREATE TEMPORARY VIEW ${view} AS
SELECT tenant_id, metric, window_end, window_start_text, window_end_text, quantity, event_count
FROM ${meteredView(kind)};`,
).join('\n')}

CREATE TEMPORARY VIEW usage_late AS
SELECT event_id, tenant_id, metric, CAST(quantity AS ${QUANTITY_TYPE}) AS quantity, window_start_text AS ts_text,
  window_end_text AS wm_text
FROM ${meteredView('LATE')};

`
    : '';

  return `-- Tenantry usage metering (generated by flink/sql.ts; profile: ${profile.kind}). Do not edit.
${Object.entries(settings)
  .map(([k, v]) => `SET ${q(k)} = ${q(v)};`)
  .join('\n')}

-- Every line is read as a raw STRING: malformed lines reach the rejected sink, never a NULL in a SUM.
-- USAGE_LINE parses it once (the runner's UsageLine.java, rules from domain/usage/event.ts): the reason
-- (NULL when valid), whether it is a heartbeat tick, and the fields. A computed column of the source, so
-- it is evaluated before the watermark assigner; the function keeps its last result (one parse per line).
CREATE TEMPORARY SYSTEM FUNCTION USAGE_LINE AS ${q(USAGE_LINE_CLASS)} LANGUAGE JAVA;

CREATE TABLE usage_raw (
  line STRING,
  u AS ${usageLine},
  ts AS ${eventTime},
  WATERMARK FOR ts AS ${watermarkExpr}
)
${withClause(sourceOptions(profile))};

${sinkDdl.join('\n\n')}

-- The first failing rule names the reason, in the order of domain/usage/event.ts (classifyUsageLine).
-- The processing time is taken here, not in the source: the source's projection is then the same for
-- every branch, so the planner shares one parse and one watermark assigner between them.
CREATE TEMPORARY VIEW usage_checked AS
SELECT line, ts, PROCTIME() AS proc_time, u.reason AS reason, u.is_tick AS is_tick, u.event_id AS event_id,
  u.tenant_id AS tenant_id, u.metric AS metric, u.quantity AS quantity_text
FROM usage_raw;

${totalsSection}-- Everything that moves the watermark: valid events and heartbeat ticks (the progress windows' input).
CREATE TEMPORARY VIEW watermark_rows AS
SELECT ts FROM usage_checked WHERE reason IS NULL OR is_tick;

-- The minutes the watermark has passed (each fires when the watermark passes its end): the progress sink's
-- minute rows, and the day windows' input.
CREATE TEMPORARY VIEW progress_minutes AS
SELECT window_end AS minute_end, window_time AS minute_time
FROM TABLE(TUMBLE(TABLE watermark_rows, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, window_time;

-- Counts each rejected line by reason in a metric Managed Flink forwards to CloudWatch (the runner's JAR).
CREATE TEMPORARY SYSTEM FUNCTION COUNTED_VALUE AS ${q(COUNTED_VALUE_CLASS)} LANGUAGE JAVA;

EXECUTE STATEMENT SET BEGIN
${SINKS.filter((sink) => writes.has(sink))
  .map((sink) => inserts[sink])
  .join('\n')}
END;
`;
}

/** The progress sink's columns: the progress item's fields, in order, with their SQL types. */
function progressColumns(): string {
  return Object.entries(PROGRESS_FIELDS)
    .map(([field, kind]) => `  ${field} ${COUNTER_SQL_TYPES[kind]}`)
    .join(',\n');
}

/** The totals sinks' columns: the counters item's fields, in order, with their SQL types. */
function totalsColumns(): string {
  return Object.entries(COUNTER_FIELDS)
    .map(([field, kind]) => `  ${field} ${COUNTER_SQL_TYPES[kind]}`)
    .join(',\n');
}
