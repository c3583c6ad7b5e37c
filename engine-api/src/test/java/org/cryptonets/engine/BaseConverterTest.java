package org.cryptonets.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Proves {@link BaseConverter#convert} against BigInteger: for x in (-Q/2, Q/2) at least Q/2^20 away
 * from +-Q/2 the output is exactly x mod p_j (the centred lift); within that margin it is x or the
 * other lift x -+ Q, the same lift for every output prime. Also checks the precomputed tables and
 * the constructor's SHAPE_MISMATCH cases.
 */
class BaseConverterTest {

  /** (Q primes, P primes): 31-bit, 30-bit, small and mixed bases of 1 to 8 primes. */
  static Stream<Arguments> pairs() {
    List<Arguments> out = new ArrayList<>();
    for (int k : new int[] {1, 2, 3, 5, 8}) {
      List<Long> q = PrimeGenerator.nttPrimes(31, 16, k, Set.of());
      List<Long> p = PrimeGenerator.nttPrimes(31, 16, k + 1, Set.copyOf(q));
      out.add(Arguments.of(q, p));
    }
    List<Long> q30 = PrimeGenerator.nttPrimes(30, 16, 4, Set.of());
    out.add(Arguments.of(q30, PrimeGenerator.nttPrimes(31, 16, 3, Set.of())));
    out.add(Arguments.of(List.of(97L, 193L, 257L), PrimeGenerator.nttPrimes(31, 16, 2, Set.of())));
    out.add(Arguments.of(PrimeGenerator.nttPrimes(31, 16, 3, Set.of()), List.of(97L, 193L)));
    out.add(Arguments.of(List.of(2147483489L, 7681L, 12289L), List.of(65537L)));
    return out.stream();
  }

  static RnsBasis basis(List<Long> primes) {
    return RnsBasis.of(16, primes.stream().mapToLong(Long::longValue).toArray());
  }

  static BigInteger randomBelow(Random rnd, BigInteger bound) {
    BigInteger r;
    do {
      r = new BigInteger(bound.bitLength(), rnd);
    } while (r.compareTo(bound) >= 0);
    return r;
  }

  private static long[] convert(BaseConverter c, BigInteger x) {
    long[] out = new long[c.to().size()];
    c.convert(c.from().decompose(x), out);
    return out;
  }

  @ParameterizedTest
  @MethodSource("pairs")
  void interiorValuesConvertExactly(List<Long> qPrimes, List<Long> pPrimes) {
    BaseConverter c = new BaseConverter(basis(qPrimes), basis(pPrimes));
    BigInteger q = c.from().product();
    BigInteger half = q.shiftRight(1);
    BigInteger margin = q.shiftRight(20);
    BigInteger limit = half.subtract(margin); // |x| < Q/2 - Q/2^20
    Random rnd = new Random(q.longValue());
    List<BigInteger> xs = new ArrayList<>(List.of(BigInteger.ZERO, BigInteger.ONE, BigInteger.ONE.negate(),
        BigInteger.TEN.negate(), limit.subtract(BigInteger.ONE), limit.subtract(BigInteger.ONE).negate()));
    for (int s = 0; s < 3000; s++) {
      xs.add(randomBelow(rnd, limit.shiftLeft(1).subtract(BigInteger.ONE)).subtract(limit).add(BigInteger.ONE));
    }
    for (BigInteger x : xs) {
      assertArrayEquals(c.to().decompose(x), convert(c, x), "x = " + x);
    }
  }

  @ParameterizedTest
  @MethodSource("pairs")
  void valuesNearHalfQGiveOneOfTheTwoLifts(List<Long> qPrimes, List<Long> pPrimes) {
    BaseConverter c = new BaseConverter(basis(qPrimes), basis(pPrimes));
    BigInteger q = c.from().product();
    BigInteger half = q.shiftRight(1);
    BigInteger margin = q.shiftRight(20).add(BigInteger.TWO);
    Random rnd = new Random(q.longValue() + 1);
    List<BigInteger> xs = new ArrayList<>(List.of(half, half.negate(), half.add(BigInteger.ONE).negate()));
    for (int s = 0; s < 500; s++) {
      BigInteger d = randomBelow(rnd, margin);
      xs.add(half.subtract(d)); // just below Q/2
      xs.add(half.subtract(d).negate()); // just above -Q/2
    }
    for (BigInteger x : xs) {
      long[] got = convert(c, x);
      long[] centred = c.to().decompose(x);
      long[] other = c.to().decompose(x.signum() > 0 ? x.subtract(q) : x.add(q));
      assertTrue(Arrays.equals(centred, got) || Arrays.equals(other, got),
          "x = " + x + " gave " + Arrays.toString(got) + ", neither " + Arrays.toString(centred) + " nor " + Arrays.toString(other));
    }
  }

  /** Every residue vector of a small Q (all x in [0, Q)) converts to its centred lift. */
  @Test
  void exhaustiveOverASmallBasis() {
    BaseConverter c = new BaseConverter(RnsBasis.of(16, 97, 193), RnsBasis.of(16, 257, 2147483489L));
    long q = 97 * 193;
    long[] out = new long[2];
    for (long x = 0; x < q; x++) {
      c.convert(new long[] {x % 97, x % 193}, out);
      long centred = x > q / 2 ? x - q : x;
      assertEquals(Math.floorMod(centred, 257L), out[0], "x = " + x);
      assertEquals(Math.floorMod(centred, 2147483489L), out[1], "x = " + x);
    }
  }

  @ParameterizedTest
  @MethodSource("pairs")
  void tablesMatchDefinitions(List<Long> qPrimes, List<Long> pPrimes) {
    RnsBasis from = basis(qPrimes);
    RnsBasis to = basis(pPrimes);
    BaseConverter c = new BaseConverter(from, to);
    assertSame(from, c.from());
    assertSame(to, c.to());
    int l = from.size();
    for (int i = 0; i < l; i++) {
      BigInteger qi = BigInteger.valueOf(qPrimes.get(i));
      assertEquals(from.product().divide(qi).modInverse(qi).longValueExact(), c.puncturedInverse()[i]);
      assertEquals(from.modulus(i).shoup(c.puncturedInverse()[i]), c.puncturedInverseShoup()[i]);
      assertEquals(BigInteger.ONE.shiftLeft(BaseConverter.FRACTION_BITS).divide(qi).longValueExact(), c.reciprocal()[i]);
      for (int j = 0; j < to.size(); j++) {
        BigInteger pj = BigInteger.valueOf(pPrimes.get(j));
        assertEquals(from.product().divide(qi).mod(pj).longValueExact(), c.puncturedModTo()[j * l + i]);
        assertEquals(to.modulus(j).shoup(c.puncturedModTo()[j * l + i]), c.puncturedModToShoup()[j * l + i]);
      }
    }
    for (int j = 0; j < to.size(); j++) {
      assertEquals(from.product().mod(BigInteger.valueOf(pPrimes.get(j))).longValueExact(), c.productModTo()[j]);
    }
  }

  @Test
  void sharedPrimeIsShapeMismatch() {
    EngineException e = assertThrows(EngineException.class, () -> new BaseConverter(RnsBasis.of(16, 97, 193), RnsBasis.of(16, 257, 193)));
    assertEquals(EngineException.Code.SHAPE_MISMATCH, e.code());
  }

  @Test
  void differentDegreesAreShapeMismatch() {
    EngineException e = assertThrows(EngineException.class, () -> new BaseConverter(RnsBasis.of(16, 97), RnsBasis.of(32, 193)));
    assertEquals(EngineException.Code.SHAPE_MISMATCH, e.code());
  }

  @Test
  void moreThan127SourcePrimesIsShapeMismatch() {
    List<Long> many = PrimeGenerator.nttPrimes(31, 16, 129, Set.of());
    RnsBasis big = basis(many.subList(0, 128));
    RnsBasis one = basis(many.subList(128, 129));
    EngineException e = assertThrows(EngineException.class, () -> new BaseConverter(big, one));
    assertEquals(EngineException.Code.SHAPE_MISMATCH, e.code());
    // 127 primes are accepted, and still convert small values exactly.
    BaseConverter ok = new BaseConverter(basis(many.subList(0, 127)), one);
    long[] out = new long[1];
    Set<Long> seen = new HashSet<>();
    for (long x : new long[] {0, 1, -1, 123456789, -987654321}) {
      ok.convert(ok.from().decompose(BigInteger.valueOf(x)), out);
      assertEquals(Math.floorMod(x, many.get(128)), out[0], "x = " + x);
      seen.add(out[0]);
    }
    assertEquals(5, seen.size());
  }
}
