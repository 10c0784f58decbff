package dev.tenantry.bench;

import static org.apache.flink.table.annotation.ArgumentTrait.REQUIRE_ON_TIME;
import static org.apache.flink.table.annotation.ArgumentTrait.SET_SEMANTIC_TABLE;

import dev.tenantry.bench.TenantTotals.Sum;
import org.apache.flink.table.annotation.ArgumentHint;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.StateHint;
import org.apache.flink.table.api.dataview.MapView;
import org.apache.flink.table.functions.ProcessTableFunction;
import org.apache.flink.types.Row;

/** Hourly, daily and running totals of the de-duplicated, on-time events: one operator keyed by tenant. */
@DataTypeHint(TenantTotals.OUTPUT)
public class WindowsPtf extends ProcessTableFunction<Row> {
  public void eval(Context ctx, @StateHint MapView<String, Sum> hours, @StateHint MapView<String, Sum> days,
      @StateHint MapView<String, Sum> steps, @StateHint MapView<String, Sum> running,
      @ArgumentHint({SET_SEMANTIC_TABLE, REQUIRE_ON_TIME}) Row input) throws Exception {
    TenantTotals.add(ctx.timeContext(Long.class), hours, steps, input.getFieldAs("metric"), input.getFieldAs("quantity"));
  }

  public void onTimer(OnTimerContext ctx, MapView<String, Sum> hours, MapView<String, Sum> days,
      MapView<String, Sum> steps, MapView<String, Sum> running) throws Exception {
    TenantTotals.fire(ctx.currentTimer(), ctx.timeContext(Long.class), hours, days, steps, running, this::collect);
  }
}
