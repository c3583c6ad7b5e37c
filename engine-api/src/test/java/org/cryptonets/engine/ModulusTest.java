package org.cryptonets.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.Random;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Proves that every {@link Modulus} operation (Barrett {@code reduceProduct}, Shoup
 * {@code multiplyShoup}, {@code reduce}, {@code pow}, {@code inverse}, add/subtract/negate/multiply,
 * {@code centered}) equals the same computation in {@link BigInteger}, over random and extreme
 * operands, for tiny, medium and 31-bit primes; and that {@link Modulus#of} accepts exactly the
 * primes in [2, 2^31), failing with {@code INVALID_MODULUS} otherwise.
 */
class ModulusTest {
  private static final int SAMPLES = 20_000;

  static Stream<Long> primes() {
    long p31 = 2147483647L; // 2^31 - 1, the largest admissible value
    long below31 = previousPrime(p31);
    return Stream.of(
        2L, 3L, 5L, 17L, 97L, 257L, 7681L, 12289L, 65537L, 786433L,
        BigInteger.valueOf(1L << 29).nextProbablePrime().longValueExact(),
        previousPrime(1L << 30),
        BigInteger.valueOf(1L << 30).nextProbablePrime().longValueExact(),
        below31,
        p31);
  }

  private static long previousPrime(long x) {
    long p = x - 1;
    while (!BigInteger.valueOf(p).isProbablePrime(64)) {
      p--;
    }
    return p;
  }

  private static BigInteger big(long v) {
    return BigInteger.valueOf(v);
  }

  private static long randomBelow(Random rnd, long bound) {
    return rnd.nextLong(bound);
  }

  @ParameterizedTest
  @MethodSource("primes")
  void constantsMatchDefinition(long q) {
    Modulus m = Modulus.of(q);
    assertEquals(q, m.value());
    assertEquals(big(q).bitLength(), m.bits());
    assertEquals(m.bits() - 1, m.barrettShiftIn());
    assertEquals(m.bits() + 1, m.barrettShiftOut());
    assertEquals(BigInteger.ONE.shiftLeft(2 * m.bits()).divide(big(q)).longValueExact(), m.barrettFactor());
    assertEquals(Long.toString(q), m.toString());
    assertEquals(Modulus.of(q), m);
    assertEquals(Modulus.of(q).hashCode(), m.hashCode());
  }

  @ParameterizedTest
  @MethodSource("primes")
  void reduceProductMatchesBigIntegerOnProductsAndFullRange(long q) {
    Modulus m = Modulus.of(q);
    Random rnd = new Random(q);
    long full = 1L << (2 * m.bits()); // documented domain [0, 2^(2b))
    long[] extremes = {0, 1, q - 1, q, q * q - 1, (q - 1) * (q - 1), full - 1, full - q};
    for (long x : extremes) {
      assertEquals(big(x).mod(big(q)).longValueExact(), m.reduceProduct(x), "x=" + x);
    }
    for (int s = 0; s < SAMPLES; s++) {
      long a = randomBelow(rnd, q);
      long b = randomBelow(rnd, q);
      assertEquals(big(a).multiply(big(b)).mod(big(q)).longValueExact(), m.reduceProduct(a * b), a + "*" + b);
      assertEquals(big(a).multiply(big(b)).mod(big(q)).longValueExact(), m.multiply(a, b));
      long x = randomBelow(rnd, full);
      assertEquals(big(x).mod(big(q)).longValueExact(), m.reduceProduct(x), "x=" + x);
    }
  }

  @ParameterizedTest
  @MethodSource("primes")
  void multiplyShoupMatchesBigIntegerForInputsBelow2To32(long q) {
    Modulus m = Modulus.of(q);
    Random rnd = new Random(q + 1);
    long[] xs = {0, 1, q - 1, q, (1L << 32) - 1};
    long[] weights = {0, 1, q - 1};
    for (long x : xs) {
      for (long w : weights) {
        assertEquals(big(x).multiply(big(w)).mod(big(q)).longValueExact(), m.multiplyShoup(x, w, m.shoup(w)), x + "*" + w);
      }
    }
    for (int s = 0; s < SAMPLES; s++) {
      long w = randomBelow(rnd, q);
      long x = randomBelow(rnd, 1L << 32);
      long ws = m.shoup(w);
      assertEquals(big(w).shiftLeft(32).divide(big(q)).longValueExact(), ws);
      assertEquals(big(x).multiply(big(w)).mod(big(q)).longValueExact(), m.multiplyShoup(x, w, ws), x + "*" + w);
    }
  }

  @ParameterizedTest
  @MethodSource("primes")
  void reduceAddSubtractNegateCenteredMatchBigInteger(long q) {
    Modulus m = Modulus.of(q);
    BigInteger bq = big(q);
    Random rnd = new Random(q + 2);
    for (long x : new long[] {Long.MIN_VALUE, Long.MAX_VALUE, -1, 0, 1, q - 1, -q + 1, -q, q, -q - 1, q + 1}) {
      assertEquals(big(x).mod(bq).longValueExact(), m.reduce(x), "x=" + x);
    }
    for (int s = 0; s < SAMPLES; s++) {
      long x = rnd.nextLong();
      assertEquals(big(x).mod(bq).longValueExact(), m.reduce(x));
      long a = randomBelow(rnd, q);
      long b = s % 100 == 0 ? q - 1 : randomBelow(rnd, q);
      assertEquals(big(a).add(big(b)).mod(bq).longValueExact(), m.add(a, b));
      assertEquals(big(a).subtract(big(b)).mod(bq).longValueExact(), m.subtract(a, b));
      assertEquals(big(a).negate().mod(bq).longValueExact(), m.negate(a));
      long c = m.centered(a);
      assertTrue(2 * c > -q && 2 * c <= q, "centred " + c + " outside (-q/2, q/2]");
      assertEquals(big(a).mod(bq), big(c).mod(bq));
    }
    assertEquals(0, m.negate(0));
    assertEquals(0, m.centered(0));
    assertEquals(q == 2 ? 1 : -1, m.centered(q - 1));
  }

  @ParameterizedTest
  @MethodSource("primes")
  void powAndInverseMatchBigInteger(long q) {
    Modulus m = Modulus.of(q);
    BigInteger bq = big(q);
    Random rnd = new Random(q + 3);
    assertEquals(1 % q, m.pow(0, 0));
    assertEquals(1 % q, m.pow(q - 1, 0));
    for (int s = 0; s < 2000; s++) {
      long base = rnd.nextLong();
      long e = randomBelow(rnd, 1L << 40);
      assertEquals(big(base).mod(bq).modPow(big(e), bq).longValueExact(), m.pow(base, e), base + "^" + e);
      long a = rnd.nextLong();
      if (big(a).mod(bq).signum() != 0) {
        long inv = m.inverse(a);
        assertEquals(big(a).modInverse(bq).longValueExact(), inv);
      }
    }
    // Fermat: a^(q-1) = 1 for every nonzero a.
    for (long a : new long[] {1, q - 1, (q + 1) / 2}) {
      if (a % q != 0) {
        assertEquals(1, m.pow(a, q - 1));
        assertEquals(1, m.multiply(a % q, m.inverse(a)));
      }
    }
    for (long zero : new long[] {0, q, -q, 5 * q}) {
      EngineException e = assertThrows(EngineException.class, () -> m.inverse(zero));
      assertEquals(EngineException.Code.INVALID_ARGUMENT, e.code());
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {Long.MIN_VALUE, -2147483647L, -7, -2, -1, 0, 1, 4, 9, 15, 561, 65536, 2147483646L, 1L << 31,
      2147483659L /* prime above 2^31 */, 2305843009213693951L /* 2^61 - 1, prime */, Long.MAX_VALUE})
  void ofRejectsNonPrimesAndValuesOutsideTheWord(long q) {
    EngineException e = assertThrows(EngineException.class, () -> Modulus.of(q));
    assertEquals(EngineException.Code.INVALID_MODULUS, e.code());
    assertTrue(e.getMessage().startsWith("INVALID_MODULUS: "), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(longs = {2, 3, 2147483647L})
  void ofAcceptsBoundaryPrimes(long q) {
    assertEquals(q, Modulus.of(q).value());
  }

  /** Every prime below 200 is accepted and every other value below 200 rejected. */
  @ParameterizedTest
  @MethodSource("smallValues")
  void ofAgreesWithPrimalityBelow200(long v) {
    if (big(v).isProbablePrime(64) && v >= 2) {
      assertEquals(v, Modulus.of(v).value());
    } else {
      assertEquals(EngineException.Code.INVALID_MODULUS, assertThrows(EngineException.class, () -> Modulus.of(v)).code());
    }
  }

  static LongStream smallValues() {
    return LongStream.range(-2, 200);
  }
}
