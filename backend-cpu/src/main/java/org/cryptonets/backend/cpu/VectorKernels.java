package org.cryptonets.backend.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import java.util.concurrent.ConcurrentHashMap;
import org.cryptonets.engine.BaseConverter;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.RnsScaler;
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
  /** Per stage t < W: lane l swaps with lane l ^ t, and the mask of lanes with (l & t) != 0. */
  private static final VectorShuffle<Long>[] SWAP = swapShuffles();
  private static final VectorMask<Long>[] HIGH = highMasks();
  private static final ConcurrentHashMap<NttTables, long[][]> PER_LANE = new ConcurrentHashMap<>();

  @SuppressWarnings("unchecked")
  private static VectorShuffle<Long>[] swapShuffles() {
    VectorShuffle<Long>[] out = new VectorShuffle[W];
    for (int t = 1; t < W; t <<= 1) {
      int[] idx = new int[W];
      for (int l = 0; l < W; l++) {
        idx[l] = l ^ t;
      }
      out[t] = VectorShuffle.fromArray(S, idx, 0);
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static VectorMask<Long>[] highMasks() {
    VectorMask<Long>[] out = new VectorMask[W];
    for (int t = 1; t < W; t <<= 1) {
      boolean[] bits = new boolean[W];
      for (int l = 0; l < W; l++) {
        bits[l] = (l & t) != 0;
      }
      out[t] = VectorMask.fromArray(S, bits, 0);
    }
    return out;
  }

  /**
   * Twiddles repeated for every coefficient position of the stages with t < W (forward powers,
   * their Shoup constants, then the inverse ones), so one vector load gives each lane its twiddle.
   */
  private static long[][] perLane(NttTables tables) {
    return PER_LANE.computeIfAbsent(tables, tb -> {
      int n = tb.n();
      int logW = Integer.numberOfTrailingZeros(W);
      long[][] e = new long[4 * logW][n];
      for (int t = 1, s = 0; t < W; t <<= 1, s++) {
        int m = n / (2 * t);
        for (int p = 0; p < n; p++) {
          e[2 * s][p] = tb.rootPowers()[m + p / (2 * t)];
          e[2 * s + 1][p] = tb.rootPowersShoup()[m + p / (2 * t)];
          e[2 * logW + 2 * s][p] = tb.inverseRootPowers()[m + p / (2 * t)];
          e[2 * logW + 2 * s + 1][p] = tb.inverseRootPowersShoup()[m + p / (2 * t)];
        }
      }
      return e;
    });
  }

  /**
   * Forward stage with t < W inside single vectors: each lane fetches its butterfly partner with a
   * one-vector permutation (compiled to one instruction on every JDK, unlike two-vector ones) and
   * keeps the sum or the difference by a mask. The products are computed for both halves, which
   * costs less than scalar butterflies.
   */
  private static void forwardStageInVector(long[] a, int off, int n, int t, long[] ew, long[] ews, LongVector q) {
    VectorShuffle<Long> swap = SWAP[t];
    VectorMask<Long> high = HIGH[t];
    for (int j = 0; j < n; j += W) {
      LongVector x = LongVector.fromArray(S, a, off + j);
      LongVector y = x.rearrange(swap);
      LongVector u = x.blend(y, high);
      LongVector v = y.blend(x, high);
      v = shoup(v, LongVector.fromArray(S, ew, j), LongVector.fromArray(S, ews, j), q);
      LongVector sum = reduceOnce(u.add(v), q);
      LongVector d = u.sub(v);
      d = d.add(d.lanewise(VectorOperators.ASHR, 63).and(q));
      sum.blend(d, high).intoArray(a, off + j);
    }
  }

  private static void inverseStageInVector(long[] a, int off, int n, int t, long[] ew, long[] ews, LongVector q) {
    VectorShuffle<Long> swap = SWAP[t];
    VectorMask<Long> high = HIGH[t];
    for (int j = 0; j < n; j += W) {
      LongVector x = LongVector.fromArray(S, a, off + j);
      LongVector y = x.rearrange(swap);
      LongVector u = x.blend(y, high);
      LongVector v = y.blend(x, high);
      LongVector sum = reduceOnce(u.add(v), q);
      LongVector d = u.sub(v);
      d = d.add(d.lanewise(VectorOperators.ASHR, 63).and(q));
      d = shoup(d, LongVector.fromArray(S, ew, j), LongVector.fromArray(S, ews, j), q);
      sum.blend(d, high).intoArray(a, off + j);
    }
  }

  /** Package-private switch so tests can compare the in-vector stages with scalar butterflies. */
  static boolean inVectorStages = true;

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
    // Two conditional subtractions written out rather than nested calls: the shallower inline
    // tree stays within C2's budget inside large callers.
    LongVector r = x.sub(est.mul(q)).sub(q);
    r = r.add(r.lanewise(VectorOperators.ASHR, 63).and(q)).sub(q);
    return r.add(r.lanewise(VectorOperators.ASHR, 63).and(q));
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
      } else if (inVectorStages && n >= W) {
        long[][] e = perLane(tables);
        int st = Integer.numberOfTrailingZeros(t);
        forwardStageInVector(a, off, n, t, e[2 * st], e[2 * st + 1], q);
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
      } else if (inVectorStages && n >= W) {
        long[][] e = perLane(tables);
        int logW = Integer.numberOfTrailingZeros(W);
        int st = Integer.numberOfTrailingZeros(t);
        inverseStageInVector(a, off, n, t, e[2 * logW + 2 * st], e[2 * logW + 2 * st + 1], q);
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

  /** x * w mod q left in [0, 2q): Shoup without the final correction, for sums reduced later. */
  private static LongVector shoupLazy(LongVector x, long w, long ws, LongVector q) {
    LongVector est = x.mul(ws).lanewise(VectorOperators.LSHR, 32);
    return x.mul(w).sub(est.mul(q));
  }

  /** x mod q for 0 <= x < 2^52 via a double quotient estimate; exact after the corrections. */
  private static LongVector reduceWide(LongVector x, LongVector q, double inv) {
    DoubleVector xd = (DoubleVector) x.convert(VectorOperators.L2D, 0);
    LongVector est = (LongVector) xd.mul(inv).convert(VectorOperators.D2L, 0);
    LongVector r = x.sub(est.mul(q));
    r = r.add(r.lanewise(VectorOperators.ASHR, 63).and(q));
    return reduceOnce(r, q);
  }

  @Override
  public void convertBase(BaseConverter conv, long[] src, int srcOff, long[] dst, int dstOff, int n, int from, int len) {
    int l = conv.from().size();
    int k = conv.to().size();
    if (D.length() != W || len % W != 0 || l > 16) {
      ScalarKernels.INSTANCE.convertBase(conv, src, srcOff, dst, dstOff, n, from, len);
      return;
    }
    long[] inv = conv.puncturedInverse();
    long[] invS = conv.puncturedInverseShoup();
    long[] rec = conv.reciprocal();
    long[] m = conv.puncturedModTo();
    long[] ms = conv.puncturedModToShoup();
    long[] qModP = conv.productModTo();
    long[] y = ThreadScratch.get(2, l * len);
    long[] v = ThreadScratch.get(3, len);
    long half = 1L << (BaseConverter.FRACTION_BITS - 1);
    for (int c = 0; c < len; c += W) {
      LongVector frac = LongVector.zero(S);
      for (int i = 0; i < l; i++) {
        LongVector qi = LongVector.broadcast(S, conv.from().modulus(i).value());
        LongVector yi = shoup(LongVector.fromArray(S, src, srcOff + i * n + from + c), LongVector.broadcast(S, inv[i]), LongVector.broadcast(S, invS[i]), qi);
        yi.intoArray(y, i * len + c);
        frac = frac.add(yi.mul(rec[i]));
      }
      frac.add(half).lanewise(VectorOperators.LSHR, BaseConverter.FRACTION_BITS).intoArray(v, c);
    }
    for (int j = 0; j < k; j++) {
      Modulus pm = conv.to().modulus(j);
      long p = pm.value();
      LongVector pv = LongVector.broadcast(S, p);
      LongVector pf = LongVector.broadcast(S, pm.barrettFactor());
      // Sums stay below 2^37 (Q of at most 16 primes); Barrett needs them below 2^(2b).
      boolean barrettOk = 2 * pm.bits() >= 38;
      double pinv = 1.0 / p;
      // v <= |Q| <= 16 and Q mod p < p, so adding 16 p keeps the sum non-negative.
      long bias = 16 * p;
      long qp = qModP[j];
      for (int c = 0; c < len; c += W) {
        LongVector acc = LongVector.broadcast(S, bias).sub(LongVector.fromArray(S, v, c).mul(qp));
        for (int i = 0; i < l; i++) {
          acc = acc.add(shoupLazy(LongVector.fromArray(S, y, i * len + c), m[j * l + i], ms[j * l + i], pv));
        }
        (barrettOk ? barrett(acc, pm, pv, pf) : reduceWide(acc, pv, pinv)).intoArray(dst, dstOff + j * n + from + c);
      }
    }
  }

  @Override
  public void scaleAndRound(RnsScaler s, long[] src, int srcOff, long[] dst, int dstOff, int n, int from, int len) {
    int l = s.q().size();
    int k = s.output().size();
    if (D.length() != W || len % W != 0) {
      ScalarKernels.INSTANCE.scaleAndRound(s, src, srcOff, dst, dstOff, n, from, len);
      return;
    }
    long[] fh = s.fractionHigh();
    long[] fl = s.fractionLow();
    long[] im = s.integerModOut();
    long[] ims = s.integerModOutShoup();
    long[] rounded = ThreadScratch.get(2, len);
    long half = 1L << (RnsScaler.FRACTION_BITS - 1);
    for (int c = 0; c < len; c += W) {
      LongVector high = LongVector.zero(S);
      LongVector low = LongVector.zero(S);
      for (int i = 0; i < l; i++) {
        LongVector x = LongVector.fromArray(S, src, srcOff + i * n + from + c);
        high = high.add(x.mul(fh[i]));
        low = low.add(x.mul(fl[i]));
      }
      LongVector lo = low.add(half).lanewise(VectorOperators.LSHR, RnsScaler.HALF_BITS);
      high.add(lo).lanewise(VectorOperators.LSHR, RnsScaler.HALF_BITS).intoArray(rounded, c);
    }
    for (int j = 0; j < k; j++) {
      Modulus om = s.output().modulus(j);
      long o = om.value();
      LongVector ov = LongVector.broadcast(S, o);
      LongVector of = LongVector.broadcast(S, om.barrettFactor());
      boolean barrettOk = 2 * om.bits() >= 38;
      double oinv = 1.0 / o;
      for (int c = 0; c < len; c += W) {
        // rounded < 16 * 2^31 and each lazy term < 2o: the sum stays below 2^52.
        LongVector acc = LongVector.fromArray(S, rounded, c);
        for (int i = 0; i < l; i++) {
          acc = acc.add(shoupLazy(LongVector.fromArray(S, src, srcOff + i * n + from + c), im[j * l + i], ims[j * l + i], ov));
        }
        if (s.hasAuxiliary()) {
          acc = acc.add(shoupLazy(LongVector.fromArray(S, src, srcOff + (l + j) * n + from + c), s.lambda()[j], s.lambdaShoup()[j], ov));
        }
        (barrettOk ? barrett(acc, om, ov, of) : reduceWide(acc, ov, oinv)).intoArray(dst, dstOff + j * n + from + c);
      }
    }
  }

  @Override
  public void dropLast(long[] x, int xo, long[] last, int lo, long qLast, long[] out, int oo, int len, long qs, long inv, long invShoup) {
    LongVector q = LongVector.broadcast(S, qs);
    LongVector ql = LongVector.broadcast(S, qLast);
    LongVector half = LongVector.broadcast(S, qLast >>> 1);
    LongVector w = LongVector.broadcast(S, inv);
    LongVector ws = LongVector.broadcast(S, invShoup);
    int j = 0;
    for (; j <= len - W; j += W) {
      LongVector r = LongVector.fromArray(S, last, lo + j);
      // centred residue: subtract qLast where r > qLast/2 (half - r is then negative)
      r = r.sub(half.sub(r).lanewise(VectorOperators.ASHR, 63).and(ql));
      LongVector v = LongVector.fromArray(S, x, xo + j).sub(r);
      v = v.add(v.lanewise(VectorOperators.ASHR, 63).and(q));
      v = reduceOnce(reduceOnce(v, q), q);
      shoup(v, w, ws, q).intoArray(out, oo + j);
    }
    ScalarKernels.INSTANCE.dropLast(x, xo + j, last, lo + j, qLast, out, oo + j, len - j, qs, inv, invShoup);
  }

  @Override
  public void reduceBounded(long[] acc, int accOff, long[] out, int oo, int len, Modulus m) {
    LongVector q = LongVector.broadcast(S, m.value());
    LongVector f = LongVector.broadcast(S, m.barrettFactor());
    long bias = ScalarKernels.boundedBias(m);
    int j = 0;
    for (; j <= len - W; j += W) {
      barrett(LongVector.fromArray(S, acc, accOff + j).add(bias), m, q, f).intoArray(out, oo + j);
    }
    ScalarKernels.INSTANCE.reduceBounded(acc, accOff + j, out, oo + j, len - j, m);
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
