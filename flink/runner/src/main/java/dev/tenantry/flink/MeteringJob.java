package dev.tenantry.flink;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.bridge.java.StreamStatementSet;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.catalog.ObjectPath;

/**
 * Runs the generated metering SQL script as one Flink job.
 *
 * <p>On Managed Service for Apache Flink the script location comes from the runtime property group
 * {@code TenantryMetering}, key {@code sql.location} (a pointer: {@code classpath:…}, {@code s3://…} or a
 * path — property values are capped at 2048 characters, so never the SQL itself). Locally:
 *
 * <pre>
 *   --sql LOCATION            the script (classpath:NAME, s3://bucket/key, file:/…, or a path)
 *   --mode run|explain        run the job (default), or print EXPLAIN and the job graph (JSON)
 *   --await                   wait for the job to finish (bounded local input); prints JOB_NET_RUNTIME_MS=…
 *                             (from the job's start to its end: no JVM start, planning or client)
 *                             and JOB_CPU_MS=… (process CPU from submission to the end)
 *   --stop-after-ms N         stop with a savepoint after N ms of RUNNING (needs --savepoint-dir)
 *   --stop-when-file PATH     stop with a savepoint once PATH exists (needs --savepoint-dir): the caller
 *                             decides, e.g. when the job has read a marker it put at the end of its input
 *   --drain                   with --stop-after-ms / --stop-when-file: drain (fire all windows) before the savepoint
 *   --savepoint-dir DIR       where the stop savepoint goes; its path is printed as SAVEPOINT=…, the time
 *                             the stop took as SAVEPOINT_MS=…
 *   --savepoint-format F      canonical (default) or native (the state backend's own files: RocksDB's
 *                             SSTs, what its checkpoints hold; the state bench measures them)
 *   --restore PATH            start from this savepoint / retained checkpoint
 *   --set key=value           extra configuration (repeatable), applied after the script's SETs
 * </pre>
 */
public final class MeteringJob {
  public static final String PROPERTY_GROUP = "TenantryMetering";
  public static final String SQL_LOCATION_KEY = "sql.location";

  public static void main(String[] args) throws Exception {
    Map<String, String> flags = new HashMap<>();
    Map<String, String> extra = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--await":
        case "--drain":
          flags.put(a, "true");
          break;
        case "--set": {
          String kv = value(args, ++i, a);
          int eq = kv.indexOf('=');
          if (eq <= 0) throw new IllegalArgumentException("--set expects key=value, got: " + kv);
          extra.put(kv.substring(0, eq), kv.substring(eq + 1));
          break;
        }
        case "--sql":
        case "--mode":
        case "--stop-after-ms":
        case "--stop-when-file":
        case "--savepoint-dir":
        case "--restore":
        case "--savepoint-format":
          flags.put(a, value(args, ++i, a));
          break;
        default:
          throw new IllegalArgumentException("unknown argument: " + a);
      }
    }
    String location = flags.containsKey("--sql") ? flags.get("--sql") : locationFromRuntimeProperties();
    SqlScript script = SqlScript.parse(readScript(location));
    String mode = flags.getOrDefault("--mode", "run");

    // Every option in one configuration, before the environment exists: the MiniCluster (local) and the
    // DataStream operator read theirs from the environment, the planner from the table config.
    Configuration configuration = new Configuration();
    for (Map.Entry<String, String> option : script.options) configuration.setString(option.getKey(), option.getValue());
    for (Map.Entry<String, String> option : extra.entrySet()) configuration.setString(option.getKey(), option.getValue());
    if (flags.containsKey("--restore")) configuration.setString("execution.savepoint.path", flags.get("--restore"));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(configuration);
    StreamTableEnvironment tEnv = StreamTableEnvironment.create(env, EnvironmentSettings.inStreamingMode());
    tEnv.getConfig().addConfiguration(configuration);
    for (String statement : script.ddl) {
      Optional<UsageTotalsStatement> totals = UsageTotalsStatement.parse(statement);
      if (totals.isEmpty()) {
        tEnv.executeSql(statement);
        continue;
      }
      // The restore guard's floor is read once the progress sink is defined (tables precede this statement).
      Optional<Instant> progress = mode.equals("run") ? progress(tEnv, script) : Optional.empty();
      System.out.println("PROGRESS_FLOOR=" + ProgressFloor.literal(progress));
      totals.get().apply(tEnv, ProgressFloor.millis(progress));
    }
    StreamStatementSet set = tEnv.createStatementSet();
    for (String insert : script.inserts) set.addInsertSql(insert);

    switch (mode) {
      case "explain":
        System.out.println(set.explain());
        set.attachAsDataStream();
        System.out.println("== Job graph ==");
        System.out.println(env.getExecutionPlan());
        return;
      case "run":
        break;
      default:
        throw new IllegalArgumentException("--mode must be run or explain, got: " + mode);
    }
    // CPU of the whole process from submission to the end (every task thread; the bench's CPU cost per event).
    long cpuAtSubmit = processCpuNanos();
    set.attachAsDataStream();
    JobClient client = env.executeAsync();
    System.out.println("JOB_ID=" + client.getJobID());
    if (flags.containsKey("--stop-after-ms") || flags.containsKey("--stop-when-file")) {
      String dir = flags.get("--savepoint-dir");
      if (dir == null) throw new IllegalArgumentException("--stop-after-ms / --stop-when-file need --savepoint-dir");
      waitForRunning(client);
      if (flags.containsKey("--stop-when-file")) waitForFile(client, Path.of(flags.get("--stop-when-file")));
      else Thread.sleep(Long.parseLong(flags.get("--stop-after-ms")));
      SavepointFormatType format =
          SavepointFormatType.valueOf(flags.getOrDefault("--savepoint-format", "canonical").toUpperCase(Locale.ROOT));
      long stopping = System.nanoTime();
      String savepoint = stopWithSavepoint(client, flags.containsKey("--drain"), dir, format);
      System.out.println("SAVEPOINT=" + savepoint);
      System.out.println("SAVEPOINT_MS=" + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopping));
      client.getJobExecutionResult().get(5, TimeUnit.MINUTES);
      System.out.println("JOB_STATUS=STOPPED");
    } else if (flags.containsKey("--await")) {
      long netRuntimeMs = client.getJobExecutionResult().get().getNetRuntime();
      System.out.println("JOB_NET_RUNTIME_MS=" + netRuntimeMs);
      System.out.println("JOB_CPU_MS=" + TimeUnit.NANOSECONDS.toMillis(processCpuNanos() - cpuAtSubmit));
      System.out.println("JOB_STATUS=FINISHED");
    } else {
      System.out.println("JOB_STATUS=SUBMITTED");
    }
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /**
   * The last progress published through the script's progress sink (read with that sink's own connector
   * options), or empty before any: the restore guard's floor. Explain mode reads nothing.
   */
  private static Optional<Instant> progress(StreamTableEnvironment tEnv, SqlScript script) throws Exception {
    String table = script.option(ProgressFloor.TABLE_OPTION);
    String pk = script.option(ProgressFloor.PK_OPTION);
    Map<String, String> sinkOptions =
        tEnv.getCatalog(tEnv.getCurrentCatalog())
            .orElseThrow(() -> new IllegalStateException("no current catalog"))
            .getTable(new ObjectPath(tEnv.getCurrentDatabase(), table))
            .getOptions();
    return ProgressFloor.read(sinkOptions, pk);
  }

  /**
   * Stops the job with a savepoint. A stop refused because a task is not running at that moment (a
   * failover restarting it, or a task still deploying) is tried again, a bounded number of times: the
   * job keeps its state across a failover, so a later stop takes the same savepoint.
   */
  private static String stopWithSavepoint(JobClient client, boolean drain, String dir, SavepointFormatType format)
      throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        return client.stopWithSavepoint(drain, dir, format).get(5, TimeUnit.MINUTES);
      } catch (java.util.concurrent.ExecutionException e) {
        boolean notRunning = String.valueOf(e.getMessage()).contains("Not all required tasks are currently running");
        if (!notRunning || attempt == 10) throw e;
        System.err.println("stop with savepoint refused (attempt " + attempt + "): a task is not running; retrying");
        Thread.sleep(2_000);
        waitForRunning(client);
      }
    }
  }

  private static void waitForRunning(JobClient client) throws Exception {
    long deadline = System.currentTimeMillis() + 120_000;
    while (System.currentTimeMillis() < deadline) {
      JobStatus status = client.getJobStatus().get();
      if (status == JobStatus.RUNNING) return;
      if (status.isGloballyTerminalState()) throw new IllegalStateException("job ended before running: " + status);
      Thread.sleep(100);
    }
    throw new IllegalStateException("job not RUNNING after 120 s");
  }

  /** Waits until the stop file exists; fails when the job ends first (the caller's timeout bounds the wait). */
  private static void waitForFile(JobClient client, Path stopFile) throws Exception {
    while (!Files.exists(stopFile)) {
      JobStatus status = client.getJobStatus().get();
      if (status.isGloballyTerminalState()) throw new IllegalStateException("job ended before the stop file appeared: " + status);
      Thread.sleep(100);
    }
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length) throw new IllegalArgumentException(flag + " needs a value");
    return args[i];
  }

  /** MSF: the runtime property group names where the script is. */
  static String locationFromRuntimeProperties() throws IOException {
    Map<String, Properties> groups = com.amazonaws.services.kinesisanalytics.runtime.KinesisAnalyticsRuntime.getApplicationProperties();
    Properties group = groups.get(PROPERTY_GROUP);
    String location = group == null ? null : group.getProperty(SQL_LOCATION_KEY);
    if (location == null || location.isBlank()) {
      throw new IllegalArgumentException(
          "no SQL script: pass --sql LOCATION, or set runtime property " + PROPERTY_GROUP + "." + SQL_LOCATION_KEY);
    }
    return location;
  }

  static String readScript(String location) throws IOException {
    if (location.startsWith("classpath:")) {
      String name = location.substring("classpath:".length());
      try (InputStream in = MeteringJob.class.getClassLoader().getResourceAsStream(name)) {
        if (in == null) throw new IllegalArgumentException("SQL script not found on the classpath: " + name);
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    }
    if (location.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*") ) {
      // s3://, file://, … through Flink's file systems (MSF ships the S3 file system).
      org.apache.flink.core.fs.Path path = new org.apache.flink.core.fs.Path(URI.create(location));
      FileSystem fs = path.getFileSystem();
      try (InputStream in = fs.open(path); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
        in.transferTo(out);
        return out.toString(StandardCharsets.UTF_8);
      }
    }
    Path path = Path.of(location);
    if (!Files.isRegularFile(path)) throw new IllegalArgumentException("SQL script not found: " + path.toAbsolutePath());
    return Files.readString(path);
  }
}
