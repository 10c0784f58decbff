package dev.tenantry.flink;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.Output;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
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
import org.apache.flink.util.OutputTag;

/**
 * De-duplication, lateness and every total of one tenant, in one keyed operator (keyed by tenant id). It
 * replaces the SQL job's ROW_NUMBER de-duplication, its lateness split and its four window aggregations
 * (flink/README.md, Semantics and Bench).
 *
 * <p>Input: {@link #INPUT} rows, the valid events' fields; the event time is the record's timestamp.
 * Output: {@link #outputType} rows on one side output per kind ({@link Kind}: HOUR, DAY, CUMULATIVE, LATE), so
 * each sink's view reads its own rows (no copy of every row per view, no filter). Semantics (flink/sql.ts, steps 3–5):
 * <ul>
 *   <li>the first arrival of (tenant id, event id) wins; the id is kept for the horizon in processing
 *       time ({@link DedupKey}: 16 bytes; a map entry per id under a state TTL, so state is bounded);
 *   <li>a unique event at or below the watermark — or the restore floor, when the job was restored and the
 *       watermark is still below it — is LATE (window_start = event time, window_end = that watermark);
 *   <li>the others are summed per metric into their step; a step fires when the watermark reaches its
 *       end − 1 ms (as a SQL window) and adds into the UTC day's running sums (CUMULATIVE rows: each item's
 *       latest per mini-batch, {@link UsageTotalsOperator}). An hour is
 *       what the day's running sums gained since the hour began, emitted at the hour's end − 1 ms; a day is
 *       its running sums at its end, emitted with its last hour.
 * </ul>
 * Per event: the id's read and write and the step's read and write. The open sums are map entries by window,
 * so RocksDB reads and writes only the event's step and, when a step fires, its day.
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
  /** The kinds of rows, one side output each; the statement registers each as {@code <into>_<kind>}. */
  public enum Kind {
    HOUR, DAY, CUMULATIVE, LATE;

    /** The view's name suffix: hour, day, cumulative, late. */
    public String suffix() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * The ISO text of window bounds ({@code yyyy-MM-ddTHH:mm:ss.SSSZ}, as the counters items hold them and as
   * flink/sql.ts's iso() writes the SQL windows' instants). Formatted here, once per instant: the rows of
   * one timer share their bounds, and all tenants' timers fire at the same few instants.
   */
  private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
      .withZone(ZoneOffset.UTC);

  static final long HOUR = 3_600_000L;
  static final long DAY = 86_400_000L;

  private final long horizonMs;
  private final long stepMs;
  private final int quantityScale;
  /** The restore guard's floor (epoch ms), or null: no floor. */
  private final Long floorMs;

  private transient MapState<Tuple2<Long, Long>, Boolean> ids;
  private transient MapState<Long, Map<String, Sum>> steps;
  private transient MapState<Long, Map<String, DaySum>> days;
  private transient DedupKey dedupKey;
  private transient EnumMap<Kind, OutputTag<RowData>> outputs;
  /** ISO text by epoch ms, direct-mapped by minute (window bounds are whole minutes). */
  private static final int ISO_SLOTS = 64;
  private transient long[] isoMillis;
  private transient StringData[] isoText;
  /** The running totals fired since they were last emitted: the latest per item (tenant, metric, day). */
  private transient Map<RunningItem, RunningTotal> running;

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

  /**
   * The output rows' type; window bounds are UTC, as the SQL windows' (table.local-time-zone UTC): both as ISO
   * text, the end also as a timestamp (the counters' expiry is computed from it). LATE rows: the start is the
   * event time, the end the watermark (or floor) it was late against.
   */
  public static DataType outputType(int quantityScale) {
    return DataTypes.ROW(
        DataTypes.FIELD("tenant_id", DataTypes.STRING().notNull()),
        DataTypes.FIELD("event_id", DataTypes.STRING()),
        DataTypes.FIELD("metric", DataTypes.STRING().notNull()),
        DataTypes.FIELD("window_end", DataTypes.TIMESTAMP(3).notNull()),
        DataTypes.FIELD("window_start_text", DataTypes.STRING().notNull()),
        DataTypes.FIELD("window_end_text", DataTypes.STRING().notNull()),
        DataTypes.FIELD("quantity", DataTypes.DECIMAL(38, quantityScale).notNull()),
        DataTypes.FIELD("event_count", DataTypes.BIGINT().notNull()));
  }

  public TypeInformation<RowData> outputTypeInfo() {
    return InternalTypeInfo.of((RowType) outputType(quantityScale).getLogicalType());
  }

  /** The side output of one kind of rows. */
  public OutputTag<RowData> output(Kind kind) {
    return new OutputTag<>(kind.suffix(), outputTypeInfo());
  }

  /** A sum of quantities and events (a POJO: serialised field by field). */
  public static class Sum {
    public BigDecimal quantity = BigDecimal.ZERO;
    public long count;

    void add(BigDecimal q, long c) {
      quantity = quantity.add(q);
      count += c;
    }
  }

  /** A metric's running sum over its UTC day, and what it was when the current hour began (a POJO). */
  public static final class DaySum extends Sum {
    public BigDecimal hourStartQuantity = BigDecimal.ZERO;
    public long hourStartCount;

    /** True when the hour that ends now had events: its sum is the difference, and the next hour starts here. */
    boolean closeHour() {
      if (count == hourStartCount) return false;
      hourStartQuantity = quantity;
      hourStartCount = count;
      return true;
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
    steps = getRuntimeContext().getMapState(
        new MapStateDescriptor<>("steps", Types.LONG, Types.MAP(Types.STRING, Types.POJO(Sum.class))));
    days = getRuntimeContext().getMapState(
        new MapStateDescriptor<>("days", Types.LONG, Types.MAP(Types.STRING, Types.POJO(DaySum.class))));
    dedupKey = new DedupKey();
    outputs = new EnumMap<>(Kind.class);
    for (Kind kind : Kind.values()) outputs.put(kind, output(kind));
    isoMillis = new long[ISO_SLOTS];
    isoText = new StringData[ISO_SLOTS];
    running = new LinkedHashMap<>();
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
      ctx.output(outputs.get(Kind.LATE), GenericRowData.of(tenantId, eventId, input.getString(2),
          TimestampData.fromEpochMillis(wm), iso(ts), iso(wm), decimal(quantity), 1L));
      return;
    }
    long stepEnd = end(ts, stepMs);
    Map<String, Sum> step = steps.get(stepEnd);
    boolean newStep = step == null;
    if (newStep) step = new HashMap<>(4);
    step.computeIfAbsent(metric, m -> new Sum()).add(quantity, 1L);
    // Written back: on RocksDB a read value is a copy.
    steps.put(stepEnd, step);
    // Every timer at a window's end − 1 ms (a SQL window's rowtime). The step's hour and day get theirs when
    // the step fires (onTimer): once per hour and day, not once per step.
    if (newStep) ctx.timerService().registerEventTimeTimer(stepEnd - 1);
  }

  @Override
  public void onTimer(long timer, OnTimerContext ctx, Collector<RowData> out) throws Exception {
    StringData tenantId = StringData.fromString(ctx.getCurrentKey());
    long end = timer + 1;
    long dayStart = end(timer, DAY) - DAY;
    Map<String, DaySum> day = days.get(dayStart);
    Map<String, Sum> step = steps.get(end);
    if (step != null) {
      steps.remove(end);
      // Timers at one instant are one timer, so a step, its hour and its day that end together fire in one
      // call (step, then hour, then day). A timer registered here at or below the watermark still fires in
      // this advance: the timer service fires until its queue's head is past the watermark.
      long hourEnd = end(timer, HOUR);
      long dayEnd = dayStart + DAY;
      if (day == null) {
        day = new HashMap<>(4);
        if (end != dayEnd) ctx.timerService().registerEventTimeTimer(dayEnd - 1);
      }
      if (end != hourEnd && !hourHasSteps(day)) ctx.timerService().registerEventTimeTimer(hourEnd - 1);
      for (Map.Entry<String, Sum> e : step.entrySet()) {
        DaySum sum = day.computeIfAbsent(e.getKey(), m -> new DaySum());
        sum.add(e.getValue().quantity, e.getValue().count);
        running.put(new RunningItem(ctx.getCurrentKey(), e.getKey(), dayStart), new RunningTotal(end, sum.quantity, sum.count));
      }
    }
    if (day == null) return;
    if (end % HOUR == 0) {
      for (Map.Entry<String, DaySum> e : day.entrySet()) {
        DaySum sum = e.getValue();
        BigDecimal quantity = sum.quantity.subtract(sum.hourStartQuantity);
        long count = sum.count - sum.hourStartCount;
        if (sum.closeHour()) ctx.output(outputs.get(Kind.HOUR), row(tenantId, e.getKey(), end - HOUR, end, quantity, count));
      }
    }
    if (end == dayStart + DAY) {
      for (Map.Entry<String, DaySum> e : day.entrySet()) {
        ctx.output(outputs.get(Kind.DAY), row(tenantId, e.getKey(), dayStart, end, e.getValue().quantity,
            e.getValue().count));
      }
      days.remove(dayStart);
    } else {
      days.put(dayStart, day);
    }
  }

  /** True when a step has fired since the running totals were last emitted. */
  boolean hasRunningTotals() {
    return !running.isEmpty();
  }

  /**
   * Emits the running totals fired since the last call, one row per item (tenant, metric, day): its latest.
   * {@link UsageTotalsOperator} says when (a mini-batch per watermark interval, a checkpoint, the end).
   */
  void emitRunningTotals(Output<StreamRecord<RowData>> output) {
    if (running.isEmpty()) return;
    OutputTag<RowData> tag = outputs.get(Kind.CUMULATIVE);
    for (Map.Entry<RunningItem, RunningTotal> e : running.entrySet()) {
      RunningItem item = e.getKey();
      RunningTotal t = e.getValue();
      // The row's time is its step's timer, as if the step's own timer had emitted it.
      RowData row = row(StringData.fromString(item.tenant), item.metric, item.dayStart, t.end, t.quantity, t.count);
      output.collect(tag, new StreamRecord<>(row, t.end - 1));
    }
    running.clear();
  }

  /** A running total's item: one counters item per tenant, metric and UTC day. */
  private static final class RunningItem {
    private final String tenant;
    private final String metric;
    private final long dayStart;

    RunningItem(String tenant, String metric, long dayStart) {
      this.tenant = tenant;
      this.metric = metric;
      this.dayStart = dayStart;
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof RunningItem)) return false;
      RunningItem other = (RunningItem) o;
      return dayStart == other.dayStart && tenant.equals(other.tenant) && metric.equals(other.metric);
    }

    @Override
    public int hashCode() {
      return (tenant.hashCode() * 31 + metric.hashCode()) * 31 + Long.hashCode(dayStart);
    }
  }

  /** An item's running total as its last step (ending at {@code end}) left it; the quantity is immutable. */
  private static final class RunningTotal {
    private final long end;
    private final BigDecimal quantity;
    private final long count;

    RunningTotal(long end, BigDecimal quantity, long count) {
      this.end = end;
      this.quantity = quantity;
      this.count = count;
    }
  }

  /** True when a step of the current hour has already fired into the day (so the hour's timer is registered). */
  private static boolean hourHasSteps(Map<String, DaySum> day) {
    for (DaySum sum : day.values()) if (sum.count != sum.hourStartCount) return true;
    return false;
  }

  /** The end of the window of this size that holds {@code ts} (windows aligned to the epoch, as SQL's). */
  private static long end(long ts, long size) {
    return ts - Math.floorMod(ts, size) + size;
  }

  private RowData row(StringData tenantId, String metric, long start, long end, BigDecimal quantity, long count) {
    return GenericRowData.of(tenantId, null, StringData.fromString(metric), TimestampData.fromEpochMillis(end),
        iso(start), iso(end), decimal(quantity), count);
  }

  /** The ISO text of an instant; window bounds repeat across tenants and rows, so each is formatted about once. */
  private StringData iso(long epochMillis) {
    int slot = (int) Math.floorMod(epochMillis / 60_000L, (long) ISO_SLOTS);
    if (isoText[slot] == null || isoMillis[slot] != epochMillis) {
      isoMillis[slot] = epochMillis;
      isoText[slot] = StringData.fromString(ISO.format(Instant.ofEpochMilli(epochMillis)));
    }
    return isoText[slot];
  }

  private DecimalData decimal(BigDecimal quantity) {
    return DecimalData.fromBigDecimal(quantity, 38, quantityScale);
  }
}
