package dev.tenantry.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The totals operator driven by hand: events with their event time, watermarks, and the processing time
 * that state TTL reads. Expected rows are written out by hand from the events (no reference code).
 */
class UsageTotalsTest {
  private static final long HORIZON_MS = 48 * 3_600_000L;
  private static final long STEP_MS = 60_000L;

  private KeyedOneInputStreamOperatorTestHarness<String, RowData, RowData> harness;

  private static long at(String instant) {
    return Instant.parse(instant).toEpochMilli();
  }

  private void start(Long floorMs) throws Exception {
    UsageTotals totals = new UsageTotals(HORIZON_MS, STEP_MS, 6, floorMs);
    harness = new KeyedOneInputStreamOperatorTestHarness<>(
        new KeyedProcessOperator<>(totals), row -> row.getString(0).toString(), UsageTotals.KEY);
    // The output rows' own serializer (the job's), not the harness's generic Kryo fallback.
    harness.setup(totals.outputTypeInfo().createSerializer(harness.getExecutionConfig().getSerializerConfig()));
    harness.open();
  }

  private void event(String tenant, String id, String metric, String quantity, String time) throws Exception {
    harness.processElement(GenericRowData.of(StringData.fromString(tenant), StringData.fromString(id),
        StringData.fromString(metric), StringData.fromString(quantity)), at(time));
  }

  /** Output rows as text: kind tenant [event] metric start..end quantity×count. */
  private List<String> output() {
    List<String> rows = harness.extractOutputValues().stream()
        .map(r -> r.getString(0) + " " + r.getString(1) + (r.isNullAt(2) ? "" : " " + r.getString(2)) + " "
            + r.getString(3) + " " + r.getTimestamp(4, 3).toLocalDateTime() + ".." + r.getTimestamp(5, 3).toLocalDateTime()
            + " " + r.getDecimal(6, 38, 6).toBigDecimal().toPlainString() + "x" + r.getLong(7))
        .collect(Collectors.toList());
    harness.getOutput().clear();
    return rows;
  }

  @AfterEach
  void close() throws Exception {
    if (harness != null) harness.close();
  }

  @Test
  void firesTheHourAndTheStepAtTheirEndMinusOneMillisecondAndTheDayWithItsLastHour() throws Exception {
    // Prepare
    start(null);
    event("acme1", "e1", "api.call", "2", "2026-11-20T23:10:05Z");
    event("acme1", "e2", "api.call", "3.5", "2026-11-20T23:10:40Z");
    event("acme1", "e3", "api.call", "1", "2026-11-20T23:59:59.999Z");

    // Act: a watermark 1 ms short of the step's end fires nothing; at end − 1 ms the step fires
    harness.processWatermark(at("2026-11-20T23:10:59.998Z"));
    List<String> beforeStepEnd = output();
    harness.processWatermark(at("2026-11-20T23:10:59.999Z"));
    List<String> atStepEnd = output();
    harness.processWatermark(at("2026-11-20T23:59:59.999Z"));
    List<String> atDayEnd = output();

    // Assess
    assertEquals(List.of(), beforeStepEnd);
    assertEquals(List.of("CUMULATIVE acme1 api.call 2026-11-20T00:00..2026-11-20T23:11 5.500000x2"), atStepEnd);
    assertEquals(List.of(
        "HOUR acme1 api.call 2026-11-20T23:00..2026-11-21T00:00 6.500000x3",
        "CUMULATIVE acme1 api.call 2026-11-20T00:00..2026-11-21T00:00 6.500000x3",
        "DAY acme1 api.call 2026-11-20T00:00..2026-11-21T00:00 6.500000x3"), atDayEnd);
  }

  @Test
  void countsAnEventIdOncePerTenantWithinTheHorizonAndForgetsItAfter() throws Exception {
    // Prepare
    start(null);
    harness.setStateTtlProcessingTime(0);
    event("acme1", "e1", "api.call", "1", "2026-11-20T10:00:00Z");
    event("acme1", "e1", "api.call", "1", "2026-11-20T10:00:01Z");
    event("beta2", "e1", "api.call", "1", "2026-11-20T10:00:02Z");

    // Act: past the horizon in processing time, the id is forgotten (state bounded by the TTL)
    harness.setStateTtlProcessingTime(HORIZON_MS + 1);
    event("acme1", "e1", "api.call", "1", "2026-11-20T10:00:03Z");
    harness.processWatermark(at("2026-11-20T10:59:59.999Z"));

    // Assess
    assertEquals(List.of(
        "CUMULATIVE acme1 api.call 2026-11-20T00:00..2026-11-20T10:01 2.000000x2",
        "HOUR acme1 api.call 2026-11-20T10:00..2026-11-20T11:00 2.000000x2",
        "CUMULATIVE beta2 api.call 2026-11-20T00:00..2026-11-20T10:01 1.000000x1",
        "HOUR beta2 api.call 2026-11-20T10:00..2026-11-20T11:00 1.000000x1"),
        output().stream().sorted((a, b) -> a.split(" ")[1].compareTo(b.split(" ")[1])).collect(Collectors.toList()));
  }

  @Test
  void classesAnEventAtOrBelowTheWatermarkAsLateWithThatWatermark() throws Exception {
    // Prepare
    start(null);
    harness.processWatermark(at("2026-11-20T10:00:00Z"));

    // Act
    event("acme1", "on-the-watermark", "api.call", "1", "2026-11-20T10:00:00Z");
    event("acme1", "after", "api.call", "2", "2026-11-20T10:00:00.001Z");

    // Assess
    assertEquals(List.of(
        "LATE acme1 on-the-watermark api.call 2026-11-20T10:00..2026-11-20T10:00 1.000000x1"), output());
  }

  @Test
  void classesAnEventAtOrBelowTheRestoreFloorAsLateUntilTheWatermarkPassesIt() throws Exception {
    // Prepare: restored with a floor, no watermark yet
    start(at("2026-11-20T10:59:59.999Z"));

    // Act
    event("acme1", "below", "api.call", "1", "2026-11-20T10:30:00Z");
    event("acme1", "above", "api.call", "2", "2026-11-20T11:00:00Z");
    List<String> late = output();
    harness.processWatermark(at("2026-11-20T11:59:59.999Z"));

    // Assess: the late row carries the floor; the hour that fired before the restore is not reopened
    assertEquals(List.of("LATE acme1 below api.call 2026-11-20T10:30..2026-11-20T10:59:59.999 1.000000x1"), late);
    assertEquals(List.of(
        "CUMULATIVE acme1 api.call 2026-11-20T00:00..2026-11-20T11:01 2.000000x1",
        "HOUR acme1 api.call 2026-11-20T11:00..2026-11-20T12:00 2.000000x1"), output());
  }

  @Test
  void keepsNoWindowStateOnceTheDayHasFired() throws Exception {
    // Prepare
    start(null);
    event("acme1", "e1", "api.call", "1", "2026-11-20T10:00:00Z");
    event("acme1", "e2", "storage.gb", "1", "2026-11-20T13:20:00Z");
    int withOpenWindows = harness.numKeyedStateEntries();

    // Act
    harness.processWatermark(at("2026-11-21T00:00:00Z"));

    // Assess: only the tenant's ids are left (one map; its entries expire by TTL), every window and running
    // total is gone
    assertEquals(3, withOpenWindows, "ids, hours, steps");
    assertEquals(1, harness.numKeyedStateEntries());
    assertEquals(0, harness.numEventTimeTimers());
  }

  @Test
  void dropsExpiredIdsInRocksDbCompactionAndNeverScansATenantsIdsPerEvent() {
    StateTtlConfig ttl = UsageTotals.idsDescriptor(HORIZON_MS).getTtlConfig();
    assertEquals(HORIZON_MS, ttl.getTimeToLive().toMillis());
    assertEquals(StateTtlConfig.TtlTimeCharacteristic.ProcessingTime, ttl.getTtlTimeCharacteristic());
    assertTrue(ttl.getCleanupStrategies().inRocksdbCompactFilter());
    assertNull(ttl.getCleanupStrategies().getIncrementalCleanupStrategy());
  }

  @Test
  void refusesAStepThatDoesNotDivideAnHourNamingIt() {
    IllegalArgumentException error =
        assertThrows(IllegalArgumentException.class, () -> new UsageTotals(HORIZON_MS, 7 * 60_000L, 6, null));
    assertEquals("stepMs must divide an hour, got 420000", error.getMessage());
  }
}
