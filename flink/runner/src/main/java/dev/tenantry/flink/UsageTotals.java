package dev.tenantry.flink;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.util.Collector;

/**
 * De-duplication, lateness and every total of one tenant, in one keyed operator (keyed by tenant id). It
 * replaces the SQL job's ROW_NUMBER de-duplication, its lateness split and its four window aggregations:
 * a read and a write per event for the id, its hour and its step, instead of one operator (and one
 * exchange) each (flink/README.md, Semantics and Bench).
 *
 * <p>Input: {@link #INPUT} rows, the valid events' fields; the event time is the record's timestamp.
 * Output: {@link #outputType} rows, kind HOUR, DAY, CUMULATIVE or LATE. Semantics (flink/sql.ts, steps 3–5):
 * <ul>
 *   <li>the first arrival of (tenant id, event id) wins; the id is kept for the horizon in processing
 *       time ({@link DedupKey}: 16 bytes; a map entry per id under a state TTL, so state is bounded);
 *   <li>a unique event at or below the watermark — or the restore floor, when the job was restored and the
 *       watermark is still below it — is LATE (window_start = event time, window_end = that watermark);
 *   <li>the others are summed per metric into their hour and their step; an hour fires when the watermark
 *       reaches its end − 1 ms (as a SQL window), adds into its UTC day, which fires at the same instant as
 *       the day's last hour; a step fires at its end − 1 ms with the day's running sum (CUMULATIVE).
 * </ul>
 * The open sums are map entries by window end, so RocksDB reads and writes only the event's windows.
 */
public final class UsageTotals extends KeyedProcessFunction<String, RowData, RowData> {
  /**
   * tenant_id, event_id, metric, quantity (as text, validated by USAGE_LINE). Rows in and out are the table
   * runtime's own (RowData): no conversion to and from Java objects at either end (flink/README.md, Bench).
   */
  public static final DataType INPUT_TYPE = DataTypes.ROW(
      DataTypes.FIELD("tenant_id", DataTypes.STRING().notNull()),
      DataTypes.FIELD("event_id", DataTypes.STRING().notNull()),
      DataTypes.FIELD("metric", DataTypes.STRING().notNull()),
      DataTypes.FIELD("quantity", DataTypes.STRING().notNull()));
  public static final TypeInformation<RowData> INPUT = InternalTypeInfo.of((RowType) INPUT_TYPE.getLogicalType());
  /**
   * The key: the tenant id, as a Java string (its hash is cached and its equality an intrinsic: the heap
   * backend compares keys on every state access; StringData hashes its bytes each time).
   */
  public static final TypeInformation<String> KEY = Types.STRING;
  private static final StringData HOUR_KIND = StringData.fromString("HOUR");
  private static final StringData DAY_KIND = StringData.fromString("DAY");
  private static final StringData CUMULATIVE_KIND = StringData.fromString("CUMULATIVE");
  private static final StringData LATE_KIND = StringData.fromString("LATE");

  static final long HOUR = 3_600_000L;
  static final long DAY = 86_400_000L;

  private final long horizonMs;
  private final long stepMs;
  private final int quantityScale;
  /** The restore guard's floor (epoch ms), or null: no floor. */
  private final Long floorMs;

  private transient MapState<Tuple2<Long, Long>, Boolean> ids;
  private transient MapState<Long, Map<String, Sum>> hours;
  private transient MapState<Long, Map<String, Sum>> steps;
  private transient MapState<Long, Map<String, Sum>> days;
  private transient MapState<Long, Map<String, Sum>> running;
  private transient DedupKey dedupKey;

  /**
   * @param horizonMs how long an id is remembered (processing time)
   * @param stepMs the running totals' step; must divide an hour (config schema)
   * @param quantityScale the quantities' scale (domain/usage/event.ts; USAGE_LINE has checked every quantity)
   * @param floorMs the restore guard's floor in epoch ms, or null before any published progress
   */
  public UsageTotals(long horizonMs, long stepMs, int quantityScale, Long floorMs) {
    if (horizonMs <= 0) throw new IllegalArgumentException("horizonMs must be positive, got " + horizonMs);
    if (stepMs <= 0 || HOUR % stepMs != 0) throw new IllegalArgumentException("stepMs must divide an hour, got " + stepMs);
    if (quantityScale < 0) throw new IllegalArgumentException("quantityScale must be 0 or more, got " + quantityScale);
    this.horizonMs = horizonMs;
    this.stepMs = stepMs;
    this.quantityScale = quantityScale;
    this.floorMs = floorMs;
  }

  /** The output rows' type; window bounds are UTC, as the SQL windows' (table.local-time-zone UTC). */
  public static DataType outputType(int quantityScale) {
    return DataTypes.ROW(
        DataTypes.FIELD("kind", DataTypes.STRING().notNull()),
        DataTypes.FIELD("tenant_id", DataTypes.STRING().notNull()),
        DataTypes.FIELD("event_id", DataTypes.STRING()),
        DataTypes.FIELD("metric", DataTypes.STRING().notNull()),
        DataTypes.FIELD("window_start", DataTypes.TIMESTAMP(3).notNull()),
        DataTypes.FIELD("window_end", DataTypes.TIMESTAMP(3).notNull()),
        DataTypes.FIELD("quantity", DataTypes.DECIMAL(38, quantityScale).notNull()),
        DataTypes.FIELD("event_count", DataTypes.BIGINT().notNull()));
  }

  public TypeInformation<RowData> outputTypeInfo() {
    return InternalTypeInfo.of((RowType) outputType(quantityScale).getLogicalType());
  }

  /** A sum of quantities and events (a POJO: serialised field by field). */
  public static final class Sum {
    public BigDecimal quantity = BigDecimal.ZERO;
    public long count;

    void add(BigDecimal q, long c) {
      quantity = quantity.add(q);
      count += c;
    }
  }

  /**
   * One map entry per id (the 16-byte key as two longs) under a TTL of the horizon. Expired ids are dropped
   * by RocksDB's compaction (Managed Flink's backend) and, on any backend, when read. Not the heap backend's
   * default incremental cleanup: it copies a visited tenant's whole id map on every state access, O(ids per
   * tenant) per event (measured: 528K events took 38.4 s with it, 15.4 s without; flink/README.md).
   */
  static MapStateDescriptor<Tuple2<Long, Long>, Boolean> idsDescriptor(long horizonMs) {
    MapStateDescriptor<Tuple2<Long, Long>, Boolean> descriptor =
        new MapStateDescriptor<>("ids", Types.TUPLE(Types.LONG, Types.LONG), Types.BOOLEAN);
    descriptor.enableTimeToLive(StateTtlConfig.newBuilder(Duration.ofMillis(horizonMs))
        .disableCleanupInBackground()
        .cleanupInRocksdbCompactFilter(1_000)
        .build());
    return descriptor;
  }

  @Override
  public void open(OpenContext context) {
    ids = getRuntimeContext().getMapState(idsDescriptor(horizonMs));
    TypeInformation<Map<String, Sum>> sums = Types.MAP(Types.STRING, Types.POJO(Sum.class));
    hours = getRuntimeContext().getMapState(new MapStateDescriptor<>("hours", Types.LONG, sums));
    steps = getRuntimeContext().getMapState(new MapStateDescriptor<>("steps", Types.LONG, sums));
    days = getRuntimeContext().getMapState(new MapStateDescriptor<>("days", Types.LONG, sums));
    running = getRuntimeContext().getMapState(new MapStateDescriptor<>("running", Types.LONG, sums));
    dedupKey = new DedupKey();
  }

  @Override
  public void processElement(RowData input, Context ctx, Collector<RowData> out) throws Exception {
    StringData tenantId = input.getString(0);
    StringData eventId = input.getString(1);
    ByteBuffer key = ByteBuffer.wrap(dedupKey.hash(tenantId.toBytes(), eventId.toBytes()));
    Tuple2<Long, Long> id = Tuple2.of(key.getLong(), key.getLong());
    if (ids.contains(id)) return;
    ids.put(id, Boolean.TRUE);

    String metric = input.getString(2).toString();
    BigDecimal quantity =
        new BigDecimal(input.getString(3).toString()).setScale(quantityScale, RoundingMode.UNNECESSARY);
    long ts = ctx.timestamp();
    long watermark = ctx.timerService().currentWatermark();
    // No watermark yet is Long.MIN_VALUE: below every event, as is a missing floor.
    long wm = floorMs == null ? watermark : Math.max(watermark, floorMs);
    if (wm != Long.MIN_VALUE && ts <= wm) {
      out.collect(GenericRowData.of(LATE_KIND, tenantId, eventId, input.getString(2), TimestampData.fromEpochMillis(ts),
          TimestampData.fromEpochMillis(wm), decimal(quantity), 1L));
      return;
    }
    long hourEnd = end(ts, HOUR);
    long dayEnd = end(ts, DAY);
    // Every timer at a window's end − 1 ms (a SQL window's rowtime). The day's timer is the day's last
    // hour's and step's: one onTimer call fires them in order (hour, step, day), so the day holds its last hour.
    // A new hour always opens a new step (a step lies inside its hour and fires no later), so the day's timer
    // is set with the step.
    if (add(hours, hourEnd, metric, quantity, 1L)) ctx.timerService().registerEventTimeTimer(hourEnd - 1);
    long stepEnd = end(ts, stepMs);
    if (add(steps, stepEnd, metric, quantity, 1L)) {
      ctx.timerService().registerEventTimeTimer(stepEnd - 1);
      ctx.timerService().registerEventTimeTimer(dayEnd - 1);
    }
  }

  @Override
  public void onTimer(long timer, OnTimerContext ctx, Collector<RowData> out) throws Exception {
    StringData tenantId = StringData.fromString(ctx.getCurrentKey());
    long end = timer + 1;
    long dayStart = end(timer, DAY) - DAY;
    Map<String, Sum> hour = take(hours, end);
    if (hour != null) {
      for (Map.Entry<String, Sum> e : hour.entrySet()) {
        out.collect(row(HOUR_KIND, tenantId, e.getKey(), end - HOUR, end, e.getValue()));
        add(days, dayStart + DAY, e.getKey(), e.getValue().quantity, e.getValue().count);
      }
    }
    Map<String, Sum> step = take(steps, end);
    if (step != null) {
      Map<String, Sum> today = running.get(dayStart);
      if (today == null) today = new HashMap<>(4);
      for (Map.Entry<String, Sum> e : step.entrySet()) {
        Sum sum = today.computeIfAbsent(e.getKey(), m -> new Sum());
        sum.add(e.getValue().quantity, e.getValue().count);
        out.collect(row(CUMULATIVE_KIND, tenantId, e.getKey(), dayStart, end, sum));
      }
      running.put(dayStart, today);
    }
    if (end == dayStart + DAY) {
      Map<String, Sum> day = take(days, end);
      if (day != null) {
        for (Map.Entry<String, Sum> e : day.entrySet()) out.collect(row(DAY_KIND, tenantId, e.getKey(), dayStart, end, e.getValue()));
      }
      running.remove(dayStart);
    }
  }

  /** The end of the window of this size that holds {@code ts} (windows aligned to the epoch, as SQL's). */
  private static long end(long ts, long size) {
    return ts - Math.floorMod(ts, size) + size;
  }

  /** Adds to a window's sum, written back (on RocksDB a read value is a copy); true when the window is new. */
  private static boolean add(MapState<Long, Map<String, Sum>> windows, long end, String metric, BigDecimal q, long c)
      throws Exception {
    Map<String, Sum> window = windows.get(end);
    boolean first = window == null;
    if (first) window = new HashMap<>(4);
    window.computeIfAbsent(metric, m -> new Sum()).add(q, c);
    windows.put(end, window);
    return first;
  }

  private static Map<String, Sum> take(MapState<Long, Map<String, Sum>> windows, long end) throws Exception {
    Map<String, Sum> window = windows.get(end);
    if (window != null) windows.remove(end);
    return window;
  }

  private RowData row(StringData kind, StringData tenantId, String metric, long start, long end, Sum sum) {
    return GenericRowData.of(kind, tenantId, null, StringData.fromString(metric), TimestampData.fromEpochMillis(start),
        TimestampData.fromEpochMillis(end), decimal(sum.quantity), sum.count);
  }

  private DecimalData decimal(BigDecimal quantity) {
    return DecimalData.fromBigDecimal(quantity, 38, quantityScale);
  }
}
