package org.cryptonets.backend.cpu;

import org.cryptonets.engine.BaseConverter;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.RnsScaler;
import org.cryptonets.engine.NttTables;

/** Plain-Java limb loops: the reference the vector path must match. Stateless; thread-safe. */
final class ScalarKernels implements LimbKernels {
  static final ScalarKernels INSTANCE = new ScalarKernels();

  @Override
  public String describe() {
    return "scalar";
  }

  @Override
  public void forwardNtt(long[] a, int off, NttTables tables) {
    tables.forward(a, off);
  }

  @Override
  public void inverseNtt(long[] a, int off, NttTables tables) {
    tables.inverse(a, off);
  }

  @Override
  public void add(long[] a, int ao, long[] b, int bo, long[] out, int oo, int len, long q) {
    for (int j = 0; j < len; j++) {
      long s = a[ao + j] + b[bo + j] - q;
      out[oo + j] = s + ((s >> 63) & q);
    }
  }

  @Override
  public void subtract(long[] a, int ao, long[] b, int bo, long[] out, int oo, int len, long q) {
    for (int j = 0; j < len; j++) {
      long s = a[ao + j] - b[bo + j];
      out[oo + j] = s + ((s >> 63) & q);
    }
  }

  @Override
  public void negate(long[] a, int ao, long[] out, int oo, int len, long q) {
    for (int j = 0; j < len; j++) {
      long s = -a[ao + j];
      out[oo + j] = s + ((s >> 63) & q);
    }
  }

  @Override
  public void multiply(long[] a, int ao, long[] b, int bo, long[] out, int oo, int len, Modulus q) {
    for (int j = 0; j < len; j++) {
      out[oo + j] = q.reduceProduct(a[ao + j] * b[bo + j]);
    }
  }

  @Override
  public void multiplyAdd(long[] a, int ao, long[] b, int bo, long[] out, int oo, int len, Modulus q) {
    long qv = q.value();
    for (int j = 0; j < len; j++) {
      long s = out[oo + j] + q.reduceProduct(a[ao + j] * b[bo + j]) - qv;
      out[oo + j] = s + ((s >> 63) & qv);
    }
  }

  @Override
  public void multiplyConstant(long[] a, int ao, long w, long wShoup, long[] out, int oo, int len, long q) {
    for (int j = 0; j < len; j++) {
      long x = a[ao + j];
      long r = x * w - ((x * wShoup) >>> 32) * q - q;
      out[oo + j] = r + ((r >> 63) & q);
    }
  }

  /** v | (q - 1 - v) is negative exactly when v is outside [0, q): one OR over all of them. */
  @Override
  public boolean allResidues(long[] a, int off, int len, long q) {
    long any = 0;
    for (int j = off; j < off + len; j++) {
      long v = a[j];
      any |= v | (q - 1 - v);
    }
    return any >= 0;
  }

  @Override
  public void accumulate(long[] acc, int accOff, long[] a, int ao, long w, int len) {
    for (int j = 0; j < len; j++) {
      acc[accOff + j] += w * a[ao + j];
    }
  }

  @Override
  public void accumulateDense(long[] acc, int accOff, int stride, int rows, double[] wt, int k0, int k1, long[][] src, int srcOff, int len, long bound) {
    for (int k = k0; k < k1; k++) {
      long[] a = src[k];
      for (int r = 0; r < rows; r++) {
        long w = (long) wt[k * rows + r];
        int o = accOff + r * stride;
        for (int j = 0; j < len; j++) {
          acc[o + j] += w * a[srcOff + j];
        }
      }
    }
  }

  @Override
  public void sparseLayer(long[][] dst, int dstOff, int[] rowStart, int[] cols, double[] weights, long[][] src, int srcOff, int len, Modulus q, long bound) {
    long[] row = ThreadScratch.get(1, len);
    boolean bounded = bound < (1L << (2 * q.bits() - 2));
    for (int r = 0; r + 1 < rowStart.length; r++) {
      java.util.Arrays.fill(row, 0, len, 0);
      for (int e = rowStart[r]; e < rowStart[r + 1]; e++) {
        long w = (long) weights[e];
        long[] a = src[cols[e]];
        for (int j = 0; j < len; j++) {
          row[j] += w * a[srcOff + j];
        }
      }
      if (bounded) {
        reduceBounded(row, 0, dst[r], dstOff, len, q);
      } else {
        reduceSigned(row, 0, dst[r], dstOff, len, q.value());
      }
    }
  }

  @Override
  public void packDoubles(long[] src, int so, double[] dst, int po, int len) {
    for (int j = 0; j < len; j++) {
      dst[po + j] = src[so + j];
    }
  }

  @Override
  public void sparseRowsPacked(double[] packed, int base, int stride, int[] rowStart, int[] cols, double[] weights, long[] initial, int r0, int r1,
      long[] out, int len) {
    for (int r = r0; r < r1; r++) {
      int o = (r - r0) * len;
      java.util.Arrays.fill(out, o, o + len, initial[r]);
      for (int e = rowStart[r]; e < rowStart[r + 1]; e++) {
        long w = (long) weights[e];
        int b = base + cols[e] * stride;
        for (int j = 0; j < len; j++) {
          out[o + j] += w * (long) packed[b + j];
        }
      }
    }
  }

  @Override
  public void convertBase(BaseConverter conv, long[] src, int srcOff, long[] dst, int dstOff, int n, int from, int len) {
    int l = conv.from().size();
    int k = conv.to().size();
    long[] x = new long[l];
    long[] y = new long[k];
    for (int c = from; c < from + len; c++) {
      for (int i = 0; i < l; i++) {
        x[i] = src[srcOff + i * n + c];
      }
      conv.convert(x, y);
      for (int j = 0; j < k; j++) {
        dst[dstOff + j * n + c] = y[j];
      }
    }
  }

  @Override
  public void scaleAndRound(RnsScaler s, long[] src, int srcOff, long[] dst, int dstOff, int n, int from, int len) {
    int l = s.input().size();
    int k = s.output().size();
    long[] x = new long[l];
    long[] y = new long[k];
    for (int c = from; c < from + len; c++) {
      for (int i = 0; i < l; i++) {
        x[i] = src[srcOff + i * n + c];
      }
      s.scale(x, y);
      for (int j = 0; j < k; j++) {
        dst[dstOff + j * n + c] = y[j];
      }
    }
  }

  @Override
  public void dropLast(long[] x, int xo, long[] last, int lo, long qLast, long[] out, int oo, int len, long q, long inv, long invShoup) {
    long half = qLast >>> 1;
    for (int j = 0; j < len; j++) {
      long r = last[lo + j];
      r = r > half ? r - qLast : r;
      // x - r lies in (-q, 2q) when qLast < 2q: one conditional addition, one subtraction.
      long v = x[xo + j] - r;
      v += (v >> 63) & q;
      v -= q;
      v += (v >> 63) & q;
      long t = v * inv - ((v * invShoup) >>> 32) * q - q;
      out[oo + j] = t + ((t >> 63) & q);
    }
  }

  @Override
  public void reduceSmall(long[] a, int ao, long[] out, int oo, int len, long q) {
    for (int j = 0; j < len; j++) {
      long v = a[ao + j];
      v += (v >> 63) & q;
      v -= q;
      out[oo + j] = v + ((v >> 63) & q);
    }
  }

  @Override
  public void reduceBounded(long[] acc, int accOff, long[] out, int oo, int len, Modulus q) {
    long bias = boundedBias(q);
    for (int j = 0; j < len; j++) {
      out[oo + j] = q.reduceProduct(acc[accOff + j] + bias);
    }
  }

  /** A multiple of q at least 2^(2b-2), so acc + bias is in [0, 2^(2b)) for |acc| < 2^(2b-2). */
  static long boundedBias(Modulus q) {
    long limit = 1L << (2 * q.bits() - 2);
    return (limit + q.value() - 1) / q.value() * q.value();
  }

  @Override
  public void reduceSigned(long[] acc, int accOff, long[] out, int oo, int len, long q) {
    double inv = 1.0 / q;
    for (int j = 0; j < len; j++) {
      out[oo + j] = reduceSigned(acc[accOff + j], q, inv);
    }
  }

  /**
   * x mod q for |x| < 2^62 without a division: the double quotient is off by at most a few units, and
   * two corrections each way bring the remainder into [0, q). The vector path does the same steps.
   */
  static long reduceSigned(long x, long q, double inv) {
    long est = (long) ((double) x * inv);
    long r = x - est * q;
    r += (r >> 63) & q;
    r += (r >> 63) & q;
    r -= q;
    r += (r >> 63) & q;
    r -= q;
    r += (r >> 63) & q;
    return r;
  }
}
