package org.cryptonets.bfv;

import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.RnsBasis;

/**
 * round(2^bits x / Q) mod 2^bits for x given by its residues over one or two primes (Q < 2^62) and
 * bits <= 50, in 64-bit arithmetic: the switch of results to a power of two ({@link
 * CompressedCiphertexts#compress}) without a BigInteger per coefficient. x is composed by Garner's
 * formula, the quotient estimated in doubles (off by at most one for bits <= 50) and corrected
 * with the exact 128-bit remainder. The result equals floor((2^bits x + floor(Q/2)) / Q) mod 2^bits,
 * the BigInteger formula, bit for bit (tested on edges and random residues).
 *
 * <p>Why: the results of a batch are 20 polynomials of 8192 coefficients per plaintext prime; a
 * BigInteger composition and division per coefficient took most of "relinearize + compress
 * results" on the H200 (53 of the network's 96 ms, host work while the GPU idled).
 *
 * <p>Immutable; thread-safe. {@link #supports} says whether a basis and exponent qualify.
 */
final class PowerOfTwoRounding {
  /** Largest exponent of the fast path: keeps the double estimate within one of the quotient. */
  static final int MAX_BITS = 50;

  private final int primes;
  private final Modulus q0;
  private final Modulus q1;
  private final long q0InverseModQ1;
  private final long modulus;
  private final long half;
  private final int bits;
  private final long mask;
  private final double scale;

  PowerOfTwoRounding(RnsBasis basis, int bits) {
    if (!supports(basis, bits)) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "fast rounding needs 1 or 2 primes and bits in [1, " + MAX_BITS + "], got " + basis.size() + " primes and " + bits + " bits");
    }
    this.primes = basis.size();
    this.q0 = basis.modulus(0);
    this.q1 = primes == 2 ? basis.modulus(1) : null;
    this.q0InverseModQ1 = primes == 2 ? q1.inverse(q1.reduce(q0.value())) : 0;
    this.modulus = primes == 2 ? q0.value() * q1.value() : q0.value();
    this.half = modulus >>> 1;
    this.bits = bits;
    this.mask = (1L << bits) - 1;
    this.scale = Math.scalb(1.0 / modulus, bits);
  }

  /** True for one or two primes whose product is below 2^62 and 1 <= bits <= {@link #MAX_BITS}. */
  static boolean supports(RnsBasis basis, int bits) {
    if (bits < 1 || bits > MAX_BITS || basis.size() < 1 || basis.size() > 2) {
      return false;
    }
    long a = basis.modulus(0).value();
    long b = basis.size() == 2 ? basis.modulus(1).value() : 1;
    return Math.multiplyHigh(a, b) == 0 && a * b > 0 && a * b < (1L << 62);
  }

  /** The composed value x in [0, Q) of residues r0 (mod q0) and, for two primes, r1 (mod q1). */
  long compose(long r0, long r1) {
    if (primes == 1) {
      return r0;
    }
    long d = q1.reduce(r1 - q1.reduce(r0) + q1.value());
    return r0 + q0.value() * q1.multiply(d, q0InverseModQ1);
  }

  /** floor((2^bits x + floor(Q/2)) / Q) mod 2^bits for x in [0, Q). */
  long round(long x) {
    long lo = x << bits;
    long hi = x >>> (64 - bits);
    long lo2 = lo + half;
    if (Long.compareUnsigned(lo2, lo) < 0) {
      hi++;
    }
    long y = (long) Math.floor(x * scale + 0.5);
    // remainder (hi, lo2) - y Q, exactly, as a 128-bit two's-complement value
    long plo = y * modulus;
    long phi = Math.multiplyHigh(y, modulus);
    long rlo = lo2 - plo;
    long rhi = hi - phi - (Long.compareUnsigned(lo2, plo) < 0 ? 1 : 0);
    if (rhi != (rlo >> 63)) {
      throw new IllegalStateException("quotient estimate off by more than one for x = " + x);
    }
    while (rlo < 0) {
      y--;
      rlo += modulus;
    }
    while (rlo >= modulus) {
      y++;
      rlo -= modulus;
    }
    return y & mask;
  }
}
