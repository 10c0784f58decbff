package dev.tenantry.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;

/** Runs a generated SQL script (statements end with ";\n", one statement set) on a MiniCluster: run time, process CPU. */
public final class RunScript {
  private static final Pattern SET = Pattern.compile("(?s)SET '([^']+)' = '([^']*)'");
  private static final String STATEMENT_SET = "EXECUTE STATEMENT SET BEGIN";

  public static void main(String[] args) throws Exception {
    TableEnvironment tEnv = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
    StatementSet inserts = null;
    for (String raw : Files.readString(Path.of(args[0])).split(";\n")) {
      String statement = raw.replaceAll("(?m)^--.*$", "").trim();
      if (statement.isEmpty() || statement.equals("END")) continue;
      Matcher set = SET.matcher(statement);
      if (set.matches()) {
        tEnv.getConfig().getConfiguration().setString(set.group(1), set.group(2));
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
    TableResult result = inserts.execute();
    result.await();
    System.out.println("JOB_MS=" + (System.nanoTime() - t0) / 1_000_000);
    System.out.println("JOB_CPU_MS=" + (os.getProcessCpuTime() - cpu0) / 1_000_000);
    System.exit(0);
  }
}
