package org.cryptonets.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Proves that {@link PrimeGenerator#nttPrimes} returns exactly the largest primes of the requested bit
 * size that are 1 mod 2n, in descending order with none skipped, honours exclusions, is
 * deterministic, and fails with {@code INVALID_ARGUMENT} / {@code INVALID_RING_DEGREE} when the
 * request is impossible or malformed.
 */
class PrimeGeneratorTest {

  /** Brute force: all primes p of exactly {@code bits} bits with p = 1 mod 2n, largest first. */
  private static List<Long> bruteForce(int bits, int n) {
    List<Long> out = new ArrayList<>();
    for (long p = (1L << bits) - 1; p >= 1L << (bits - 1); p--) {
      if (p % (2L * n) == 1 && BigInteger.valueOf(p).isProbablePrime(64)) {
        out.add(p);
      }
    }
    return out;
  }

  @ParameterizedTest
  @CsvSource({"8,16", "12,16", "12,64", "16,16", "17,1024", "20,1024", "22,8192"})
  void equalsBruteForceListForSmallSizes(int bits, int n) {
    List<Long> all = bruteForce(bits, n);
    assertTrue(all.size() > 0, "test parameters must admit primes");
    assertEquals(all, PrimeGenerator.nttPrimes(bits, n, all.size(), Set.of()));
    assertEquals(all.subList(0, 1), PrimeGenerator.nttPrimes(bits, n, 1, Set.of()));
    EngineException e = assertThrows(EngineException.class, () -> PrimeGenerator.nttPrimes(bits, n, all.size() + 1, Set.of()));
    assertEquals(EngineException.Code.INVALID_ARGUMENT, e.code());
  }

  @ParameterizedTest
  @CsvSource({"31,16,6", "31,1024,8", "31,8192,8", "30,8192,4", "31,65536,3", "28,4096,5"})
  void largePrimesArePrimeOneMod2nDescendingCorrectSizeAndNoneSkipped(int bits, int n, int count) {
    List<Long> primes = PrimeGenerator.nttPrimes(bits, n, count, Set.of());
    assertEquals(count, primes.size());
    long step = 2L * n;
    long previous = 1L << bits; // candidates start strictly below 2^bits
    for (long p : primes) {
      assertTrue(BigInteger.valueOf(p).isProbablePrime(64), p + " is not prime");
      assertEquals(1, p % step, p + " is not 1 mod 2n");
      assertEquals(bits, 64 - Long.numberOfLeadingZeros(p), p + " has the wrong size");
      assertTrue(p < previous, "not strictly descending");
      // No admissible prime between the previous result and this one was skipped.
      for (long c = p + step; c < previous; c += step) {
        assertFalse(BigInteger.valueOf(c).isProbablePrime(64), "skipped prime " + c);
      }
      previous = p;
      Modulus.of(p); // admissible as a modulus
    }
    assertEquals(primes, PrimeGenerator.nttPrimes(bits, n, count, Set.of()), "deterministic");
  }

  @Test
  void exclusionsAreSkipped() {
    List<Long> all = PrimeGenerator.nttPrimes(31, 1024, 6, Set.of());
    List<Long> rest = PrimeGenerator.nttPrimes(31, 1024, 4, Set.of(all.get(0), all.get(2)));
    assertEquals(List.of(all.get(1), all.get(3), all.get(4), all.get(5)), rest);
    // A value that is not a candidate anyway changes nothing.
    assertEquals(all, PrimeGenerator.nttPrimes(31, 1024, 6, Set.of(12345L)));
  }

  @Test
  void zeroCountGivesEmptyList() {
    assertEquals(List.of(), PrimeGenerator.nttPrimes(20, 16, 0, Set.of()));
  }

  @ParameterizedTest
  @CsvSource({
    "6,16,1", // 2n = 32: the only candidate of 6 bits is 33 = 3 * 11
    "12,1024,1", // 2049 = 3 * 683 is the only candidate
    "5,16,1", // 2n = 32 exceeds every 5-bit number
    "2,16,1",
    "12,16,1000"
  })
  void impossibleRequestsFail(int bits, int n, int count) {
    EngineException e = assertThrows(EngineException.class, () -> PrimeGenerator.nttPrimes(bits, n, count, Set.of()));
    assertEquals(EngineException.Code.INVALID_ARGUMENT, e.code());
  }

  @Test
  void allCandidatesExcludedFails() {
    List<Long> all = bruteForce(12, 64);
    EngineException e = assertThrows(EngineException.class, () -> PrimeGenerator.nttPrimes(12, 64, 1, Set.copyOf(all)));
    assertEquals(EngineException.Code.INVALID_ARGUMENT, e.code());
  }

  @ParameterizedTest
  @CsvSource({"1,16", "0,16", "-3,16", "32,16", "63,16"})
  void badBitSizesFail(int bits, int n) {
    EngineException e = assertThrows(EngineException.class, () -> PrimeGenerator.nttPrimes(bits, n, 1, Set.of()));
    assertEquals(EngineException.Code.INVALID_ARGUMENT, e.code());
  }

  @ParameterizedTest
  @CsvSource({"31,8", "31,100", "31,131072", "31,0", "31,-16"})
  void badRingDegreesFail(int bits, int n) {
    EngineException e = assertThrows(EngineException.class, () -> PrimeGenerator.nttPrimes(bits, n, 1, Set.of()));
    assertEquals(EngineException.Code.INVALID_RING_DEGREE, e.code());
  }
}
