package dev.tenantry.bench;

import static org.apache.flink.table.annotation.ArgumentTrait.REQUIRE_ON_TIME;
import static org.apache.flink.table.annotation.ArgumentTrait.SET_SEMANTIC_TABLE;

import dev.tenantry.bench.TenantTotals.Sum;
import java.math.BigDecimal;
import org.apache.flink.table.annotation.ArgumentHint;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.StateHint;
import org.apache.flink.table.api.dataview.MapView;
import org.apache.flink.table.functions.ProcessTableFunction;
import org.apache.flink.types.Row;

/**
 * De-duplication, lateness and every total in one operator keyed by tenant. Flink's PTF runtime drops a row
 * whose time is at or below the watermark before eval() is called (ProcessTableRunner.processEval), so the
 * LATE branch below never runs: late events are lost silently. The bench measures it and checks that loss.
 */
@DataTypeHint(TenantTotals.OUTPUT)
public class FusedPtf extends ProcessTableFunction<Row> {
  public void eval(Context ctx, @StateHint(ttl = "48 h") MapView<String, Boolean> seen,
      @StateHint MapView<String, Sum> hours, @StateHint MapView<String, Sum> days,
      @StateHint MapView<String, Sum> steps, @StateHint MapView<String, Sum> running,
      @ArgumentHint({SET_SEMANTIC_TABLE, REQUIRE_ON_TIME}) Row input) throws Exception {
    String eventId = input.getFieldAs("event_id");
    if (seen.contains(eventId)) return;
    seen.put(eventId, Boolean.TRUE);
    TimeContext<Long> time = ctx.timeContext(Long.class);
    Long watermark = time.currentWatermark();
    String metric = input.getFieldAs("metric");
    BigDecimal quantity = input.getFieldAs("quantity");
    if (watermark != null && time.time() <= watermark) {
      collect(TenantTotals.late(eventId, metric, time.time(), watermark, quantity));
    } else {
      TenantTotals.add(time, hours, steps, metric, quantity);
    }
  }

  public void onTimer(OnTimerContext ctx, MapView<String, Boolean> seen, MapView<String, Sum> hours,
      MapView<String, Sum> days, MapView<String, Sum> steps, MapView<String, Sum> running) throws Exception {
    TenantTotals.fire(ctx.currentTimer(), ctx.timeContext(Long.class), hours, days, steps, running, this::collect);
  }
}
