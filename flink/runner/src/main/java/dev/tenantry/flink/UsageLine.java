package dev.tenantry.flink;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonProcessingException;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.functions.ScalarFunction;
import org.apache.flink.types.Row;

/**
 * {@code USAGE_LINE(line, now, rules)}: one parse of a raw usage line (Jackson's streaming parser) into
 * the rejection reason (NULL for a valid event), whether it is a heartbeat tick, and the fields.
 *
 * <p>The rules are not Java's: {@code rules} is the JSON the SQL generator writes from the one TypeScript
 * definition (flink/sql.ts {@code usageLineRules}: USAGE_EVENT_LIMITS, TENANT_ID_PATTERN, the
 * configuration's metrics and time bounds). The checks run in the order of {@code classifyUsageLine}
 * (domain/usage/event.ts); src/test/resources/usage-line-cases.json holds this class, the generated SQL
 * and the TypeScript classifier to the same table of cases.
 *
 * <p>The source's computed columns call it more than once per line (the row column and the rowtime): the
 * last result is kept, so each line is parsed once. Deterministic in its arguments, so that is safe.
 */
public final class UsageLine extends ScalarFunction {
  /** The output row; {@code quantity} is the number's text, cast to the generator's DECIMAL type in SQL. */
  public static final String ROW_TYPE =
      "ROW<reason STRING, is_tick BOOLEAN, event_id STRING, tenant_id STRING, metric STRING, quantity STRING, ts TIMESTAMP(3)>";

  private static final JsonFactory JSON = new JsonFactory();
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private transient String rulesJson;
  private transient Rules rules;
  private transient String lastLine;
  private transient LocalDateTime lastNow;
  private transient Row lastResult;

  public @DataTypeHint(ROW_TYPE) Row eval(String line, LocalDateTime now, String rulesJson) {
    if (lastResult != null && now != null && now.equals(lastNow) && line != null && line.equals(lastLine)) {
      return lastResult;
    }
    if (rules == null || !rulesJson.equals(this.rulesJson)) {
      rules = Rules.parse(rulesJson);
      this.rulesJson = rulesJson;
    }
    Row result = classify(line, now, rules);
    lastLine = line;
    lastNow = now;
    lastResult = result;
    return result;
  }

  /** The rules the generator passes: bodies of anchored patterns (matched whole), sizes and bounds. */
  static final class Rules {
    final int maxEventBytes;
    final Pattern eventId;
    final Pattern tenantId;
    final String tenantIdForbidden;
    final Pattern timestamp;
    final int quantityPrecision;
    final int quantityScale;
    final long maxFutureSkewSeconds;
    final long maxEventAgeDays;
    final String heartbeatField;
    final Map<String, BigDecimal> maxQuantityByMetric = new HashMap<>();

    private Rules(JsonNode json) {
      maxEventBytes = json.get("maxEventBytes").intValue();
      eventId = Pattern.compile(json.get("eventIdPattern").textValue());
      tenantId = Pattern.compile(json.get("tenantIdPattern").textValue());
      tenantIdForbidden = json.get("tenantIdForbidden").textValue();
      timestamp = Pattern.compile(json.get("timestampPattern").textValue());
      quantityPrecision = json.get("quantityPrecision").intValue();
      quantityScale = json.get("quantityScale").intValue();
      maxFutureSkewSeconds = json.get("maxFutureSkewSeconds").longValue();
      maxEventAgeDays = json.get("maxEventAgeDays").longValue();
      heartbeatField = json.get("heartbeatField").textValue();
      for (Iterator<Map.Entry<String, JsonNode>> it = json.get("maxQuantityPerEvent").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> metric = it.next();
        maxQuantityByMetric.put(metric.getKey(), new BigDecimal(metric.getValue().asText()));
      }
    }

    static Rules parse(String json) {
      try {
        return new Rules(MAPPER.readTree(json));
      } catch (JsonProcessingException | RuntimeException e) {
        throw new IllegalArgumentException("USAGE_LINE: the rules argument is not the generator's rules JSON", e);
      }
    }
  }

  /** The JSON fields the rules read; a field present with the wrong JSON type is kept as {@code WRONG_TYPE}. */
  private static final class Fields {
    String eventId;
    String tenantId;
    String metric;
    String quantity;
    String timestamp;
    boolean heartbeat;
  }

  private static final String WRONG_TYPE = new String("\u0000wrong-type");

  static Row classify(String line, LocalDateTime now, Rules rules) {
    if (line == null) return rejected("MALFORMED_JSON");
    if (utf8Bytes(line, rules.maxEventBytes) > rules.maxEventBytes) return rejected("OVERSIZED");
    Fields f = parse(line, rules.heartbeatField);
    if (f == null) return rejected("MALFORMED_JSON");
    LocalDateTime ts = validTimestamp(f.timestamp, rules);
    LocalDateTime latest = now.plusSeconds(rules.maxFutureSkewSeconds);
    LocalDateTime earliest = now.minusDays(rules.maxEventAgeDays);
    boolean tick = f.heartbeat && ts != null && !ts.isAfter(latest) && !ts.isBefore(earliest);
    String reason = reason(f, ts, latest, earliest, rules);
    return Row.of(reason, tick, f.eventId, f.tenantId, f.metric, reason == null ? plain(f.quantity) : null, ts);
  }

  private static String reason(Fields f, LocalDateTime ts, LocalDateTime latest, LocalDateTime earliest, Rules rules) {
    if (!isString(f.eventId) || !rules.eventId.matcher(f.eventId).matches()) return "INVALID_EVENT_ID";
    if (!isString(f.tenantId) || !rules.tenantId.matcher(f.tenantId).matches()
        || f.tenantId.contains(rules.tenantIdForbidden)) {
      return "INVALID_TENANT_ID";
    }
    if (!isString(f.metric) || !rules.maxQuantityByMetric.containsKey(f.metric)) return "UNKNOWN_METRIC";
    BigDecimal quantity = quantity(f.quantity);
    if (quantity == null || quantity.signum() < 0
        || quantity.stripTrailingZeros().scale() > rules.quantityScale) {
      return "INVALID_QUANTITY";
    }
    if (ts == null) return "INVALID_TIMESTAMP";
    if (ts.isAfter(latest)) return "TIMESTAMP_IN_FUTURE";
    if (ts.isBefore(earliest)) return "TIMESTAMP_TOO_OLD";
    BigDecimal scaled = quantity.setScale(rules.quantityScale);
    if (scaled.precision() > rules.quantityPrecision
        || scaled.compareTo(rules.maxQuantityByMetric.get(f.metric)) > 0) {
      return "QUANTITY_OUT_OF_RANGE";
    }
    return null;
  }

  private static boolean isString(String value) {
    return value != null && value != WRONG_TYPE;
  }

  /** A JSON number's text as an exact decimal; NULL when absent, not a number, or not finite as a double (as JSON.parse reads it). */
  private static BigDecimal quantity(String text) {
    if (!isString(text)) return null;
    if (Double.isInfinite(Double.parseDouble(text))) return null;
    return new BigDecimal(text);
  }

  private static String plain(String numberText) {
    return new BigDecimal(numberText).toPlainString();
  }

  /** The instant, when the text matches the pattern and is a real date and time (2026-02-30 is not). */
  private static LocalDateTime validTimestamp(String text, Rules rules) {
    if (!isString(text) || !rules.timestamp.matcher(text).matches()) return null;
    try {
      LocalDateTime fixed = fixedLayout(text);
      return fixed != null ? fixed : LocalDateTime.parse(text.substring(0, text.length() - 1));
    } catch (DateTimeException e) {
      return null;
    }
  }

  /**
   * {@code yyyy-MM-ddTHH:mm:ss[.f{1,3}]Z} read by position, or NULL for any other layout (then
   * LocalDateTime.parse decides). Throws DateTimeException where the strict ISO parser does (month 13,
   * February 30, hour 24, second 60): LocalDateTime.of checks the same fields. The parser was a fifth of the
   * source thread's time (flink/README.md, Bench).
   */
  static LocalDateTime fixedLayout(String text) {
    int n = text.length() - 1;
    if (n != 19 && (n < 21 || n > 23) || text.charAt(n) != 'Z' || text.charAt(4) != '-' || text.charAt(7) != '-'
        || text.charAt(10) != 'T' || text.charAt(13) != ':' || text.charAt(16) != ':' || n > 19 && text.charAt(19) != '.') {
      return null;
    }
    int year = digits(text, 0, 4);
    int month = digits(text, 5, 7);
    int day = digits(text, 8, 10);
    int hour = digits(text, 11, 13);
    int minute = digits(text, 14, 16);
    int second = digits(text, 17, 19);
    // One to three fraction digits: .5 is 500 ms, .25 is 250 ms.
    int fraction = n == 19 ? 0 : digits(text, 20, n);
    if ((year | month | day | hour | minute | second | fraction) < 0) return null;
    int millis = fraction * (n == 21 ? 100 : n == 22 ? 10 : 1);
    return LocalDateTime.of(year, month, day, hour, minute, second, millis * 1_000_000);
  }

  /** The decimal value of text[from, to), or −1 when a character is not an ASCII digit. */
  private static int digits(String text, int from, int to) {
    int value = 0;
    for (int i = from; i < to; i++) {
      int d = text.charAt(i) - '0';
      if (d < 0 || d > 9) return -1;
      value = value * 10 + d;
    }
    return value;
  }

  /** UTF-8 size of the line; exact only when it could exceed {@code limit} (3 bytes per UTF-16 unit at most). */
  static int utf8Bytes(String line, int limit) {
    if ((long) line.length() * 3 <= limit) return line.length();
    if (line.length() > limit) return line.length();
    return line.getBytes(StandardCharsets.UTF_8).length;
  }

  /** The fields of a JSON object line, or NULL when the line is not exactly one JSON object. */
  private static Fields parse(String line, String heartbeatField) {
    Fields f = new Fields();
    try (JsonParser p = JSON.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) return null;
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        String name = p.getCurrentName();
        JsonToken value = p.nextToken();
        switch (name) {
          case "eventId":
            f.eventId = stringOrWrongType(p, value);
            break;
          case "tenantId":
            f.tenantId = stringOrWrongType(p, value);
            break;
          case "metric":
            f.metric = stringOrWrongType(p, value);
            break;
          case "timestamp":
            f.timestamp = stringOrWrongType(p, value);
            break;
          case "quantity":
            f.quantity =
                value == JsonToken.VALUE_NUMBER_INT || value == JsonToken.VALUE_NUMBER_FLOAT ? p.getText() : WRONG_TYPE;
            break;
          default:
            if (name.equals(heartbeatField)) f.heartbeat = value == JsonToken.VALUE_TRUE;
            p.skipChildren();
        }
      }
      if (p.nextToken() != null) return null;
      return f;
    } catch (java.io.IOException e) {
      return null;
    }
  }

  private static String stringOrWrongType(JsonParser p, JsonToken value) throws java.io.IOException {
    if (value == JsonToken.VALUE_STRING) return p.getText();
    p.skipChildren();
    return WRONG_TYPE;
  }

  private static Row rejected(String reason) {
    return Row.of(reason, false, null, null, null, null, null);
  }
}
