package org.cryptonets.bfv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.cryptonets.engine.PrimeGenerator;
import org.cryptonets.engine.RnsBasis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The 64-bit switch to 2^bits against the BigInteger formula, at rounding boundaries and at random. */
class PowerOfTwoRoundingTest {
  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    // {bits of each prime, number of primes}
    for (int[] basis : new int[][] {{31, 2}, {30, 2}, {20, 2}, {31, 1}, {17, 1}}) {
      for (int bits : new int[] {1, 2, 30, 40, 49, 50}) {
        out.add(Arguments.of(basis[0], basis[1], bits));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{1} prime(s) of {0} bits, 2^{2}")
  @MethodSource("cases")
  void equalsTheBigIntegerFormula(int primeBits, int primes, int bits) {
    long[] ps = PrimeGenerator.nttPrimes(primeBits, 16, primes, Set.of()).stream().mapToLong(Long::longValue).toArray();
    RnsBasis basis = RnsBasis.of(16, ps);
    BigInteger q = basis.product();
    BigInteger half = q.shiftRight(1);
    BigInteger two = BigInteger.ONE.shiftLeft(bits);
    PowerOfTwoRounding rounding = new PowerOfTwoRounding(basis, bits);
    Random rnd = new Random(primeBits * 100L + bits);
    List<BigInteger> xs = new ArrayList<>(List.of(BigInteger.ZERO, BigInteger.ONE, q.subtract(BigInteger.ONE), half, half.add(BigInteger.ONE)));
    for (int i = 0; i < 300; i++) {
      xs.add(new BigInteger(q.bitLength() + 8, rnd).mod(q));
      // the smallest x whose rounded value reaches y, and the one below it: rounding boundaries
      BigInteger y = new BigInteger(bits, rnd);
      BigInteger num = y.multiply(q).subtract(half);
      BigInteger x = num.signum() <= 0 ? BigInteger.ZERO : num.add(two).subtract(BigInteger.ONE).divide(two);
      for (BigInteger v : new BigInteger[] {x, x.subtract(BigInteger.ONE), x.add(BigInteger.ONE)}) {
        if (v.signum() >= 0 && v.compareTo(q) < 0) {
          xs.add(v);
        }
      }
    }
    for (BigInteger x : xs) {
      long r0 = x.mod(BigInteger.valueOf(ps[0])).longValueExact();
      long r1 = primes == 2 ? x.mod(BigInteger.valueOf(ps[1])).longValueExact() : 0;
      long composed = rounding.compose(r0, r1);
      assertEquals(x.longValueExact(), composed, "composition of " + x);
      long expected = x.shiftLeft(bits).add(half).divide(q).longValue() & ((1L << bits) - 1);
      assertEquals(expected, rounding.round(composed), "x = " + x + ", Q = " + q + ", 2^" + bits);
    }
  }

  @Test
  void supportsOnlyOneOrTwoPrimesAndBitsUpToFifty() {
    long[] ps = PrimeGenerator.nttPrimes(31, 16, 3, Set.of()).stream().mapToLong(Long::longValue).toArray();
    assertTrue(PowerOfTwoRounding.supports(RnsBasis.of(16, ps[0], ps[1]), 50));
    assertFalse(PowerOfTwoRounding.supports(RnsBasis.of(16, ps[0], ps[1]), 51));
    assertFalse(PowerOfTwoRounding.supports(RnsBasis.of(16, ps[0], ps[1]), 0));
    assertFalse(PowerOfTwoRounding.supports(RnsBasis.of(16, ps), 40));
    BfvTestSupport.assertCode(BfvException.ErrorCode.INVALID_ARGUMENT, () -> new PowerOfTwoRounding(RnsBasis.of(16, ps), 40));
  }
}
