package dev.tenantry.flink;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The generated metering script, split into what the runner executes: {@code SET} options, DDL
 * statements, and the INSERTs of the single {@code EXECUTE STATEMENT SET BEGIN … END;} block.
 * Statements end with {@code ;}; semicolons inside quoted strings, quoted identifiers and
 * {@code --} comments are ignored.
 */
public final class SqlScript {
  private static final Pattern SET =
      Pattern.compile("(?is)^SET\\s+'((?:[^']|'')*)'\\s*=\\s*'((?:[^']|'')*)'$");
  private static final Pattern BEGIN = Pattern.compile("(?is)^EXECUTE\\s+STATEMENT\\s+SET\\s+BEGIN\\s+(.*)$");

  public final List<Map.Entry<String, String>> options = new ArrayList<>();
  public final List<String> ddl = new ArrayList<>();
  public final List<String> inserts = new ArrayList<>();

  public static SqlScript parse(String text) {
    SqlScript script = new SqlScript();
    boolean inSet = false;
    boolean sawSet = false;
    for (String statement : split(text)) {
      String upper = statement.toUpperCase(Locale.ROOT);
      if (inSet) {
        if (upper.equals("END")) {
          inSet = false;
        } else if (upper.startsWith("INSERT")) {
          script.inserts.add(statement);
        } else {
          throw new IllegalArgumentException(
              "only INSERT statements may appear inside EXECUTE STATEMENT SET, found: " + head(statement));
        }
        continue;
      }
      Matcher set = SET.matcher(statement);
      Matcher begin = BEGIN.matcher(statement);
      if (set.matches()) {
        script.options.add(Map.entry(set.group(1).replace("''", "'"), set.group(2).replace("''", "'")));
      } else if (begin.matches()) {
        if (sawSet) throw new IllegalArgumentException("the script has more than one EXECUTE STATEMENT SET");
        inSet = true;
        sawSet = true;
        String first = begin.group(1).trim();
        if (!first.toUpperCase(Locale.ROOT).startsWith("INSERT")) {
          throw new IllegalArgumentException("EXECUTE STATEMENT SET must start with an INSERT, found: " + head(first));
        }
        script.inserts.add(first);
      } else if (upper.startsWith("INSERT")) {
        throw new IllegalArgumentException(
            "INSERT outside EXECUTE STATEMENT SET (all INSERTs must form one job): " + head(statement));
      } else {
        script.ddl.add(statement);
      }
    }
    if (inSet) throw new IllegalArgumentException("EXECUTE STATEMENT SET BEGIN without END;");
    if (script.inserts.isEmpty()) throw new IllegalArgumentException("the script has no INSERT statement");
    return script;
  }

  /** The value of a {@code SET} option the script must carry. */
  public String option(String key) {
    return options.stream()
        .filter(option -> option.getKey().equals(key))
        .map(Map.Entry::getValue)
        .reduce((first, second) -> second)
        .orElseThrow(() -> new IllegalArgumentException("the script does not set '" + key + "'"));
  }

  private static String head(String statement) {
    return statement.length() > 80 ? statement.substring(0, 80) + "…" : statement;
  }

  /** Splits on top-level semicolons; drops comments and blank statements. */
  static List<String> split(String text) {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    int i = 0;
    int n = text.length();
    while (i < n) {
      char c = text.charAt(i);
      if (c == '-' && i + 1 < n && text.charAt(i + 1) == '-') {
        while (i < n && text.charAt(i) != '\n') i++;
        continue;
      }
      if (c == '\'' || c == '`' || c == '"') {
        int end = i + 1;
        while (end < n) {
          if (text.charAt(end) == c) {
            if (end + 1 < n && text.charAt(end + 1) == c) {
              end += 2;
              continue;
            }
            break;
          }
          end++;
        }
        if (end >= n) throw new IllegalArgumentException("unterminated " + c + " quote in the SQL script");
        current.append(text, i, end + 1);
        i = end + 1;
        continue;
      }
      if (c == ';') {
        String s = current.toString().trim();
        if (!s.isEmpty()) out.add(s);
        current.setLength(0);
        i++;
        continue;
      }
      current.append(c);
      i++;
    }
    String rest = current.toString().trim();
    if (!rest.isEmpty()) out.add(rest);
    return out;
  }
}
