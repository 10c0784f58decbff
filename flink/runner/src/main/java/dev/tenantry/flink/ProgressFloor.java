package dev.tenantry.flink;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClientBuilder;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;

/**
 * The restore guard's floor: the last progress the job published (domain/usage/progress.ts), read at
 * start from wherever the script's progress sink writes it, and given to the totals operator where the
 * script's statement names {@link #PLACEHOLDER} (UsageTotalsStatement; printed as the SQL literal
 * {@link #literal}). Flink does not checkpoint watermarks: after a restore, every usage event at or
 * below the floor is classed as late instead of reopening a window that already fired (flink/README.md).
 */
public final class ProgressFloor {
  /** The one place in the generated script where the floor goes (flink/sql.ts PROGRESS_FLOOR_PLACEHOLDER). */
  public static final String PLACEHOLDER = "@@PROGRESS_FLOOR@@";
  /** Script options naming the progress sink table and its partition key (flink/sql.ts RESTORE_GUARD_OPTIONS). */
  public static final String TABLE_OPTION = "tenantry.restore-guard.progress-table";
  public static final String PK_OPTION = "tenantry.restore-guard.progress-pk";

  private static final DateTimeFormatter SQL_TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS").withZone(ZoneOffset.UTC);
  private static final ObjectMapper JSON = new ObjectMapper();

  private ProgressFloor() {}

  /**
   * The floor as a SQL literal (the runner prints it: PROGRESS_FLOOR=…): NULL (no floor) before any
   * progress; otherwise the watermark the progress proves. A window ending at {@code passedAt} fires once the watermark reaches
   * {@code passedAt − 1 ms} (Flink's window end is exclusive), so that is the floor: an event at
   * {@code passedAt} belongs to a window that may still be open.
   */
  static String literal(Optional<Instant> passedAt) {
    return passedAt
        .map(at -> "TIMESTAMP '" + SQL_TIMESTAMP.format(at.minusMillis(1)) + "'")
        .orElse("NULL");
  }

  /** The floor in epoch milliseconds (the same instant as {@link #literal}), or null: no floor. */
  static Long millis(Optional<Instant> passedAt) {
    return passedAt.map(at -> at.toEpochMilli() - 1).orElse(null);
  }

  /** The greatest progress published through a sink with these connector options, or empty before any. */
  static Optional<Instant> read(Map<String, String> sinkOptions, String pk) throws IOException {
    String connector = sinkOptions.get("connector");
    if ("filesystem".equals(connector)) return readFiles(sinkOptions.get("path"), pk);
    if ("dynamodb".equals(connector)) return readTable(sinkOptions, pk);
    throw new IllegalArgumentException("the progress sink's connector cannot be read back: " + connector);
  }

  /**
   * The sink's JSON-lines files, committed and in progress: a stop with a savepoint persists what was
   * written before it (a restore resumes those files), and a window's end is published only once fired.
   */
  static Optional<Instant> readFiles(String location, String pk) throws IOException {
    Path dir = location.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*") ? new Path(URI.create(location)) : new Path(location);
    FileSystem fs = dir.getFileSystem();
    if (!fs.exists(dir)) return Optional.empty();
    Optional<Instant> max = Optional.empty();
    for (FileStatus status : fs.listStatus(dir)) {
      if (status.isDir()) continue;
      try (BufferedReader reader =
          new BufferedReader(new InputStreamReader(fs.open(status.getPath()), StandardCharsets.UTF_8))) {
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
          if (line.isBlank()) continue;
          JsonNode item = JSON.readTree(line);
          if (!pk.equals(item.path("pk").asText())) continue;
          Instant at = Instant.parse(item.path("passedAt").asText());
          if (max.isEmpty() || at.isAfter(max.get())) max = Optional.of(at);
        }
      }
    }
    return max;
  }

  /** The counters table: the greatest sort key under the progress partition key (one item). */
  static Optional<Instant> readTable(Map<String, String> options, String pk) {
    DynamoDbClientBuilder builder = DynamoDbClient.builder().region(Region.of(options.get("aws.region")));
    String endpoint = options.get("aws.endpoint");
    if (endpoint != null) {
      // Emulators only (the generator sets these with the endpoint override, never for AWS itself).
      builder
          .endpointOverride(URI.create(endpoint))
          .credentialsProvider(
              StaticCredentialsProvider.create(
                  AwsBasicCredentials.create(
                      options.get("aws.credentials.basic.accesskeyid"),
                      options.get("aws.credentials.basic.secretkey"))));
    }
    try (DynamoDbClient client = builder.build()) {
      QueryResponse out =
          client.query(
              QueryRequest.builder()
                  .tableName(options.get("table-name"))
                  .keyConditionExpression("pk = :pk")
                  .expressionAttributeValues(Map.of(":pk", AttributeValue.fromS(pk)))
                  .scanIndexForward(false)
                  .limit(1)
                  .consistentRead(true)
                  .build());
      return out.items().stream().findFirst().map(item -> Instant.parse(item.get("passedAt").s()));
    }
  }
}
