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
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamStatementSet;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;

/**
 * Runs a generated SQL script (statements end with ";\n", one statement set) on a MiniCluster: run time, process
 * CPU. One statement of its own: {@code DATASTREAM TOTALS FROM v INTO t HORIZON n HOURS} turns the view v into a
 * DataStream once (one source: v is re-registered over that stream, its rowtime and watermarks kept), sends its
 * valid events through {@link StreamTotals} keyed by tenant, and registers the output as the view t.
 */
public final class RunScript {
  private static final Pattern SET = Pattern.compile("(?s)SET '([^']+)' = '([^']*)'");
  private static final Pattern DATASTREAM =
      Pattern.compile("DATASTREAM TOTALS FROM (\\w+) INTO (\\w+) HORIZON (\\d+) HOURS");
  private static final String STATEMENT_SET = "EXECUTE STATEMENT SET BEGIN";

  public static void main(String[] args) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
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
        streamTotals(tEnv, datastream.group(1), datastream.group(2), Long.parseLong(datastream.group(3)));
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

  private static void streamTotals(StreamTableEnvironment tEnv, String view, String into, long horizonHours) {
    Table checked = tEnv.from(view);
    DataStream<Row> rows = tEnv.toDataStream(checked);
    tEnv.dropTemporaryView(view);
    tEnv.createTemporaryView(view, tEnv.fromDataStream(rows,
        Schema.newBuilder().fromResolvedSchema(checked.getResolvedSchema()).watermark("ts", "SOURCE_WATERMARK()").build()));
    DataStream<Row> totals = rows
        .filter(row -> row.getField("reason") == null && !Boolean.TRUE.equals(row.getField("is_tick")))
        .keyBy(row -> (String) row.getField("tenant_id"))
        .process(new StreamTotals(horizonHours * 3_600_000L), StreamTotals.OUTPUT);
    tEnv.createTemporaryView(into, tEnv.fromDataStream(totals));
  }
}
