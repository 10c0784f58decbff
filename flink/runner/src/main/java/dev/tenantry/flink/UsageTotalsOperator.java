package dev.tenantry.flink;

import org.apache.flink.streaming.api.graph.StreamConfig;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.operators.Output;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.LatencyMarker;
import org.apache.flink.streaming.runtime.streamrecord.RecordAttributes;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.StreamTask;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.table.data.RowData;
import org.apache.flink.util.OutputTag;

/**
 * The operator that runs {@link UsageTotals}: a keyed process operator that emits the function's running
 * totals once per watermark. A watermark fires every timer at or below it, then goes downstream; the running
 * totals those timers produced are emitted between the two, each item's latest. A watermark that passes
 * many steps of one item (a backlog, a replay) therefore writes that item once, and live traffic, whose
 * watermark passes one step at a time, is unchanged.
 */
public final class UsageTotalsOperator extends KeyedProcessOperator<String, RowData, RowData> {
  private static final long serialVersionUID = 1L;
  private final UsageTotals totals;

  public UsageTotalsOperator(UsageTotals totals) {
    super(totals);
    this.totals = totals;
  }

  @Override
  public void setup(StreamTask<?, ?> task, StreamConfig config, Output<StreamRecord<RowData>> output) {
    super.setup(task, config, new RunningTotalsFirst(output));
  }

  /**
   * False, as the default, said here because the running totals depend on it: a watermark's timers and the
   * watermark's emission are then one mailbox action, so no checkpoint barrier falls between a fired step and
   * its running total's row. Splittable (interruptible) timers would let one.
   */
  @Override
  public boolean useSplittableTimers() {
    return false;
  }

  /** The operator's output, which emits the running totals before each watermark it passes on. */
  private final class RunningTotalsFirst implements Output<StreamRecord<RowData>> {
    private final Output<StreamRecord<RowData>> downstream;

    RunningTotalsFirst(Output<StreamRecord<RowData>> downstream) {
      this.downstream = downstream;
    }

    @Override
    public void emitWatermark(Watermark mark) {
      // Through the operator's own output (its record counters wrap this one).
      totals.emitRunningTotals(output);
      downstream.emitWatermark(mark);
    }

    @Override
    public void emitWatermarkStatus(WatermarkStatus status) {
      downstream.emitWatermarkStatus(status);
    }

    @Override
    public <X> void collect(OutputTag<X> tag, StreamRecord<X> record) {
      downstream.collect(tag, record);
    }

    @Override
    public void emitLatencyMarker(LatencyMarker marker) {
      downstream.emitLatencyMarker(marker);
    }

    @Override
    public void emitRecordAttributes(RecordAttributes attributes) {
      downstream.emitRecordAttributes(attributes);
    }

    @Override
    public void collect(StreamRecord<RowData> record) {
      downstream.collect(record);
    }

    @Override
    public void close() {
      downstream.close();
    }
  }
}
