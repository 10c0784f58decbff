package dev.tenantry.flink;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.runtime.typeutils.ExternalTypeInfo;
import org.apache.flink.table.types.DataType;
import org.apache.flink.types.Row;

/**
 * The one statement of the generated script that is not SQL (flink/sql.ts writes it):
 *
 * <pre>
 *   DATASTREAM USAGE_TOTALS FROM view INTO totals HORIZON n HOURS STEP n MINUTES QUANTITY SCALE n
 *     RESTORE FLOOR @@PROGRESS_FLOOR@@
 * </pre>
 *
 * It turns {@code view} (the parsed lines) into a DataStream once, sends its valid events, keyed by tenant,
 * through {@link UsageTotals}, and registers that operator's rows as the view {@code totals}. {@code view}
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
    DataStream<Row> rows = tEnv.toDataStream(tEnv.from(from));
    DataStream<Row> checked = rows
        .map(row -> {
          String reason = row.getFieldAs("reason");
          return Row.of(reason == null ? null : row.getField("line"), row.getField("ts"), row.getField("proc_time"),
              reason, row.getField("is_tick"));
        }, ExternalTypeInfo.of(CHECKED))
        .name("lines: checked");
    tEnv.dropTemporaryView(from);
    tEnv.createTemporaryView(from, tEnv.fromDataStream(checked,
        Schema.newBuilder().fromRowDataType(CHECKED).watermark("ts", "SOURCE_WATERMARK()").build()));
    UsageTotals totals = new UsageTotals(horizonHours * 3_600_000L, stepMinutes * 60_000L, quantityScale, floorMs);
    DataStream<Row> out = rows
        .filter(row -> row.getField("reason") == null && !Boolean.TRUE.equals(row.getField("is_tick")))
        .name("events: valid")
        .map(row -> Row.of(row.getField("tenant_id"), row.getField("event_id"), row.getField("metric"),
            row.getField("quantity_text")), UsageTotals.INPUT)
        .name("events: fields")
        .keyBy(row -> (String) row.getField(0))
        .process(totals, totals.outputTypeInfo())
        .uid(UID)
        .name("usage totals: de-duplication, lateness, hourly, daily, running");
    tEnv.createTemporaryView(into, tEnv.fromDataStream(out));
  }
}
