package dev.tenantry.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DedupKeyTest {
  private final DedupKey key = new DedupKey();

  /** The key of a pair, from its UTF-8 bytes as the operator passes them. */
  private byte[] hash(String tenantId, String eventId) {
    return key.hash(tenantId.getBytes(StandardCharsets.UTF_8), eventId.getBytes(StandardCharsets.UTF_8));
  }

  private static String hex(byte[] bytes) {
    StringBuilder text = new StringBuilder();
    for (byte b : bytes) text.append(String.format("%02x", b));
    return text.toString();
  }

  @Test
  void isTheFirst16BytesOfSha256OverTheLengthPrefixedTenantAndTheEventId() {
    // Expected from coreutils: printf '\0\0\0\5acme1ev-1' | sha256sum | cut -c1-32
    assertEquals("513548e14784e4214a13ec2d1f41be7c", hex(hash("acme1", "ev-1")));
  }

  @Test
  void isTheSameForTheSamePairAcrossCalls() {
    byte[] first = hash("acme1", "ev-1");
    hash("other", "ev-2");
    assertArrayEquals(first, hash("acme1", "ev-1"));
    assertEquals(DedupKey.BYTES, first.length);
  }

  @Test
  void separatesPairsThatConcatenateToTheSameText() {
    assertFalse(Arrays.equals(hash("acme1", "2ev"), hash("acme12", "ev")));
    assertFalse(Arrays.equals(hash("acme1", "ev-1"), hash("acme2", "ev-1")));
  }
}
