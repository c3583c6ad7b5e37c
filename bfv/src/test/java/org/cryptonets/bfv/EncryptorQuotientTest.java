package org.cryptonets.bfv;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The rounding step of encryption, floor(x / t) without a division, against Java's division over its whole domain. */
class EncryptorQuotientTest {
  @ParameterizedTest
  @ValueSource(longs = {2, 3, 65537, 536690689, 536641537, 1073692673, 2147483647})
  void matchesExactDivisionAtEdgesAndAtRandom(long t) {
    double inverse = 1.0 / t;
    long limit = t << 31;
    long[] edges = {0, 1, t - 1, t, t + 1, t * t - 1, t * t, (t - 1) * (t - 1) + t / 2, limit - 1, limit - t, limit - t - 1};
    for (long x : edges) {
      if (x >= 0 && x < limit) {
        assertEquals(x / t, Encryptor.quotient(x, t, inverse), "x = " + x + ", t = " + t);
      }
    }
    SplittableRandom random = new SplittableRandom(20161121L + t);
    for (int k = 0; k < 200_000; k++) {
      long x = random.nextLong(limit);
      long y = random.nextLong(t) * random.nextLong(t) + random.nextLong(t);
      assertEquals(x / t, Encryptor.quotient(x, t, inverse), "x = " + x + ", t = " + t);
      if (y >= 0 && y < limit) {
        assertEquals(y / t, Encryptor.quotient(y, t, inverse), "y = " + y + ", t = " + t);
      }
      // Near multiples of t, where a rounded estimate is most likely off by one.
      long near = (x / t) * t + (k % 3) - 1;
      if (near >= 0 && near < limit) {
        assertEquals(near / t, Encryptor.quotient(near, t, inverse), "near = " + near + ", t = " + t);
      }
    }
  }
}
