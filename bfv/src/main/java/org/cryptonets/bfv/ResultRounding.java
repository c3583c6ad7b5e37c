package org.cryptonets.bfv;

import org.cryptonets.engine.Modulus;

/**
 * The host loop of compressed-result decryption ({@link Decryptor#decryptWithBudget}), one
 * ciphertext per call: the phase x = c0 + c1 s mod 2^bits (with c1 s lifted from two primes by
 * Garner's formula, or given whole), the ciphertext's invariant noise budget, and
 * round(t x / 2^bits) mod t times the results' factor, written over x.
 *
 * <p>Its own class, a small unit for the JIT: the owner decrypts once per batch, and this loop ran
 * interpreted or in C1's profiled code for most of the demo's three timed decryptions before the
 * owner's warm-up ({@code DataOwner.warmUpDecryption}; an async-profiler profile of bench's
 * {@code ResultDecryptionRuns}, BENCHMARKS.md).
 *
 * <p>Immutable; thread-safe. Throws nothing of its own; arrays too short for the ciphertext index
 * throw {@link ArrayIndexOutOfBoundsException} (the caller sizes them).
 */
final class ResultRounding {
  private final boolean crt;
  private final long q1;
  private final long q0;
  private final long inv;
  private final long invShoup;
  private final long big;
  private final long halfBig;
  private final boolean oneSubtraction;
  private final long t;
  private final int bits;
  private final long half;
  private final long mask;
  private final long full;
  private final boolean wide;
  private final long plainFactor;
  private final long factorShoup;

  /** For a phase whose c1 s comes as residues modulo the primes q0 and q1 (q0 q1 &gt; 2 n 2^bits). */
  ResultRounding(long q0, Modulus q1, Modulus t, int bits, long plainFactor) {
    this(true, q0, q1, t, bits, plainFactor);
  }

  /** For a phase computed whole on the host (mod 2^bits). */
  ResultRounding(Modulus t, int bits, long plainFactor) {
    this(false, 1, t, t, bits, plainFactor);
  }

  private ResultRounding(boolean crt, long q0, Modulus m1, Modulus t, int bits, long plainFactor) {
    this.crt = crt;
    this.q0 = q0;
    this.q1 = m1.value();
    this.inv = crt ? m1.inverse(q0 % q1) : 1;
    this.invShoup = m1.shoup(inv);
    this.big = q0 * q1;
    this.halfBig = big / 2;
    this.oneSubtraction = q0 < 2 * q1;
    this.t = t.value();
    this.bits = bits;
    this.half = 1L << (bits - 1);
    this.mask = (1L << bits) - 1;
    this.full = 1L << bits;
    this.wide = bits >= 31;
    this.plainFactor = plainFactor;
    this.factorShoup = t.shoup(plainFactor);
  }

  /**
   * Ciphertext k: reads c0 from {@code values[2 k n ..]} and c1 s from {@code product[2 k n ..]}
   * (residues mod q0, then mod q1) or, without CRT, the phase from {@code x[k n ..]}; writes the
   * scaled, rounded coefficients to {@code x[k n ..]} and returns the noise budget in bits.
   */
  int round(long[] product, long[] values, long[] x, int k, int n) {
    int off = k * n;
    int r0 = 2 * k * n;
    long max = 0;
    // No method calls in this loop (Shoup products, the rounding's 128-bit product and the maximum
    // written out): until the JIT has compiled it, each call costs more than the arithmetic.
    for (int j = 0; j < n; j++) {
      long xj;
      if (crt) {
        // y = a + q0 [(b - a) q0^-1]_q1, centred; then x = (c0 + y) mod 2^bits
        long a = product[r0 + j];
        long am = a < q1 ? a : oneSubtraction ? a - q1 : a % q1;
        long diff = product[r0 + n + j] - am;
        if (diff < 0) {
          diff += q1;
        }
        long d = diff * inv - ((diff * invShoup) >>> 32) * q1;
        long y = a + q0 * (d >= q1 ? d - q1 : d);
        xj = (values[r0 + j] + (y > halfBig ? y - big : y)) & mask;
      } else {
        xj = x[off + j];
      }
      // the budget: the centred t x mod 2^bits, whose size is the noise (and rounding) term
      long r = (t * xj) & mask;
      long centred = r >= half ? full - r : r;
      if (centred > max) {
        max = centred;
      }
      // round(t x / 2^bits) = floor((t xh 2^31 + t xl + 2^(bits-1)) / 2^bits) for x = xh 2^31 + xl:
      // t xh and t xl + 2^(bits-1) stay below 2^63 (t < 2^31, x < 2^62)
      long q;
      if (wide) {
        long low = t * (xj & 0x7FFFFFFFL) + half;
        q = (t * (xj >>> 31) + (low >>> 31)) >>> (bits - 31);
      } else {
        q = (t * xj + half) >>> bits;
      }
      if (q == t) {
        q = 0;
      }
      long g = q * plainFactor - ((q * factorShoup) >>> 32) * t;
      x[off + j] = g >= t ? g - t : g;
    }
    return Math.max(0, bits - 1 - (64 - Long.numberOfLeadingZeros(max)));
  }
}
