package dev.tenantry.bench;

import static dev.tenantry.bench.TenantTotals.DAY;
import static dev.tenantry.bench.TenantTotals.HOUR;
import static dev.tenantry.bench.TenantTotals.MINUTE;
import static dev.tenantry.bench.TenantTotals.at;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import dev.tenantry.flink.DedupKey;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;

/**
 * De-duplication, lateness and every total of one tenant in one DataStream operator. Input: the rows of
 * usage_checked that are valid events, as {@link #INPUT} rows; output: {@link #OUTPUT} rows, kind HOUR, DAY,
 * CUMULATIVE or LATE. Unlike a PTF, a DataStream operator sees rows at or below the watermark, so late events are
 * kept. The open sums are one plain object per tenant; ids live as {@link #StreamTotals(long, boolean)} says.
 */
public class StreamTotals extends KeyedProcessFunction<String, Row, Row> {
  /** tenant_id, event_id, metric, quantity_text: the valid event's fields, its time in the record's timestamp. */
  static final TypeInformation<Row> INPUT = Types.ROW(Types.STRING, Types.STRING, Types.STRING, Types.STRING);
  static final TypeInformation<Row> OUTPUT = Types.ROW_NAMED(
      new String[] {"kind", "tenant_id", "event_id", "metric", "window_start", "window_end", "quantity", "event_count"},
      Types.STRING, Types.STRING, Types.STRING, Types.STRING, Types.LOCAL_DATE_TIME, Types.LOCAL_DATE_TIME,
      Types.BIG_DEC, Types.LONG);

  private final long horizonMs;
  private final boolean keyedIds;
  private transient ValueState<TenantState> state;
  /** keyedIds: the open sums as map entries by window end (or day start), not one object per tenant. */
  private transient MapState<Long, Map<String, Sum>> hours, steps, days, running;
  private transient ValueState<Ids> heapIds;
  private transient MapState<Tuple2<Long, Long>, Boolean> keyedIdState;
  private transient DedupKey dedupKey;

  /**
   * @param keyedIds false: a tenant's ids in one object (a heap reference per access, but on RocksDB the whole set
   *     would be serialised on every event); true: one map entry per id with a processing-time TTL of the horizon,
   *     as the SQL job's de-duplication (one get and one put per event on RocksDB), and the open sums as map
   *     entries by window too (only the event's windows are read and written).
   */
  public StreamTotals(long horizonMs, boolean keyedIds) {
    this.horizonMs = horizonMs;
    this.keyedIds = keyedIds;
  }

  /** A tenant's ids in two generations of the horizon in processing time. */
  public static final class Ids {
    public IdSet current = new IdSet();
    public IdSet previous = new IdSet();
    public long generationStart;
  }

  /** A sum of quantities and events. */
  public static final class Sum {
    public BigDecimal quantity = BigDecimal.ZERO;
    public long count;

    void add(BigDecimal q, long c) {
      quantity = quantity.add(q);
      count += c;
    }
  }

  /** One tenant's open sums by window end (or day start) and metric. */
  public static final class TenantState {
    public HashMap<Long, Map<String, Sum>> hours = new HashMap<>();
    public HashMap<Long, Map<String, Sum>> steps = new HashMap<>();
    public HashMap<Long, Map<String, Sum>> days = new HashMap<>();
    public HashMap<Long, Map<String, Sum>> running = new HashMap<>();
  }

  /** An open-addressing set of 128-bit ids (two longs; (0, 0) marks an empty slot). */
  public static final class IdSet {
    public long[] hi = new long[16];
    public long[] lo = new long[16];
    public int size;

    /** Adds the id; false when it was there. */
    boolean add(long h, long l) {
      if (h == 0 && l == 0) l = 1;
      if (size * 2 >= hi.length) grow();
      int mask = hi.length - 1;
      int i = (int) (l ^ (l >>> 32)) & mask;
      while (hi[i] != 0 || lo[i] != 0) {
        if (hi[i] == h && lo[i] == l) return false;
        i = (i + 1) & mask;
      }
      hi[i] = h;
      lo[i] = l;
      size++;
      return true;
    }

    boolean contains(long h, long l) {
      if (h == 0 && l == 0) l = 1;
      int mask = hi.length - 1;
      int i = (int) (l ^ (l >>> 32)) & mask;
      while (hi[i] != 0 || lo[i] != 0) {
        if (hi[i] == h && lo[i] == l) return true;
        i = (i + 1) & mask;
      }
      return false;
    }

    private void grow() {
      long[] oldHi = hi;
      long[] oldLo = lo;
      hi = new long[oldHi.length * 2];
      lo = new long[oldLo.length * 2];
      size = 0;
      for (int i = 0; i < oldHi.length; i++) if (oldHi[i] != 0 || oldLo[i] != 0) add(oldHi[i], oldLo[i]);
    }
  }

  @Override
  public void open(OpenContext context) {
    state = getRuntimeContext().getState(new ValueStateDescriptor<>("tenant", TenantState.class));
    if (keyedIds) {
      TypeInformation<Map<String, Sum>> sums = Types.MAP(Types.STRING, Types.POJO(Sum.class));
      hours = getRuntimeContext().getMapState(new MapStateDescriptor<>("hours", Types.LONG, sums));
      steps = getRuntimeContext().getMapState(new MapStateDescriptor<>("steps", Types.LONG, sums));
      days = getRuntimeContext().getMapState(new MapStateDescriptor<>("days", Types.LONG, sums));
      running = getRuntimeContext().getMapState(new MapStateDescriptor<>("running", Types.LONG, sums));
      MapStateDescriptor<Tuple2<Long, Long>, Boolean> ids =
          new MapStateDescriptor<>("ids", Types.TUPLE(Types.LONG, Types.LONG), Types.BOOLEAN);
      ids.enableTimeToLive(StateTtlConfig.newBuilder(Duration.ofMillis(horizonMs)).build());
      keyedIdState = getRuntimeContext().getMapState(ids);
    } else {
      heapIds = getRuntimeContext().getState(new ValueStateDescriptor<>("ids", Ids.class));
    }
    dedupKey = new DedupKey();
  }

  @Override
  public void processElement(Row input, Context ctx, Collector<Row> out) throws Exception {
    String tenantId = ctx.getCurrentKey();
    String eventId = (String) input.getField(1);
    // The SQL job's de-duplication key (the runner's DEDUP_KEY: 16 bytes of SHA-256 over tenant and id).
    ByteBuffer digest = ByteBuffer.wrap(dedupKey.hash(tenantId, eventId));
    if (!firstArrival(digest.getLong(), digest.getLong(), ctx.timerService().currentProcessingTime())) return;
    String metric = (String) input.getField(2);
    BigDecimal quantity = new BigDecimal((String) input.getField(3)).setScale(6, RoundingMode.HALF_UP);
    long ts = ctx.timestamp();
    long watermark = ctx.timerService().currentWatermark();
    if (watermark != Long.MIN_VALUE && ts <= watermark) {
      out.collect(Row.of("LATE", tenantId, eventId, metric, at(ts), at(watermark), quantity, 1L));
      return;
    }
    TenantState tenant = keyedIds ? null : state.value();
    if (!keyedIds && tenant == null) tenant = new TenantState();
    long hourEnd = ts - Math.floorMod(ts, HOUR) + HOUR;
    long stepEnd = ts - Math.floorMod(ts, MINUTE) + MINUTE;
    long dayEnd = ts - Math.floorMod(ts, DAY) + DAY;
    // Timers at end - 1 ms (the SQL window's rowtime); the day's at its end, after its last hour and step.
    if (add(windows(hours, tenant == null ? null : tenant.hours), hourEnd, metric, quantity, 1L)) {
      ctx.timerService().registerEventTimeTimer(hourEnd - 1);
      ctx.timerService().registerEventTimeTimer(dayEnd);
    }
    if (add(windows(steps, tenant == null ? null : tenant.steps), stepEnd, metric, quantity, 1L)) {
      ctx.timerService().registerEventTimeTimer(stepEnd - 1);
      ctx.timerService().registerEventTimeTimer(dayEnd);
    }
    if (tenant != null) state.update(tenant);
  }

  @Override
  public void onTimer(long timer, OnTimerContext ctx, Collector<Row> out) throws Exception {
    TenantState tenant = keyedIds ? null : state.value();
    if (!keyedIds && tenant == null) return;
    Windows hourSums = windows(hours, tenant == null ? null : tenant.hours);
    Windows stepSums = windows(steps, tenant == null ? null : tenant.steps);
    Windows daySums = windows(days, tenant == null ? null : tenant.days);
    Windows runningSums = windows(running, tenant == null ? null : tenant.running);
    String tenantId = ctx.getCurrentKey();
    long end = timer + 1;
    Map<String, Sum> hour = hourSums.remove(end);
    if (hour != null) {
      long dayEnd = timer - Math.floorMod(timer, DAY) + DAY;
      for (Map.Entry<String, Sum> e : hour.entrySet()) {
        out.collect(row("HOUR", tenantId, e.getKey(), end - HOUR, end, e.getValue()));
        add(daySums, dayEnd, e.getKey(), e.getValue().quantity, e.getValue().count);
      }
    }
    Map<String, Sum> step = stepSums.remove(end);
    if (step != null) {
      long dayStart = timer - Math.floorMod(timer, DAY);
      for (Map.Entry<String, Sum> e : step.entrySet()) add(runningSums, dayStart, e.getKey(), e.getValue().quantity, e.getValue().count);
      Map<String, Sum> today = runningSums.get(dayStart);
      for (String metric : step.keySet()) out.collect(row("CUMULATIVE", tenantId, metric, dayStart, end, today.get(metric)));
    }
    Map<String, Sum> day = daySums.remove(timer);
    if (day != null) {
      for (Map.Entry<String, Sum> e : day.entrySet()) out.collect(row("DAY", tenantId, e.getKey(), timer - DAY, timer, e.getValue()));
    }
    runningSums.remove(timer - DAY);
    if (tenant != null) state.update(tenant);
  }

  /** Remembers the id; false when it was seen within the horizon. */
  private boolean firstArrival(long h, long l, long now) throws Exception {
    if (keyedIds) {
      Tuple2<Long, Long> id = Tuple2.of(h, l);
      if (keyedIdState.contains(id)) return false;
      keyedIdState.put(id, Boolean.TRUE);
      return true;
    }
    Ids ids = heapIds.value();
    if (ids == null) {
      ids = new Ids();
      ids.generationStart = now;
    } else if (now - ids.generationStart >= horizonMs) {
      ids.previous = ids.current;
      ids.current = new IdSet();
      ids.generationStart = now;
    }
    boolean first = !ids.previous.contains(h, l) && ids.current.add(h, l);
    heapIds.update(ids);
    return first;
  }

  /** Open sums by window end, on the heap object or in map state. */
  private interface Windows {
    Map<String, Sum> get(long end) throws Exception;

    void put(long end, Map<String, Sum> sums) throws Exception;

    Map<String, Sum> remove(long end) throws Exception;
  }

  private Windows windows(MapState<Long, Map<String, Sum>> entries, HashMap<Long, Map<String, Sum>> object) {
    if (!keyedIds) {
      return new Windows() {
        public Map<String, Sum> get(long end) { return object.get(end); }
        public void put(long end, Map<String, Sum> sums) { object.put(end, sums); }
        public Map<String, Sum> remove(long end) { return object.remove(end); }
      };
    }
    return new Windows() {
      public Map<String, Sum> get(long end) throws Exception { return entries.get(end); }
      public void put(long end, Map<String, Sum> sums) throws Exception { entries.put(end, sums); }
      public Map<String, Sum> remove(long end) throws Exception {
        Map<String, Sum> sums = entries.get(end);
        if (sums != null) entries.remove(end);
        return sums;
      }
    };
  }

  /** Adds to a window's sum (written back: on RocksDB a read value is a copy); true when the window was new. */
  private static boolean add(Windows windows, long end, String metric, BigDecimal q, long c) throws Exception {
    Map<String, Sum> window = windows.get(end);
    boolean first = window == null;
    if (first) window = new HashMap<>(4);
    window.computeIfAbsent(metric, m -> new Sum()).add(q, c);
    windows.put(end, window);
    return first;
  }

  private static Row row(String kind, String tenantId, String metric, long start, long end, Sum sum) {
    return Row.of(kind, tenantId, null, metric, at(start), at(end), sum.quantity, sum.count);
  }
}
