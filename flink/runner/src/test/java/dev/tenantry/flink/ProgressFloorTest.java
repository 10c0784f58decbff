package dev.tenantry.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProgressFloorTest {
  private static final String PK = "METERING#PROGRESS";

  private static String progressLine(String pk, String passedAt) {
    return "{\"pk\":\"" + pk + "\",\"sk\":\"" + passedAt + "\",\"passedAt\":\"" + passedAt + "\",\"expiresAt\":1}\n";
  }

  @Test
  void noProgressMeansNoFloor() {
    assertEquals("NULL", ProgressFloor.literal(Optional.empty()));
  }

  @Test
  void theFloorIsTheWatermarkTheProgressProves() {
    // A window ending at 06:28 has fired once the watermark reached 06:27:59.999 (ends are exclusive).
    assertEquals(
        "TIMESTAMP '2026-11-21 06:27:59.999'",
        ProgressFloor.literal(Optional.of(Instant.parse("2026-11-21T06:28:00.000Z"))));
  }

  @Test
  void readsTheGreatestProgressFromCommittedAndInProgressFiles(@TempDir Path dir) throws Exception {
    // Prepare: the greatest instant sits in an in-progress file (a stop with a savepoint leaves it there),
    // and a later line under another key must not count.
    Files.writeString(dir.resolve("part-a-0-0"), progressLine(PK, "2026-11-21T06:27:00.000Z"));
    Files.writeString(
        dir.resolve(".part-a-0-1.inprogress.x"),
        progressLine(PK, "2026-11-21T06:28:00.000Z") + "\n" + progressLine(PK, "2026-11-21T05:41:00.000Z"));
    Files.writeString(dir.resolve("part-b-0-0"), progressLine("OTHER", "2026-11-22T00:00:00.000Z"));

    // Act
    Optional<Instant> floor =
        ProgressFloor.read(Map.of("connector", "filesystem", "path", dir.toString()), PK);

    // Assess
    assertEquals(Optional.of(Instant.parse("2026-11-21T06:28:00.000Z")), floor);
  }

  @Test
  void aJobThatHasNotWrittenItsProgressSinkHasNoFloor(@TempDir Path dir) throws Exception {
    assertEquals(Optional.empty(), ProgressFloor.readFiles(dir.resolve("progress").toString(), PK));
  }

  @Test
  void refusesASinkItCannotReadBack() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ProgressFloor.read(Map.of("connector", "print"), PK));
    assertTrue(e.getMessage().contains("print"));
  }
}
