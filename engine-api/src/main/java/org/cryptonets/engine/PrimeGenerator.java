package org.cryptonets.engine;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Finds NTT-friendly primes: q = 1 mod 2n, so the ring Z_q[x]/(x^n + 1) has a primitive 2n-th root
 * of unity and the negacyclic NTT exists.
 *
 * <p>Stateless; thread-safe.
 */
public final class PrimeGenerator {
  private PrimeGenerator() {}

  /**
   * The {@code count} largest primes below 2^bits that are 1 mod 2n and not in {@code exclude},
   * largest first. Deterministic, so parameter sets are reproducible from their spec.
   *
   * @throws EngineException {@code INVALID_ARGUMENT} if bits is outside [2, 31] or not enough primes
   *     exist
   */
  public static List<Long> nttPrimes(int bits, int n, int count, Collection<Long> exclude) {
    if (bits < 2 || bits > Modulus.MAX_BITS) {
      throw new EngineException(
          EngineException.Code.INVALID_ARGUMENT, "prime size " + bits + " bits is outside [2, 31]");
    }
    RingDegree.check(n);
    long step = 2L * n;
    long candidate = ((1L << bits) - 1) / step * step + 1;
    if (candidate >= (1L << bits)) {
      candidate -= step;
    }
    List<Long> out = new ArrayList<>(count);
    long floor = 1L << (bits - 1);
    while (out.size() < count && candidate > floor) {
      if (!exclude.contains(candidate) && BigInteger.valueOf(candidate).isProbablePrime(64)) {
        out.add(candidate);
      }
      candidate -= step;
    }
    if (out.size() < count) {
      throw new EngineException(
          EngineException.Code.INVALID_ARGUMENT,
          "only " + out.size() + " primes of " + bits + " bits are 1 mod " + step + "; asked for " + count);
    }
    return out;
  }
}
