package dev.tenantry.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.Test;

class UsageLineTest {
  /** The output row's fields, in the order of UsageLine.ROW_TYPE. */
  private static final List<String> FIELDS =
      List.of("reason", "is_tick", "event_id", "tenant_id", "metric", "quantity", "ts");

  private static Object field(Row row, String name) {
    return row.getField(FIELDS.indexOf(name));
  }

  /** The table of cases shared with classifyUsageLine (test/unit/flink/sql.test.ts) and the MiniCluster. */
  private static JsonNode cases() throws Exception {
    try (InputStream in = UsageLineTest.class.getClassLoader().getResourceAsStream("usage-line-cases.json")) {
      return new ObjectMapper().readTree(in);
    }
  }

  private static LocalDateTime utc(String iso) {
    return LocalDateTime.ofInstant(Instant.parse(iso), ZoneOffset.UTC);
  }

  @Test
  void classifiesEveryCaseAsTheTypeScriptDefinitionDoes() throws Exception {
    // Prepare
    JsonNode file = cases();
    String rules = file.get("rules").toString();
    LocalDateTime now = utc(file.get("now").textValue());
    List<String> mismatches = new ArrayList<>();
    int valid = 0;
    for (JsonNode c : file.get("cases")) {
      // Act
      Row row = new UsageLine().eval(c.get("line").textValue(), now, rules);
      // Assess
      String expected = c.get("reason").isNull() ? null : c.get("reason").textValue();
      String name = c.get("name").textValue();
      if (!java.util.Objects.equals(expected, field(row, "reason"))) {
        mismatches.add(name + ": reason " + field(row, "reason") + ", expected " + expected);
      }
      if (c.get("tick").booleanValue() != (Boolean) field(row, "is_tick")) {
        mismatches.add(name + ": is_tick " + field(row, "is_tick"));
      }
      JsonNode event = c.get("event");
      if (event != null) {
        valid++;
        assertEquals(event.get("eventId").textValue(), field(row, "event_id"), name);
        assertEquals(event.get("tenantId").textValue(), field(row, "tenant_id"), name);
        assertEquals(event.get("metric").textValue(), field(row, "metric"), name);
        assertEquals(0, event.get("quantity").decimalValue().compareTo(new BigDecimal((String) field(row, "quantity"))), name);
        assertEquals(utc(event.get("timestamp").textValue()), field(row, "ts"), name);
      }
    }
    assertEquals(List.of(), mismatches);
    assertTrue(valid >= 10, "the table holds valid events");
  }

  @Test
  void parsesALineOnceForTheSourcesRepeatedCalls() {
    // Prepare
    UsageLine function = new UsageLine();
    LocalDateTime now = utc("2026-11-21T06:00:00Z");
    String rules = "{\"maxEventBytes\":1024,\"eventIdPattern\":\"[a-z]+\",\"tenantIdPattern\":\"[a-z]+\",\"tenantIdForbidden\":\"--\","
        + "\"timestampPattern\":\".*Z\",\"quantityPrecision\":20,\"quantityScale\":6,\"maxFutureSkewSeconds\":30,"
        + "\"maxEventAgeDays\":30,\"heartbeatField\":\"heartbeat\",\"maxQuantityPerEvent\":{\"m\":\"5\"}}";
    String line = "{\"eventId\":\"e\",\"tenantId\":\"t\",\"metric\":\"m\",\"quantity\":1,\"timestamp\":\"2026-11-21T05:00:00Z\"}";
    // Act
    Row first = function.eval(line, now, rules);
    Row again = function.eval(new String(line), now, rules);
    Row later = function.eval(line, now.plusSeconds(1), rules);
    // Assess: the same line and clock reuse the result; another clock classifies again
    assertNull(field(first, "reason"));
    assertSame(first, again);
    assertEquals(first, later);
    assertTrue(first != later);
  }

  @Test
  void namesTheRowFieldsInThisOrder() {
    assertEquals(
        "ROW<" + String.join(", ", List.of("reason STRING", "is_tick BOOLEAN", "event_id STRING", "tenant_id STRING",
            "metric STRING", "quantity STRING", "ts TIMESTAMP(3)")) + ">",
        UsageLine.ROW_TYPE);
  }

  @Test
  void refusesRulesThatAreNotTheGeneratorsJson() {
    assertThrows(IllegalArgumentException.class,
        () -> new UsageLine().eval("{}", utc("2026-11-21T06:00:00Z"), "{\"maxEventBytes\":1}"));
  }

  @Test
  void readsTheFixedLayoutAsTheIsoParserDoes() {
    // Prepare: every day of a leap and a common year with fractions of 0–3 digits, and the edges the parser refuses
    List<String> texts = new ArrayList<>();
    for (LocalDateTime day = utc("2023-12-31T00:00:00Z"); day.getYear() < 2025; day = day.plusDays(1)) {
      String date = day.toLocalDate().toString();
      texts.add(date + "T00:00:00Z");
      texts.add(date + "T23:59:59.9Z");
      texts.add(date + "T12:30:05.25Z");
      texts.add(date + "T06:07:08.123Z");
    }
    for (int month = 0; month <= 13; month++) texts.add(String.format("2024-%02d-31T00:00:00Z", month));
    texts.addAll(List.of("2025-02-29T00:00:00Z", "2024-02-30T00:00:00Z", "2026-11-21T24:00:00Z", "2026-11-21T23:60:00Z",
        "2026-11-21T23:59:60Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "2026-11-21T05:00:00.Z",
        "2026-11-21T05:00:00.1234Z", "2026-11-21T05:00:00.5aZ", "2026-11-21T05:00:00.a5Z", "2026-11-2aT05:00:00Z", "2026/11/21T05:00:00Z", "2026-11-21 05:00:00Z"));
    int decided = 0;
    for (String text : texts) {
      // Act
      LocalDateTime iso = isoParse(text);
      LocalDateTime fixed;
      try {
        fixed = UsageLine.fixedLayout(text);
      } catch (java.time.DateTimeException e) {
        // Assess: the layout is read and the date refused, as the parser refuses it
        assertNull(iso, text);
        decided++;
        continue;
      }
      // Assess: the same instant (NULL: another layout, which USAGE_LINE gives to the parser)
      if (fixed == null) continue;
      assertEquals(iso, fixed, text);
      decided++;
    }
    assertTrue(decided >= 4 * 366 + 14, "the sweep is decided by the fixed layout: " + decided);
  }

  private static LocalDateTime isoParse(String text) {
    try {
      return LocalDateTime.parse(text.substring(0, text.length() - 1));
    } catch (java.time.DateTimeException e) {
      return null;
    }
  }
}
