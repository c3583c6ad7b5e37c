package org.cryptonets.bfv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.function.Executable;

/** Shared helpers of the BFV tests: deterministic randomness, parameter specs, host copies of batches. */
final class BfvTestSupport {
  private BfvTestSupport() {}

  /** A SHA1PRNG seeded before first use, so its output is a function of {@code seed} alone. */
  static SecureRandom deterministicRandom(long seed) {
    try {
      SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
      r.setSeed(seed);
      return r;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static BfvParameterSpec spec(int n, List<Integer> coeffBits, int plainBits, int plainCount, SecurityLevel security) {
    BfvParameterSpec s = BfvParameterSpec.of(n, coeffBits, plainBits, plainCount);
    s.security = security;
    return s;
  }

  /** {@code count} prime sizes of {@code bits} each. */
  static List<Integer> bits(int count, int bits) {
    List<Integer> l = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      l.add(bits);
    }
    return l;
  }

  /** Signed slot values in [-bound, bound]. */
  static long[] randomSlots(SplittableRandom r, int n, long bound) {
    long[] v = new long[n];
    for (int j = 0; j < n; j++) {
      v[j] = r.nextLong(-bound, bound + 1);
    }
    return v;
  }

  /** Every residue of every polynomial of the batch, in buffer order. */
  static long[] download(CiphertextBatch c) {
    long[] host = new long[(int) c.buffer().all().hostLength()];
    c.buffer().backend().download(c.buffer().all(), host);
    return host;
  }

  static void assertCode(BfvException.ErrorCode expected, Executable action) {
    BfvException e = assertThrows(BfvException.class, action);
    assertEquals(expected, e.code(), e.getMessage());
  }
}
