package dev.tenantry.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.text.SimpleDateFormat;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Queue;
import java.util.TimeZone;
import java.util.stream.Collectors;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
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
  private UsageTotals totals;

  private static long at(String instant) {
    return Instant.parse(instant).toEpochMilli();
  }

  /** The operator with the test profile's watermark interval, 0: running totals at each watermark. */
  private void start(Long floorMs) throws Exception {
    start(floorMs, 0);
  }

  private void start(Long floorMs, long watermarkIntervalMs) throws Exception {
    totals = new UsageTotals(HORIZON_MS, STEP_MS, 6, floorMs);
    harness = new KeyedOneInputStreamOperatorTestHarness<>(
        new UsageTotalsOperator(totals), row -> row.getString(0).toString(), UsageTotals.KEY);
    harness.getExecutionConfig().setAutoWatermarkInterval(watermarkIntervalMs);
    // The output rows' own serializer (the job's), not the harness's generic Kryo fallback.
    harness.setup(totals.outputTypeInfo().createSerializer(harness.getExecutionConfig().getSerializerConfig()));
    harness.open();
  }

  private void event(String tenant, String id, String metric, String quantity, String time) throws Exception {
    harness.processElement(GenericRowData.of(StringData.fromString(tenant), StringData.fromString(id),
        StringData.fromString(metric), StringData.fromString(quantity)), at(time));
  }

  /**
   * Output rows as text, kind by kind in the order one timer emits them (CUMULATIVE, HOUR, DAY) and LATE:
   * kind tenant [event] metric start..end quantity×count. The bounds' ISO text is in the counters' format, and the
   * end's text is the end timestamp's.
   */
  private List<String> output() {
    List<String> rows = new ArrayList<>();
    for (UsageTotals.Kind kind : List.of(UsageTotals.Kind.CUMULATIVE, UsageTotals.Kind.HOUR, UsageTotals.Kind.DAY,
        UsageTotals.Kind.LATE)) {
      Queue<StreamRecord<RowData>> records = harness.getSideOutput(totals.output(kind));
      if (records == null) continue;
      for (StreamRecord<RowData> record : records) {
        RowData r = record.getValue();
        Instant start = Instant.parse(r.getString(4).toString());
        assertEquals(isoText(start.toEpochMilli()), r.getString(4).toString());
        assertEquals(isoText(r.getTimestamp(3, 3).getMillisecond()), r.getString(5).toString());
        rows.add(kind + " " + r.getString(0) + (r.isNullAt(1) ? "" : " " + r.getString(1)) + " " + r.getString(2) + " "
            + LocalDateTime.ofInstant(start, ZoneOffset.UTC) + ".." + r.getTimestamp(3, 3).toLocalDateTime() + " "
            + r.getDecimal(6, 38, 6).toBigDecimal().toPlainString() + "x" + r.getLong(7));
      }
      records.clear();
    }
    assertEquals(List.of(), harness.extractOutputValues(), "no rows on the main output");
    return rows;
  }

  /** The counters items' instant text (yyyy-MM-ddTHH:mm:ss.SSSZ), by another API than the operator's. */
  private static String isoText(long epochMillis) {
    SimpleDateFormat format = new SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'");
    format.setTimeZone(TimeZone.getTimeZone("UTC"));
    return format.format(new Date(epochMillis));
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
        "CUMULATIVE acme1 api.call 2026-11-20T00:00..2026-11-21T00:00 6.500000x3",
        "HOUR acme1 api.call 2026-11-20T23:00..2026-11-21T00:00 6.500000x3",
        "DAY acme1 api.call 2026-11-20T00:00..2026-11-21T00:00 6.500000x3"), atDayEnd);
  }

  @Test
  void emitsAnHourPerMetricWithEventsInItAndTheDayOfAllItsHours() throws Exception {
    // Prepare: two metrics in hour 10, none in hour 11, one of them again in hour 12 (two steps)
    start(null);
    event("acme1", "e1", "api.call", "1", "2026-11-20T10:05:00Z");
    event("acme1", "e2", "storage.gb", "4", "2026-11-20T10:30:00Z");
    event("acme1", "e3", "api.call", "2", "2026-11-20T12:15:00Z");
    event("acme1", "e4", "api.call", "0.25", "2026-11-20T12:45:10Z");

    // Act
    harness.processWatermark(at("2026-11-20T10:59:59.999Z"));
    List<String> hour10 = output();
    harness.processWatermark(at("2026-11-20T12:59:59.999Z"));
    List<String> throughHour12 = output();
    harness.processWatermark(at("2026-11-20T23:59:59.999Z"));
    List<String> atDayEnd = output();

    // Assess: no row for a quiet hour or for a metric quiet in its hour; the day holds every hour
    assertEquals(List.of(
        "CUMULATIVE acme1 api.call 2026-11-20T00:00..2026-11-20T10:06 1.000000x1",
        "CUMULATIVE acme1 storage.gb 2026-11-20T00:00..2026-11-20T10:31 4.000000x1",
        "HOUR acme1 api.call 2026-11-20T10:00..2026-11-20T11:00 1.000000x1",
        "HOUR acme1 storage.gb 2026-11-20T10:00..2026-11-20T11:00 4.000000x1"), sorted(hour10));
    // (one watermark through both of hour 12's steps: the item's latest running total only)
    assertEquals(List.of(
        "CUMULATIVE acme1 api.call 2026-11-20T00:00..2026-11-20T12:46 3.250000x3",
        "HOUR acme1 api.call 2026-11-20T12:00..2026-11-20T13:00 2.250000x2"), sorted(throughHour12));
    assertEquals(List.of(
        "DAY acme1 api.call 2026-11-20T00:00..2026-11-21T00:00 3.250000x3",
        "DAY acme1 storage.gb 2026-11-20T00:00..2026-11-21T00:00 4.000000x1"), sorted(atDayEnd));
  }

  @Test
  void emitsEachItemsLatestRunningTotalOncePerWatermarkAtItsStepsTime() throws Exception {
    // Prepare: one tenant's metric in three steps and another metric in the first only, another tenant,
    // and the same metric in the next UTC day (another item)
    start(null);
    event("acme1", "e1", "api.call", "1", "2026-11-20T10:00:10Z");
    event("acme1", "e2", "storage.gb", "4", "2026-11-20T10:00:20Z");
    event("acme1", "e3", "api.call", "2", "2026-11-20T10:01:10Z");
    event("acme1", "e4", "api.call", "3", "2026-11-20T10:02:10Z");
    event("beta2", "e1", "api.call", "7", "2026-11-20T10:01:30Z");
    event("acme1", "e5", "api.call", "5", "2026-11-21T00:00:30Z");

    // Act: a watermark one step at a time, then one through every step left
    harness.processWatermark(at("2026-11-20T10:00:59.999Z"));
    List<String> firstStep = output();
    harness.processWatermark(at("2026-11-21T00:00:59.999Z"));
    List<RowData> running = new ArrayList<>();
    List<Long> times = new ArrayList<>();
    for (StreamRecord<RowData> record : harness.getSideOutput(totals.output(UsageTotals.Kind.CUMULATIVE))) {
      running.add(record.getValue());
      times.add(record.getTimestamp());
    }
    List<String> throughNextDay = output();

    // Assess: each item once, with its last step's total, stamped with that step's timer (end − 1 ms)
    assertEquals(List.of(
        "CUMULATIVE acme1 api.call 2026-11-20T00:00..2026-11-20T10:01 1.000000x1",
        "CUMULATIVE acme1 storage.gb 2026-11-20T00:00..2026-11-20T10:01 4.000000x1"), sorted(firstStep));
    assertEquals(List.of(
        "CUMULATIVE acme1 api.call 2026-11-20T00:00..2026-11-20T10:03 6.000000x3",
        "CUMULATIVE acme1 api.call 2026-11-21T00:00..2026-11-21T00:01 5.000000x1",
        "CUMULATIVE beta2 api.call 2026-11-20T00:00..2026-11-20T10:02 7.000000x1",
        "DAY acme1 api.call 2026-11-20T00:00..2026-11-21T00:00 6.000000x3",
        "DAY acme1 storage.gb 2026-11-20T00:00..2026-11-21T00:00 4.000000x1",
        "DAY beta2 api.call 2026-11-20T00:00..2026-11-21T00:00 7.000000x1",
        "HOUR acme1 api.call 2026-11-20T10:00..2026-11-20T11:00 6.000000x3",
        "HOUR acme1 storage.gb 2026-11-20T10:00..2026-11-20T11:00 4.000000x1",
        "HOUR beta2 api.call 2026-11-20T10:00..2026-11-20T11:00 7.000000x1"), sorted(throughNextDay));
    assertEquals(3, running.size());
    for (int i = 0; i < running.size(); i++) {
      assertEquals(running.get(i).getTimestamp(3, 3).getMillisecond() - 1, (long) times.get(i));
    }
  }

  @Test
  void emitsRunningTotalsOncePerWatermarkIntervalBeforeACheckpointAndAtTheEnd() throws Exception {
    // Prepare: the aws profile's interval, 200 ms of processing time
    start(null, 200);
    harness.setProcessingTime(1_000);
    event("acme1", "e1", "api.call", "1", "2026-11-20T10:00:10Z");
    event("acme1", "e2", "api.call", "2", "2026-11-20T10:01:10Z");

    // Act: two steps fire within one interval, then the interval ends
    harness.processWatermark(at("2026-11-20T10:00:59.999Z"));
    harness.processWatermark(at("2026-11-20T10:01:59.999Z"));
    harness.setProcessingTime(1_199);
    List<String> withinInterval = output();
    harness.setProcessingTime(1_200);
    List<String> afterInterval = output();
    // a step fires, then a checkpoint comes before the interval ends
    event("acme1", "e3", "api.call", "4", "2026-11-20T10:02:10Z");
    harness.processWatermark(at("2026-11-20T10:02:59.999Z"));
    harness.prepareSnapshotPreBarrier(1);
    List<String> atCheckpoint = output();
    // a step fires, then the input ends
    event("acme1", "e4", "api.call", "8", "2026-11-20T10:03:10Z");
    harness.processWatermark(at("2026-11-20T10:03:59.999Z"));
    harness.close();
    List<String> atEnd = output();
    harness = null;

    // Assess: the item's latest total per batch, nothing held back at a checkpoint or at the end
    assertEquals(List.of(), withinInterval);
    assertEquals(List.of("CUMULATIVE acme1 api.call 2026-11-20T00:00..2026-11-20T10:02 3.000000x2"), afterInterval);
    assertEquals(List.of("CUMULATIVE acme1 api.call 2026-11-20T00:00..2026-11-20T10:03 7.000000x3"), atCheckpoint);
    assertEquals(List.of("CUMULATIVE acme1 api.call 2026-11-20T00:00..2026-11-20T10:04 15.000000x4"), atEnd);
  }

  private static List<String> sorted(List<String> rows) {
    return rows.stream().sorted().collect(Collectors.toList());
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

    // Assess: only the tenant's ids are left (one map; its entries expire by TTL), every step and day sum is
    // gone (a day's sums exist from its first step's end to the day's end)
    assertEquals(2, withOpenWindows, "ids, steps");
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
