package dev.tenantry.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamStatementSet;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.runtime.typeutils.ExternalTypeInfo;
import org.apache.flink.table.types.DataType;
import org.apache.flink.types.Row;

/**
 * Runs a generated SQL script (statements end with ";\n", one statement set) on a MiniCluster: run time, process
 * CPU. One statement of its own: {@code DATASTREAM TOTALS FROM v INTO t HORIZON n HOURS [KEYED IDS]} turns the view v into a
 * DataStream once (one source: v is re-registered over that stream, its rowtime and watermarks kept), sends its
 * valid events through {@link StreamTotals} keyed by tenant, and registers the output as the view t.
 */
public final class RunScript {
  private static final Pattern SET = Pattern.compile("(?s)SET '([^']+)' = '([^']*)'");
  private static final Pattern DATASTREAM =
      Pattern.compile("DATASTREAM TOTALS FROM (\\w+) INTO (\\w+) HORIZON (\\d+) HOURS( KEYED IDS)?");
  private static final String STATEMENT_SET = "EXECUTE STATEMENT SET BEGIN";

  public static void main(String[] args) throws Exception {
    // The MiniCluster's own options (state backend, managed memory) as -Dflink.<option>=<value>.
    Configuration cluster = new Configuration();
    System.getProperties().stringPropertyNames().stream().filter(name -> name.startsWith("flink."))
        .forEach(name -> cluster.setString(name.substring("flink.".length()), System.getProperty(name)));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(cluster);
    StreamTableEnvironment tEnv = StreamTableEnvironment.create(env);
    StreamStatementSet inserts = null;
    boolean streamed = false;
    for (String raw : Files.readString(Path.of(args[0])).split(";\n")) {
      String statement = raw.replaceAll("(?m)^--.*$", "").trim();
      if (statement.isEmpty() || statement.equals("END")) continue;
      Matcher set = SET.matcher(statement);
      Matcher datastream = DATASTREAM.matcher(statement);
      if (set.matches()) {
        tEnv.getConfig().getConfiguration().setString(set.group(1), set.group(2));
        env.configure(Configuration.fromMap(Map.of(set.group(1), set.group(2))));
      } else if (datastream.matches()) {
        streamTotals(tEnv, datastream.group(1), datastream.group(2), Long.parseLong(datastream.group(3)),
            datastream.group(4) != null);
        streamed = true;
      } else if (statement.startsWith(STATEMENT_SET)) {
        inserts = tEnv.createStatementSet();
        inserts.addInsertSql(statement.substring(STATEMENT_SET.length()).trim());
      } else if (inserts != null) {
        inserts.addInsertSql(statement);
      } else {
        tEnv.executeSql(statement);
      }
    }
    if (inserts == null) throw new IllegalArgumentException(args[0] + ": no " + STATEMENT_SET + " in the script");
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    if (streamed) {
      // Sinks and the DataStream operator in one job.
      inserts.attachAsDataStream();
      env.execute("metering (DataStream totals)");
    } else {
      TableResult result = inserts.execute();
      result.await();
    }
    System.out.println("JOB_MS=" + (System.nanoTime() - t0) / 1_000_000);
    System.out.println("JOB_CPU_MS=" + (os.getProcessCpuTime() - cpu0) / 1_000_000);
    System.exit(0);
  }

  /** The columns of the re-registered view that the SQL still reads (progress and rejected): no event fields. */
  private static final DataType CHECKED = DataTypes.ROW(
      DataTypes.FIELD("line", DataTypes.STRING()),
      DataTypes.FIELD("ts", DataTypes.TIMESTAMP(3)),
      DataTypes.FIELD("proc_time", DataTypes.TIMESTAMP_LTZ(3)),
      DataTypes.FIELD("reason", DataTypes.STRING()),
      DataTypes.FIELD("is_tick", DataTypes.BOOLEAN()));

  private static void streamTotals(
      StreamTableEnvironment tEnv, String view, String into, long horizonHours, boolean keyedIds) {
    DataStream<Row> rows = tEnv.toDataStream(tEnv.from(view));
    // Back to SQL: only what the progress and rejected branches read, the line only for rejected lines.
    DataStream<Row> checked = rows.map(row -> {
      String reason = row.getFieldAs("reason");
      return Row.of(reason == null ? null : row.getField("line"), row.getField("ts"), row.getField("proc_time"),
          reason, row.getField("is_tick"));
    }, ExternalTypeInfo.of(CHECKED));
    tEnv.dropTemporaryView(view);
    tEnv.createTemporaryView(view, tEnv.fromDataStream(checked,
        Schema.newBuilder().fromRowDataType(CHECKED).watermark("ts", "SOURCE_WATERMARK()").build()));
    // To the totals: the valid events' four fields (the event time travels as the record's timestamp).
    DataStream<Row> totals = rows
        .filter(row -> row.getField("reason") == null && !Boolean.TRUE.equals(row.getField("is_tick")))
        .map(row -> Row.of(row.getField("tenant_id"), row.getField("event_id"), row.getField("metric"),
            row.getField("quantity_text")), StreamTotals.INPUT)
        .keyBy(row -> (String) row.getField(0))
        .process(new StreamTotals(horizonHours * 3_600_000L, keyedIds), StreamTotals.OUTPUT);
    tEnv.createTemporaryView(into, tEnv.fromDataStream(totals));
  }
}
