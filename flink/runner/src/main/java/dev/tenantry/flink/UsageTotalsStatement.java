package dev.tenantry.flink;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.RowType;

/**
 * The one statement of the generated script that is not SQL (flink/sql.ts writes it):
 *
 * <pre>
 *   DATASTREAM USAGE_TOTALS FROM view INTO totals HORIZON n HOURS STEP n MINUTES QUANTITY SCALE n
 *     RESTORE FLOOR @@PROGRESS_FLOOR@@
 * </pre>
 *
 * It turns {@code view} (the parsed lines) into a DataStream once, sends its valid events, keyed by tenant,
 * through {@link UsageTotals}, and registers that operator's rows as one view per kind: {@code totals_hour},
 * {@code totals_day}, {@code totals_cumulative} and {@code totals_late} ({@link UsageTotals.Kind}). {@code view}
 * is registered again over the same stream with only what the SQL still reads (the progress and rejected
 * branches: line for rejected lines, ts with the source's watermarks, proc_time, reason, is_tick): one
 * source, one parse, one watermark assigner for the whole job.
 */
public final class UsageTotalsStatement {
  private static final Pattern STATEMENT = Pattern.compile(
      "(?is)^DATASTREAM\\s+USAGE_TOTALS\\s+FROM\\s+(\\w+)\\s+INTO\\s+(\\w+)\\s+HORIZON\\s+(\\d+)\\s+HOURS\\s+"
          + "STEP\\s+(\\d+)\\s+MINUTES\\s+QUANTITY\\s+SCALE\\s+(\\d+)\\s+RESTORE\\s+FLOOR\\s+"
          + Pattern.quote(ProgressFloor.PLACEHOLDER) + "$");
  /** The operator's uid: its state in a savepoint is found by it. */
  static final String UID = "usage-totals";

  /** The columns of the re-registered view (what the SQL after this statement may read). */
  static final DataType CHECKED = DataTypes.ROW(
      DataTypes.FIELD("line", DataTypes.STRING()),
      DataTypes.FIELD("ts", DataTypes.TIMESTAMP(3)),
      DataTypes.FIELD("proc_time", DataTypes.TIMESTAMP_LTZ(3)),
      DataTypes.FIELD("reason", DataTypes.STRING()),
      DataTypes.FIELD("is_tick", DataTypes.BOOLEAN()));

  final String from;
  final String into;
  final long horizonHours;
  final long stepMinutes;
  final int quantityScale;

  private UsageTotalsStatement(String from, String into, long horizonHours, long stepMinutes, int quantityScale) {
    this.from = from;
    this.into = into;
    this.horizonHours = horizonHours;
    this.stepMinutes = stepMinutes;
    this.quantityScale = quantityScale;
  }

  /** The statement, when this is one; a statement that starts like one but does not parse is an error. */
  static Optional<UsageTotalsStatement> parse(String statement) {
    if (!statement.trim().toUpperCase(Locale.ROOT).startsWith("DATASTREAM")) return Optional.empty();
    Matcher m = STATEMENT.matcher(statement.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("malformed DATASTREAM statement (expected DATASTREAM USAGE_TOTALS FROM v INTO t"
          + " HORIZON n HOURS STEP n MINUTES QUANTITY SCALE n RESTORE FLOOR " + ProgressFloor.PLACEHOLDER + "): " + statement);
    }
    return Optional.of(new UsageTotalsStatement(
        m.group(1), m.group(2), Long.parseLong(m.group(3)), Long.parseLong(m.group(4)), Integer.parseInt(m.group(5))));
  }

  /** Registers the operator between {@code from} and {@code into}; floorMs: the restore guard's floor or null. */
  void apply(StreamTableEnvironment tEnv, Long floorMs) {
    Table parsed = tEnv.from(from);
    // The table runtime's own rows (RowData) in and out: no conversion to Java objects and back per line.
    DataStream<RowData> rows = tEnv.toDataStream(parsed, parsed.getResolvedSchema().toPhysicalRowDataType().bridgedTo(RowData.class));
    List<String> columns = parsed.getResolvedSchema().getColumnNames();
    int line = column(columns, "line");
    int ts = column(columns, "ts");
    int procTime = column(columns, "proc_time");
    int reason = column(columns, "reason");
    int isTick = column(columns, "is_tick");
    int tenantId = column(columns, "tenant_id");
    int eventId = column(columns, "event_id");
    int metric = column(columns, "metric");
    int quantity = column(columns, "quantity_text");

    DataStream<RowData> checked = rows
        .map(row -> (RowData) GenericRowData.of(
            row.isNullAt(reason) ? null : row.getString(line),
            row.getTimestamp(ts, 3),
            row.getTimestamp(procTime, 3),
            row.isNullAt(reason) ? null : row.getString(reason),
            row.isNullAt(isTick) ? null : row.getBoolean(isTick)),
            InternalTypeInfo.of((RowType) CHECKED.getLogicalType()))
        .name("lines: checked");
    tEnv.dropTemporaryView(from);
    tEnv.createTemporaryView(from, tEnv.fromDataStream(checked,
        Schema.newBuilder().fromRowDataType(CHECKED).watermark("ts", "SOURCE_WATERMARK()").build()));
    UsageTotals totals = new UsageTotals(horizonHours * 3_600_000L, stepMinutes * 60_000L, quantityScale, floorMs);
    SingleOutputStreamOperator<RowData> out = rows
        .filter(row -> row.isNullAt(reason) && (row.isNullAt(isTick) || !row.getBoolean(isTick)))
        .name("events: valid")
        .map(row -> (RowData) GenericRowData.of(
            row.getString(tenantId), row.getString(eventId), row.getString(metric), row.getString(quantity)),
            UsageTotals.INPUT)
        .name("events: fields")
        .keyBy(row -> row.getString(0).toString(), UsageTotals.KEY)
        .transform("usage totals: de-duplication, lateness, hourly, daily, running", totals.outputTypeInfo(),
            new UsageTotalsOperator(totals))
        .uid(UID);
    for (UsageTotals.Kind kind : UsageTotals.Kind.values()) {
      tEnv.createTemporaryView(into + "_" + kind.suffix(), tEnv.fromDataStream(out.getSideOutput(totals.output(kind))));
    }
  }

  private int column(List<String> columns, String name) {
    int index = columns.indexOf(name);
    if (index < 0) throw new IllegalArgumentException("DATASTREAM USAGE_TOTALS: " + from + " has no column " + name + ": " + columns);
    return index;
  }
}
