package org.cryptonets.bench;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.cryptonets.bfv.BfvParameterSpec;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.SecurityLevel;
import org.cryptonets.engine.PrimeGenerator;
import org.cryptonets.engine.RnsBasis;

/**
 * Turns the benchmarks' {@code @Param} strings into parameter sets. {@link BenchReport} resolves
 * labels through the same code, so a run with {@code logq=max} is reported as {@code logq=217}
 * at n = 8192 and the label always names the modulus that was actually measured.
 *
 * <p>Every prime comes from {@link PrimeGenerator} at run time, so no modulus is a compile-time
 * constant the JIT could fold into the kernels.
 *
 * <p>Stateless apart from a concurrent cache; thread-safe. Throws {@link IllegalArgumentException}
 * for a size that is not a number or "max", and the library's {@code BfvException} for parameter
 * sets it rejects (for example a modulus above the 128-bit security bound).
 */
public final class Shapes {
  /** Parameter value meaning "the largest modulus of 31-bit primes that is 128-bit secure at n". */
  public static final String MAX = "max";

  private static final int PRIME_BITS = 31;
  private static final int MAX_PRIMES = 16;
  private static final int PLAIN_BITS = 25;
  private static final Map<String, BfvParameters> CACHE = new ConcurrentHashMap<>();

  private Shapes() {}

  /** Number of 31-bit primes in the largest 128-bit-secure modulus at n (7 at 8192, 14 at 16384). */
  public static int maxPrimes(int n) {
    int bound = SecurityLevel.TC128.maxModulusBits(n);
    if (bound < PRIME_BITS) {
      throw new IllegalArgumentException("no 128-bit-secure modulus of 31-bit primes at n = " + n);
    }
    // The RNS scaler handles at most 16 primes in Q, which caps n = 32768 below its bound.
    return Math.min(MAX_PRIMES, bound / PRIME_BITS);
  }

  /**
   * Sizes of the ciphertext primes for a modulus of {@code logq} bits: as few primes as fit in 31
   * bits each, as equal as possible, so 217 is seven 31-bit primes and 109 is 28 + 27 + 27 + 27.
   */
  public static List<Integer> coeffPrimeBits(int n, String logq) {
    List<Integer> bits = new ArrayList<>();
    if (MAX.equals(logq)) {
      for (int i = 0; i < maxPrimes(n); i++) {
        bits.add(PRIME_BITS);
      }
      return bits;
    }
    int total = parse("logq", logq);
    int count = (total + PRIME_BITS - 1) / PRIME_BITS;
    for (int i = 0; i < count; i++) {
      bits.add(total / count + (i < total % count ? 1 : 0));
    }
    return bits;
  }

  /** The BFV parameter set the benchmarks use: one 25-bit plaintext prime, 128-bit security. */
  public static BfvParameters bfv(int n, String logq) {
    return CACHE.computeIfAbsent(n + "/" + logq, k -> BfvParameters.create(BfvParameterSpec.of(n, coeffPrimeBits(n, logq), PLAIN_BITS, 1)));
  }

  /** log2 of the ciphertext modulus that {@link #bfv} builds. */
  public static int logqBits(int n, String logq) {
    return bfv(n, logq).coeffBasis().productBits();
  }

  /** Limb count for the NTT benchmark: a number, or "max" for the whole secure modulus. */
  public static int limbs(int n, String limbs) {
    return MAX.equals(limbs) ? maxPrimes(n) : parse("limbs", limbs);
  }

  /**
   * The NTT benchmark's basis: the largest 31-bit NTT primes, which are also the primes of
   * {@link #bfv}{@code (n, "max")}, so limbs=max transforms exactly a ciphertext polynomial.
   */
  public static RnsBasis nttBasis(int n, String limbs) {
    long[] primes = PrimeGenerator.nttPrimes(PRIME_BITS, n, limbs(n, limbs), new HashSet<>()).stream().mapToLong(Long::longValue).toArray();
    return RnsBasis.of(n, primes);
  }

  private static int parse(String what, String value) {
    try {
      int v = Integer.parseInt(value.trim());
      if (v < 1) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + "='" + value + "' is neither a positive whole number nor '" + MAX + "'");
    }
  }
}
