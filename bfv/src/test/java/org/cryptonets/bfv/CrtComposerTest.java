package org.cryptonets.bfv;

import static org.cryptonets.bfv.BfvTestSupport.assertCode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.cryptonets.bfv.BfvException.ErrorCode;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.PrimeGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Proves CRT composition returns the centred integer of its residues, with correct long-range and capacity limits. */
class CrtComposerTest {

  static List<Modulus> primes(int count, int bits) {
    List<Modulus> out = new ArrayList<>();
    for (long p : PrimeGenerator.nttPrimes(bits, 1024, count, Set.of())) {
      out.add(Modulus.of(p));
    }
    return out;
  }

  static long[] residues(BigInteger v, List<Modulus> primes) {
    long[] r = new long[primes.size()];
    for (int i = 0; i < r.length; i++) {
      r[i] = v.mod(BigInteger.valueOf(primes.get(i).value())).longValueExact();
    }
    return r;
  }

  @ParameterizedTest(name = "{0} primes of {1} bits, values of up to {2} bits")
  @CsvSource({"3, 31, 80", "3, 31, 92", "4, 31, 100", "4, 26, 100", "2, 31, 60", "2, 29, 56", "1, 31, 29", "3, 20, 58"})
  void composeRecoversSignedValues(int count, int bits, int valueBits) {
    List<Modulus> ps = primes(count, bits);
    CrtComposer crt = new CrtComposer(ps);
    BigInteger product = BigInteger.ONE;
    for (Modulus m : ps) {
      product = product.multiply(BigInteger.valueOf(m.value()));
    }
    assertEquals(product, crt.product());
    Random r = new Random(count * 1000L + valueBits);
    for (int trial = 0; trial < 2000; trial++) {
      BigInteger v = new BigInteger(valueBits, r);
      if (r.nextBoolean()) {
        v = v.negate();
      }
      assertEquals(v, crt.compose(residues(v, ps)), "value " + v);
    }
  }

  /** The centred range is exactly [-(T-1)/2, (T-1)/2] (T is odd): one past either end wraps. */
  @Test
  void composeIsCentredAtTheEdges() {
    List<Modulus> ps = primes(3, 31);
    CrtComposer crt = new CrtComposer(ps);
    BigInteger half = crt.product().shiftRight(1);
    assertEquals(half, crt.compose(residues(half, ps)));
    assertEquals(half.negate(), crt.compose(residues(half.negate(), ps)));
    assertEquals(half.negate(), crt.compose(residues(half.add(BigInteger.ONE), ps)));
    assertEquals(half, crt.compose(residues(half.negate().subtract(BigInteger.ONE), ps)));
    assertEquals(BigInteger.ZERO, crt.compose(new long[3]));
    assertEquals(BigInteger.ONE.negate(), crt.compose(residues(BigInteger.ONE.negate(), ps)));
  }

  /** The 64-bit path (T < 2^62) and the BigInteger path agree on every residue vector, reduced or not, and at both edges. */
  @ParameterizedTest(name = "{0} primes of {1} bits")
  @CsvSource({"2, 31", "2, 29", "3, 20", "1, 31"})
  void longPathEqualsTheBigIntegerPath(int count, int bits) {
    List<Modulus> ps = primes(count, bits);
    CrtComposer crt = new CrtComposer(ps);
    assertTrue(crt.product().bitLength() <= 62);
    java.util.SplittableRandom r = new java.util.SplittableRandom(count * 100L + bits);
    for (int trial = 0; trial < 5000; trial++) {
      long[] res = new long[count];
      for (int i = 0; i < count; i++) {
        res[i] = trial % 5 == 0 ? r.nextLong() : r.nextLong(ps.get(i).value()); // some far outside [0, t)
      }
      assertEquals(crt.composeWide(res), crt.compose(res), java.util.Arrays.toString(res));
    }
    BigInteger half = crt.product().shiftRight(1);
    for (BigInteger v : List.of(half, half.negate(), half.add(BigInteger.ONE), BigInteger.ZERO, BigInteger.ONE.negate())) {
      assertEquals(crt.composeWide(residues(v, ps)), crt.compose(residues(v, ps)), "value " + v);
    }
  }


  /** Two 30-bit primes (T < 2^62, the 64-bit path): composeLong is compose's value, residues given unreduced too. */
  @Test
  void narrowComposeLongMatchesTheBigIntegerComposition() {
    List<Modulus> ps = primes(2, 30);
    CrtComposer crt = new CrtComposer(ps);
    BigInteger half = crt.product().shiftRight(1);
    java.util.Random rnd = new java.util.Random(62);
    for (int s = 0; s < 2000; s++) {
      BigInteger v = s == 0 ? half : s == 1 ? half.negate() : s == 2 ? BigInteger.ZERO : new BigInteger(64, rnd).mod(crt.product()).subtract(half);
      long[] r = residues(v, ps);
      if (s % 3 == 0) {
        r[1] += ps.get(1).value() * (s % 7 - 3); // the same residue, unreduced
      }
      assertEquals(crt.composeWide(r), BigInteger.valueOf(crt.composeLong(r)), "value " + v);
      assertEquals(v, crt.compose(r), "value " + v);
    }
  }
  /**
   * composeLongs, row by row, against the BigInteger composition: edges of the centred range, zero,
   * random values, residues given unreduced. The third prime of "20 20 20" and "30 20 11" takes the
   * remainder path (a partial value above 2 t_i); a second prime the size of the first needs one
   * subtraction at most.
   */
  @ParameterizedTest(name = "primes of {0} bits")
  @CsvSource({"31", "29 29", "31 31", "20 20 20", "30 20 11"})
  void composeLongsMatchesTheBigIntegerComposition(String sizes) {
    List<Modulus> ps = new ArrayList<>();
    for (String b : sizes.split(" ")) {
      int bits = Integer.parseInt(b);
      for (long p : PrimeGenerator.nttPrimes(bits, 16, 4, Set.of())) {
        if (ps.stream().noneMatch(m -> m.value() == p)) {
          ps.add(Modulus.of(p));
          break;
        }
      }
    }
    int count = ps.size();
    CrtComposer crt = new CrtComposer(ps);
    assertTrue(crt.isNarrow());
    BigInteger half = crt.product().shiftRight(1);
    Random rnd = new Random(sizes.hashCode());
    int values = 3000;
    long[][] rows = new long[count][values];
    BigInteger[] expected = new BigInteger[values];
    for (int s = 0; s < values; s++) {
      BigInteger v = s == 0 ? half : s == 1 ? half.negate() : s == 2 ? BigInteger.ZERO : s == 3 ? BigInteger.ONE.negate()
          : new BigInteger(64, rnd).mod(crt.product()).subtract(half);
      expected[s] = v;
      long[] r = residues(v, ps);
      for (int i = 0; i < count; i++) {
        rows[i][s] = s % 5 == 4 ? r[i] - ps.get(i).value() * (s % 3 + 1) : r[i]; // unreduced too
      }
    }
    long[] got = crt.composeLongs(rows, values - 10);
    assertEquals(values - 10, got.length);
    for (int s = 0; s < got.length; s++) {
      assertEquals(expected[s], BigInteger.valueOf(got[s]), "value " + s);
    }
  }

  @Test
  void composeLongsRefusesWideProductsAndShortRows() {
    CrtComposer wide = new CrtComposer(primes(3, 31));
    assertTrue(!wide.isNarrow());
    assertCode(ErrorCode.INVALID_ARGUMENT, () -> wide.composeLongs(new long[3][4], 4));
    CrtComposer narrow = new CrtComposer(primes(2, 30));
    assertCode(ErrorCode.INVALID_ARGUMENT, () -> narrow.composeLongs(new long[3][4], 4));
    assertCode(ErrorCode.INVALID_ARGUMENT, () -> narrow.composeLongs(new long[][] {new long[4], new long[3]}, 4));
    assertEquals(0, narrow.composeLongs(new long[2][0], 0).length);
  }

  @Test
  void residueReducesSignedLongs() {
    List<Modulus> ps = primes(3, 25);
    CrtComposer crt = new CrtComposer(ps);
    for (long v : new long[] {0, 1, -1, 123456789012345L, -987654321098765L, Long.MAX_VALUE, Long.MIN_VALUE}) {
      long[] r = new long[3];
      for (int i = 0; i < 3; i++) {
        r[i] = crt.residue(v, i);
        assertEquals(Math.floorMod(v, ps.get(i).value()), r[i]);
      }
      // 3 x 25-bit primes hold 74 bits, so every long round-trips.
      assertEquals(v, crt.composeLong(r));
    }
  }

  @Test
  void composeLongRejectsValuesBeyond64Bits() {
    List<Modulus> ps = primes(3, 31);
    CrtComposer crt = new CrtComposer(ps);
    BigInteger min = BigInteger.valueOf(Long.MIN_VALUE);
    BigInteger max = BigInteger.valueOf(Long.MAX_VALUE);
    assertEquals(Long.MIN_VALUE, crt.composeLong(residues(min, ps)));
    assertEquals(Long.MAX_VALUE, crt.composeLong(residues(max, ps)));
    assertCode(ErrorCode.VALUE_OUT_OF_RANGE, () -> crt.composeLong(residues(max.add(BigInteger.ONE), ps)));
    assertCode(ErrorCode.VALUE_OUT_OF_RANGE, () -> crt.composeLong(residues(min.subtract(BigInteger.ONE), ps)));
    assertCode(ErrorCode.VALUE_OUT_OF_RANGE, () -> crt.composeLong(residues(BigInteger.ONE.shiftLeft(80).negate(), ps)));
    assertCode(ErrorCode.INVALID_ARGUMENT, () -> crt.compose(new long[2]));
    assertCode(ErrorCode.INVALID_ARGUMENT, () -> crt.compose(new long[4]));
  }

  /** capacityBits is the bit length of floor(T/2), the largest magnitude that round-trips. */
  @ParameterizedTest(name = "{0} primes of {1} bits")
  @CsvSource({"1, 20", "2, 25", "3, 31", "4, 31"})
  void capacityBits(int count, int bits) {
    List<Modulus> ps = primes(count, bits);
    CrtComposer crt = new CrtComposer(ps);
    assertEquals(crt.product().bitLength() - 1, crt.capacityBits());
    // Every prime has exactly `bits` bits, so T has count*(bits-1)+1 .. count*bits bits.
    int tBits = crt.product().bitLength();
    assertTrue(tBits > count * (bits - 1) && tBits <= count * bits, "T has " + tBits + " bits");
    // floor(T/2) has capacityBits bits and round-trips; 2^capacityBits (one bit more) does not.
    BigInteger half = crt.product().shiftRight(1);
    assertEquals(crt.capacityBits(), half.bitLength());
    assertEquals(half, crt.compose(residues(half, ps)));
    BigInteger tooWide = BigInteger.ONE.shiftLeft(crt.capacityBits());
    assertNotEquals(tooWide, crt.compose(residues(tooWide, ps)));
  }

  @Test
  void fromParametersUsesThePlaintextPrimes() {
    BfvParameters params = BfvParameters.create(BfvTestSupport.spec(4096, BfvTestSupport.bits(3, 30), 20, 3, SecurityLevel.TC128));
    CrtComposer crt = new CrtComposer(params);
    assertEquals(params.plainProduct(), crt.product());
    BigInteger v = BigInteger.valueOf(-123456789012L);
    assertEquals(v, crt.compose(residues(v, params.plainModuli())));
  }
}
