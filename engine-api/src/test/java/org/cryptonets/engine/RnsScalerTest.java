package org.cryptonets.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
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
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Proves {@link RnsScaler#scale} against BigInteger: {@code forDecryption} gives round(t x / Q) mod t
 * for x in [0, Q), {@code forMultiplication} gives round(t x / Q) mod p_j for x in [0, QP); exact
 * except when t x / Q lies within 2^-20 of a half-integer (such samples are skipped and counted to
 * stay rare). Also a BFV known answer (Delta m + e decrypts to m), {@code roundFraction} against
 * BigInteger, the accessors, and the SHAPE_MISMATCH limits.
 */
class RnsScalerTest {
  private static final int SAMPLES = 2000;

  static RnsBasis basis(int n, List<Long> primes) {
    return RnsBasis.of(n, primes.stream().mapToLong(Long::longValue).toArray());
  }

  static BigInteger randomBelow(Random rnd, BigInteger bound) {
    BigInteger r;
    do {
      r = new BigInteger(bound.bitLength(), rnd);
    } while (r.compareTo(bound) >= 0);
    return r;
  }

  /** round(t x / Q), or null when t x / Q is within 2^-20 of a half-integer. */
  static BigInteger roundedOrNull(BigInteger t, BigInteger x, BigInteger q) {
    BigInteger[] qr = t.multiply(x).divideAndRemainder(q);
    BigInteger distance = qr[1].shiftLeft(1).subtract(q).abs(); // |2r - Q| = 2Q |frac - 1/2|
    if (distance.shiftLeft(19).compareTo(q) < 0) {
      return null;
    }
    return qr[1].shiftLeft(1).compareTo(q) >= 0 ? qr[0].add(BigInteger.ONE) : qr[0];
  }

  /** (n, Q primes, t) for decryption; t must be an NTT prime for n since it forms the output basis. */
  static Stream<Arguments> decryption() {
    List<Arguments> out = new ArrayList<>();
    for (int k : new int[] {1, 2, 3, 5, 8, 16}) {
      out.add(Arguments.of(16, PrimeGenerator.nttPrimes(31, 16, k, Set.of()), 65537L));
    }
    out.add(Arguments.of(16, PrimeGenerator.nttPrimes(30, 16, 4, Set.of()), 97L));
    out.add(Arguments.of(1024, PrimeGenerator.nttPrimes(31, 1024, 3, Set.of()), 12289L));
    out.add(Arguments.of(16, PrimeGenerator.nttPrimes(31, 16, 2, Set.of()), PrimeGenerator.nttPrimes(29, 16, 1, Set.of()).get(0)));
    out.add(Arguments.of(16, List.of(97L, 193L, 257L), 7681L));
    return out.stream();
  }

  @ParameterizedTest
  @MethodSource("decryption")
  void forDecryptionRoundsTxOverQModT(int n, List<Long> qPrimes, long t) {
    RnsBasis q = basis(n, qPrimes);
    RnsScaler s = RnsScaler.forDecryption(q, Modulus.of(t));
    BigInteger bigQ = q.product();
    BigInteger bigT = BigInteger.valueOf(t);
    Random rnd = new Random(bigQ.longValue() ^ t);
    List<BigInteger> xs = new ArrayList<>(List.of(BigInteger.ZERO, BigInteger.ONE, bigQ.subtract(BigInteger.ONE), bigQ.shiftRight(1)));
    for (int i = 0; i < SAMPLES; i++) {
      xs.add(randomBelow(rnd, bigQ));
    }
    int skipped = 0;
    long[] out = new long[1];
    for (BigInteger x : xs) {
      BigInteger expected = roundedOrNull(bigT, x, bigQ);
      if (expected == null) {
        skipped++;
        continue;
      }
      s.scale(q.decompose(x), out);
      assertEquals(expected.mod(bigT).longValueExact(), out[0], "x = " + x);
    }
    assertTrue(skipped < 20, skipped + " samples skipped");
  }

  /** BFV decryption known answer: x = Delta m + e with Delta = floor(Q / t) and |e| < Delta / 4 gives m. */
  @ParameterizedTest
  @MethodSource("decryption")
  void decryptionKnownAnswer(int n, List<Long> qPrimes, long t) {
    RnsBasis q = basis(n, qPrimes);
    RnsScaler s = RnsScaler.forDecryption(q, Modulus.of(t));
    BigInteger bigQ = q.product();
    BigInteger delta = bigQ.divide(BigInteger.valueOf(t));
    if (delta.compareTo(BigInteger.valueOf(1L << 20)) < 0) {
      return; // too little room for noise in a single small prime
    }
    Random rnd = new Random(t);
    long[] out = new long[1];
    BigInteger noise = delta.shiftRight(2);
    for (int i = 0; i < 500; i++) {
      long m = i == 0 ? t - 1 : rnd.nextLong(t);
      BigInteger e = randomBelow(rnd, noise.shiftLeft(1)).subtract(noise);
      BigInteger x = delta.multiply(BigInteger.valueOf(m)).add(e).mod(bigQ);
      s.scale(q.decompose(x), out);
      assertEquals(m, out[0], "m = " + m + ", e = " + e);
    }
  }

  static Stream<Arguments> multiplication() {
    List<Arguments> out = new ArrayList<>();
    for (int k : new int[] {1, 2, 3, 5, 8}) {
      List<Long> q = PrimeGenerator.nttPrimes(31, 16, k, Set.of());
      List<Long> p = PrimeGenerator.nttPrimes(31, 16, k + 1, Set.copyOf(q));
      out.add(Arguments.of(q, p, 65537L));
      out.add(Arguments.of(q, p, 2L));
    }
    List<Long> q = PrimeGenerator.nttPrimes(30, 16, 4, Set.of());
    out.add(Arguments.of(q, PrimeGenerator.nttPrimes(31, 16, 5, Set.of()), 1032193L));
    out.add(Arguments.of(PrimeGenerator.nttPrimes(31, 16, 16, Set.of()), PrimeGenerator.nttPrimes(30, 16, 17, Set.of()), 786433L));
    return out.stream();
  }

  @ParameterizedTest
  @MethodSource("multiplication")
  void forMultiplicationRoundsTxOverQModEachAuxiliaryPrime(List<Long> qPrimes, List<Long> pPrimes, long t) {
    RnsBasis q = basis(16, qPrimes);
    RnsBasis p = basis(16, pPrimes);
    RnsScaler s = RnsScaler.forMultiplication(q, p, Modulus.of(t));
    assertEquals(q.concat(p), s.input());
    assertSame(p, s.output());
    assertSame(q, s.q());
    assertTrue(s.hasAuxiliary());
    assertEquals(t, s.plainModulus());
    BigInteger bigQ = q.product();
    BigInteger bigT = BigInteger.valueOf(t);
    BigInteger m = s.input().product();
    Random rnd = new Random(bigQ.longValue() + t);
    List<BigInteger> xs = new ArrayList<>(List.of(BigInteger.ZERO, BigInteger.ONE, m.subtract(BigInteger.ONE), bigQ, bigQ.subtract(BigInteger.ONE)));
    for (int i = 0; i < SAMPLES; i++) {
      xs.add(randomBelow(rnd, m));
    }
    long[] out = new long[p.size()];
    int skipped = 0;
    for (BigInteger x : xs) {
      BigInteger expected = roundedOrNull(bigT, x, bigQ);
      if (expected == null) {
        skipped++;
        continue;
      }
      s.scale(s.input().decompose(x), out);
      assertArrayEquals(p.decompose(expected), out, "x = " + x);
    }
    assertTrue(skipped < 20, skipped + " samples skipped");
  }

  @Test
  void decryptionAccessors() {
    RnsBasis q = RnsBasis.of(16, 97, 193);
    RnsScaler s = RnsScaler.forDecryption(q, Modulus.of(257));
    assertFalse(s.hasAuxiliary());
    assertSame(q, s.input());
    assertEquals(RnsBasis.of(16, 257), s.output());
    assertEquals(0, s.lambda().length);
    assertEquals(257, s.plainModulus());
    // Exhaustive over this small Q: every x in [0, Q) gives round(257 x / Q) mod 257.
    long bigQ = 97 * 193;
    long[] out = new long[1];
    for (long x = 0; x < bigQ; x++) {
      s.scale(new long[] {x % 97, x % 193}, out);
      long expected = Math.floorDiv(2 * 257 * x + bigQ, 2 * bigQ) % 257; // Q odd: never a tie
      assertEquals(expected, out[0], "x = " + x);
    }
  }

  @Test
  void fractionTablesMatchDefinition() {
    RnsBasis q = RnsBasis.of(16, 97, 193, 257);
    RnsBasis p = RnsBasis.of(16, 353, 449);
    long t = 17;
    RnsScaler s = RnsScaler.forMultiplication(q, p, Modulus.of(t));
    BigInteger m = q.concat(p).product();
    for (int i = 0; i < 3; i++) {
      BigInteger qi = BigInteger.valueOf(q.modulus(i).value());
      BigInteger alphaNum = BigInteger.valueOf(t).multiply(m.divide(qi).modInverse(qi)).multiply(p.product());
      BigInteger fixed = alphaNum.mod(qi).shiftLeft(RnsScaler.FRACTION_BITS).divide(qi);
      assertEquals(fixed, BigInteger.valueOf(s.fractionHigh()[i]).shiftLeft(RnsScaler.HALF_BITS).add(BigInteger.valueOf(s.fractionLow()[i])));
      assertTrue(s.fractionLow()[i] < 1L << RnsScaler.HALF_BITS);
      for (int j = 0; j < 2; j++) {
        BigInteger pj = BigInteger.valueOf(p.modulus(j).value());
        assertEquals(alphaNum.divide(qi).mod(pj).longValueExact(), s.integerModOut()[j * 3 + i]);
        assertEquals(p.modulus(j).shoup(s.integerModOut()[j * 3 + i]), s.integerModOutShoup()[j * 3 + i]);
      }
    }
    for (int j = 0; j < 2; j++) {
      BigInteger pj = BigInteger.valueOf(p.modulus(j).value());
      BigInteger lambda = BigInteger.valueOf(t).multiply(m.divide(pj).modInverse(pj)).multiply(p.product().divide(pj)).mod(pj);
      assertEquals(lambda.longValueExact(), s.lambda()[j]);
      assertEquals(p.modulus(j).shoup(s.lambda()[j]), s.lambdaShoup()[j]);
    }
  }

  @Test
  void roundFractionIsRoundingOfTheJoinedFixedPointValue() {
    Random rnd = new Random(5);
    long[][] edges = {{0, 0}, {0, (1L << 55) - 1}, {0, 1L << 55}, {(1L << 63) - 1, (1L << 63) - 1}, {1L << 27, 0}, {(1L << 27) - 1, 1L << 27}};
    List<long[]> cases = new ArrayList<>(List.of(edges));
    for (int i = 0; i < 5000; i++) {
      cases.add(new long[] {rnd.nextLong() >>> 1, rnd.nextLong() >>> 1});
    }
    for (long[] c : cases) {
      BigInteger joined = BigInteger.valueOf(c[0]).shiftLeft(RnsScaler.HALF_BITS).add(BigInteger.valueOf(c[1]));
      long expected = joined.add(BigInteger.ONE.shiftLeft(RnsScaler.FRACTION_BITS - 1)).shiftRight(RnsScaler.FRACTION_BITS).longValueExact();
      assertEquals(expected, RnsScaler.roundFraction(c[0], c[1]), c[0] + ", " + c[1]);
    }
  }

  @Test
  void limitsAndMisuse() {
    List<Long> seventeen = PrimeGenerator.nttPrimes(31, 16, 18, Set.of());
    RnsBasis big = basis(16, seventeen.subList(0, 17));
    RnsBasis aux = basis(16, seventeen.subList(17, 18));
    assertEquals(EngineException.Code.SHAPE_MISMATCH,
        assertThrows(EngineException.class, () -> RnsScaler.forDecryption(big, Modulus.of(65537))).code());
    assertEquals(EngineException.Code.SHAPE_MISMATCH,
        assertThrows(EngineException.class, () -> RnsScaler.forMultiplication(big, aux, Modulus.of(65537))).code());
    RnsBasis q = RnsBasis.of(16, 97, 193);
    RnsBasis empty = new RnsBasis(16, List.of());
    assertEquals(EngineException.Code.SHAPE_MISMATCH,
        assertThrows(EngineException.class, () -> RnsScaler.forMultiplication(q, empty, Modulus.of(17))).code());
    assertEquals(EngineException.Code.INVALID_MODULUS,
        assertThrows(EngineException.class, () -> RnsScaler.forMultiplication(q, RnsBasis.of(16, 193), Modulus.of(17))).code());
    assertEquals(EngineException.Code.SHAPE_MISMATCH,
        assertThrows(EngineException.class, () -> RnsScaler.forMultiplication(q, RnsBasis.of(32, 449), Modulus.of(17))).code());
    // Shared primes make Q u P invalid (the basis reports it); t forms the output basis of
    // decryption, so it must be an NTT prime for n (101 is prime but not 1 mod 32).
    assertEquals(EngineException.Code.INVALID_MODULUS,
        assertThrows(EngineException.class, () -> RnsScaler.forDecryption(q, Modulus.of(101))).code());
  }
}
