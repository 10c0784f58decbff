package dev.tenantry.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;

class CountedValueTest {
  /** Records each counter under its group path (key=value for key/value groups). */
  static final class RecordingGroup extends UnregisteredMetricsGroup {
    final String path;
    final Map<String, SimpleCounter> counters;

    RecordingGroup(String path, Map<String, SimpleCounter> counters) {
      this.path = path;
      this.counters = counters;
    }

    @Override
    public MetricGroup addGroup(String name) {
      return new RecordingGroup(path + "/" + name, counters);
    }

    @Override
    public MetricGroup addGroup(String key, String value) {
      return new RecordingGroup(path + "/" + key + "=" + value, counters);
    }

    @Override
    public Counter counter(String name) {
      SimpleCounter counter = new SimpleCounter();
      counters.put(path + "/" + name, counter);
      return counter;
    }
  }

  @Test
  void countsEachValueUnderTheCloudWatchGroupAndReturnsItUnchanged() {
    // Prepare
    Map<String, SimpleCounter> counters = new TreeMap<>();
    CountedValue function = new CountedValue();
    function.open(new RecordingGroup("operator", counters));

    // Act
    String first = function.eval("rejectedEvents", "reason", "MALFORMED_JSON");
    function.eval("rejectedEvents", "reason", "UNKNOWN_METRIC");
    function.eval("rejectedEvents", "reason", "MALFORMED_JSON");
    String none = function.eval("rejectedEvents", "reason", null);

    // Assess
    assertEquals("MALFORMED_JSON", first);
    assertNull(none);
    Map<String, Long> counts = new TreeMap<>();
    counters.forEach((path, counter) -> counts.put(path, counter.getCount()));
    assertEquals(
        Map.of(
            "operator/kinesisanalytics/reason=MALFORMED_JSON/rejectedEvents", 2L,
            "operator/kinesisanalytics/reason=UNKNOWN_METRIC/rejectedEvents", 1L),
        counts);
  }
}
