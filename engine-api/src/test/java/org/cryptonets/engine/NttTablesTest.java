package org.cryptonets.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Proves the negacyclic NTT of {@link NttTables}: forward, pointwise product, inverse equals the
 * schoolbook product in Z_q[x]/(x^n + 1); the forward output at index i is the input evaluated at
 * psi^(2 brv(i) + 1) (checked exhaustively on the monomial basis for n = 16, on random inputs for
 * larger n); psi is the smallest primitive 2n-th root; the tables hold the documented powers and
 * Shoup constants; moduli that are not 1 mod 2n and bad degrees are rejected.
 */
class NttTablesTest {

  /** (n, q): two 31-bit primes, a 20-bit prime and the smallest NTT prime for each degree. */
  static Stream<Arguments> tables() {
    List<Arguments> out = new ArrayList<>();
    for (int n : new int[] {16, 64, 1024}) {
      for (long q : PrimeGenerator.nttPrimes(31, n, 2, Set.of())) {
        out.add(Arguments.of(n, q));
      }
      out.add(Arguments.of(n, PrimeGenerator.nttPrimes(20, n, 1, Set.of()).get(0)));
      out.add(Arguments.of(n, smallestNttPrime(n)));
    }
    return out.stream();
  }

  static long smallestNttPrime(int n) {
    long p = 2L * n + 1;
    while (!BigInteger.valueOf(p).isProbablePrime(64)) {
      p += 2L * n;
    }
    return p;
  }

  static int bitReverse(int i, int n) {
    return Integer.reverse(i) >>> (32 - Integer.numberOfTrailingZeros(n));
  }

  static long[] random(Random rnd, int n, long q) {
    long[] a = new long[n];
    for (int j = 0; j < n; j++) {
      a[j] = rnd.nextLong(q);
    }
    a[0] = q - 1;
    a[n - 1] = 0;
    return a;
  }

  /** Schoolbook product in Z_q[x]/(x^n + 1): x^n = -1. */
  static long[] negacyclic(long[] a, long[] b, long q) {
    int n = a.length;
    long[] c = new long[n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        long p = a[i] * b[j] % q;
        int k = i + j;
        if (k < n) {
          c[k] = (c[k] + p) % q;
        } else {
          c[k - n] = (c[k - n] - p + q) % q;
        }
      }
    }
    return c;
  }

  /** a(x) at x = point, mod q, by Horner's rule in BigInteger. */
  static long evaluate(long[] a, long point, long q) {
    BigInteger bq = BigInteger.valueOf(q);
    BigInteger x = BigInteger.valueOf(point);
    BigInteger acc = BigInteger.ZERO;
    for (int j = a.length - 1; j >= 0; j--) {
      acc = acc.multiply(x).add(BigInteger.valueOf(a[j])).mod(bq);
    }
    return acc.longValueExact();
  }

  @ParameterizedTest
  @MethodSource("tables")
  void forwardPointwiseInverseIsNegacyclicProduct(int n, long q) {
    Modulus m = Modulus.of(q);
    NttTables t = new NttTables(m, n);
    Random rnd = new Random(n * 31L + q);
    long[] a = random(rnd, n, q);
    long[] b = random(rnd, n, q);
    long[] expected = negacyclic(a, b, q);
    long[] fa = a.clone();
    long[] fb = b.clone();
    t.forward(fa, 0);
    t.forward(fb, 0);
    long[] prod = new long[n];
    for (int i = 0; i < n; i++) {
      assertTrue(fa[i] >= 0 && fa[i] < q, "forward output not canonical");
      prod[i] = m.multiply(fa[i], fb[i]);
    }
    t.inverse(prod, 0);
    assertArrayEquals(expected, prod);
    // x * x^(n-1) = x^n = -1 (the negacyclic wrap).
    long[] x1 = new long[n];
    x1[1] = 1;
    long[] xl = new long[n];
    xl[n - 1] = 1;
    t.forward(x1, 0);
    t.forward(xl, 0);
    for (int i = 0; i < n; i++) {
      x1[i] = m.multiply(x1[i], xl[i]);
    }
    t.inverse(x1, 0);
    long[] minusOne = new long[n];
    minusOne[0] = q - 1;
    assertArrayEquals(minusOne, x1);
  }

  @ParameterizedTest
  @MethodSource("tables")
  void inverseUndoesForwardAndOffsetsAreRespected(int n, long q) {
    NttTables t = new NttTables(Modulus.of(q), n);
    Random rnd = new Random(q ^ n);
    long[] a = random(rnd, n, q);
    long[] buf = new long[n + 7];
    java.util.Arrays.fill(buf, -5);
    System.arraycopy(a, 0, buf, 3, n);
    t.forward(buf, 3);
    long[] direct = a.clone();
    t.forward(direct, 0);
    assertArrayEquals(direct, java.util.Arrays.copyOfRange(buf, 3, 3 + n));
    t.inverse(buf, 3);
    assertArrayEquals(a, java.util.Arrays.copyOfRange(buf, 3, 3 + n));
    for (int k : new int[] {0, 1, 2, n + 3, n + 4, n + 5, n + 6}) {
      assertEquals(-5, buf[k], "wrote outside [offset, offset + n)");
    }
  }

  /** forward(a)[i] = a(psi^(2 brv(i) + 1)) on random inputs. */
  @ParameterizedTest
  @MethodSource("tables")
  void forwardEvaluatesAtOddPowersOfPsiInBitReversedOrder(int n, long q) {
    Modulus m = Modulus.of(q);
    NttTables t = new NttTables(m, n);
    long[] a = random(new Random(q + n), n, q);
    long[] f = a.clone();
    t.forward(f, 0);
    for (int i = 0; i < n; i++) {
      long point = m.pow(t.psi(), 2L * bitReverse(i, n) + 1);
      assertEquals(evaluate(a, point, q), f[i], "index " + i);
    }
  }

  /**
   * Exhaustive known answers for n = 16: the NTT matrix entry (i, k), the image of x^k at index i,
   * is psi^((2 brv(i) + 1) k) for every i and k; by linearity this pins down the whole transform.
   */
  @ParameterizedTest
  @CsvSource({"97", "193", "257", "7681", "2147483489"})
  void monomialsOfDegree16MapToOddPowersOfPsi(long q) {
    int n = 16;
    Modulus m = Modulus.of(q);
    NttTables t = new NttTables(m, n);
    for (int k = 0; k < n; k++) {
      long[] e = new long[n];
      e[k] = 1;
      t.forward(e, 0);
      for (int i = 0; i < n; i++) {
        assertEquals(m.pow(t.psi(), (2L * bitReverse(i, n) + 1) * k), e[i], "x^" + k + " at index " + i);
      }
      t.inverse(e, 0);
      long[] back = new long[n];
      back[k] = 1;
      assertArrayEquals(back, e);
    }
  }

  @Test
  void knownPsiForSmallPrimes() {
    // Primitive 32nd roots mod 97 are the x with x^16 = -1: 19, 20, 28, ... (19^16 = 96 mod 97).
    assertEquals(19, new NttTables(Modulus.of(97), 16).psi());
    // 12289 = 3 * 2^12 + 1; brute force below confirms.
    assertEquals(bruteForcePsi(12289, 1024), new NttTables(Modulus.of(12289), 1024).psi());
  }

  private static long bruteForcePsi(long q, int n) {
    Modulus m = Modulus.of(q);
    for (long x = 1; x < q; x++) {
      if (m.pow(x, n) == q - 1) {
        return x;
      }
    }
    throw new AssertionError("no root");
  }

  @ParameterizedTest
  @MethodSource("tables")
  void psiIsTheSmallestPrimitive2nthRoot(int n, long q) {
    Modulus m = Modulus.of(q);
    long psi = new NttTables(m, n).psi();
    assertEquals(q - 1, m.pow(psi, n), "psi^n must be -1");
    assertEquals(1, m.pow(psi, 2L * n));
    if (q < 200_000) {
      assertEquals(bruteForcePsi(q, n), psi);
    } else {
      // The primitive 2n-th roots are psi^(odd k); none is smaller than psi.
      long sq = m.multiply(psi, psi);
      long cur = psi;
      for (int k = 0; k < n; k++) {
        assertTrue(cur >= psi, "psi^" + (2 * k + 1) + " = " + cur + " < psi");
        assertEquals(q - 1, m.pow(cur, n));
        cur = m.multiply(cur, sq);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("tables")
  void tablesHoldBitReversedPowersAndShoupConstants(int n, long q) {
    Modulus m = Modulus.of(q);
    NttTables t = new NttTables(m, n);
    long psiInv = m.inverse(t.psi());
    assertEquals(n, t.n());
    assertEquals(m, t.modulus());
    for (int i = 0; i < n; i++) {
      int r = bitReverse(i, n);
      assertEquals(m.pow(t.psi(), i), t.rootPowers()[r]);
      assertEquals(m.pow(psiInv, i), t.inverseRootPowers()[r]);
      assertEquals(BigInteger.valueOf(t.rootPowers()[i]).shiftLeft(32).divide(BigInteger.valueOf(q)).longValueExact(), t.rootPowersShoup()[i]);
      assertEquals(m.shoup(t.inverseRootPowers()[i]), t.inverseRootPowersShoup()[i]);
    }
    assertEquals(1, m.multiply(t.inverseN(), n % q));
    assertEquals(m.shoup(t.inverseN()), t.inverseNShoup());
  }

  @ParameterizedTest
  @CsvSource({
    "97,64", // 2n = 128 > 96
    "65537,65536", // 65536 is not a multiple of 2^17
    "7681,1024", // 7680 = 2^9 * 15, not a multiple of 2048
    "2147483647,16", // 2^31 - 2 = 2 * 3^2 * 7 * 11 * 31 * 151 * 331
    "3,16",
    "2,16"
  })
  void modulusNotOneMod2nIsRejected(long q, int n) {
    EngineException e = assertThrows(EngineException.class, () -> new NttTables(Modulus.of(q), n));
    assertEquals(EngineException.Code.INVALID_MODULUS, e.code());
  }

  @ParameterizedTest
  @CsvSource({"8", "0", "-16", "24", "1000", "131072"})
  void badDegreeIsRejected(int n) {
    EngineException e = assertThrows(EngineException.class, () -> new NttTables(Modulus.of(12289), n));
    assertEquals(EngineException.Code.INVALID_RING_DEGREE, e.code());
  }

  @Test
  void ringDegreeBounds() {
    RingDegree.check(16);
    RingDegree.check(65536);
    assertEquals(13, RingDegree.log2(8192));
    assertEquals(EngineException.Code.INVALID_RING_DEGREE, assertThrows(EngineException.class, () -> RingDegree.check(32768 * 4)).code());
  }
}
