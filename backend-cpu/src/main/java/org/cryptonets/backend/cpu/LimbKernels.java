package org.cryptonets.backend.cpu;

import org.cryptonets.engine.BaseConverter;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.RnsScaler;
import org.cryptonets.engine.NttTables;

/**
 * The per-limb loops of the CPU backend: each works on {@code len} residues of one prime starting at
 * an offset. Two implementations give identical results: {@link ScalarKernels} (plain Java, the
 * reference) and {@link VectorKernels} (Java Vector API).
 *
 * <p>Implementations are stateless and thread-safe.
 */
interface LimbKernels {
  String describe();

  void forwardNtt(long[] a, int off, NttTables tables);

  void inverseNtt(long[] a, int off, NttTables tables);

  void add(long[] a, int ao, long[] b, int bo, long[] out, int oo, int len, long q);

  void subtract(long[] a, int ao, long[] b, int bo, long[] out, int oo, int len, long q);

  void negate(long[] a, int ao, long[] out, int oo, int len, long q);

  /** out = a * b mod q (Barrett), inputs in [0, q). */
  void multiply(long[] a, int ao, long[] b, int bo, long[] out, int oo, int len, Modulus q);

  /** out = (out + a * b) mod q. */
  void multiplyAdd(long[] a, int ao, long[] b, int bo, long[] out, int oo, int len, Modulus q);

  /** out = a * w mod q for a fixed w in [0, q) with its Shoup constant. */
  void multiplyConstant(long[] a, int ao, long w, long wShoup, long[] out, int oo, int len, long q);

  /** Whether every value of {@code a[off..off + len)} is a residue in [0, q). */
  boolean allResidues(long[] a, int off, int len, long q);

  /** acc += w * a, signed 64-bit, no reduction (caller bounds the number of terms). */
  void accumulate(long[] acc, int accOff, long[] a, int ao, long w, int len);

  /**
   * The dense layer step, register-blocked: for every row r < rows and coefficient j < len,
   * {@code acc[accOff + r*stride + j] += sum over k in [k0, k1) of wt[k*rows + r] * src[k][srcOff + j]},
   * exactly, in signed 64-bit, with no reduction. {@code wt} is the weight matrix transposed (the
   * weights of input k are contiguous), small integers held exactly as doubles.
   *
   * <p>{@code bound} is the caller's proof of range: every partial sum, the initial accumulator
   * included, has magnitude at most {@code bound}, and {@code bound <= 2^62}. Implementations may
   * pick a cheaper exact arithmetic from it (the vector path multiplies in doubles when {@code bound
   * < 2^53}); the result is the same exact integer either way.
   */
  void accumulateDense(long[] acc, int accOff, int stride, int rows, double[] wt, int k0, int k1, long[][] src, int srcOff, int len, long bound);

  /**
   * A whole sparse layer on one coefficient strip, reduced: for every row r and coefficient
   * j < len, {@code dst[r][dstOff + j] = (sum over e in [rowStart[r], rowStart[r+1]) of
   * weights[e] * src[cols[e]][srcOff + j]) mod q}, in [0, q). {@code weights} are small integers held
   * exactly as doubles (CSR values of the layer's matrix), inputs are residues in [0, q).
   *
   * <p>{@code bound} is the caller's proof of range, at most 2^62: for every row, the sum of |weight|
   * times (q - 1) is at most {@code bound}. Implementations may pick a cheaper exact arithmetic from
   * it (the vector path multiplies in doubles when {@code bound < 2^53}); the result is the same.
   */
  void sparseLayer(long[][] dst, int dstOff, int[] rowStart, int[] cols, double[] weights, long[][] src, int srcOff, int len, Modulus q, long bound);

  /** dst[po + j] = src[so + j] as exact doubles for j < len; the values are below 2^51 in magnitude. */
  void packDoubles(long[] src, int so, double[] dst, int po, int len);

  /**
   * Rows [r0, r1) of a sparse layer over strips already held as doubles, unreduced: for j < len,
   * {@code out[(r - r0) * len + j] = initial[r] + sum over e in [rowStart[r], rowStart[r+1]) of
   * weights[e] * packed[base + cols[e] * stride + j]}, as exact longs. The caller proves every
   * partial sum, the initial value included, below 2^51 in magnitude. The fused linear-then-square
   * step of the CPU backend runs on it: the strips of every input are packed once per coefficient
   * block and all rows read them from cache.
   */
  void sparseRowsPacked(double[] packed, int base, int stride, int[] rowStart, int[] cols, double[] weights, long[] initial, int r0, int r1,
      long[] out, int len);

  /**
   * Base conversion of coefficients [from, from + len) of one polynomial: limb i of the source at
   * {@code src[srcOff + i*n + c]}, limb k of the result at {@code dst[dstOff + k*n + c]}.
   */
  void convertBase(BaseConverter conv, long[] src, int srcOff, long[] dst, int dstOff, int n, int from, int len);

  /** Scale-and-round of coefficients [from, from + len) of one polynomial, layout as above. */
  void scaleAndRound(RnsScaler s, long[] src, int srcOff, long[] dst, int dstOff, int n, int from, int len);

  /**
   * Modulus switching of one limb: out = (x - centred(last)) * inv mod q, where centred(last) is
   * the residue mod qLast in (-qLast/2, qLast/2]; requires qLast < 2q.
   */
  void dropLast(long[] x, int xo, long[] last, int lo, long qLast, long[] out, int oo, int len, long q, long inv, long invShoup);

  /**
   * out = acc mod q for signed accumulators with |acc| < 2^(2b-2), b = bits of q: an integer-only
   * path (Barrett after a bias that makes the value non-negative).
   */
  void reduceBounded(long[] acc, int accOff, long[] out, int oo, int len, Modulus q);

  /**
   * out = a mod q for a in (-q, 2q): one correction each way. For residues of a prime below 2q (a
   * key-switching digit moved to another prime of the same size) and centred residues of a prime
   * below 2q (modulus switching's correction).
   */
  void reduceSmall(long[] a, int ao, long[] out, int oo, int len, long q);

  /** out = acc mod q for signed accumulators with |acc| < 2^62. */
  void reduceSigned(long[] acc, int accOff, long[] out, int oo, int len, long q);
}
