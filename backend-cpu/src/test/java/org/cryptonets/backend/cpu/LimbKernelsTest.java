package org.cryptonets.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.cryptonets.engine.BaseConverter;
import org.cryptonets.engine.IntMatrix;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.NttTables;
import org.cryptonets.engine.PrimeGenerator;
import org.cryptonets.engine.RnsBasis;
import org.cryptonets.engine.RnsScaler;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Proves the limb kernels directly, where {@link CpuBackend} never reaches: odd lengths and offsets
 * (the vector loops' scalar tails), in-place aliasing, the full documented input domains (Shoup
 * inputs up to 2^32, signed accumulators up to 2^62), sub-ranges of base conversion and
 * scale-and-round, and the NTT for every degree from 16 up with the in-vector last stages on and
 * off. Both {@link ScalarKernels} and {@link VectorKernels} must equal a Modulus/BigInteger
 * reference, hence each other.
 */
class LimbKernelsTest {
  /**
   * The JDK-dependent vector paths are the ones this JDK should take, so a run on JDK 24 or later
   * (CI runs these tests on JDK 25 where one is installed) exercises the 32-bit multiplies and the
   * unsigned minimum and the paired NTT stages, and a silent fallback fails here rather than only costing time.
   */
  @org.junit.jupiter.api.Test
  void theJdkDependentVectorPathsMatchTheRunningJdk() {
    boolean modern = Runtime.version().feature() >= 24;
    assertEquals(modern, VectorKernels.MASKED_MULTIPLY, "masked 32-bit multiplies");
    assertEquals(modern, VectorKernels.HAS_UNSIGNED_MIN, "unsigned minimum");
    boolean wide = jdk.incubator.vector.LongVector.SPECIES_PREFERRED.length() == 8;
    assertEquals(modern && wide, VectorKernels.PAIRED_AVAILABLE, "paired NTT stages (two-vector selectFrom)");
  }

  private static final int[] LENGTHS = {0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100};
  private static final int[] OFFSETS = {0, 1, 5};

  /** (kernels, prime) */
  static Stream<Arguments> cases() {
    List<Long> primes = new ArrayList<>(PrimeGenerator.nttPrimes(31, 16, 1, Set.of()));
    primes.add(PrimeGenerator.nttPrimes(30, 16, 1, Set.of()).get(0));
    primes.add(12289L);
    primes.add(97L);
    List<Arguments> out = new ArrayList<>();
    for (LimbKernels k : new LimbKernels[] {ScalarKernels.INSTANCE, VectorKernels.INSTANCE}) {
      for (long q : primes) {
        out.add(Arguments.of(k, q));
      }
    }
    return out.stream();
  }

  private static long[] residues(Random rnd, int len, long bound) {
    long[] a = new long[len];
    for (int j = 0; j < len; j++) {
      a[j] = j % 9 == 0 ? bound - 1 : j % 13 == 0 ? 0 : rnd.nextLong(bound);
    }
    return a;
  }

  private static long mod(BigInteger x, long q) {
    return x.mod(BigInteger.valueOf(q)).longValueExact();
  }

  private static BigInteger big(long v) {
    return BigInteger.valueOf(v);
  }

  @ParameterizedTest
  @MethodSource("cases")
  void elementwiseKernelsAtEveryLengthAndOffset(LimbKernels k, long q) {
    Modulus m = Modulus.of(q);
    Random rnd = new Random(q);
    for (int len : LENGTHS) {
      for (int off : OFFSETS) {
        long[] a = residues(rnd, off + len, q);
        long[] b = residues(rnd, off + len, q);
        long[] sum = new long[len], diff = new long[len], neg = new long[len], prod = new long[len], fma = new long[len];
        long[] acc = residues(rnd, len, q);
        for (int j = 0; j < len; j++) {
          long u = a[off + j], v = b[off + j];
          sum[j] = mod(big(u).add(big(v)), q);
          diff[j] = mod(big(u).subtract(big(v)), q);
          neg[j] = mod(big(u).negate(), q);
          prod[j] = mod(big(u).multiply(big(v)), q);
          fma[j] = mod(big(u).multiply(big(v)).add(big(acc[j])), q);
        }
        String where = k.describe() + " len " + len + " off " + off;
        long[] out = new long[len + 2];
        out[len] = -9; // sentinels past the end must survive
        out[len + 1] = -9;
        k.add(a, off, b, off, out, 0, len, q);
        assertArrayEquals(sum, Arrays.copyOf(out, len), "add " + where);
        k.subtract(a, off, b, off, out, 0, len, q);
        assertArrayEquals(diff, Arrays.copyOf(out, len), "subtract " + where);
        k.negate(a, off, out, 0, len, q);
        assertArrayEquals(neg, Arrays.copyOf(out, len), "negate " + where);
        k.multiply(a, off, b, off, out, 0, len, m);
        assertArrayEquals(prod, Arrays.copyOf(out, len), "multiply " + where);
        System.arraycopy(acc, 0, out, 0, len);
        k.multiplyAdd(a, off, b, off, out, 0, len, m);
        assertArrayEquals(fma, Arrays.copyOf(out, len), "multiplyAdd " + where);
        assertEquals(-9, out[len]);
        assertEquals(-9, out[len + 1]);
        // In place: out aliases a exactly.
        long[] c = a.clone();
        k.add(c, off, b, off, c, off, len, q);
        assertArrayEquals(sum, Arrays.copyOfRange(c, off, off + len), "add in place " + where);
        assertArrayEquals(Arrays.copyOf(a, off), Arrays.copyOf(c, off), "wrote before the offset");
      }
    }
  }

  /**
   * allResidues: true for values in [0, q) (both edges), false for one value just outside either
   * edge or far outside, at the start, middle and end of the window (vector body and scalar tail),
   * and blind to values outside the window.
   */
  @ParameterizedTest
  @MethodSource("cases")
  void allResiduesFindsOneValueOutsideTheRange(LimbKernels k, long q) {
    Random r = new Random(q);
    for (int len : LENGTHS) {
      for (int off : OFFSETS) {
        long[] a = new long[off + len + 2];
        Arrays.fill(a, -1); // outside the window: never looked at
        for (int j = off; j < off + len; j++) {
          a[j] = Math.floorMod(r.nextLong(), q);
        }
        assertEquals(true, k.allResidues(a, off, len, q), "len " + len + ", off " + off);
        for (int at : new int[] {off, off + len / 2, off + len - 1}) {
          if (len == 0) {
            continue;
          }
          long keep = a[at];
          for (long v : new long[] {0, q - 1}) {
            a[at] = v;
            assertEquals(true, k.allResidues(a, off, len, q), v + " at " + at + ", len " + len);
          }
          for (long v : new long[] {-1, q, q + 1, 2 * q - 1, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 32}) {
            a[at] = v;
            assertEquals(false, k.allResidues(a, off, len, q), v + " at " + at + ", len " + len);
          }
          a[at] = keep;
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("cases")
  void multiplyConstantAcceptsInputsBelow2To32(LimbKernels k, long q) {
    Modulus m = Modulus.of(q);
    Random rnd = new Random(q + 1);
    for (int len : LENGTHS) {
      for (int off : OFFSETS) {
        long[] a = residues(rnd, off + len, 1L << 32);
        for (long w : new long[] {0, 1, q - 1, rnd.nextLong(q)}) {
          long[] expected = new long[len];
          for (int j = 0; j < len; j++) {
            expected[j] = mod(big(a[off + j]).multiply(big(w)), q);
          }
          long[] out = new long[len];
          k.multiplyConstant(a, off, w, m.shoup(w), out, 0, len, q);
          assertArrayEquals(expected, out, k.describe() + " w " + w + " len " + len);
          long[] c = a.clone();
          k.multiplyConstant(c, off, w, m.shoup(w), c, off, len, q);
          assertArrayEquals(expected, Arrays.copyOfRange(c, off, off + len), "in place");
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("cases")
  void accumulateAndReduceSigned(LimbKernels k, long q) {
    Random rnd = new Random(q + 2);
    // Domain of reduceSigned as the layer kernel uses it: |acc| < 2^62, and for small primes at most
    // 2^31 q (the layer flushes after 2^62 / (maxWeight * 2^31) terms of at most maxWeight * q).
    long bound = q > 1L << 29 ? 1L << 62 : (q << 31);
    for (int len : LENGTHS) {
      for (int off : OFFSETS) {
        long[] acc = new long[off + len];
        for (int j = 0; j < acc.length; j++) {
          acc[j] = j % 7 == 0 ? (j % 2 == 0 ? bound - 1 : 1 - bound) : rnd.nextLong(2 * bound - 1) - bound + 1;
        }
        long[] a = residues(rnd, len, q);
        long w = rnd.nextInt(1 << 25) - (1 << 24);
        long[] expectedAcc = acc.clone();
        for (int j = 0; j < len; j++) {
          expectedAcc[off + j] = acc[off + j] / 4 + w * a[j];
        }
        long[] reduced = new long[len];
        for (int j = 0; j < len; j++) {
          reduced[j] = Math.floorMod(acc[off + j], q);
        }
        long[] out = new long[len];
        k.reduceSigned(acc, off, out, 0, len, q);
        assertArrayEquals(reduced, out, k.describe() + " reduceSigned len " + len + " off " + off);
        long[] quarter = acc.clone();
        for (int j = 0; j < len; j++) {
          quarter[off + j] = acc[off + j] / 4;
        }
        k.accumulate(quarter, off, a, 0, w, len);
        assertArrayEquals(expectedAcc, quarter, "accumulate");
      }
    }
  }

  /** reduceSmall over its whole domain (-q, 2q), edges included, against floorMod. */
  @ParameterizedTest
  @MethodSource("cases")
  void reduceSmallCorrectsOnceEachWay(LimbKernels k, long q) {
    Random rnd = new Random(q + 5);
    long[] edges = {-q + 1, -1, 0, 1, q - 1, q, q + 1, 2 * q - 1};
    for (int len : LENGTHS) {
      for (int off : OFFSETS) {
        long[] a = new long[off + len];
        for (int j = 0; j < a.length; j++) {
          a[j] = j < edges.length ? edges[j] : rnd.nextLong(3 * q - 1) - q + 1;
        }
        long[] expected = new long[len];
        for (int j = 0; j < len; j++) {
          expected[j] = Math.floorMod(a[off + j], q);
        }
        long[] out = new long[len];
        k.reduceSmall(a, off, out, 0, len, q);
        assertArrayEquals(expected, out, k.describe() + " reduceSmall len " + len + " off " + off);
      }
    }
  }

  /**
   * (rows, len, k0, k1, maxAbs): rows below, at and past the 8- and 4-row blocks, coefficient counts
   * with vector-pair, single-vector and scalar tails, input sub-ranges, and weights from small (the
   * double-FMA path) to +-(2^24 - 1) (bounds past 2^53: the 64-bit path).
   */
  static Stream<Arguments> denseBlocks() {
    List<Arguments> out = new ArrayList<>();
    int[][] shapes = {
      {1, 16, 0, 5}, {3, 7, 0, 4}, {4, 8, 0, 9}, {7, 17, 1, 6}, {8, 16, 0, 3}, {9, 33, 0, 7}, {12, 24, 2, 11},
      {13, 40, 0, 10}, {17, 0, 0, 4}, {20, 15, 0, 0}, {8, 1, 0, 3}, {100, 48, 0, 20}
    };
    for (LimbKernels k : new LimbKernels[] {ScalarKernels.INSTANCE, VectorKernels.INSTANCE}) {
      for (int[] s : shapes) {
        for (int maxAbs : new int[] {1, 63, 1 << 20, (1 << 24) - 1}) {
          out.add(Arguments.of(k, s[0], s[1], s[2], s[3], maxAbs));
        }
      }
    }
    return out.stream();
  }

  /**
   * accumulateDense equals a BigInteger sum, and the vector path equals the scalar one bit for bit,
   * with weights at +-maxAbs, inputs at 0 and q - 1, a nonzero starting accumulator, offsets and a
   * stride wider than the row, and sentinels around every row that must survive.
   */
  @ParameterizedTest
  @MethodSource("denseBlocks")
  void accumulateDenseIsTheExactWeightedSum(LimbKernels k, int rows, int len, int k0, int k1, int maxAbs) {
    long q = PrimeGenerator.nttPrimes(31, 16, 1, Set.of()).get(0);
    Random rnd = new Random(rows * 1000L + len * 10L + maxAbs);
    int cols = k1 + 2;
    int srcOff = 3;
    int accOff = 2;
    int stride = len + 5;
    long[][] src = new long[cols][];
    for (int c = 0; c < cols; c++) {
      src[c] = residues(rnd, srcOff + len + 1, q);
    }
    double[] wt = new double[cols * rows];
    for (int e = 0; e < wt.length; e++) {
      wt[e] = e % 5 == 0 ? maxAbs : e % 7 == 0 ? -maxAbs : rnd.nextInt(2 * maxAbs + 1) - maxAbs;
    }
    long start = 3 * q; // an accumulator carried over from a flush: below one term
    long[] acc = new long[accOff + rows * stride + 1];
    Arrays.fill(acc, -9);
    BigInteger[] expected = new BigInteger[rows * len];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < len; j++) {
        long a0 = rnd.nextLong(start);
        acc[accOff + r * stride + j] = a0;
        BigInteger sum = big(a0);
        for (int c = k0; c < k1; c++) {
          sum = sum.add(big((long) wt[c * rows + r]).multiply(big(src[c][srcOff + j])));
        }
        expected[r * len + j] = sum;
      }
    }
    long bound = start + (long) (k1 - k0) * maxAbs * q;
    long[] scalar = acc.clone();
    ScalarKernels.INSTANCE.accumulateDense(scalar, accOff, stride, rows, wt, k0, k1, src, srcOff, len, bound);
    k.accumulateDense(acc, accOff, stride, rows, wt, k0, k1, src, srcOff, len, bound);
    String where = k.describe() + " rows " + rows + " len " + len + " k " + k0 + ".." + k1 + " maxAbs " + maxAbs;
    assertArrayEquals(scalar, acc, where + ": vector differs from scalar");
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < len; j++) {
        assertEquals(expected[r * len + j].longValueExact(), acc[accOff + r * stride + j], where + " at r " + r + " j " + j);
      }
      for (int j = len; j < stride && accOff + r * stride + j < acc.length; j++) {
        assertEquals(-9, acc[accOff + r * stride + j], "wrote past the row: " + where);
      }
    }
    assertEquals(-9, acc[0]);
    assertEquals(-9, acc[acc.length - 1]);
  }

  static Stream<Arguments> sparseLayers() {
    List<Arguments> out = new ArrayList<>();
    for (LimbKernels k : new LimbKernels[] {ScalarKernels.INSTANCE, VectorKernels.INSTANCE}) {
      // {bits of q, rows, len, taps per row, maxAbs}: double path (256, 64), 64-bit vector lanes
      // (bounds of 2^53 and above, and the 11 coefficients after a block), scalar tails, a 20-bit
      // prime whose sums need the wide reduction, and rows without taps.
      for (int[] c : new int[][] {
          {31, 7, 256, 25, 63}, {31, 5, 64 + 8 + 3, 25, 63}, {31, 4, 256, 25, (1 << 24) - 1},
          {31, 3, 77, 9, 1 << 20}, {20, 6, 128, 25, (1 << 24) - 1}, {31, 3, 5, 4, 63}, {31, 4, 64, 0, 63}}) {
        out.add(Arguments.of(k, c[0], c[1], c[2], c[3], c[4]));
      }
    }
    return out.stream();
  }

  /**
   * sparseLayer is the exact weighted sum of each row's taps reduced mod q (BigInteger reference),
   * the vector path equals the scalar one, inputs at 0 and q - 1 and weights at +-maxAbs included,
   * and nothing outside [dstOff, dstOff + len) of an output changes.
   */
  @ParameterizedTest
  @MethodSource("sparseLayers")
  void sparseLayerIsTheReducedWeightedSum(LimbKernels k, int bits, int rows, int len, int taps, int maxAbs) {
    long q = PrimeGenerator.nttPrimes(bits, 16, 1, Set.of()).get(0);
    Random rnd = new Random(rows * 1000L + len * 10L + taps + maxAbs);
    int inputs = 40;
    int srcOff = 5;
    int dstOff = 3;
    long[][] src = new long[inputs][];
    for (int i = 0; i < inputs; i++) {
      src[i] = residues(rnd, srcOff + len + 2, q);
      src[i][srcOff] = q - 1;
      src[i][srcOff + len - 1] = i % 2 == 0 ? 0 : q - 1;
    }
    int[] rowStart = new int[rows + 1];
    int[] cols = new int[rows * taps];
    double[] weights = new double[rows * taps];
    long rowAbsMax = 0;
    for (int r = 0; r < rows; r++) {
      rowStart[r + 1] = rowStart[r] + taps;
      long sum = 0;
      for (int t = 0; t < taps; t++) {
        int e = r * taps + t;
        cols[e] = rnd.nextInt(inputs);
        weights[e] = t % 5 == 0 ? maxAbs : t % 7 == 0 ? -maxAbs : rnd.nextInt(2 * maxAbs + 1) - maxAbs;
        sum += Math.abs((long) weights[e]);
      }
      rowAbsMax = Math.max(rowAbsMax, sum);
    }
    long bound = Math.max(1, rowAbsMax * (q - 1));
    long[][] dst = new long[rows][dstOff + len + 2];
    for (long[] d : dst) {
      Arrays.fill(d, -7);
    }
    long[][] scalar = new long[rows][];
    for (int r = 0; r < rows; r++) {
      scalar[r] = dst[r].clone();
    }
    ScalarKernels.INSTANCE.sparseLayer(scalar, dstOff, rowStart, cols, weights, src, srcOff, len, Modulus.of(q), bound);
    k.sparseLayer(dst, dstOff, rowStart, cols, weights, src, srcOff, len, Modulus.of(q), bound);
    String where = k.describe() + " q bits " + bits + " rows " + rows + " len " + len + " taps " + taps + " maxAbs " + maxAbs;
    for (int r = 0; r < rows; r++) {
      assertArrayEquals(scalar[r], dst[r], where + ": vector differs from scalar at row " + r);
      for (int j = 0; j < len; j++) {
        BigInteger sum = BigInteger.ZERO;
        for (int e = rowStart[r]; e < rowStart[r + 1]; e++) {
          sum = sum.add(big((long) weights[e]).multiply(big(src[cols[e]][srcOff + j])));
        }
        assertEquals(sum.mod(big(q)).longValueExact(), dst[r][dstOff + j], where + " at r " + r + " j " + j);
      }
      for (int j = 0; j < dstOff; j++) {
        assertEquals(-7, dst[r][j], "wrote before the strip: " + where);
      }
      assertEquals(-7, dst[r][dstOff + len], "wrote past the strip: " + where);
    }
  }

  static Stream<Arguments> packedRows() {
    List<Arguments> out = new ArrayList<>();
    for (LimbKernels k : new LimbKernels[] {ScalarKernels.INSTANCE, VectorKernels.INSTANCE}) {
      // {len, taps per row, maxAbs}: the fused step's 64-coefficient block, two blocks, a block
      // plus a vector plus scalars, scalars only, rows without taps, and sums near 2^51
      for (int[] c : new int[][] {{64, 25, 63}, {128, 9, 1000}, {64 + 8 + 3, 25, 63}, {5, 4, 63}, {64, 0, 63}, {64, 6, 1 << 17}}) {
        out.add(Arguments.of(k, c[0], c[1], c[2]));
      }
    }
    return out.stream();
  }

  /**
   * packDoubles copies residues exactly, and sparseRowsPacked is the initial value plus each row's
   * weighted taps over the packed strips (BigInteger reference), for rows [1, 5) of 6, strips read
   * from a base offset with a stride longer than the block; the vector path equals the scalar one.
   */
  @ParameterizedTest
  @MethodSource("packedRows")
  void sparseRowsPackedIsTheInitialValuePlusTheWeightedTaps(LimbKernels k, int len, int taps, int maxAbs) {
    long q = PrimeGenerator.nttPrimes(31, 16, 1, Set.of()).get(0);
    Random rnd = new Random(len * 100L + taps * 10L + maxAbs);
    int inputs = 30;
    int stride = len + 3;
    int base = 7;
    double[] packed = new double[base + inputs * stride];
    for (int i = 0; i < inputs; i++) {
      long[] src = residues(rnd, len + 4, q);
      src[2] = q - 1;
      src[1 + len] = i % 2 == 0 ? 0 : q - 1;
      k.packDoubles(src, 2, packed, base + i * stride, len);
      for (int j = 0; j < len; j++) {
        assertEquals((double) src[2 + j], packed[base + i * stride + j], "packDoubles at " + j);
      }
    }
    int rows = 6;
    int[] rowStart = new int[rows + 1];
    int[] cols = new int[rows * taps];
    double[] weights = new double[rows * taps];
    long[] initial = new long[rows];
    for (int r = 0; r < rows; r++) {
      rowStart[r + 1] = rowStart[r] + taps;
      initial[r] = r % 2 == 0 ? q - 1 : rnd.nextInt((int) q);
      for (int t = 0; t < taps; t++) {
        cols[r * taps + t] = rnd.nextInt(inputs);
        weights[r * taps + t] = t % 3 == 0 ? maxAbs : t % 5 == 0 ? -maxAbs : rnd.nextInt(2 * maxAbs + 1) - maxAbs;
      }
    }
    long[] got = new long[4 * len + 2];
    Arrays.fill(got, -7);
    long[] scalar = got.clone();
    ScalarKernels.INSTANCE.sparseRowsPacked(packed, base, stride, rowStart, cols, weights, initial, 1, 5, scalar, len);
    k.sparseRowsPacked(packed, base, stride, rowStart, cols, weights, initial, 1, 5, got, len);
    assertArrayEquals(scalar, got, k.describe() + ": vector differs from scalar");
    for (int r = 1; r < 5; r++) {
      for (int j = 0; j < len; j++) {
        BigInteger sum = big(initial[r]);
        for (int e = rowStart[r]; e < rowStart[r + 1]; e++) {
          sum = sum.add(big((long) weights[e]).multiply(big((long) packed[base + cols[e] * stride + j])));
        }
        assertEquals(sum.longValueExact(), got[(r - 1) * len + j], k.describe() + " row " + r + " j " + j);
      }
    }
    assertEquals(-7, got[4 * len], "wrote past rows [1, 5)");
  }

  /** Partial sums that reach 2^53 - 1 exactly (the edge of the double path) stay exact. */
  @ParameterizedTest
  @MethodSource("cases")
  void accumulateDenseIsExactAtTheDoubleBound(LimbKernels k, long q) {
    int rows = 9;
    int len = 19;
    int terms = 4;
    long limit = (1L << 53) - 1;
    int maxAbs = (int) Math.min(IntMatrix.MAX_ABS_WEIGHT, limit / terms / (q - 1));
    long[][] src = new long[terms][len];
    for (long[] s : src) {
      Arrays.fill(s, q - 1);
    }
    double[] wt = new double[terms * rows];
    for (int e = 0; e < wt.length; e++) {
      wt[e] = (e % rows) % 2 == 0 ? maxAbs : -maxAbs;
    }
    long top = (long) terms * maxAbs * (q - 1);
    long[] acc = new long[rows * len];
    for (int r = 0; r < rows; r++) {
      Arrays.fill(acc, r * len, (r + 1) * len, r % 2 == 0 ? limit - top : top - limit);
    }
    k.accumulateDense(acc, 0, len, rows, wt, 0, terms, src, 0, len, limit);
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < len; j++) {
        assertEquals(r % 2 == 0 ? limit : -limit, acc[r * len + j], k.describe() + " q " + q + " row " + r);
      }
    }
  }

  static Stream<Arguments> ntts() {
    List<Arguments> out = new ArrayList<>();
    for (LimbKernels k : new LimbKernels[] {ScalarKernels.INSTANCE, VectorKernels.INSTANCE}) {
      for (int n : new int[] {16, 32, 64, 128, 1024}) {
        for (boolean inVector : new boolean[] {false, true}) {
          out.add(Arguments.of(k, n, inVector, true));
        }
        // the single-vector stages where paired ones would run (selections on JDK 24+,
        // permutations and blends before)
        out.add(Arguments.of(k, n, true, false));
      }
    }
    return out.stream();
  }

  @ParameterizedTest
  @MethodSource("ntts")
  void nttKernelsMatchTheTables(LimbKernels k, int n, boolean inVectorStages, boolean pairedStages) {
    boolean saved = VectorKernels.inVectorStages;
    boolean savedPaired = VectorKernels.pairedStages;
    VectorKernels.inVectorStages = inVectorStages;
    VectorKernels.pairedStages = pairedStages;
    try {
      List<Long> primes = new ArrayList<>(PrimeGenerator.nttPrimes(31, n, 2, Set.of()));
      primes.add(PrimeGenerator.nttPrimes(20, n, 1, Set.of()).get(0));
      for (long q : primes) {
        NttTables t = new NttTables(Modulus.of(q), n);
        Random rnd = new Random(q + n);
        for (int off : new int[] {0, 3}) {
          long[] a = new long[off + n + 2];
          Arrays.fill(a, -7);
          long[] poly = residues(rnd, n, q);
          System.arraycopy(poly, 0, a, off, n);
          long[] fwd = poly.clone();
          t.forward(fwd, 0);
          long[] inv = poly.clone();
          t.inverse(inv, 0);
          long[] b = a.clone();
          k.forwardNtt(a, off, t);
          assertArrayEquals(fwd, Arrays.copyOfRange(a, off, off + n), k.describe() + " forward n " + n + " q " + q);
          k.inverseNtt(b, off, t);
          assertArrayEquals(inv, Arrays.copyOfRange(b, off, off + n), k.describe() + " inverse n " + n + " q " + q);
          k.inverseNtt(a, off, t);
          assertArrayEquals(poly, Arrays.copyOfRange(a, off, off + n), "round trip");
          for (long[] arr : new long[][] {a, b}) {
            assertEquals(-7, arr[off + n]);
            assertEquals(-7, arr[off + n + 1]);
            if (off > 0) {
              assertEquals(-7, arr[off - 1]);
            }
          }
        }
      }
    } finally {
      VectorKernels.inVectorStages = saved;
      VectorKernels.pairedStages = savedPaired;
    }
  }

  /** (kernels, from, len) windows of a 64-coefficient polynomial: aligned and ragged. */
  static Stream<Arguments> windows() {
    List<Arguments> out = new ArrayList<>();
    for (LimbKernels k : new LimbKernels[] {ScalarKernels.INSTANCE, VectorKernels.INSTANCE}) {
      for (int[] w : new int[][] {{0, 64}, {0, 16}, {16, 32}, {8, 24}, {3, 13}, {63, 1}, {5, 0}}) {
        out.add(Arguments.of(k, w[0], w[1]));
      }
    }
    return out.stream();
  }

  @ParameterizedTest
  @MethodSource("windows")
  void convertBaseKernelConvertsExactlyItsWindow(LimbKernels k, int from, int len) {
    int n = 64;
    RnsBasis q = Fixtures.basis(n, 5);
    RnsBasis p = Fixtures.auxiliary(n, 4);
    BaseConverter conv = new BaseConverter(q, p);
    long[] src = new long[2 + q.size() * n];
    long[] x = Fixtures.random(q, 1, from + len);
    Fixtures.put(x, q, 0, from, Fixtures.nearHalf(q.product(), 3).subList(0, Math.min(len, 7)));
    System.arraycopy(x, 0, src, 2, x.length);
    long[] dst = new long[3 + p.size() * n];
    Arrays.fill(dst, -1);
    long[] expected = dst.clone();
    long[] coeff = new long[q.size()];
    long[] res = new long[p.size()];
    for (int c = from; c < from + len; c++) {
      for (int i = 0; i < q.size(); i++) {
        coeff[i] = x[i * n + c];
      }
      conv.convert(coeff, res);
      for (int j = 0; j < p.size(); j++) {
        expected[3 + j * n + c] = res[j];
      }
    }
    k.convertBase(conv, src, 2, dst, 3, n, from, len);
    assertArrayEquals(expected, dst, k.describe());
  }

  @ParameterizedTest
  @MethodSource("windows")
  void scaleAndRoundKernelScalesExactlyItsWindow(LimbKernels k, int from, int len) {
    int n = 64;
    RnsBasis q = Fixtures.basis(n, 4);
    RnsBasis p = Fixtures.auxiliary(n, 5);
    for (RnsScaler s : new RnsScaler[] {RnsScaler.forMultiplication(q, p, Modulus.of(65537)), RnsScaler.forDecryption(q, Modulus.of(65537))}) {
      int in = s.input().size();
      int on = s.output().size();
      long[] x = Fixtures.random(s.input(), 1, from * 100 + len);
      Fixtures.put(x, s.input(), 0, from, Fixtures.nearRoundingEdges(s.q().product(), 65537, s.input().product(), len, len).subList(0, len));
      long[] src = new long[1 + in * n];
      System.arraycopy(x, 0, src, 1, x.length);
      long[] dst = new long[2 + on * n];
      Arrays.fill(dst, -1);
      long[] expected = dst.clone();
      long[] coeff = new long[in];
      long[] res = new long[on];
      for (int c = from; c < from + len; c++) {
        for (int i = 0; i < in; i++) {
          coeff[i] = x[i * n + c];
        }
        s.scale(coeff, res);
        for (int j = 0; j < on; j++) {
          expected[2 + j * n + c] = res[j];
        }
      }
      k.scaleAndRound(s, src, 1, dst, 2, n, from, len);
      assertArrayEquals(expected, dst, k.describe() + (s.hasAuxiliary() ? " multiplication" : " decryption"));
    }
  }
}
