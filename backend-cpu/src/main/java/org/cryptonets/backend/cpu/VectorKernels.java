package org.cryptonets.backend.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.NttTables;

/**
 * Limb loops on the Java Vector API, in 64-bit lanes. With primes below 2^31 every product fits a
 * lane, so Shoup and Barrett reduction need only lane-wise multiply and shifts (the API has no
 * multiply-high). Each loop ends with a scalar tail that performs the same steps, so results equal
 * {@link ScalarKernels} bit for bit.
 *
 * <p>Stateless; thread-safe.
 */
final class VectorKernels implements LimbKernels {
  static final VectorKernels INSTANCE = new VectorKernels();
  private static final VectorSpecies<Long> S = LongVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
  private static final int W = S.length();

  @Override
  public String describe() {
    return "vector " + S.vectorBitSize() + "-bit (" + W + " lanes)";
  }

  /** v mod q for v in [0, 2q): subtract q and add it back where the result went negative. */
  private static LongVector reduceOnce(LongVector v, LongVector q) {
    LongVector r = v.sub(q);
    return r.add(r.lanewise(VectorOperators.ASHR, 63).and(q));
  }

  private static LongVector shoup(LongVector x, LongVector w, LongVector ws, LongVector q) {
    LongVector est = x.mul(ws).lanewise(VectorOperators.LSHR, 32);
    return reduceOnce(x.mul(w).sub(est.mul(q)), q);
  }

  private static LongVector barrett(LongVector x, Modulus m, LongVector q, LongVector f) {
    LongVector est = x.lanewise(VectorOperators.LSHR, m.barrettShiftIn()).mul(f).lanewise(VectorOperators.LSHR, m.barrettShiftOut());
    LongVector r = x.sub(est.mul(q));
    return reduceOnce(reduceOnce(r, q), q);
  }

  @Override
  public void forwardNtt(long[] a, int off, NttTables tables) {
    int n = tables.n();
    long qs = tables.modulus().value();
    LongVector q = LongVector.broadcast(S, qs);
    long[] w = tables.rootPowers();
    long[] ws = tables.rootPowersShoup();
    int t = n;
    for (int m = 1; m < n; m <<= 1) {
      t >>= 1;
      if (t >= W) {
        for (int i = 0; i < m; i++) {
          int j1 = off + 2 * i * t;
          LongVector wv = LongVector.broadcast(S, w[m + i]);
          LongVector wsv = LongVector.broadcast(S, ws[m + i]);
          for (int j = j1; j < j1 + t; j += W) {
            LongVector u = LongVector.fromArray(S, a, j);
            LongVector v = shoup(LongVector.fromArray(S, a, j + t), wv, wsv, q);
            reduceOnce(u.add(v), q).intoArray(a, j);
            LongVector d = u.sub(v);
            d.add(d.lanewise(VectorOperators.ASHR, 63).and(q)).intoArray(a, j + t);
          }
        }
      } else {
        for (int i = 0; i < m; i++) {
          int j1 = off + 2 * i * t;
          long wi = w[m + i];
          long wsi = ws[m + i];
          for (int j = j1; j < j1 + t; j++) {
            long u = a[j];
            long x = a[j + t];
            long v = x * wi - ((x * wsi) >>> 32) * qs - qs;
            v += (v >> 63) & qs;
            long s = u + v - qs;
            a[j] = s + ((s >> 63) & qs);
            long d = u - v;
            a[j + t] = d + ((d >> 63) & qs);
          }
        }
      }
    }
  }

  @Override
  public void inverseNtt(long[] a, int off, NttTables tables) {
    int n = tables.n();
    long qs = tables.modulus().value();
    LongVector q = LongVector.broadcast(S, qs);
    long[] w = tables.inverseRootPowers();
    long[] ws = tables.inverseRootPowersShoup();
    int t = 1;
    for (int m = n; m > 1; m >>= 1) {
      int h = m >> 1;
      int j1 = off;
      if (t >= W) {
        for (int i = 0; i < h; i++) {
          LongVector wv = LongVector.broadcast(S, w[h + i]);
          LongVector wsv = LongVector.broadcast(S, ws[h + i]);
          for (int j = j1; j < j1 + t; j += W) {
            LongVector u = LongVector.fromArray(S, a, j);
            LongVector v = LongVector.fromArray(S, a, j + t);
            reduceOnce(u.add(v), q).intoArray(a, j);
            LongVector d = u.sub(v);
            d = d.add(d.lanewise(VectorOperators.ASHR, 63).and(q));
            shoup(d, wv, wsv, q).intoArray(a, j + t);
          }
          j1 += 2 * t;
        }
      } else {
        for (int i = 0; i < h; i++) {
          long wi = w[h + i];
          long wsi = ws[h + i];
          for (int j = j1; j < j1 + t; j++) {
            long u = a[j];
            long v = a[j + t];
            long s = u + v - qs;
            a[j] = s + ((s >> 63) & qs);
            long d = u - v;
            d += (d >> 63) & qs;
            long r = d * wi - ((d * wsi) >>> 32) * qs - qs;
            a[j + t] = r + ((r >> 63) & qs);
          }
          j1 += 2 * t;
        }
      }
      t <<= 1;
    }
    multiplyConstant(a, off, tables.inverseN(), tables.inverseNShoup(), a, off, n, qs);
  }

  @Override
  public void add(long[] a, int ao, long[] b, int bo, long[] out, int oo, int len, long qs) {
    LongVector q = LongVector.broadcast(S, qs);
    int j = 0;
    for (; j <= len - W; j += W) {
      reduceOnce(LongVector.fromArray(S, a, ao + j).add(LongVector.fromArray(S, b, bo + j)), q).intoArray(out, oo + j);
    }
    ScalarKernels.INSTANCE.add(a, ao + j, b, bo + j, out, oo + j, len - j, qs);
  }

  @Override
  public void subtract(long[] a, int ao, long[] b, int bo, long[] out, int oo, int len, long qs) {
    LongVector q = LongVector.broadcast(S, qs);
    int j = 0;
    for (; j <= len - W; j += W) {
      LongVector d = LongVector.fromArray(S, a, ao + j).sub(LongVector.fromArray(S, b, bo + j));
      d.add(d.lanewise(VectorOperators.ASHR, 63).and(q)).intoArray(out, oo + j);
    }
    ScalarKernels.INSTANCE.subtract(a, ao + j, b, bo + j, out, oo + j, len - j, qs);
  }

  @Override
  public void negate(long[] a, int ao, long[] out, int oo, int len, long qs) {
    LongVector q = LongVector.broadcast(S, qs);
    int j = 0;
    for (; j <= len - W; j += W) {
      LongVector d = LongVector.fromArray(S, a, ao + j).neg();
      d.add(d.lanewise(VectorOperators.ASHR, 63).and(q)).intoArray(out, oo + j);
    }
    ScalarKernels.INSTANCE.negate(a, ao + j, out, oo + j, len - j, qs);
  }

  @Override
  public void multiply(long[] a, int ao, long[] b, int bo, long[] out, int oo, int len, Modulus m) {
    LongVector q = LongVector.broadcast(S, m.value());
    LongVector f = LongVector.broadcast(S, m.barrettFactor());
    int j = 0;
    for (; j <= len - W; j += W) {
      LongVector x = LongVector.fromArray(S, a, ao + j).mul(LongVector.fromArray(S, b, bo + j));
      barrett(x, m, q, f).intoArray(out, oo + j);
    }
    ScalarKernels.INSTANCE.multiply(a, ao + j, b, bo + j, out, oo + j, len - j, m);
  }

  @Override
  public void multiplyAdd(long[] a, int ao, long[] b, int bo, long[] out, int oo, int len, Modulus m) {
    LongVector q = LongVector.broadcast(S, m.value());
    LongVector f = LongVector.broadcast(S, m.barrettFactor());
    int j = 0;
    for (; j <= len - W; j += W) {
      LongVector x = LongVector.fromArray(S, a, ao + j).mul(LongVector.fromArray(S, b, bo + j));
      reduceOnce(barrett(x, m, q, f).add(LongVector.fromArray(S, out, oo + j)), q).intoArray(out, oo + j);
    }
    ScalarKernels.INSTANCE.multiplyAdd(a, ao + j, b, bo + j, out, oo + j, len - j, m);
  }

  @Override
  public void multiplyConstant(long[] a, int ao, long w, long wShoup, long[] out, int oo, int len, long qs) {
    LongVector q = LongVector.broadcast(S, qs);
    LongVector wv = LongVector.broadcast(S, w);
    LongVector wsv = LongVector.broadcast(S, wShoup);
    int j = 0;
    for (; j <= len - W; j += W) {
      shoup(LongVector.fromArray(S, a, ao + j), wv, wsv, q).intoArray(out, oo + j);
    }
    ScalarKernels.INSTANCE.multiplyConstant(a, ao + j, w, wShoup, out, oo + j, len - j, qs);
  }

  @Override
  public void accumulate(long[] acc, int accOff, long[] a, int ao, long w, int len) {
    int j = 0;
    for (; j <= len - W; j += W) {
      LongVector.fromArray(S, a, ao + j).mul(w).add(LongVector.fromArray(S, acc, accOff + j)).intoArray(acc, accOff + j);
    }
    ScalarKernels.INSTANCE.accumulate(acc, accOff + j, a, ao + j, w, len - j);
  }

  @Override
  public void reduceSigned(long[] acc, int accOff, long[] out, int oo, int len, long qs) {
    if (D.length() != W) {
      ScalarKernels.INSTANCE.reduceSigned(acc, accOff, out, oo, len, qs);
      return;
    }
    double inv = 1.0 / qs;
    LongVector q = LongVector.broadcast(S, qs);
    int j = 0;
    for (; j <= len - W; j += W) {
      LongVector x = LongVector.fromArray(S, acc, accOff + j);
      DoubleVector xd = (DoubleVector) x.convert(VectorOperators.L2D, 0);
      LongVector est = (LongVector) xd.mul(inv).convert(VectorOperators.D2L, 0);
      LongVector r = x.sub(est.mul(q));
      r = r.add(r.lanewise(VectorOperators.ASHR, 63).and(q));
      r = r.add(r.lanewise(VectorOperators.ASHR, 63).and(q));
      r = reduceOnce(r, q);
      reduceOnce(r, q).intoArray(out, oo + j);
    }
    ScalarKernels.INSTANCE.reduceSigned(acc, accOff + j, out, oo + j, len - j, qs);
  }
}
