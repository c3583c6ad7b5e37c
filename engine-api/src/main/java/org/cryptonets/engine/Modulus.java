package org.cryptonets.engine;

import java.math.BigInteger;

/**
 * A prime modulus below 2^31 with the precomputed constants for Barrett and Shoup reduction.
 *
 * <p>31-bit primes are the engine's word size: every product of two residues fits a signed 64-bit
 * lane, so the same arithmetic vectorizes with the Java Vector API (which has no multiply-high) and
 * maps onto 32/64-bit integer instructions on GPUs. The scalar methods here are the reference that
 * every backend must match bit for bit.
 *
 * <p>Immutable; thread-safe.
 *
 * @throws EngineException {@code INVALID_MODULUS} from {@link #of} if the value is not a prime in
 *     [2, 2^31)
 */
public final class Modulus {
  /** Largest bit size a modulus may have. */
  public static final int MAX_BITS = 31;

  private final long value;
  private final int bits;
  private final long barrettFactor;
  private final int barrettShiftIn;
  private final int barrettShiftOut;

  private Modulus(long value) {
    this.value = value;
    this.bits = 64 - Long.numberOfLeadingZeros(value);
    // Barrett (HAC 14.42) for x < q^2: floor(x / 2^(b-1)) * floor(2^(2b) / q) / 2^(b+1) is at most
    // two below floor(x/q), and the product stays below 2^64 for b <= 31 (read unsigned).
    this.barrettShiftIn = bits - 1;
    this.barrettShiftOut = bits + 1;
    this.barrettFactor = BigInteger.ONE.shiftLeft(2 * bits).divide(BigInteger.valueOf(value)).longValueExact();
  }

  /** Validates that {@code q} is a prime below 2^31. */
  public static Modulus of(long q) {
    if (q < 2 || q >= (1L << MAX_BITS)) {
      throw new EngineException(
          EngineException.Code.INVALID_MODULUS,
          "modulus " + q + " is outside [2, 2^31); the engine works with primes of at most 31 bits");
    }
    if (!BigInteger.valueOf(q).isProbablePrime(64)) {
      throw new EngineException(EngineException.Code.INVALID_MODULUS, "modulus " + q + " is not prime");
    }
    return new Modulus(q);
  }

  public long value() {
    return value;
  }

  public int bits() {
    return bits;
  }

  public long barrettFactor() {
    return barrettFactor;
  }

  public int barrettShiftIn() {
    return barrettShiftIn;
  }

  public int barrettShiftOut() {
    return barrettShiftOut;
  }

  /** Reduces {@code x} in [0, q^2) (or any x in [0, 2^(2b))) to [0, q). */
  public long reduceProduct(long x) {
    long est = ((x >>> barrettShiftIn) * barrettFactor) >>> barrettShiftOut;
    long r = x - est * value;
    if (r >= value) {
      r -= value;
    }
    if (r >= value) {
      r -= value;
    }
    return r;
  }

  /** Reduces any signed 64-bit value to [0, q). */
  public long reduce(long x) {
    if (x >= 0 && x < value) {
      return x; // already a residue: no division (most callers pass residues)
    }
    long r = x % value;
    return r < 0 ? r + value : r;
  }

  public long add(long a, long b) {
    long r = a + b;
    return r >= value ? r - value : r;
  }

  public long subtract(long a, long b) {
    long r = a - b;
    return r < 0 ? r + value : r;
  }

  public long negate(long a) {
    return a == 0 ? 0 : value - a;
  }

  public long multiply(long a, long b) {
    return reduceProduct(a * b);
  }

  /** Shoup's precomputed quotient floor(w * 2^32 / q) for a fixed multiplicand w in [0, q). */
  public long shoup(long w) {
    return (w << 32) / value;
  }

  /**
   * x * w mod q for x in [0, 2^32) using w's Shoup constant: two multiplies and one correction, the
   * form every backend uses for twiddles, keys and tables.
   */
  public long multiplyShoup(long x, long w, long wShoup) {
    long est = (x * wShoup) >>> 32;
    long r = x * w - est * value;
    return r >= value ? r - value : r;
  }

  public long pow(long base, long exponent) {
    long result = 1;
    long b = reduce(base);
    long e = exponent;
    while (e > 0) {
      if ((e & 1) != 0) {
        result = multiply(result, b);
      }
      b = multiply(b, b);
      e >>= 1;
    }
    return result;
  }

  /** The inverse of a nonzero residue (Fermat). */
  public long inverse(long a) {
    long r = reduce(a);
    if (r == 0) {
      throw new EngineException(EngineException.Code.INVALID_ARGUMENT, "0 has no inverse mod " + value);
    }
    return pow(r, value - 2);
  }

  /** Maps a residue to its centred representative in (-q/2, q/2]. */
  public long centered(long a) {
    return a > (value >>> 1) ? a - value : a;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Modulus && ((Modulus) o).value == value;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(value);
  }

  @Override
  public String toString() {
    return Long.toString(value);
  }
}
