package dev.tenantry.flink;

import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.api.graph.StreamConfig;
import org.apache.flink.streaming.api.operators.InternalTimer;
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
 * The operator that runs {@link UsageTotals}, and emits its running totals in mini-batches: each item's
 * (tenant, metric, day) latest, once per watermark interval ({@code pipeline.auto-watermark-interval}, the
 * job's own latency budget: 200 ms in the aws profile) of processing time, before each checkpoint barrier
 * (so a snapshot never holds a fired step whose total was not emitted) and at the end of input. A running
 * total overwrites its counters item, so the rows a batch leaves out are values the item would have held for
 * less than the interval: a backlog or a replay, whose watermark fires an item's steps one after another,
 * writes it once per interval instead of once per step. With an interval of 0 (the test profile: a
 * watermark after each record) they are emitted at each watermark, after its timers have fired.
 */
public final class UsageTotalsOperator extends KeyedProcessOperator<String, RowData, RowData> {
  private static final long serialVersionUID = 1L;
  private final UsageTotals totals;
  private transient long intervalMs;
  private transient boolean emissionScheduled;

  public UsageTotalsOperator(UsageTotals totals) {
    super(totals);
    this.totals = totals;
  }

  @Override
  public void setup(StreamTask<?, ?> task, StreamConfig config, Output<StreamRecord<RowData>> output) {
    super.setup(task, config, new RunningTotalsAtWatermarks(output));
  }

  @Override
  public void open() throws Exception {
    super.open();
    intervalMs = getExecutionConfig().getAutoWatermarkInterval();
  }

  @Override
  public void onEventTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
    super.onEventTime(timer);
    if (intervalMs > 0 && !emissionScheduled && totals.hasRunningTotals()) {
      emissionScheduled = true;
      getProcessingTimeService().registerTimer(getProcessingTimeService().getCurrentProcessingTime() + intervalMs,
          time -> {
            emissionScheduled = false;
            totals.emitRunningTotals(output);
          });
    }
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    totals.emitRunningTotals(output);
    super.prepareSnapshotPreBarrier(checkpointId);
  }

  @Override
  public void finish() throws Exception {
    totals.emitRunningTotals(output);
    super.finish();
  }

  /** The operator's output; with an interval of 0, it emits the running totals before each watermark. */
  private final class RunningTotalsAtWatermarks implements Output<StreamRecord<RowData>> {
    private final Output<StreamRecord<RowData>> downstream;

    RunningTotalsAtWatermarks(Output<StreamRecord<RowData>> downstream) {
      this.downstream = downstream;
    }

    @Override
    public void emitWatermark(Watermark mark) {
      // Through the operator's own output (its record counters wrap this one).
      if (intervalMs == 0) totals.emitRunningTotals(output);
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
