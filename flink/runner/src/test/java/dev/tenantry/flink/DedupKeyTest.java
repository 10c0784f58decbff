package dev.tenantry.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DedupKeyTest {
  private final DedupKey key = new DedupKey();

  private static String hex(byte[] bytes) {
    StringBuilder text = new StringBuilder();
    for (byte b : bytes) text.append(String.format("%02x", b));
    return text.toString();
  }

  @Test
  void isTheFirst16BytesOfSha256OverTheLengthPrefixedTenantAndTheEventId() {
    // Expected from coreutils: printf '\0\0\0\5acme1ev-1' | sha256sum | cut -c1-32
    assertEquals("513548e14784e4214a13ec2d1f41be7c", hex(key.hash("acme1", "ev-1")));
  }

  @Test
  void isTheSameForTheSamePairAcrossCalls() {
    byte[] first = key.hash("acme1", "ev-1");
    key.hash("other", "ev-2");
    assertArrayEquals(first, key.hash("acme1", "ev-1"));
    assertEquals(DedupKey.BYTES, first.length);
  }

  @Test
  void separatesPairsThatConcatenateToTheSameText() {
    assertFalse(Arrays.equals(key.hash("acme1", "2ev"), key.hash("acme12", "ev")));
    assertFalse(Arrays.equals(key.hash("acme1", "ev-1"), key.hash("acme2", "ev-1")));
  }

  @Test
  void isNullWhenAFieldIsMissing() {
    assertNull(key.hash(null, "ev-1"));
    assertNull(key.hash("acme1", null));
  }
}
