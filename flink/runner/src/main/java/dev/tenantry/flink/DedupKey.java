package dev.tenantry.flink;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The de-duplication key of (tenant id, event id) ({@link UsageTotals} keeps one per event id), the first 16 bytes (128 bits) of
 * SHA-256 over the tenant id's length, the tenant id and the event id (UTF-8; the length makes the pair
 * unambiguous). The de-duplication keeps one key per event id for the whole horizon: 16 random bytes
 * instead of the two strings. Two distinct pairs share a key with probability ≈ n² / 2¹²⁹ (n = ids in
 * the horizon; 2M ids: ≈ 10⁻²⁶); such a pair would be counted once, so the width is not to be cut.
 * Not thread-safe: one per operator instance.
 */
public final class DedupKey {
  static final int BYTES = 16;

  private final MessageDigest sha256 = newSha256();

  /** The key from the ids' UTF-8 bytes (the table runtime's strings are UTF-8: no decoding). */
  public byte[] hash(byte[] tenantIdUtf8, byte[] eventIdUtf8) {
    sha256.update(ByteBuffer.allocate(Integer.BYTES).putInt(tenantIdUtf8.length).array());
    sha256.update(tenantIdUtf8);
    sha256.update(eventIdUtf8);
    return Arrays.copyOf(sha256.digest(), BYTES);
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("DedupKey: the JVM has no SHA-256", e);
    }
  }
}
