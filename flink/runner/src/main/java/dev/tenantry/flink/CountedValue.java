package dev.tenantry.flink;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code COUNTED_VALUE(metric, dimension, value)} returns {@code value} and counts it: counter
 * {@code metric} in the group {@code kinesisanalytics} / {@code dimension} = {@code value}. Managed
 * Flink forwards the {@code kinesisanalytics} group's metrics to CloudWatch (namespace
 * AWS/KinesisAnalytics), each key/value group as a dimension. The generated SQL names the metric
 * and the dimension (flink/sql.ts, from domain/metrics.ts), so the dashboard and the job share them.
 * Deterministic (the default): its argument is a column, so it is evaluated per row, never folded; a
 * non-deterministic function would stop the planner from sharing the source (two reads of the stream).
 */
public final class CountedValue extends ScalarFunction {
  /** The metric group Managed Flink forwards to CloudWatch. */
  static final String CLOUDWATCH_GROUP = "kinesisanalytics";

  private transient MetricGroup group;
  private transient Map<String, Counter> counters;

  @Override
  public void open(FunctionContext context) {
    open(context.getMetricGroup());
  }

  void open(MetricGroup operatorGroup) {
    group = operatorGroup.addGroup(CLOUDWATCH_GROUP);
    counters = new HashMap<>();
  }

  public String eval(String metric, String dimension, String value) {
    if (value != null) {
      counters
          .computeIfAbsent(metric + '\u0000' + dimension + '\u0000' + value,
              k -> group.addGroup(dimension, value).counter(metric))
          .inc();
    }
    return value;
  }
}
