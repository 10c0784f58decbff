package dev.tenantry.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SqlScriptTest {
  @Test
  void splitsOptionsDdlAndOneStatementSet() {
    String text =
        "-- header; with a semicolon\n"
            + "SET 'table.local-time-zone' = 'UTC';\n"
            + "CREATE TABLE a (line STRING) WITH ('path' = 'x;y', 'q' = 'it''s');\n"
            + "EXECUTE STATEMENT SET BEGIN\n"
            + "INSERT INTO b SELECT * FROM a;\n"
            + "INSERT INTO c SELECT ';' FROM a;\n"
            + "END;\n";
    SqlScript script = SqlScript.parse(text);
    assertEquals(List.of(Map.entry("table.local-time-zone", "UTC")), script.options);
    assertEquals(List.of("CREATE TABLE a (line STRING) WITH ('path' = 'x;y', 'q' = 'it''s')"), script.ddl);
    assertEquals(List.of("INSERT INTO b SELECT * FROM a", "INSERT INTO c SELECT ';' FROM a"), script.inserts);
  }

  @Test
  void rejectsInsertOutsideTheStatementSet() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SqlScript.parse("INSERT INTO b SELECT 1;"));
    assertEquals(true, e.getMessage().contains("outside EXECUTE STATEMENT SET"));
  }

  @Test
  void rejectsUnterminatedStatementSet() {
    assertThrows(
        IllegalArgumentException.class, () -> SqlScript.parse("EXECUTE STATEMENT SET BEGIN INSERT INTO b SELECT 1;"));
  }

  @Test
  void readsAnOptionTheScriptSetsAndRefusesAMissingOne() {
    SqlScript script =
        SqlScript.parse(
            "SET 'tenantry.restore-guard.progress-table' = 'progress';\n"
                + "EXECUTE STATEMENT SET BEGIN INSERT INTO b SELECT 1; END;");
    assertEquals("progress", script.option("tenantry.restore-guard.progress-table"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> script.option("tenantry.restore-guard.progress-pk"));
    assertEquals(true, e.getMessage().contains("tenantry.restore-guard.progress-pk"));
  }
}
