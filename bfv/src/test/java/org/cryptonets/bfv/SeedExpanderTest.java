package org.cryptonets.bfv;

import static org.cryptonets.bfv.BfvTestSupport.assertCode;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.cryptonets.bfv.BfvException.ErrorCode;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.PrimeGenerator;
import org.cryptonets.engine.RnsBasis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Proves the seed expander is standard AES-256-CTR keyed by (seed, domain, nonce) and its samplers have the documented ranges and moments. */
class SeedExpanderTest {
  static byte[] seed(int b) {
    byte[] s = new byte[SeedExpander.SEED_BYTES];
    for (int i = 0; i < s.length; i++) {
      s[i] = (byte) (b * 31 + i);
    }
    return s;
  }

  static long[] longs(SeedExpander e, int count) {
    long[] v = new long[count];
    for (int i = 0; i < count; i++) {
      v[i] = e.nextLong();
    }
    return v;
  }

  /**
   * The batch form used to regenerate seeded c1 halves gives, nonce for nonce, what a new expander
   * per nonce gives: counts below, at and above the number of parallel parts, nonces past 2^32.
   */
  @ParameterizedTest(name = "{0} streams from nonce {1}")
  @CsvSource({"1, 0", "2, 7", "3, 0", "17, 1", "33, 1099511627776"})
  void uniformStreamsEqualAnExpanderPerNonce(int count, long firstNonce) {
    int n = 1024;
    RnsBasis basis = RnsBasis.of(n, PrimeGenerator.nttPrimes(31, n, 2, Set.of()).get(0), PrimeGenerator.nttPrimes(18, n, 1, Set.of()).get(0));
    int len = 2 * n;
    long[] expected = new long[count * len];
    for (int k = 0; k < count; k++) {
      new SeedExpander(seed(4), 9, firstNonce + k).uniform(basis, expected, k * len);
    }
    long[] out = new long[count * len];
    SeedExpander.uniformStreams(seed(4), 9, firstNonce, count, basis, out);
    assertArrayEquals(expected, out);
    SeedExpander.uniformStreams(seed(4), 9, firstNonce, 0, basis, new long[0]);
    assertCode(ErrorCode.INVALID_ARGUMENT, () -> SeedExpander.uniformStreams(seed(4), 9, firstNonce, count, basis, new long[count * len - 1]));
    assertCode(ErrorCode.INVALID_ARGUMENT, () -> SeedExpander.uniformStreams(seed(4), 9, firstNonce, -1, basis, new long[0]));
    assertCode(ErrorCode.INVALID_ARGUMENT, () -> SeedExpander.uniformStreams(new byte[31], 9, firstNonce, count, basis, out));
  }

  /** 5000 longs cross the 16 KiB refill boundary twice. */
  @Test
  void sameSeedDomainNonceGiveTheSameStream() {
    assertArrayEquals(longs(new SeedExpander(seed(1), 5, 42), 5000), longs(new SeedExpander(seed(1), 5, 42), 5000));
    int[] a = new int[10000];
    int[] b = new int[10000];
    new SeedExpander(seed(2), 4, 0).centeredBinomial(a);
    new SeedExpander(seed(2), 4, 0).centeredBinomial(b);
    assertArrayEquals(a, b);
  }

  /** A restarted expander gives exactly the stream a fresh one would, wherever the old stream stopped. */
  @ParameterizedTest(name = "after {0} longs, restart at domain {1}, nonce {2}")
  @CsvSource({"0, 5, 42", "1, 5, 43", "2048, 4, 0", "5000, 6, -1", "3, 5, 4294967338"})
  void restartEqualsAFreshExpander(int consumed, int domain, long nonce) {
    SeedExpander reused = new SeedExpander(seed(1), 5, 7);
    longs(reused, consumed);
    reused.restart(domain, nonce);
    assertArrayEquals(longs(new SeedExpander(seed(1), domain, nonce), 5000), longs(reused, 5000));
  }

  @ParameterizedTest(name = "seed {0}, domain {1}, nonce {2} differs from seed 1, domain 5, nonce 42")
  @CsvSource({"1, 5, 43", "1, 5, -42", "1, 5, 4294967338", "1, 4, 42", "1, 6, 42", "2, 5, 42"})
  void anyChangeGivesAnIndependentStream(int seedByte, int domain, long nonce) {
    long[] reference = longs(new SeedExpander(seed(1), 5, 42), 4096);
    long[] other = longs(new SeedExpander(seed(seedByte), domain, nonce), 4096);
    int equal = 0;
    for (int i = 0; i < reference.length; i++) {
      if (reference[i] == other[i]) {
        equal++;
      }
    }
    assertEquals(0, equal, "equal 64-bit words between independent streams");
  }

  /** AES-256 of the zero block under the zero key is dc95c078a2408989ad48a21492842087 (FIPS-197 style known answer). */
  @Test
  void zeroSeedZeroCounterIsTheAes256KnownAnswer() {
    SeedExpander e = new SeedExpander(new byte[32], 0, 0);
    assertEquals(0x898940a278c095dcL, e.nextLong());
    assertEquals(0x8720849214a248adL, e.nextLong());
  }

  /** The counter block is little-endian domain (4 bytes), nonce (8 bytes), then a 4-byte block counter from 0. */
  @Test
  void counterBlockLayoutIsDomainThenNonce() throws Exception {
    byte[] key = seed(3);
    Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
    ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
    for (long block = 0; block < 3; block++) {
      byte[] counter = new byte[16];
      ByteBuffer.wrap(counter).order(ByteOrder.LITTLE_ENDIAN).putInt(7).putLong(-3L);
      // CTR increments the 16-byte block as a big-endian integer: the last byte here.
      counter[15] = (byte) block;
      ByteBuffer expected = ByteBuffer.wrap(ecb.doFinal(counter)).order(ByteOrder.LITTLE_ENDIAN);
      SeedExpander e = new SeedExpander(key, 7, -3L);
      for (long skip = 0; skip < block * 2; skip++) {
        e.nextLong();
      }
      assertEquals(expected.getLong(), e.nextLong(), "block " + block);
      assertEquals(expected.getLong(), e.nextLong(), "block " + block);
    }
  }

  @Test
  void ternaryIsUniformOnMinusOneZeroOne() {
    int[] v = new int[300_000];
    new SeedExpander(seed(4), 1, 0).ternary(v);
    int[] counts = new int[3];
    long sum = 0;
    for (int x : v) {
      assertTrue(x >= -1 && x <= 1, "ternary value " + x);
      counts[x + 1]++;
      sum += x;
    }
    for (int c : counts) {
      assertEquals(1.0 / 3, (double) c / v.length, 0.005, "frequency of one ternary value");
    }
    assertEquals(0.0, (double) sum / v.length, 0.005, "mean");
  }

  /** CBD with eta = 21: values in [-21, 21], mean 0, variance eta / 2 = 10.5 (eta 20 or 22 would miss by 0.5). */
  @Test
  void centeredBinomialHasVariance10Point5() {
    int[] v = new int[300_000];
    new SeedExpander(seed(5), 4, 9).centeredBinomial(v);
    double sum = 0;
    double sumSq = 0;
    int positive = 0;
    int negative = 0;
    for (int x : v) {
      assertTrue(x >= -21 && x <= 21, "CBD value " + x);
      sum += x;
      sumSq += (double) x * x;
      positive += x > 0 ? 1 : 0;
      negative += x < 0 ? 1 : 0;
    }
    double mean = sum / v.length;
    double variance = sumSq / v.length - mean * mean;
    assertEquals(0.0, mean, 0.03, "mean");
    assertEquals(10.5, variance, 0.25, "variance");
    assertEquals(1.0, (double) positive / negative, 0.02, "symmetry");
  }

  @Test
  void uniformResiduesCoverEachPrimeEvenly() {
    int n = 4096;
    RnsBasis basis = RnsBasis.of(n, PrimeGenerator.nttPrimes(31, n, 2, Set.of()).get(0), PrimeGenerator.nttPrimes(19, n, 1, Set.of()).get(0));
    long[] out = new long[3 + 2 * n];
    new SeedExpander(seed(6), 5, 0).uniform(basis, out, 3);
    assertArrayEquals(new long[3], java.util.Arrays.copyOf(out, 3), "writes start at the offset");
    long[] again = new long[3 + 2 * n];
    new SeedExpander(seed(6), 5, 0).uniform(basis, again, 3);
    assertArrayEquals(out, again);
    for (int i = 0; i < 2; i++) {
      long q = basis.modulus(i).value();
      int[] buckets = new int[16];
      double sum = 0;
      for (int j = 0; j < n; j++) {
        long x = out[3 + i * n + j];
        assertTrue(x >= 0 && x < q, "residue " + x + " mod " + q);
        buckets[(int) (x * 16 / q)]++;
        sum += x;
      }
      assertEquals(0.5, sum / n / q, 0.02, "mean / q of limb " + i);
      for (int b : buckets) {
        assertEquals(n / 16.0, b, n / 16.0 * 0.25, "bucket count of limb " + i);
      }
    }
  }

  /**
   * The uniform residues are the stream's 32-bit words in order, masked to the prime's bits, those
   * at or above q skipped: the definition both parties rely on, checked against draws through
   * nextInt across several keystream refills, with an 18-bit prime whose mask rejects a good share.
   */
  @Test
  void uniformIsTheMaskedWordStreamWithRejection() {
    int n = 8192;
    RnsBasis basis = RnsBasis.of(n, PrimeGenerator.nttPrimes(31, n, 1, Set.of()).get(0), PrimeGenerator.nttPrimes(18, n, 1, Set.of()).get(0));
    long[] out = new long[2 * n];
    SeedExpander expander = new SeedExpander(seed(9), 3, 77);
    expander.nextInt(); // start part-way through a keystream block
    expander.uniform(basis, out, 0);
    SeedExpander reference = new SeedExpander(seed(9), 3, 77);
    reference.nextInt();
    for (int i = 0; i < 2; i++) {
      Modulus m = basis.modulus(i);
      long mask = (1L << m.bits()) - 1;
      for (int j = 0; j < n; j++) {
        long v;
        do {
          v = reference.nextInt() & mask;
        } while (v >= m.value());
        assertEquals(v, out[i * n + j], "limb " + i + " coefficient " + j);
      }
    }
    assertEquals(reference.nextInt(), expander.nextInt(), "both consumed the same words");
  }

  /** Block-wise noise draws are the nextLong() stream, across keystream blocks and from mid-block. */
  @Test
  void centeredBinomialIsTheLongWordStream() {
    int[] out = new int[5000];
    SeedExpander expander = new SeedExpander(seed(11), 4, 5);
    expander.nextInt(); // 4 bytes in: every 8-byte word straddles the reference's alignment
    expander.centeredBinomial(out);
    SeedExpander reference = new SeedExpander(seed(11), 4, 5);
    reference.nextInt();
    long mask = (1L << 21) - 1;
    for (int j = 0; j < out.length; j++) {
      long r = reference.nextLong();
      assertEquals(Long.bitCount(r & mask) - Long.bitCount((r >>> 21) & mask), out[j], "draw " + j);
    }
    assertEquals(reference.nextLong(), expander.nextLong(), "both consumed the same words");
  }

  @ParameterizedTest(name = "seed of {0} bytes")
  @ValueSource(ints = {-1, 0, 16, 31, 33, 64})
  void seedMustBe32Bytes(int length) {
    byte[] s = length < 0 ? null : new byte[length];
    assertCode(ErrorCode.INVALID_ARGUMENT, () -> new SeedExpander(s, 1, 0));
  }
}
