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
  // The same shuffles as constants: C2 folds the bounds check of a constant shuffle's rearrange, not
  // of one loaded from an array (JDK 17 profile: AbstractShuffle.checkIndexes was 24 % of encryption;
  // measured after: 1.40-1.47 s of CPU per prime for BGV encryption against 1.71-1.89 s before).
  private static final VectorShuffle<Long> SWAP1 = SWAP[1];
  private static final VectorShuffle<Long> SWAP2 = W > 2 ? SWAP[2] : null;
  private static final VectorShuffle<Long> SWAP4 = W > 4 ? SWAP[4] : null;
  private static final VectorMask<Long>[] HIGH = highMasks();
  private static final VectorMask<Long> HIGH1 = HIGH[1];
  private static final VectorMask<Long> HIGH2 = W > 2 ? HIGH[2] : null;
  private static final VectorMask<Long> HIGH4 = W > 4 ? HIGH[4] : null;
  private static final ConcurrentHashMap<NttTables, long[][]> PER_LANE = new ConcurrentHashMap<>();

  /**
   * {@code LongVector.selectFrom(Vector, Vector)} where the running JDK has it (24 and later, an
   * intrinsic two-table permutation), else null; looked up by name because the code is compiled
   * for Java 17 (see UNSIGNED_MIN). The two-vector {@code rearrange} of JDK 17 to 25 is two
   * permutations and a blend, which left the paired stages no faster than the in-vector ones.
   */
  private static final java.lang.invoke.MethodHandle SELECT_FROM = selectFromHandle();

  private static java.lang.invoke.MethodHandle selectFromHandle() {
    try {
      return java.lang.invoke.MethodHandles.publicLookup().findVirtual(LongVector.class, "selectFrom",
          java.lang.invoke.MethodType.methodType(LongVector.class, jdk.incubator.vector.Vector.class, jdk.incubator.vector.Vector.class));
    } catch (ReflectiveOperationException e) {
      return null;
    }
  }

  /** Lane l of the result: lane idx[l] of the pair (a, b), indices in [0, 2W). */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static LongVector select(LongVector idx, LongVector a, LongVector b) {
    try {
      return (LongVector) SELECT_FROM.invokeExact(idx, (jdk.incubator.vector.Vector) a, (jdk.incubator.vector.Vector) b);
    } catch (Throwable e) {
      throw new IllegalStateException("LongVector.selectFrom failed", e);
    }
  }

  /**
   * Stages with t < W over pairs of vectors (x, y) = coefficients [j, j + 2W), where selectFrom
   * exists: one two-vector selection gathers the W butterflies' first operands (U), one their
   * second operands (V), and two put the sums and differences back (X, Y), so every lane of the
   * product does useful work. Index vectors per t, as constants (see SWAP1).
   */
  private static final LongVector[][] PAIR = pairIndices();
  private static final LongVector U1 = PAIR[1][0], V1 = PAIR[1][1], X1 = PAIR[1][2], Y1 = PAIR[1][3];
  private static final LongVector U2 = W > 2 ? PAIR[2][0] : null, V2 = W > 2 ? PAIR[2][1] : null, X2 = W > 2 ? PAIR[2][2] : null,
      Y2 = W > 2 ? PAIR[2][3] : null;
  private static final LongVector U4 = W > 4 ? PAIR[4][0] : null, V4 = W > 4 ? PAIR[4][1] : null, X4 = W > 4 ? PAIR[4][2] : null,
      Y4 = W > 4 ? PAIR[4][3] : null;
  private static final ConcurrentHashMap<NttTables, long[][]> PER_PAIR = new ConcurrentHashMap<>();
  /** Positions in [0, 2W) of the first operands of the butterflies at distance t, ascending. */
  private static long[] firstOperands(int t) {
    long[] u = new long[W];
    for (int e = 0, l = 0; e < 2 * W; e++) {
      if ((e & t) == 0) {
        u[l++] = e;
      }
    }
    return u;
  }

  private static LongVector[][] pairIndices() {
    LongVector[][] out = new LongVector[W][];
    for (int t = 1; t < W; t <<= 1) {
      long[] u = firstOperands(t);
      long[] v = new long[W];
      long[] back = new long[2 * W];
      for (int l = 0; l < W; l++) {
        v[l] = u[l] + t;
        // results: first operands from the sums (lane l), second operands from the differences
        back[(int) u[l]] = l;
        back[(int) v[l]] = W + l;
      }
      out[t] = new LongVector[] {LongVector.fromArray(S, u, 0), LongVector.fromArray(S, v, 0), LongVector.fromArray(S, back, 0),
          LongVector.fromArray(S, back, W)};
    }
    return out;
  }

  /**
   * Twiddles of the stages with t < W in the lane order of the paired stages (JDK 24+), one per
   * butterfly ({@link #pairTwiddles}).
   */
  private static long[][] perPair(NttTables tables) {
    return PER_PAIR.computeIfAbsent(tables, tb -> pairTwiddles(tb, (l, t) -> (int) firstOperands(t)[l]));
  }

  /**
   * Per t < W (s = log2 t): the forward powers, their Shoup constants, the inverse powers and
   * theirs, one per butterfly in a pair-stage's lane order: lane l of the pair of vectors at j
   * serves the butterfly whose first operand is coefficient j + {@code first(l, t)}.
   */
  private static long[][] pairTwiddles(NttTables tb, java.util.function.IntBinaryOperator first) {
    int n = tb.n();
    int logW = Integer.numberOfTrailingZeros(W);
    long[][] e = new long[4 * logW][n / 2];
    for (int t = 1, s = 0; t < W; t <<= 1, s++) {
      int m = n / (2 * t);
      for (int j = 0, k = 0; j < n; j += 2 * W, k += W) {
        for (int l = 0; l < W; l++) {
          int block = m + (j + first.applyAsInt(l, t)) / (2 * t);
          e[4 * s][k + l] = tb.rootPowers()[block];
          e[4 * s + 1][k + l] = tb.rootPowersShoup()[block];
          e[4 * s + 2][k + l] = tb.inverseRootPowers()[block];
          e[4 * s + 3][k + l] = tb.inverseRootPowersShoup()[block];
        }
      }
    }
    return e;
  }

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
  private static void forwardStageInVector(long[] a, int off, int n, int t, long[] ew, long[] ews, LongVector q, LongVector q2) {
    VectorShuffle<Long> swap = t == 1 ? SWAP1 : t == 2 ? SWAP2 : t == 4 ? SWAP4 : SWAP[t];
    VectorMask<Long> high = HIGH[t];
    for (int j = 0; j < n; j += W) {
      LongVector x = LongVector.fromArray(S, a, off + j);
      LongVector y = x.rearrange(swap);
      LongVector u = x.blend(y, high);
      LongVector v = y.blend(x, high);
      v = shoupLazy(v, LongVector.fromArray(S, ew, j), LongVector.fromArray(S, ews, j), q);
      LongVector sum = reduceOnce(u.add(v), q2);
      LongVector d = u.sub(v);
      d = d.add(d.lanewise(VectorOperators.ASHR, 63).and(q2));
      sum.blend(d, high).intoArray(a, off + j);
    }
  }

  private static void inverseStageInVector(long[] a, int off, int n, int t, long[] ew, long[] ews, LongVector q, LongVector q2) {
    VectorShuffle<Long> swap = t == 1 ? SWAP1 : t == 2 ? SWAP2 : t == 4 ? SWAP4 : SWAP[t];
    VectorMask<Long> high = HIGH[t];
    for (int j = 0; j < n; j += W) {
      LongVector x = LongVector.fromArray(S, a, off + j);
      LongVector y = x.rearrange(swap);
      LongVector u = x.blend(y, high);
      LongVector v = y.blend(x, high);
      LongVector sum = reduceOnce(u.add(v), q2);
      LongVector d = u.sub(v);
      d = d.add(d.lanewise(VectorOperators.ASHR, 63).and(q2));
      d = shoupLazy(d, LongVector.fromArray(S, ew, j), LongVector.fromArray(S, ews, j), q);
      sum.blend(d, high).intoArray(a, off + j);
    }
  }

  /**
   * One forward stage with t >= W: m groups of t butterflies, vector against vector. Kept out of
   * {@link #forwardNtt} by the compiler directive ({@link CompilerDirectives}), like the in-vector
   * stages: each stage then is a small compilation unit that C2 intrinsifies completely.
   */
  private static void forwardStageWide(long[] a, int off, int m, int t, long[] w, long[] ws, LongVector q, LongVector q2) {
    for (int i = 0; i < m; i++) {
      int j1 = off + 2 * i * t;
      LongVector wv = LongVector.broadcast(S, w[m + i]);
      LongVector wsv = LongVector.broadcast(S, ws[m + i]);
      for (int j = j1; j < j1 + t; j += W) {
        LongVector u = LongVector.fromArray(S, a, j);
        LongVector v = shoupLazy(LongVector.fromArray(S, a, j + t), wv, wsv, q);
        reduceOnce(u.add(v), q2).intoArray(a, j);
        LongVector d = u.sub(v);
        d.add(d.lanewise(VectorOperators.ASHR, 63).and(q2)).intoArray(a, j + t);
      }
    }
  }

  /** One inverse stage with t >= W: h groups of t butterflies (see {@link #forwardStageWide}). */
  private static void inverseStageWide(long[] a, int off, int h, int t, long[] w, long[] ws, LongVector q, LongVector q2) {
    int j1 = off;
    for (int i = 0; i < h; i++) {
      LongVector wv = LongVector.broadcast(S, w[h + i]);
      LongVector wsv = LongVector.broadcast(S, ws[h + i]);
      for (int j = j1; j < j1 + t; j += W) {
        LongVector u = LongVector.fromArray(S, a, j);
        LongVector v = LongVector.fromArray(S, a, j + t);
        reduceOnce(u.add(v), q2).intoArray(a, j);
        LongVector d = u.sub(v);
        d = d.add(d.lanewise(VectorOperators.ASHR, 63).and(q2));
        shoupLazy(d, wv, wsv, q).intoArray(a, j + t);
      }
      j1 += 2 * t;
    }
  }

  // The four stages again with the unsigned minimum (JDK 24+), step for step the same arithmetic;
  // separate methods so that the JDK 17 stages keep their exact shape (see UNSIGNED_MIN).

  private static void forwardStageInVectorMin(long[] a, int off, int n, int t, long[] ew, long[] ews, LongVector q, LongVector q2) {
    VectorShuffle<Long> swap = t == 1 ? SWAP1 : t == 2 ? SWAP2 : t == 4 ? SWAP4 : SWAP[t];
    VectorMask<Long> high = HIGH[t];
    for (int j = 0; j < n; j += W) {
      LongVector x = LongVector.fromArray(S, a, off + j);
      LongVector y = x.rearrange(swap);
      LongVector u = x.blend(y, high);
      LongVector v = y.blend(x, high);
      v = shoupLazy(v, LongVector.fromArray(S, ew, j), LongVector.fromArray(S, ews, j), q);
      LongVector sum = reduceOnceMin(u.add(v), q2);
      LongVector d = addIfNegativeMin(u.sub(v), q2);
      sum.blend(d, high).intoArray(a, off + j);
    }
  }

  private static void inverseStageInVectorMin(long[] a, int off, int n, int t, long[] ew, long[] ews, LongVector q, LongVector q2) {
    VectorShuffle<Long> swap = t == 1 ? SWAP1 : t == 2 ? SWAP2 : t == 4 ? SWAP4 : SWAP[t];
    VectorMask<Long> high = HIGH[t];
    for (int j = 0; j < n; j += W) {
      LongVector x = LongVector.fromArray(S, a, off + j);
      LongVector y = x.rearrange(swap);
      LongVector u = x.blend(y, high);
      LongVector v = y.blend(x, high);
      LongVector sum = reduceOnceMin(u.add(v), q2);
      LongVector d = shoupLazy(addIfNegativeMin(u.sub(v), q2), LongVector.fromArray(S, ew, j), LongVector.fromArray(S, ews, j), q);
      sum.blend(d, high).intoArray(a, off + j);
    }
  }

  private static void forwardStageWideMin(long[] a, int off, int m, int t, long[] w, long[] ws, LongVector q, LongVector q2) {
    for (int i = 0; i < m; i++) {
      int j1 = off + 2 * i * t;
      LongVector wv = LongVector.broadcast(S, w[m + i]);
      LongVector wsv = LongVector.broadcast(S, ws[m + i]);
      for (int j = j1; j < j1 + t; j += W) {
        LongVector u = LongVector.fromArray(S, a, j);
        LongVector v = shoupLazy(LongVector.fromArray(S, a, j + t), wv, wsv, q);
        reduceOnceMin(u.add(v), q2).intoArray(a, j);
        addIfNegativeMin(u.sub(v), q2).intoArray(a, j + t);
      }
    }
  }

  private static void inverseStageWideMin(long[] a, int off, int h, int t, long[] w, long[] ws, LongVector q, LongVector q2) {
    int j1 = off;
    for (int i = 0; i < h; i++) {
      LongVector wv = LongVector.broadcast(S, w[h + i]);
      LongVector wsv = LongVector.broadcast(S, ws[h + i]);
      for (int j = j1; j < j1 + t; j += W) {
        LongVector u = LongVector.fromArray(S, a, j);
        LongVector v = LongVector.fromArray(S, a, j + t);
        reduceOnceMin(u.add(v), q2).intoArray(a, j);
        shoupLazy(addIfNegativeMin(u.sub(v), q2), wv, wsv, q).intoArray(a, j + t);
      }
      j1 += 2 * t;
    }
  }

  /**
   * Forward stage with t < W over pairs of vectors (JDK 24+: selectFrom and the unsigned minimum):
   * the Shoup product runs once per butterfly instead of once per coefficient, as in the wide
   * stages. NTT n = 8192 on JDK 25, the three stage kinds alternated in one JVM over 35 rounds:
   * forward 32.1 against 36.0 us, inverse 33.7 against 37.8 us (best), paired fastest in 32 rounds.
   * The three stages t = 4, 2, 1 chained in one method (selections composed, one load and store)
   * boxed its vectors: 110 us.
   */
  private static void forwardStagePairedMin(long[] a, int off, int n, int t, long[] tw, long[] tws, LongVector q, LongVector q2) {
    LongVector su = t == 1 ? U1 : t == 2 ? U2 : U4;
    LongVector sv = t == 1 ? V1 : t == 2 ? V2 : V4;
    LongVector sx = t == 1 ? X1 : t == 2 ? X2 : X4;
    LongVector sy = t == 1 ? Y1 : t == 2 ? Y2 : Y4;
    for (int j = 0, k = 0; j < n; j += 2 * W, k += W) {
      LongVector x = LongVector.fromArray(S, a, off + j);
      LongVector y = LongVector.fromArray(S, a, off + j + W);
      LongVector u = select(su, x, y);
      LongVector v = shoupLazy(select(sv, x, y), LongVector.fromArray(S, tw, k), LongVector.fromArray(S, tws, k), q);
      LongVector sum = reduceOnceMin(u.add(v), q2);
      LongVector d = addIfNegativeMin(u.sub(v), q2);
      select(sx, sum, d).intoArray(a, off + j);
      select(sy, sum, d).intoArray(a, off + j + W);
    }
  }

  /** Inverse stage with t < W over pairs of vectors (see {@link #forwardStagePairedMin}). */
  private static void inverseStagePairedMin(long[] a, int off, int n, int t, long[] tw, long[] tws, LongVector q, LongVector q2) {
    LongVector su = t == 1 ? U1 : t == 2 ? U2 : U4;
    LongVector sv = t == 1 ? V1 : t == 2 ? V2 : V4;
    LongVector sx = t == 1 ? X1 : t == 2 ? X2 : X4;
    LongVector sy = t == 1 ? Y1 : t == 2 ? Y2 : Y4;
    for (int j = 0, k = 0; j < n; j += 2 * W, k += W) {
      LongVector x = LongVector.fromArray(S, a, off + j);
      LongVector y = LongVector.fromArray(S, a, off + j + W);
      LongVector u = select(su, x, y);
      LongVector v = select(sv, x, y);
      LongVector sum = reduceOnceMin(u.add(v), q2);
      LongVector d = shoupLazy(addIfNegativeMin(u.sub(v), q2), LongVector.fromArray(S, tw, k), LongVector.fromArray(S, tws, k), q);
      select(sx, sum, d).intoArray(a, off + j);
      select(sy, sum, d).intoArray(a, off + j + W);
    }
  }

  /**
   * Forward stage with t < W over pairs of vectors for JDKs without selectFrom (17 to 23): the
   * butterflies' operands gathered by one-vector permutations of the pair's own lanes. With S the
   * swap of lanes l and l ^ t and H the lanes whose bit t is set, the first operands are x where
   * H is clear and S(y) where it is set, the second operands S(x) and y; the results go back the
   * same way. Four permutations and four blends per pair instead of the general picks' eight and
   * four, and the lane order needs twiddle tables of its own ({@link #perSwappedPair}).
   */
  private static void forwardStageSwapped(long[] a, int off, int n, int t, long[] tw, long[] tws, LongVector q, LongVector q2) {
    VectorShuffle<Long> swap = t == 1 ? SWAP1 : t == 2 ? SWAP2 : SWAP4;
    VectorMask<Long> high = t == 1 ? HIGH1 : t == 2 ? HIGH2 : HIGH4;
    for (int j = 0, k = 0; j < n; j += 2 * W, k += W) {
      LongVector x = LongVector.fromArray(S, a, off + j);
      LongVector y = LongVector.fromArray(S, a, off + j + W);
      LongVector u = x.blend(y.rearrange(swap), high);
      LongVector v = shoupLazy(x.rearrange(swap).blend(y, high), LongVector.fromArray(S, tw, k), LongVector.fromArray(S, tws, k), q);
      LongVector sum = reduceOnce(u.add(v), q2);
      LongVector d = u.sub(v);
      d = d.add(d.lanewise(VectorOperators.ASHR, 63).and(q2));
      sum.blend(d.rearrange(swap), high).intoArray(a, off + j);
      sum.rearrange(swap).blend(d, high).intoArray(a, off + j + W);
    }
  }

  /** Inverse stage with t < W over pairs of vectors, lanes as in {@link #forwardStageSwapped}. */
  private static void inverseStageSwapped(long[] a, int off, int n, int t, long[] tw, long[] tws, LongVector q, LongVector q2) {
    VectorShuffle<Long> swap = t == 1 ? SWAP1 : t == 2 ? SWAP2 : SWAP4;
    VectorMask<Long> high = t == 1 ? HIGH1 : t == 2 ? HIGH2 : HIGH4;
    for (int j = 0, k = 0; j < n; j += 2 * W, k += W) {
      LongVector x = LongVector.fromArray(S, a, off + j);
      LongVector y = LongVector.fromArray(S, a, off + j + W);
      LongVector u = x.blend(y.rearrange(swap), high);
      LongVector v = x.rearrange(swap).blend(y, high);
      LongVector sum = reduceOnce(u.add(v), q2);
      LongVector d = u.sub(v);
      d = d.add(d.lanewise(VectorOperators.ASHR, 63).and(q2));
      d = shoupLazy(d, LongVector.fromArray(S, tw, k), LongVector.fromArray(S, tws, k), q);
      sum.blend(d.rearrange(swap), high).intoArray(a, off + j);
      sum.rearrange(swap).blend(d, high).intoArray(a, off + j + W);
    }
  }

  private static final ConcurrentHashMap<NttTables, long[][]> PER_SWAPPED_PAIR = new ConcurrentHashMap<>();

  /**
   * Twiddles of the stages with t < W in the lane order of {@link #forwardStageSwapped}: lane l of
   * the pair at j serves the butterfly whose first operand is coefficient j + l where bit t of l is
   * clear and j + W + (l ^ t) where it is set. Per t: forward powers, their Shoup constants, inverse
   * powers, theirs.
   */
  private static long[][] perSwappedPair(NttTables tables) {
    return PER_SWAPPED_PAIR.computeIfAbsent(tables, tb -> pairTwiddles(tb, (l, t) -> (l & t) == 0 ? l : W + (l ^ t)));
  }

  /**
   * Whether the stages with t < W run paired through selectFrom: on JDK 24+ with 512-bit vectors,
   * the only shape measured (AVX-512). With narrower vectors (AVX2) JDK 24+ keeps the in-vector
   * stages, since how selectFrom compiles there is unmeasured.
   */
  static final boolean PAIRED_AVAILABLE = SELECT_FROM != null && unsignedMin() != null && W == 8;
  /**
   * Package-private switch so a harness and the tests can compare paired stages (either kind) with
   * in-vector ones.
   */
  static boolean pairedStages = true;

  /** Package-private switch so tests can compare the in-vector stages with scalar butterflies. */
  static boolean inVectorStages = true;

  @Override
  public String describe() {
    return "vector " + S.vectorBitSize() + "-bit (" + W + " lanes)";
  }

  private static final long LOW32 = 0xFFFFFFFFL;

  /**
   * x * y for lanes known to lie in [0, 2^32) (residues below 2^31, Shoup and Barrett constants and
   * quotients below 2^32): the same bits as {@code x.mul(y)}, written with both operands masked to
   * their low 32 bits so that C2 on JDK 24 and later emits one 32x32->64 vpmuludq per vector
   * instead of vpmullq (three uops on Intel cores); the masks of broadcast constants are hoisted out
   * of the loops. Measured on the Intel Xeon (Emerald Rapids) development VM, JDK 25: Shoup multiply
   * by a constant, n = 8192, best of 2000, 3.9 against 5.7 us; NTT n = 8192, forward and inverse,
   * best of 40 x 64 in four JVMs each, 96-98 against 113-118 us.
   */
  private static LongVector mul32(LongVector x, LongVector y) {
    return MASKED_MULTIPLY ? x.and(LOW32).mul(y.and(LOW32)) : x.mul(y);
  }

  /**
   * Whether {@link #mul32} masks its operands: only where C2 turns the masks into vpmuludq (JDK 24
   * and later); on JDK 17 they are extra instructions (NTT n = 8192, forward and inverse: 126
   * against 118 us with them).
   */
  static final boolean MASKED_MULTIPLY = Runtime.version().feature() >= 24;

  private static LongVector mul32(LongVector x, long y) {
    return mul32(x, LongVector.broadcast(S, y));
  }

  /** v mod q for v in [0, 2q): subtract q and add it back where the result went negative. */
  private static LongVector reduceOnce(LongVector v, LongVector q) {
    LongVector r = v.sub(q);
    return r.add(r.lanewise(VectorOperators.ASHR, 63).and(q));
  }

  /**
   * Unsigned lane minimum ({@code VectorOperators.UMIN}) where the running JDK has it (24 and
   * later: one vpminuq on AVX-512), else null; looked up by name because the code is compiled for
   * Java 17. With it a conditional correction is two instructions instead of three or four. The
   * NTT stages use it through stage methods of their own ({@code *Min}), and add, subtract,
   * multiply and multiply-add through a loop of their own ahead of the JDK 17 loop (a branch
   * in a kernel entry point, never inlined, costs nothing): a branch inside the shared helpers
   * (reduceOnce, barrett) made them too large for C2 to inline on JDK 17, which then boxed their
   * vectors (network 3.4 to 4.2 s there; BENCHMARKS.md, "unsigned minimum").
   */
  private static final VectorOperators.Binary UNSIGNED_MIN = unsignedMin();
  static final boolean HAS_UNSIGNED_MIN = UNSIGNED_MIN != null;

  private static VectorOperators.Binary unsignedMin() {
    try {
      return (VectorOperators.Binary) VectorOperators.class.getField("UMIN").get(null);
    } catch (ReflectiveOperationException | ClassCastException e) {
      return null;
    }
  }

  /** reduceOnce with the unsigned minimum: min(v, v - q), v - q wrapping unless v >= q. */
  private static LongVector reduceOnceMin(LongVector v, LongVector q) {
    return v.lanewise(UNSIGNED_MIN, v.sub(q));
  }

  /** d mod q for d in (-q, q) with the unsigned minimum: min(d, d + q). */
  private static LongVector addIfNegativeMin(LongVector d, LongVector q) {
    return d.lanewise(UNSIGNED_MIN, d.add(q));
  }

  /** barrett with the unsigned minimum for its two corrections, written out (see barrett). */
  private static LongVector barrettMin(LongVector x, Modulus m, LongVector q, LongVector f) {
    LongVector est = mul32(x.lanewise(VectorOperators.LSHR, m.barrettShiftIn()), f).lanewise(VectorOperators.LSHR, m.barrettShiftOut());
    LongVector r = x.sub(mul32(est, q));
    r = r.lanewise(UNSIGNED_MIN, r.sub(q));
    return r.lanewise(UNSIGNED_MIN, r.sub(q));
  }

  /** x * w mod q left in [0, 2q) for x below 2^32: Shoup without the final correction. */
  private static LongVector shoupLazy(LongVector x, LongVector w, LongVector ws, LongVector q) {
    return shoupRemainder(x, w, mul32(x, ws).lanewise(VectorOperators.LSHR, 32), q);
  }

  /** Brings a[off..off + n) from [0, 2q) into [0, q): the last step of the lazy forward NTT. */
  private static void reduceLazy(long[] a, int off, int n, LongVector q, long qs) {
    int j = 0;
    if (HAS_UNSIGNED_MIN) {
      for (; j <= n - W; j += W) {
        reduceOnceMin(LongVector.fromArray(S, a, off + j), q).intoArray(a, off + j);
      }
    } else {
      for (; j <= n - W; j += W) {
        reduceOnce(LongVector.fromArray(S, a, off + j), q).intoArray(a, off + j);
      }
    }
    for (; j < n; j++) {
      long r = a[off + j] - qs;
      a[off + j] = r + ((r >> 63) & qs);
    }
  }

  private static LongVector shoup(LongVector x, LongVector w, LongVector ws, LongVector q) {
    LongVector est = mul32(x, ws).lanewise(VectorOperators.LSHR, 32);
    return reduceOnce(shoupRemainder(x, w, est, q), q);
  }

  /**
   * x * w - est * q for a Shoup quotient est, known to lie in [0, 2q) and so below 2^32 (all
   * operands below 2^32). Only the low 32 bits of the two products matter, so where JDK 17 to 23
   * would multiply 64-bit lanes (vpmullq, three micro-ops on Intel cores) the products are taken
   * in the 32-bit lanes of the same registers (vpmulld, two): each long lane's upper int lane holds
   * 0 * 0, so the difference read back as longs is the remainder itself. NTT n = 8192, JDK 17,
   * the ten vector-against-vector stages alone, best of 30 x 64: 26.6-28.4 against 30.9-31.1 us.
   * JDK 24+ keeps its one-micro-op vpmuludq products ({@link #mul32}).
   */
  private static LongVector shoupRemainder(LongVector x, LongVector w, LongVector est, LongVector q) {
    if (MASKED_MULTIPLY) {
      return mul32(x, w).sub(mulShifted32(est, q));
    }
    return x.reinterpretAsInts().mul(w.reinterpretAsInts()).sub(est.reinterpretAsInts().mul(q.reinterpretAsInts())).reinterpretAsLongs();
  }

  /**
   * est * y for est a product shifted right by 32 (a Shoup quotient) and y below 2^32: the same
   * bits as {@link #mul32}, but only y is masked, because C2 (JDK 24+) takes a right shift by 32
   * itself as proof that the upper half is zero; a mask on the shifted value is one more
   * instruction per product. NTT n = 8192 on JDK 25, three JVM pairs alternated: 37.5-38.1 against
   * 38.8-41.0 us.
   */
  private static LongVector mulShifted32(LongVector est, LongVector y) {
    return MASKED_MULTIPLY ? est.mul(y.and(LOW32)) : est.mul(y);
  }

  private static LongVector barrett(LongVector x, Modulus m, LongVector q, LongVector f) {
    LongVector est = mul32(x.lanewise(VectorOperators.LSHR, m.barrettShiftIn()), f).lanewise(VectorOperators.LSHR, m.barrettShiftOut());
    // Two conditional subtractions written out rather than nested calls: the shallower inline
    // tree stays within C2's budget inside large callers.
    LongVector r = x.sub(mul32(est, q)).sub(q);
    r = r.add(r.lanewise(VectorOperators.ASHR, 63).and(q)).sub(q);
    return r.add(r.lanewise(VectorOperators.ASHR, 63).and(q));
  }

  @Override
  public void forwardNtt(long[] a, int off, NttTables tables) {
    int n = tables.n();
    long qs = tables.modulus().value();
    long q2s = 2 * qs;
    LongVector q = LongVector.broadcast(S, qs);
    LongVector q2 = LongVector.broadcast(S, 2 * qs);
    long[] w = tables.rootPowers();
    long[] ws = tables.rootPowersShoup();
    int t = n;
    for (int m = 1; m < n; m <<= 1) {
      t >>= 1;
      if (t >= W) {
        if (HAS_UNSIGNED_MIN) {
          forwardStageWideMin(a, off, m, t, w, ws, q, q2);
        } else {
          forwardStageWide(a, off, m, t, w, ws, q, q2);
        }
      } else if (inVectorStages && PAIRED_AVAILABLE && pairedStages && n >= 2 * W) {
        long[][] e = perPair(tables);
        int st = Integer.numberOfTrailingZeros(t);
        forwardStagePairedMin(a, off, n, t, e[4 * st], e[4 * st + 1], q, q2);
      } else if (inVectorStages && !HAS_UNSIGNED_MIN && pairedStages && W == 8 && n >= 2 * W) {
        long[][] e = perSwappedPair(tables);
        int st = Integer.numberOfTrailingZeros(t);
        forwardStageSwapped(a, off, n, t, e[4 * st], e[4 * st + 1], q, q2);
      } else if (inVectorStages && n >= W) {
        long[][] e = perLane(tables);
        int st = Integer.numberOfTrailingZeros(t);
        if (HAS_UNSIGNED_MIN) {
          forwardStageInVectorMin(a, off, n, t, e[2 * st], e[2 * st + 1], q, q2);
        } else {
          forwardStageInVector(a, off, n, t, e[2 * st], e[2 * st + 1], q, q2);
        }
      } else {
        for (int i = 0; i < m; i++) {
          int j1 = off + 2 * i * t;
          long wi = w[m + i];
          long wsi = ws[m + i];
          for (int j = j1; j < j1 + t; j++) {
            long u = a[j];
            long x = a[j + t];
            long v = x * wi - ((x * wsi) >>> 32) * qs;
            long s = u + v - q2s;
            a[j] = s + ((s >> 63) & q2s);
            long d = u - v;
            a[j + t] = d + ((d >> 63) & q2s);
          }
        }
      }
    }
    reduceLazy(a, off, n, q, qs);
  }

  @Override
  public void inverseNtt(long[] a, int off, NttTables tables) {
    int n = tables.n();
    long qs = tables.modulus().value();
    long q2s = 2 * qs;
    LongVector q = LongVector.broadcast(S, qs);
    LongVector q2 = LongVector.broadcast(S, 2 * qs);
    long[] w = tables.inverseRootPowers();
    long[] ws = tables.inverseRootPowersShoup();
    int t = 1;
    for (int m = n; m > 1; m >>= 1) {
      int h = m >> 1;
      int j1 = off;
      if (t >= W) {
        if (HAS_UNSIGNED_MIN) {
          inverseStageWideMin(a, off, h, t, w, ws, q, q2);
        } else {
          inverseStageWide(a, off, h, t, w, ws, q, q2);
        }
      } else if (inVectorStages && PAIRED_AVAILABLE && pairedStages && n >= 2 * W) {
        long[][] e = perPair(tables);
        int st = Integer.numberOfTrailingZeros(t);
        inverseStagePairedMin(a, off, n, t, e[4 * st + 2], e[4 * st + 3], q, q2);
      } else if (inVectorStages && !HAS_UNSIGNED_MIN && pairedStages && W == 8 && n >= 2 * W) {
        long[][] e = perSwappedPair(tables);
        int st = Integer.numberOfTrailingZeros(t);
        inverseStageSwapped(a, off, n, t, e[4 * st + 2], e[4 * st + 3], q, q2);
      } else if (inVectorStages && n >= W) {
        long[][] e = perLane(tables);
        int logW = Integer.numberOfTrailingZeros(W);
        int st = Integer.numberOfTrailingZeros(t);
        if (HAS_UNSIGNED_MIN) {
          inverseStageInVectorMin(a, off, n, t, e[2 * logW + 2 * st], e[2 * logW + 2 * st + 1], q, q2);
        } else {
          inverseStageInVector(a, off, n, t, e[2 * logW + 2 * st], e[2 * logW + 2 * st + 1], q, q2);
        }
      } else {
        for (int i = 0; i < h; i++) {
          long wi = w[h + i];
          long wsi = ws[h + i];
          for (int j = j1; j < j1 + t; j++) {
            long u = a[j];
            long v = a[j + t];
            long s = u + v - q2s;
            a[j] = s + ((s >> 63) & q2s);
            long d = u - v;
            d += (d >> 63) & q2s;
            a[j + t] = d * wi - ((d * wsi) >>> 32) * qs;
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
    if (HAS_UNSIGNED_MIN) {
      for (; j <= len - W; j += W) {
        reduceOnceMin(LongVector.fromArray(S, a, ao + j).add(LongVector.fromArray(S, b, bo + j)), q).intoArray(out, oo + j);
      }
    }
    for (; j <= len - W; j += W) {
      reduceOnce(LongVector.fromArray(S, a, ao + j).add(LongVector.fromArray(S, b, bo + j)), q).intoArray(out, oo + j);
    }
    ScalarKernels.INSTANCE.add(a, ao + j, b, bo + j, out, oo + j, len - j, qs);
  }

  @Override
  public void subtract(long[] a, int ao, long[] b, int bo, long[] out, int oo, int len, long qs) {
    LongVector q = LongVector.broadcast(S, qs);
    int j = 0;
    if (HAS_UNSIGNED_MIN) {
      for (; j <= len - W; j += W) {
        addIfNegativeMin(LongVector.fromArray(S, a, ao + j).sub(LongVector.fromArray(S, b, bo + j)), q).intoArray(out, oo + j);
      }
    }
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
    if (HAS_UNSIGNED_MIN) {
      for (; j <= len - W; j += W) {
        LongVector x = mul32(LongVector.fromArray(S, a, ao + j), LongVector.fromArray(S, b, bo + j));
        barrettMin(x, m, q, f).intoArray(out, oo + j);
      }
    }
    for (; j <= len - W; j += W) {
      LongVector x = mul32(LongVector.fromArray(S, a, ao + j), LongVector.fromArray(S, b, bo + j));
      barrett(x, m, q, f).intoArray(out, oo + j);
    }
    ScalarKernels.INSTANCE.multiply(a, ao + j, b, bo + j, out, oo + j, len - j, m);
  }

  @Override
  public void multiplyAdd(long[] a, int ao, long[] b, int bo, long[] out, int oo, int len, Modulus m) {
    LongVector q = LongVector.broadcast(S, m.value());
    LongVector f = LongVector.broadcast(S, m.barrettFactor());
    int j = 0;
    if (HAS_UNSIGNED_MIN) {
      for (; j <= len - W; j += W) {
        LongVector x = mul32(LongVector.fromArray(S, a, ao + j), LongVector.fromArray(S, b, bo + j));
        reduceOnceMin(barrettMin(x, m, q, f).add(LongVector.fromArray(S, out, oo + j)), q).intoArray(out, oo + j);
      }
    }
    for (; j <= len - W; j += W) {
      LongVector x = mul32(LongVector.fromArray(S, a, ao + j), LongVector.fromArray(S, b, bo + j));
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

  /**
   * The scalar kernel's test (v | (q - 1 - v) negative exactly outside [0, q)) a vector at a time:
   * the check of every residue that {@code generate} and the fused encryption call write, run while
   * the polynomial is in cache. The scalar loop took 2.7 % of an encryption's CPU time on JDK 17
   * (async-profiler).
   */
  @Override
  public boolean allResidues(long[] a, int off, int len, long qs) {
    LongVector top = LongVector.broadcast(S, qs - 1);
    LongVector any = LongVector.zero(S);
    int j = 0;
    for (; j <= len - W; j += W) {
      LongVector v = LongVector.fromArray(S, a, off + j);
      any = any.or(v.or(top.sub(v)));
    }
    return any.reduceLanes(VectorOperators.OR) >= 0 && ScalarKernels.INSTANCE.allResidues(a, off + j, len - j, qs);
  }

  @Override
  public void accumulate(long[] acc, int accOff, long[] a, int ao, long w, int len) {
    int j = 0;
    for (; j <= len - W; j += W) {
      LongVector.fromArray(S, a, ao + j).mul(w).add(LongVector.fromArray(S, acc, accOff + j)).intoArray(acc, accOff + j);
    }
    ScalarKernels.INSTANCE.accumulate(acc, accOff + j, a, ao + j, w, len - j);
  }

  /**
   * The dense layer as a register-blocked micro-kernel (GEMM style): for each pair of coefficient
   * vectors and each block of 8 rows, the 16 accumulators stay in registers over all inputs k; each
   * input vector is loaded once per row block and feeds 8 multiply-adds with broadcast weights. The
   * old path ({@link #accumulate} per input and row) loaded and stored the accumulator for every
   * multiply-add.
   *
   * <p>While {@code bound < 2^53} every product and partial sum is an integer that a double holds
   * exactly, so the multiply-adds run as double FMAs (two per cycle on AVX-512 cores, where the
   * 64-bit lane multiply {@code vpmullq} is three micro-ops); converting back gives the same integer
   * as the scalar 64-bit sum, bit for bit. Larger bounds (weights near 2^24) take a 64-bit
   * register-blocked loop of 4 rows. The inputs of a strip are first packed as doubles into one
   * contiguous array ({@code packDouble}); without that the kernel was only 1.6x faster.
   *
   * <p>Measured at the shape of bench's DenseLayerBench (100 x 845, width 3, six 31-bit primes, n =
   * 8192; 2-core AVX-512 Xeon VM shared with other jobs, so minimum of several runs, indicative):
   * same JVM back to back,
   * old per-row {@code accumulate} path against this kernel, JDK 17: 3165 to 963 ms on one thread
   * (3.3x), 1787 to 583 ms on two (3.1x); JDK 25: 2979 to 724 ms (4.1x), 1910 to 560 ms (3.4x).
   */
  @Override
  public void accumulateDense(long[] acc, int accOff, int stride, int rows, double[] wt, int k0, int k1, long[][] src, int srcOff, int len, long bound) {
    boolean exactInDouble = bound < (1L << 53) && D.length() == W;
    int j = 0;
    if (exactInDouble && len >= 2 * W) {
      int terms = k1 - k0;
      double[] packed = ThreadScratch.doubles(0, terms * STRIP_PAIRS * 2 * W);
      // the accumulators in doubles for the whole call, converted once each way (row r, coefficient
      // c at r * span + c): the micro-kernels then load and store plain double vectors
      int span = len / (2 * W) * (2 * W);
      double[] accD = ThreadScratch.doubles(1, rows * span);
      accumulatorsToDoubles(acc, accOff, stride, rows, span, accD);
      while (j <= len - 2 * W) {
        int pairs = Math.min(STRIP_PAIRS, (len - j) / (2 * W));
        packDouble(packed, src, k0, k1, srcOff + j, pairs);
        for (int p = 0; p < pairs; p++, j += 2 * W) {
          int base = p * terms * 2 * W;
          int r = 0;
          for (; r <= rows - 8; r += 8) {
            denseDouble8(accD, r * span + j, span, rows, r, wt, k0, terms, packed, base);
          }
          for (; r <= rows - 4; r += 4) {
            denseDouble4(accD, r * span + j, span, rows, r, wt, k0, terms, packed, base);
          }
          for (; r < rows; r++) {
            denseLong1(acc, accOff + r * stride + j, rows, r, wt, k0, k1, src, srcOff + j);
            denseLong1(acc, accOff + r * stride + j + W, rows, r, wt, k0, k1, src, srcOff + j + W);
          }
        }
      }
      accumulatorsFromDoubles(accD, rows - rows % 4, span, acc, accOff, stride);
    }
    for (; j <= len - W; j += W) {
      int r = 0;
      for (; r <= rows - 4; r += 4) {
        denseLong4(acc, accOff + r * stride + j, stride, rows, r, wt, k0, k1, src, srcOff + j);
      }
      for (; r < rows; r++) {
        denseLong1(acc, accOff + r * stride + j, rows, r, wt, k0, k1, src, srcOff + j);
      }
    }
    ScalarKernels.INSTANCE.accumulateDense(acc, accOff + j, stride, rows, wt, k0, k1, src, srcOff + j, len - j, bound);
  }

  /**
   * The sparse layer (conv1: 845 rows of 25 taps over 784 inputs) with each row's sum held in
   * registers over all its taps, 8 vectors (64 coefficients) at a time, and reduced straight into
   * the output. The old path ({@link #accumulate} per tap) loaded and stored the accumulator strip
   * for every multiply-add and multiplied with {@code vpmullq}; here, while {@code bound < 2^51},
   * the strip of every input is converted to doubles once per call and each tap is one FMA per
   * vector (exact: every partial sum is an integer below 2^51). Otherwise each tap is a 64-bit
   * multiply-add, still in registers.
   *
   * <p>The conversions between longs and doubles add and subtract 1.5 * 2^52 and reinterpret the
   * bits, exact for integers below 2^51 in magnitude: JDK 17 does not intrinsify the vector
   * {@code D2L} conversion, and boxing it after every row of 25 taps made this path 1.5x slower
   * than the per-tap one it replaces.
   */
  @Override
  public void sparseLayer(long[][] dst, int dstOff, int[] rowStart, int[] cols, double[] weights, long[][] src, int srcOff, int len, Modulus q, long bound) {
    long[] row = ThreadScratch.get(1, len);
    boolean bounded = bound < (1L << (2 * q.bits() - 2));
    int blocks = len / (8 * W) * (8 * W);
    boolean doubles = bound < (1L << 51) && D.length() == W && blocks > 0;
    double[] packed = null;
    if (doubles) {
      packed = ThreadScratch.doubles(0, src.length * blocks);
      for (int k = 0; k < src.length; k++) {
        if (src[k] != null) {
          packStrip(src[k], srcOff, packed, k * blocks, blocks);
        }
      }
    }
    for (int r = 0; r + 1 < rowStart.length; r++) {
      int e0 = rowStart[r];
      int e1 = rowStart[r + 1];
      int j = 0;
      if (doubles) {
        for (; j < blocks; j += 8 * W) {
          sparseRowDouble8(row, j, packed, blocks, j, cols, weights, e0, e1, 0);
        }
      }
      for (; j <= len - W; j += W) {
        sparseRowLong1(row, j, src, srcOff + j, cols, weights, e0, e1);
      }
      for (; j < len; j++) {
        long sum = 0;
        for (int e = e0; e < e1; e++) {
          sum += (long) weights[e] * src[cols[e]][srcOff + j];
        }
        row[j] = sum;
      }
      if (bounded) {
        reduceBounded(row, 0, dst[r], dstOff, len, q);
      } else {
        reduceSigned(row, 0, dst[r], dstOff, len, q.value());
      }
    }
  }

  private static void packStrip(long[] s, int so, double[] packed, int po, int len) {
    for (int j = 0; j < len; j += W) {
      smallToDouble(LongVector.fromArray(S, s, so + j)).intoArray(packed, po + j);
    }
  }

  /** 1.5 * 2^52: adding it to an integer-valued double below 2^51 puts the integer in the low mantissa bits. */
  private static final double MAGIC_VALUE = 0x1.8p52;
  private static final DoubleVector MAGIC = DoubleVector.broadcast(D, MAGIC_VALUE);
  private static final LongVector MAGIC_BITS = LongVector.broadcast(S, Double.doubleToRawLongBits(MAGIC_VALUE));

  /** Integer lanes below 2^51 in magnitude as exact doubles, without the L2D conversion. */
  private static DoubleVector smallToDouble(LongVector x) {
    return x.add(MAGIC_BITS).reinterpretAsDoubles().sub(MAGIC);
  }

  /**
   * x as hi 2^32 + lo, each half converted by {@link #smallToDouble}: exact below 2^53 in
   * magnitude, one rounding (in the join) above.
   */
  private static DoubleVector joinedToDouble(LongVector x) {
    return smallToDouble(x.lanewise(VectorOperators.ASHR, 32)).mul(TWO_32).add(smallToDouble(x.and(LOW32)));
  }

  /** An integer-valued double vector, |v| < 2^51, stored as longs without the D2L conversion. */
  private static void storeExact(DoubleVector v, long[] a, int o) {
    v.add(MAGIC).reinterpretAsLongs().sub(MAGIC_BITS).intoArray(a, o);
  }

  /** One row, coefficients [j, j + 8W): eight independent FMA chains over the row's taps. */
  private static void sparseRowDouble8(long[] out, int o, double[] packed, int stride, int j, int[] cols, double[] weights, int e0, int e1,
      double initial) {
    DoubleVector a0 = DoubleVector.broadcast(D, initial), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (int e = e0; e < e1; e++) {
      DoubleVector w = DoubleVector.broadcast(D, weights[e]);
      int b = cols[e] * stride + j;
      a0 = DoubleVector.fromArray(D, packed, b).fma(w, a0);
      a1 = DoubleVector.fromArray(D, packed, b + W).fma(w, a1);
      a2 = DoubleVector.fromArray(D, packed, b + 2 * W).fma(w, a2);
      a3 = DoubleVector.fromArray(D, packed, b + 3 * W).fma(w, a3);
      a4 = DoubleVector.fromArray(D, packed, b + 4 * W).fma(w, a4);
      a5 = DoubleVector.fromArray(D, packed, b + 5 * W).fma(w, a5);
      a6 = DoubleVector.fromArray(D, packed, b + 6 * W).fma(w, a6);
      a7 = DoubleVector.fromArray(D, packed, b + 7 * W).fma(w, a7);
    }
    storeExact(a0, out, o);
    storeExact(a1, out, o + W);
    storeExact(a2, out, o + 2 * W);
    storeExact(a3, out, o + 3 * W);
    storeExact(a4, out, o + 4 * W);
    storeExact(a5, out, o + 5 * W);
    storeExact(a6, out, o + 6 * W);
    storeExact(a7, out, o + 7 * W);
  }

  @Override
  public void packDoubles(long[] src, int so, double[] dst, int po, int len) {
    int j = 0;
    for (; j <= len - W; j += W) {
      smallToDouble(LongVector.fromArray(S, src, so + j)).intoArray(dst, po + j);
    }
    for (; j < len; j++) {
      dst[po + j] = src[so + j];
    }
  }

  /**
   * Eight vectors of a row at a time through {@link #sparseRowDouble8} (the packed strips are
   * addressed from {@code base}, so the j-th block of the row is {@code packed[base + cols[e] *
   * stride + j]}), then single vectors, then scalars.
   */
  @Override
  public void sparseRowsPacked(double[] packed, int base, int stride, int[] rowStart, int[] cols, double[] weights, long[] initial, int r0, int r1,
      long[] out, int len) {
    int blocks = D.length() == W ? len / (8 * W) * (8 * W) : 0;
    for (int r = r0; r < r1; r++) {
      int o = (r - r0) * len;
      int e0 = rowStart[r];
      int e1 = rowStart[r + 1];
      int j = 0;
      for (; j < blocks; j += 8 * W) {
        sparseRowDouble8(out, o + j, packed, stride, base + j, cols, weights, e0, e1, initial[r]);
      }
      for (; j <= len - W && D.length() == W; j += W) {
        DoubleVector a = DoubleVector.broadcast(D, (double) initial[r]);
        for (int e = e0; e < e1; e++) {
          a = DoubleVector.fromArray(D, packed, base + cols[e] * stride + j).fma(DoubleVector.broadcast(D, weights[e]), a);
        }
        storeExact(a, out, o + j);
      }
      for (; j < len; j++) {
        long sum = initial[r];
        for (int e = e0; e < e1; e++) {
          sum += (long) weights[e] * (long) packed[base + cols[e] * stride + j];
        }
        out[o + j] = sum;
      }
    }
  }

  /** One row, coefficients [j, j + W), in 64-bit lanes: the path for bounds of 2^53 and above. */
  private static void sparseRowLong1(long[] out, int o, long[][] src, int so, int[] cols, double[] weights, int e0, int e1) {
    LongVector a = LongVector.zero(S);
    for (int e = e0; e < e1; e++) {
      a = LongVector.fromArray(S, src[cols[e]], so).mul((long) weights[e]).add(a);
    }
    a.intoArray(out, o);
  }

  /**
   * Coefficient pairs packed at once: 16 x 16 coefficients of 845 inputs are 1.7 MB, so each input
   * array is read in runs of 2 KB. With 4 pairs (runs of 512 bytes, 432 KB packed) the layer waited
   * on those scattered reads: alternated in one JVM at the middle layer's shape (100 x 845, width 3,
   * six primes, n = 8192, two threads), 4 pairs took 0.491 / 0.645 s (min / median) on JDK 17 and
   * 0.581 / 0.672 s on JDK 25, 16 pairs 0.434 / 0.603 s and 0.507 / 0.584 s, 32 pairs about the same
   * as 16. (A 4-row x 4-vector register block, 38 % faster than the 8 x 2 one on JDK 25 on the
   * kernel alone, gained nothing in the layer and lost on JDK 17.)
   */
  private static final int STRIP_PAIRS = 16;

  /**
   * Copies coefficients [so, so + pairs*2W) of inputs [k0, k1) as doubles into a strip laid out
   * [pair][input][2W]: the micro-kernel then streams one contiguous array instead of touching a
   * cache line (and the array header, for the bounds check) of each of 845 polynomials, and converts
   * each input once rather than once per row block.
   */
  private static void packDouble(double[] packed, long[][] src, int k0, int k1, int so, int pairs) {
    int terms = k1 - k0;
    for (int k = k0; k < k1; k++) {
      long[] s = src[k];
      int o = (k - k0) * 2 * W;
      for (int p = 0; p < pairs; p++) {
        int d = p * terms * 2 * W + o;
        // inputs are residues below 2^31: the exact bit-trick conversion of packStrip
        smallToDouble(LongVector.fromArray(S, s, so + 2 * p * W)).intoArray(packed, d);
        smallToDouble(LongVector.fromArray(S, s, so + (2 * p + 1) * W)).intoArray(packed, d + W);
      }
    }
  }

  /**
   * An accumulator vector, |x| < 2^53, as exact doubles: the high and low 32-bit halves each go
   * through the bit trick (both below 2^51) and are joined exactly. The vector L2D and D2L
   * conversions this replaces boxed their vectors (1.1 MB per call of 100 rows x 845 inputs x 256
   * coefficients on JDK 17, 0.3 MB on JDK 25).
   */
  private static DoubleVector loadDouble(long[] a, int o) {
    return joinedToDouble(LongVector.fromArray(S, a, o));
  }

  /**
   * An integer-valued double vector, |v| < 2^53, stored as exact longs: h = round(v / 2^32) and
   * v - h 2^32 (at most 2^31 in magnitude) are exact doubles, each converted by the bit trick.
   */
  private static void storeDouble(DoubleVector v, long[] a, int o) {
    DoubleVector h = v.mul(1.0 / TWO_32_VALUE).add(MAGIC).sub(MAGIC);
    DoubleVector l = v.sub(h.mul(TWO_32));
    LongVector hl = h.add(MAGIC).reinterpretAsLongs().sub(MAGIC_BITS);
    l.add(MAGIC).reinterpretAsLongs().sub(MAGIC_BITS).add(hl.lanewise(VectorOperators.LSHL, 32)).intoArray(a, o);
  }

  /** acc rows [0, rows), coefficients [0, span) to out[r * span + c] as exact doubles (|acc| < 2^53). */
  private static void accumulatorsToDoubles(long[] acc, int accOff, int stride, int rows, int span, double[] out) {
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < span; c += W) {
        loadDouble(acc, accOff + r * stride + c).intoArray(out, r * span + c);
      }
    }
  }

  /** The inverse of {@link #accumulatorsToDoubles} for rows [0, rows). */
  private static void accumulatorsFromDoubles(double[] in, int rows, int span, long[] acc, int accOff, int stride) {
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < span; c += W) {
        storeDouble(DoubleVector.fromArray(D, in, r * span + c), acc, accOff + r * stride + c);
      }
    }
  }

  private static final double TWO_32_VALUE = 0x1p32;
  private static final DoubleVector TWO_32 = DoubleVector.broadcast(D, TWO_32_VALUE);

  /** Rows [r0, r0 + 8) by coefficients [j, j + 2W) in doubles; o addresses coefficient j, base its packed pair. */
  private static void denseDouble8(double[] acc, int o, int stride, int rows, int r0, double[] wt, int k0, int terms, double[] packed, int base) {
    DoubleVector a00 = DoubleVector.fromArray(D, acc, o), a01 = DoubleVector.fromArray(D, acc, o + W);
    DoubleVector a10 = DoubleVector.fromArray(D, acc, o + 1 * stride), a11 = DoubleVector.fromArray(D, acc, o + 1 * stride + W);
    DoubleVector a20 = DoubleVector.fromArray(D, acc, o + 2 * stride), a21 = DoubleVector.fromArray(D, acc, o + 2 * stride + W);
    DoubleVector a30 = DoubleVector.fromArray(D, acc, o + 3 * stride), a31 = DoubleVector.fromArray(D, acc, o + 3 * stride + W);
    DoubleVector a40 = DoubleVector.fromArray(D, acc, o + 4 * stride), a41 = DoubleVector.fromArray(D, acc, o + 4 * stride + W);
    DoubleVector a50 = DoubleVector.fromArray(D, acc, o + 5 * stride), a51 = DoubleVector.fromArray(D, acc, o + 5 * stride + W);
    DoubleVector a60 = DoubleVector.fromArray(D, acc, o + 6 * stride), a61 = DoubleVector.fromArray(D, acc, o + 6 * stride + W);
    DoubleVector a70 = DoubleVector.fromArray(D, acc, o + 7 * stride), a71 = DoubleVector.fromArray(D, acc, o + 7 * stride + W);
    for (int t = 0, b = k0 * rows + r0, i = base; t < terms; t++, b += rows, i += 2 * W) {
      DoubleVector x0 = DoubleVector.fromArray(D, packed, i);
      DoubleVector x1 = DoubleVector.fromArray(D, packed, i + W);
      DoubleVector w;
      w = DoubleVector.broadcast(D, wt[b]);
      a00 = x0.fma(w, a00);
      a01 = x1.fma(w, a01);
      w = DoubleVector.broadcast(D, wt[b + 1]);
      a10 = x0.fma(w, a10);
      a11 = x1.fma(w, a11);
      w = DoubleVector.broadcast(D, wt[b + 2]);
      a20 = x0.fma(w, a20);
      a21 = x1.fma(w, a21);
      w = DoubleVector.broadcast(D, wt[b + 3]);
      a30 = x0.fma(w, a30);
      a31 = x1.fma(w, a31);
      w = DoubleVector.broadcast(D, wt[b + 4]);
      a40 = x0.fma(w, a40);
      a41 = x1.fma(w, a41);
      w = DoubleVector.broadcast(D, wt[b + 5]);
      a50 = x0.fma(w, a50);
      a51 = x1.fma(w, a51);
      w = DoubleVector.broadcast(D, wt[b + 6]);
      a60 = x0.fma(w, a60);
      a61 = x1.fma(w, a61);
      w = DoubleVector.broadcast(D, wt[b + 7]);
      a70 = x0.fma(w, a70);
      a71 = x1.fma(w, a71);
    }
    a00.intoArray(acc, o);
    a01.intoArray(acc, o + W);
    a10.intoArray(acc, o + 1 * stride);
    a11.intoArray(acc, o + 1 * stride + W);
    a20.intoArray(acc, o + 2 * stride);
    a21.intoArray(acc, o + 2 * stride + W);
    a30.intoArray(acc, o + 3 * stride);
    a31.intoArray(acc, o + 3 * stride + W);
    a40.intoArray(acc, o + 4 * stride);
    a41.intoArray(acc, o + 4 * stride + W);
    a50.intoArray(acc, o + 5 * stride);
    a51.intoArray(acc, o + 5 * stride + W);
    a60.intoArray(acc, o + 6 * stride);
    a61.intoArray(acc, o + 6 * stride + W);
    a70.intoArray(acc, o + 7 * stride);
    a71.intoArray(acc, o + 7 * stride + W);
  }

  /** Rows [r0, r0 + 4) by coefficients [j, j + 2W) in doubles, for the rows left after blocks of 8. */
  private static void denseDouble4(double[] acc, int o, int stride, int rows, int r0, double[] wt, int k0, int terms, double[] packed, int base) {
    DoubleVector a00 = DoubleVector.fromArray(D, acc, o), a01 = DoubleVector.fromArray(D, acc, o + W);
    DoubleVector a10 = DoubleVector.fromArray(D, acc, o + 1 * stride), a11 = DoubleVector.fromArray(D, acc, o + 1 * stride + W);
    DoubleVector a20 = DoubleVector.fromArray(D, acc, o + 2 * stride), a21 = DoubleVector.fromArray(D, acc, o + 2 * stride + W);
    DoubleVector a30 = DoubleVector.fromArray(D, acc, o + 3 * stride), a31 = DoubleVector.fromArray(D, acc, o + 3 * stride + W);
    for (int t = 0, b = k0 * rows + r0, i = base; t < terms; t++, b += rows, i += 2 * W) {
      DoubleVector x0 = DoubleVector.fromArray(D, packed, i);
      DoubleVector x1 = DoubleVector.fromArray(D, packed, i + W);
      DoubleVector w;
      w = DoubleVector.broadcast(D, wt[b]);
      a00 = x0.fma(w, a00);
      a01 = x1.fma(w, a01);
      w = DoubleVector.broadcast(D, wt[b + 1]);
      a10 = x0.fma(w, a10);
      a11 = x1.fma(w, a11);
      w = DoubleVector.broadcast(D, wt[b + 2]);
      a20 = x0.fma(w, a20);
      a21 = x1.fma(w, a21);
      w = DoubleVector.broadcast(D, wt[b + 3]);
      a30 = x0.fma(w, a30);
      a31 = x1.fma(w, a31);
    }
    a00.intoArray(acc, o);
    a01.intoArray(acc, o + W);
    a10.intoArray(acc, o + 1 * stride);
    a11.intoArray(acc, o + 1 * stride + W);
    a20.intoArray(acc, o + 2 * stride);
    a21.intoArray(acc, o + 2 * stride + W);
    a30.intoArray(acc, o + 3 * stride);
    a31.intoArray(acc, o + 3 * stride + W);
  }

  /** Rows [r0, r0 + 4) by one coefficient vector in 64-bit lanes (any bound up to 2^62). */
  private static void denseLong4(long[] acc, int o, int stride, int rows, int r0, double[] wt, int k0, int k1, long[][] src, int so) {
    LongVector a0 = LongVector.fromArray(S, acc, o), a1 = LongVector.fromArray(S, acc, o + stride);
    LongVector a2 = LongVector.fromArray(S, acc, o + 2 * stride), a3 = LongVector.fromArray(S, acc, o + 3 * stride);
    for (int k = k0; k < k1; k++) {
      LongVector x = LongVector.fromArray(S, src[k], so);
      int b = k * rows + r0;
      a0 = a0.add(x.mul((long) wt[b]));
      a1 = a1.add(x.mul((long) wt[b + 1]));
      a2 = a2.add(x.mul((long) wt[b + 2]));
      a3 = a3.add(x.mul((long) wt[b + 3]));
    }
    a0.intoArray(acc, o);
    a1.intoArray(acc, o + stride);
    a2.intoArray(acc, o + 2 * stride);
    a3.intoArray(acc, o + 3 * stride);
  }

  /** Row r by one coefficient vector in 64-bit lanes. */
  private static void denseLong1(long[] acc, int o, int rows, int r, double[] wt, int k0, int k1, long[][] src, int so) {
    LongVector a = LongVector.fromArray(S, acc, o);
    for (int k = k0; k < k1; k++) {
      a = a.add(LongVector.fromArray(S, src[k], so).mul((long) wt[k * rows + r]));
    }
    a.intoArray(acc, o);
  }

  /** x * w mod q left in [0, 2q): Shoup without the final correction, for sums reduced later. */
  private static LongVector shoupLazy(LongVector x, long w, long ws, LongVector q) {
    LongVector est = mul32(x, ws).lanewise(VectorOperators.LSHR, 32);
    return mul32(x, w).sub(mulShifted32(est, q));
  }

  /** x mod q for 0 <= x < 2^52 via a double quotient estimate; exact after the corrections. */
  private static LongVector reduceWide(LongVector x, LongVector q, double inv) {
    DoubleVector xd = (DoubleVector) x.convert(VectorOperators.L2D, 0);
    LongVector est = (LongVector) xd.mul(inv).convert(VectorOperators.D2L, 0);
    LongVector r = x.sub(est.mul(q));
    r = r.add(r.lanewise(VectorOperators.ASHR, 63).and(q));
    return reduceOnce(r, q);
  }

  /**
   * Split into two stage methods ({@link #convertBaseFractions}, {@link #convertBaseRow}) that the
   * compiler directive keeps out of this method: whole, it outgrew C2's node budget for inlining on
   * JDK 24+ (where the 32-bit multiplies carry masks), which left barrett and mulShifted32 as real
   * calls that boxed their vectors (JMH BfvBench.square, n = 8192, one thread, JDK 25: 13.5-16.6 ms
   * against 7.7 ms on JDK 17).
   */
  @Override
  public void convertBase(BaseConverter conv, long[] src, int srcOff, long[] dst, int dstOff, int n, int from, int len) {
    int l = conv.from().size();
    int k = conv.to().size();
    if (D.length() != W || len % W != 0 || l > 16) {
      ScalarKernels.INSTANCE.convertBase(conv, src, srcOff, dst, dstOff, n, from, len);
      return;
    }
    long[] y = ThreadScratch.get(2, l * len);
    long[] v = ThreadScratch.get(3, len);
    convertBaseFractions(conv, src, srcOff, n, from, len, y, v);
    for (int j = 0; j < k; j++) {
      convertBaseRow(conv, j, y, v, dst, dstOff + j * n + from, len);
    }
  }

  /**
   * The first half of {@link #convertBase}: y_i = x_i (Q/q_i)^-1 mod q_i into {@code y} (row i at
   * i len) and the rounded sum of y_i / q_i, the overflow count, into {@code v}.
   */
  private static void convertBaseFractions(BaseConverter conv, long[] src, int srcOff, int n, int from, int len, long[] y, long[] v) {
    int l = conv.from().size();
    long[] inv = conv.puncturedInverse();
    long[] invS = conv.puncturedInverseShoup();
    long[] rec = conv.reciprocal();
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
  }

  /** The second half of {@link #convertBase} for output prime j: sum_i y_i (Q/q_i) - v Q mod p_j. */
  private static void convertBaseRow(BaseConverter conv, int j, long[] y, long[] v, long[] dst, int dstOff, int len) {
    int l = conv.from().size();
    long[] m = conv.puncturedModTo();
    long[] ms = conv.puncturedModToShoup();
    Modulus pm = conv.to().modulus(j);
    long p = pm.value();
    LongVector pv = LongVector.broadcast(S, p);
    LongVector pf = LongVector.broadcast(S, pm.barrettFactor());
    // Sums stay below 2^37 (Q of at most 16 primes); Barrett needs them below 2^(2b).
    boolean barrettOk = 2 * pm.bits() >= 38;
    double pinv = 1.0 / p;
    // v <= |Q| <= 16 and Q mod p < p, so adding 16 p keeps the sum non-negative.
    long bias = 16 * p;
    long qp = conv.productModTo()[j];
    for (int c = 0; c < len; c += W) {
      LongVector acc = LongVector.broadcast(S, bias).sub(LongVector.fromArray(S, v, c).mul(qp));
      for (int i = 0; i < l; i++) {
        acc = acc.add(shoupLazy(LongVector.fromArray(S, y, i * len + c), m[j * l + i], ms[j * l + i], pv));
      }
      (barrettOk ? barrett(acc, pm, pv, pf) : reduceWide(acc, pv, pinv)).intoArray(dst, dstOff + c);
    }
  }

  /**
   * Split into two stage methods ({@link #scaleAndRoundQuotients}, {@link #scaleAndRoundRow}) that
   * the compiler directive keeps out of this method, for the reason given at {@link #convertBase}.
   */
  @Override
  public void scaleAndRound(RnsScaler s, long[] src, int srcOff, long[] dst, int dstOff, int n, int from, int len) {
    int k = s.output().size();
    if (D.length() != W || len % W != 0) {
      ScalarKernels.INSTANCE.scaleAndRound(s, src, srcOff, dst, dstOff, n, from, len);
      return;
    }
    long[] rounded = ThreadScratch.get(2, len);
    scaleAndRoundQuotients(s, src, srcOff, n, from, len, rounded);
    for (int j = 0; j < k; j++) {
      scaleAndRoundRow(s, j, src, srcOff, n, from, len, rounded, dst, dstOff + j * n + from);
    }
  }

  /** The first half of {@link #scaleAndRound}: the rounded fractional parts into {@code rounded}. */
  private static void scaleAndRoundQuotients(RnsScaler s, long[] src, int srcOff, int n, int from, int len, long[] rounded) {
    int l = s.q().size();
    long[] fh = s.fractionHigh();
    long[] fl = s.fractionLow();
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
  }

  /** The second half of {@link #scaleAndRound} for output prime j. */
  private static void scaleAndRoundRow(RnsScaler s, int j, long[] src, int srcOff, int n, int from, int len, long[] rounded, long[] dst, int dstOff) {
    int l = s.q().size();
    long[] im = s.integerModOut();
    long[] ims = s.integerModOutShoup();
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
      (barrettOk ? barrett(acc, om, ov, of) : reduceWide(acc, ov, oinv)).intoArray(dst, dstOff + c);
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

  /**
   * Two or three instructions per vector where reduceSigned (a double estimate and a 64-bit
   * multiply) took about fifteen: key switching moves every digit into every other prime with it.
   */
  @Override
  public void reduceSmall(long[] a, int ao, long[] out, int oo, int len, long qs) {
    LongVector q = LongVector.broadcast(S, qs);
    int j = 0;
    if (HAS_UNSIGNED_MIN) {
      for (; j <= len - W; j += W) {
        reduceOnceMin(addIfNegativeMin(LongVector.fromArray(S, a, ao + j), q), q).intoArray(out, oo + j);
      }
    } else {
      for (; j <= len - W; j += W) {
        LongVector v = LongVector.fromArray(S, a, ao + j);
        reduceOnce(v.add(v.lanewise(VectorOperators.ASHR, 63).and(q)), q).intoArray(out, oo + j);
      }
    }
    ScalarKernels.INSTANCE.reduceSmall(a, ao + j, out, oo + j, len - j, qs);
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

  /**
   * The scalar path's steps with the double quotient estimate formed without the vector L2D and
   * D2L conversions (JDK 17 boxes them: 360 KB per call of 8192): x as hi 2^32 + lo, each half
   * converted by the bit trick, one rounding in the join; the quotient (below 2^43 for q of 19 bits
   * or more) rounded by the bit trick too. The estimate is within two of the true quotient either
   * way, so the corrections give the same residue. Smaller q takes the scalar path.
   */
  @Override
  public void reduceSigned(long[] acc, int accOff, long[] out, int oo, int len, long qs) {
    if (D.length() != W || qs < (1L << 19)) {
      ScalarKernels.INSTANCE.reduceSigned(acc, accOff, out, oo, len, qs);
      return;
    }
    double inv = 1.0 / qs;
    LongVector q = LongVector.broadcast(S, qs);
    int j = 0;
    for (; j <= len - W; j += W) {
      LongVector x = LongVector.fromArray(S, acc, accOff + j);
      LongVector est = joinedToDouble(x).mul(inv).add(MAGIC).reinterpretAsLongs().sub(MAGIC_BITS);
      LongVector r = x.sub(est.mul(q));
      r = r.add(r.lanewise(VectorOperators.ASHR, 63).and(q));
      r = r.add(r.lanewise(VectorOperators.ASHR, 63).and(q));
      r = reduceOnce(r, q);
      reduceOnce(r, q).intoArray(out, oo + j);
    }
    ScalarKernels.INSTANCE.reduceSigned(acc, accOff + j, out, oo + j, len - j, qs);
  }

}
