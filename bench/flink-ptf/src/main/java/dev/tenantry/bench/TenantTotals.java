package dev.tenantry.bench;

import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.function.Consumer;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.api.dataview.MapView;
import org.apache.flink.table.functions.ProcessTableFunction.TimeContext;
import org.apache.flink.types.Row;

/**
 * A tenant's hourly, daily and running (per 1-minute step) totals as the metering job's windows compute them,
 * kept in one keyed operator: the state of both process table functions of this bench. Rows out: kind (HOUR,
 * DAY, CUMULATIVE, LATE), event_id (LATE only), metric, window_start, window_end (LATE: event time and
 * watermark), quantity, event_count.
 */
final class TenantTotals {
  static final String OUTPUT =
      "ROW<kind STRING, event_id STRING, metric STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3),"
          + " quantity DECIMAL(38, 6), event_count BIGINT>";
  /** The bench's metrics (domain/config.ts defaultConfig); a product version would take them from the generator. */
  private static final String[] METRICS = {"api.call", "storage.gb", "doc.processed"};
  static final long MINUTE = 60_000L;
  static final long HOUR = 3_600_000L;
  static final long DAY = 86_400_000L;

  /** One key's running sum; both fields nullable, as PTF state recommends. */
  public static class Sum {
    public @DataTypeHint("DECIMAL(38, 6)") BigDecimal quantity;
    public Long count;
  }

  private TenantTotals() {}

  /** An on-time event: into its hour and its step; a timer for each the first time it is touched. */
  static void add(TimeContext<Long> time, MapView<String, Sum> hours, MapView<String, Sum> steps, String metric,
      BigDecimal quantity) throws Exception {
    long ts = time.time();
    long hourEnd = ts - Math.floorMod(ts, HOUR) + HOUR;
    long stepEnd = ts - Math.floorMod(ts, MINUTE) + MINUTE;
    long dayEnd = ts - Math.floorMod(ts, DAY) + DAY;
    // Timers at end - 1 ms: the window's rowtime, when the SQL window fires.
    if (add(hours, hourEnd + "|" + metric, quantity, 1L)) {
      time.registerOnTime("h" + hourEnd, hourEnd - 1);
      // The day fires 1 ms after its last hour, so that hour is in it whatever order equal timers fire in. Set
      // here, not when the hour fires: a timer set in the past while the watermark passes it is never fired.
      time.registerOnTime("d" + dayEnd, dayEnd);
    }
    if (add(steps, stepEnd + "|" + metric, quantity, 1L)) {
      time.registerOnTime("m" + stepEnd, stepEnd - 1);
      time.registerOnTime("r" + dayEnd, dayEnd);
    }
  }

  static void fire(String timer, TimeContext<Long> time, MapView<String, Sum> hours, MapView<String, Sum> days,
      MapView<String, Sum> steps, MapView<String, Sum> running, Consumer<Row> out) throws Exception {
    long end = Long.parseLong(timer.substring(1));
    switch (timer.charAt(0)) {
      case 'h' -> {
        long dayEnd = end - 1 - Math.floorMod(end - 1, DAY) + DAY;
        for (String metric : METRICS) {
          Sum hour = take(hours, end + "|" + metric);
          if (hour == null) continue;
          out.accept(row("HOUR", metric, end - HOUR, end, hour));
          add(days, dayEnd + "|" + metric, hour.quantity, hour.count);
        }
      }
      case 'm' -> {
        long dayStart = end - 1 - Math.floorMod(end - 1, DAY);
        for (String metric : METRICS) {
          Sum step = take(steps, end + "|" + metric);
          if (step == null) continue;
          add(running, dayStart + "|" + metric, step.quantity, step.count);
          out.accept(row("CUMULATIVE", metric, dayStart, end, running.get(dayStart + "|" + metric)));
        }
      }
      case 'd' -> {
        for (String metric : METRICS) {
          Sum day = take(days, end + "|" + metric);
          if (day != null) out.accept(row("DAY", metric, end - DAY, end, day));
        }
      }
      case 'r' -> {
        for (String metric : METRICS) running.remove((end - DAY) + "|" + metric);
      }
      default -> throw new IllegalStateException("unknown timer: " + timer);
    }
  }

  static Row late(String eventId, String metric, long ts, long watermark, BigDecimal quantity) {
    return Row.of("LATE", eventId, metric, at(ts), at(watermark), quantity, 1L);
  }

  private static boolean add(MapView<String, Sum> map, String key, BigDecimal quantity, long count) throws Exception {
    Sum sum = map.get(key);
    boolean first = sum == null;
    if (first) {
      sum = new Sum();
      sum.quantity = quantity;
      sum.count = count;
    } else {
      sum.quantity = sum.quantity.add(quantity);
      sum.count += count;
    }
    map.put(key, sum);
    return first;
  }

  private static Sum take(MapView<String, Sum> map, String key) throws Exception {
    Sum sum = map.get(key);
    if (sum != null) map.remove(key);
    return sum;
  }

  private static Row row(String kind, String metric, long start, long end, Sum sum) {
    return Row.of(kind, null, metric, at(start), at(end), sum.quantity, sum.count);
  }

  static LocalDateTime at(long millis) {
    return LocalDateTime.ofEpochSecond(
        Math.floorDiv(millis, 1000), (int) Math.floorMod(millis, 1000) * 1_000_000, ZoneOffset.UTC);
  }
}
