package org.cryptonets.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
 * Proves {@link RnsBasis}: decompose is x mod q_i, compose is the CRT inverse landing in [0, Q),
 * composeCentered lands in (-Q/2, Q/2]; the CRT and modulus-switching constants satisfy their
 * defining congruences; prefix/concat/isPrefixOf behave as documented; duplicate primes and
 * malformed requests are rejected with their codes.
 */
class RnsBasisTest {

  static Stream<Arguments> bases() {
    List<Arguments> out = new ArrayList<>();
    for (int k : new int[] {1, 2, 3, 5, 8}) {
      out.add(Arguments.of(16, PrimeGenerator.nttPrimes(31, 16, k, Set.of())));
    }
    out.add(Arguments.of(1024, PrimeGenerator.nttPrimes(30, 1024, 4, Set.of())));
    out.add(Arguments.of(16, List.of(97L, 193L, 257L))); // small primes
    out.add(Arguments.of(16, List.of(97L, 2147483489L, 7681L))); // mixed sizes, not sorted
    return out.stream();
  }

  static RnsBasis basis(int n, List<Long> primes) {
    return RnsBasis.of(n, primes.stream().mapToLong(Long::longValue).toArray());
  }

  static BigInteger product(List<Long> primes) {
    BigInteger p = BigInteger.ONE;
    for (long q : primes) {
      p = p.multiply(BigInteger.valueOf(q));
    }
    return p;
  }

  static BigInteger randomBelow(Random rnd, BigInteger bound) {
    BigInteger r;
    do {
      r = new BigInteger(bound.bitLength(), rnd);
    } while (r.compareTo(bound) >= 0);
    return r;
  }

  @ParameterizedTest
  @MethodSource("bases")
  void decomposeAndComposeMatchBigInteger(int n, List<Long> primes) {
    RnsBasis b = basis(n, primes);
    BigInteger q = product(primes);
    assertEquals(q, b.product());
    assertEquals(q.bitLength(), b.productBits());
    Random rnd = new Random(q.longValue());
    List<BigInteger> xs = new ArrayList<>(List.of(BigInteger.ZERO, BigInteger.ONE, q.subtract(BigInteger.ONE),
        q.shiftRight(1), q.shiftRight(1).add(BigInteger.ONE), q, q.negate(), BigInteger.ONE.negate(), q.multiply(q).add(BigInteger.TEN)));
    for (int s = 0; s < 500; s++) {
      BigInteger x = randomBelow(rnd, q.shiftLeft(2)).subtract(q.shiftLeft(1)); // [-2Q, 2Q)
      xs.add(x);
    }
    for (BigInteger x : xs) {
      long[] r = b.decompose(x);
      for (int i = 0; i < primes.size(); i++) {
        assertEquals(x.mod(BigInteger.valueOf(primes.get(i))).longValueExact(), r[i]);
      }
      BigInteger c = b.compose(r);
      assertEquals(x.mod(q), c, "compose(decompose(x)) must be x mod Q");
      BigInteger centred = b.composeCentered(r);
      assertEquals(x.mod(q), centred.mod(q));
      assertTrue(centred.shiftLeft(1).compareTo(q.negate()) > 0 && centred.shiftLeft(1).compareTo(q) <= 0,
          centred + " outside (-Q/2, Q/2]");
    }
  }

  @ParameterizedTest
  @MethodSource("bases")
  void composeAcceptsUnreducedAndNegativeResidues(int n, List<Long> primes) {
    RnsBasis b = basis(n, primes);
    Random rnd = new Random(7);
    for (int s = 0; s < 200; s++) {
      long[] r = new long[primes.size()];
      for (int i = 0; i < r.length; i++) {
        r[i] = rnd.nextLong() >> 8;
      }
      BigInteger c = b.compose(r);
      assertTrue(c.signum() >= 0 && c.compareTo(b.product()) < 0);
      for (int i = 0; i < r.length; i++) {
        BigInteger qi = BigInteger.valueOf(primes.get(i));
        assertEquals(BigInteger.valueOf(r[i]).mod(qi), c.mod(qi));
      }
    }
  }

  @Test
  void composeCenteredKnownAnswers() {
    RnsBasis b = RnsBasis.of(16, 97, 193);
    long q = 97 * 193; // 18721, odd: (-Q/2, Q/2] = [-9360, 9360]
    assertEquals(BigInteger.valueOf(9360), b.composeCentered(b.decompose(BigInteger.valueOf(9360))));
    assertEquals(BigInteger.valueOf(-9360), b.composeCentered(b.decompose(BigInteger.valueOf(9361))));
    assertEquals(BigInteger.valueOf(-1), b.composeCentered(b.decompose(BigInteger.valueOf(q - 1))));
    assertEquals(BigInteger.valueOf(q - 1), b.compose(new long[] {96, 192}));
    assertEquals(BigInteger.valueOf(-1), b.composeCentered(new long[] {96, 192}));
  }

  @ParameterizedTest
  @MethodSource("bases")
  void crtAndSwitchingConstantsSatisfyTheirCongruences(int n, List<Long> primes) {
    RnsBasis b = basis(n, primes);
    int l = primes.size();
    assertEquals(l, b.size());
    assertEquals(n, b.n());
    for (int i = 0; i < l; i++) {
      BigInteger qi = BigInteger.valueOf(primes.get(i));
      assertEquals(primes.get(i).longValue(), b.modulus(i).value());
      assertEquals(primes.get(i).longValue(), b.moduli().get(i).value());
      assertEquals(n, b.ntt(i).n());
      assertEquals(b.modulus(i), b.ntt(i).modulus());
      assertEquals(b.product().divide(qi), b.punctured(i));
      assertEquals(BigInteger.ONE, b.punctured(i).multiply(BigInteger.valueOf(b.puncturedInverse(i))).mod(qi));
    }
    assertEquals(Math.max(0, l - 1), b.lastInverse().length);
    assertEquals(b.lastInverse().length, b.lastInverseShoup().length);
    BigInteger last = BigInteger.valueOf(primes.get(l - 1));
    for (int i = 0; i < l - 1; i++) {
      BigInteger qi = BigInteger.valueOf(primes.get(i));
      assertEquals(last.modInverse(qi).longValueExact(), b.lastInverse()[i]);
      assertEquals(b.modulus(i).shoup(b.lastInverse()[i]), b.lastInverseShoup()[i]);
    }
    assertThrows(UnsupportedOperationException.class, () -> b.moduli().clear());
  }

  @Test
  void prefixConcatAndIsPrefixOf() {
    List<Long> primes = PrimeGenerator.nttPrimes(31, 64, 5, Set.of());
    RnsBasis all = basis(64, primes);
    for (int k = 1; k <= 5; k++) {
      RnsBasis p = all.prefix(k);
      assertEquals(basis(64, primes.subList(0, k)), p);
      assertTrue(p.isPrefixOf(all));
      assertTrue(p.isPrefixOf(p));
      assertEquals(k == 5, all.isPrefixOf(p));
    }
    assertSame(all, all.prefix(5));
    RnsBasis head = all.prefix(2);
    RnsBasis tail = basis(64, primes.subList(2, 5));
    RnsBasis joined = head.concat(tail);
    assertEquals(all, joined);
    assertEquals(all.hashCode(), joined.hashCode());
    assertEquals(head.product().multiply(tail.product()), joined.product());
    assertFalse(tail.isPrefixOf(all), "same primes at other positions are not a prefix");
    assertFalse(basis(64, List.of(primes.get(1), primes.get(0))).isPrefixOf(all), "order matters");
    RnsBasis other = basis(32, primes.subList(0, 2));
    assertFalse(other.isPrefixOf(all), "degrees differ");
    assertNotEquals(other, head);
    assertNotEquals(all, head);
    assertTrue(all.toString().contains(primes.get(0).toString()));
  }

  @Test
  void prefixOutOfRangeIsInvalidArgument() {
    RnsBasis b = RnsBasis.of(16, 97, 193, 257);
    for (int k : new int[] {0, -1, 4}) {
      assertEquals(EngineException.Code.INVALID_ARGUMENT, assertThrows(EngineException.class, () -> b.prefix(k)).code());
    }
  }

  @Test
  void concatOfDifferentDegreesIsShapeMismatch() {
    RnsBasis a = RnsBasis.of(16, 97);
    RnsBasis b = RnsBasis.of(32, 193);
    assertEquals(EngineException.Code.SHAPE_MISMATCH, assertThrows(EngineException.class, () -> a.concat(b)).code());
  }

  @Test
  void duplicatePrimesAreInvalidModulus() {
    assertEquals(EngineException.Code.INVALID_MODULUS, assertThrows(EngineException.class, () -> RnsBasis.of(16, 97, 193, 97)).code());
    assertEquals(EngineException.Code.INVALID_MODULUS, assertThrows(EngineException.class, () -> RnsBasis.of(16, 97, 97)).code());
    RnsBasis a = RnsBasis.of(16, 97, 193);
    assertEquals(EngineException.Code.INVALID_MODULUS, assertThrows(EngineException.class, () -> a.concat(RnsBasis.of(16, 193))).code());
  }

  @Test
  void nonPrimeOrNonNttPrimeIsInvalidModulus() {
    assertEquals(EngineException.Code.INVALID_MODULUS, assertThrows(EngineException.class, () -> RnsBasis.of(16, 97, 91)).code());
    assertEquals(EngineException.Code.INVALID_MODULUS, assertThrows(EngineException.class, () -> RnsBasis.of(16, 97, 101)).code());
    assertEquals(EngineException.Code.INVALID_RING_DEGREE, assertThrows(EngineException.class, () -> RnsBasis.of(12, 97)).code());
  }

  @Test
  void composeWithWrongLengthIsShapeMismatch() {
    RnsBasis b = RnsBasis.of(16, 97, 193);
    assertEquals(EngineException.Code.SHAPE_MISMATCH, assertThrows(EngineException.class, () -> b.compose(new long[3])).code());
    assertEquals(EngineException.Code.SHAPE_MISMATCH, assertThrows(EngineException.class, () -> b.composeCentered(new long[1])).code());
  }

  @Test
  void singlePrimeBasisHasNoSwitchingTable() {
    RnsBasis b = RnsBasis.of(16, 97);
    assertArrayEquals(new long[0], b.lastInverse());
    assertEquals(BigInteger.valueOf(5), b.compose(new long[] {5}));
    assertEquals(BigInteger.valueOf(-5), b.composeCentered(new long[] {92}));
  }
}
