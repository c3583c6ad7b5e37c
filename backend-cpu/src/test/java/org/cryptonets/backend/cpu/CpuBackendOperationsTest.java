package org.cryptonets.backend.cpu;

import static org.cryptonets.backend.cpu.Fixtures.auxiliary;
import static org.cryptonets.backend.cpu.Fixtures.basis;
import static org.cryptonets.backend.cpu.Fixtures.load;
import static org.cryptonets.backend.cpu.Fixtures.random;
import static org.cryptonets.backend.cpu.Fixtures.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.cryptonets.engine.BaseConverter;
import org.cryptonets.engine.IntMatrix;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.NttTables;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.ResidueWriter;
import org.cryptonets.engine.RnsBasis;
import org.cryptonets.engine.RnsScaler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Proves every {@link CpuBackend} operation against a reference computed here on the host (Modulus
 * and BigInteger arithmetic, or the engine-api scalar references NttTables, BaseConverter and
 * RnsScaler), on seeded random data with extreme values, for n = 16, 1024 and 8192 and 3 to 8 primes
 * of 31 bits (30-bit auxiliary primes); and that the vector path with 1 and 2 threads and the scalar
 * path with 2 threads return the same bits as the scalar single-thread path for every operation.
 */
class CpuBackendOperationsTest {
  private static final List<CpuBackend> BACKENDS = new ArrayList<>();

  @BeforeAll
  static void open() {
    BACKENDS.add(CpuBackend.create(1, false)); // first: the bit-exact baseline
    BACKENDS.add(CpuBackend.create(1, true));
    BACKENDS.add(CpuBackend.create(2, true));
    BACKENDS.add(CpuBackend.create(2, false));
  }

  @AfterAll
  static void close() {
    BACKENDS.forEach(CpuBackend::close);
    BACKENDS.clear();
  }

  @Test
  void theBackendsUnderTestAreTheIntendedPaths() {
    assertEquals(List.of(false, true, true, false), BACKENDS.stream().map(CpuBackend::vectorized).collect(java.util.stream.Collectors.toList()));
    assertEquals(List.of(1, 1, 2, 2), BACKENDS.stream().map(CpuBackend::threads).collect(java.util.stream.Collectors.toList()));
    assertTrue(BACKENDS.get(1).device().contains("vector"), BACKENDS.get(1).device());
    assertTrue(BACKENDS.get(0).device().contains("scalar"), BACKENDS.get(0).device());
  }

  /**
   * A buffer is zero-filled whatever its arrays held before: small buffers (zeroed on the caller's
   * thread) and large ones (recycled arrays zeroed in parallel), each after a buffer of random
   * residues of the same shape was closed into the pool.
   */
  @Test
  void allocationAfterRecyclingIsZeroFilled() {
    for (CpuBackend be : BACKENDS) {
      RnsBasis b = basis(1024, 3);
      for (int polys : new int[] {1, 15, 16, 40}) {
        PolyBuffer junk = load(be, b, random(b, polys, polys));
        junk.close();
        try (PolyBuffer fresh = be.allocate(b, polys)) {
          assertTrue(Arrays.stream(read(be, fresh)).allMatch(v -> v == 0), be.device() + ": " + polys + " polynomials not zero-filled");
        }
      }
    }
  }

  /** (n, primes) */
  static Stream<Arguments> shapes() {
    return Stream.of(Arguments.of(16, 3), Arguments.of(1024, 3), Arguments.of(1024, 8), Arguments.of(8192, 4), Arguments.of(8192, 8));
  }

  /**
   * Runs {@code op} on every backend; each result must equal {@code expected}, and each must equal
   * the scalar single-thread result bit for bit.
   */
  private static void agree(long[] expected, Function<CpuBackend, long[]> op) {
    long[] baseline = null;
    for (CpuBackend be : BACKENDS) {
      long[] got = op.apply(be);
      if (baseline == null) {
        baseline = got;
      } else {
        assertArrayEquals(baseline, got, be.device() + " differs from the scalar single-thread path");
      }
      assertArrayEquals(expected, got, be.device() + " differs from the reference");
    }
  }

  private static long[] concat(long[]... parts) {
    int len = 0;
    for (long[] p : parts) {
      len += p.length;
    }
    long[] out = new long[len];
    int o = 0;
    for (long[] p : parts) {
      System.arraycopy(p, 0, out, o, p.length);
      o += p.length;
    }
    return out;
  }

  /** Host polynomials {@code [from, from + count)} of {@code h}, each of {@code len} values. */
  private static long[] polys(long[] h, int len, int from, int count) {
    return Arrays.copyOfRange(h, from * len, (from + count) * len);
  }

  /** Polynomial {@code poly} of {@code h} repeated {@code copies} times. */
  private static long[] tile(long[] h, int len, int poly, int copies) {
    long[] out = new long[copies * len];
    for (int c = 0; c < copies; c++) {
      System.arraycopy(h, poly * len, out, c * len, len);
    }
    return out;
  }

  /** u v mod q by BigInteger. */
  private static long productMod(Modulus m, long u, long v) {
    return BigInteger.valueOf(u).multiply(BigInteger.valueOf(v)).mod(BigInteger.valueOf(m.value())).longValue();
  }

  private interface Coefficientwise {
    long apply(Modulus m, long a, long b);
  }

  /** out[p][i][j] = f(q_i, a[p][i][j], b[p][i][j]). */
  private static long[] map(RnsBasis b, long[] x, long[] y, Coefficientwise f) {
    int n = b.n();
    int l = b.size();
    long[] out = new long[x.length];
    for (int k = 0; k < x.length; k++) {
      Modulus m = b.modulus((k / n) % l);
      out[k] = f.apply(m, x[k], y == null ? 0 : y[k]);
    }
    return out;
  }

  @ParameterizedTest
  @MethodSource("shapes")
  void uploadDownloadAndCopyMoveExactlyTheNamedPolynomials(int n, int k) {
    RnsBasis b = basis(n, k);
    int len = n * k;
    long[] three = random(b, 3, 1);
    long[] two = random(b, 2, 2);
    long[] zero = new long[len];
    // buffer of 7: three -> 0, 2, 4 (stride 2); two -> 5, 6; 1 and 3 stay zero.
    long[] layout = concat(polys(three, len, 0, 1), zero, polys(three, len, 1, 1), zero, polys(three, len, 2, 1), two);
    // copy of polynomials 2, 4 (stride 2) into a 3-buffer at 1, 2; then a copy inside that buffer 1 -> 0.
    long[] copied = concat(polys(three, len, 1, 1), polys(three, len, 1, 2));
    long[] expected = concat(new long[7 * len], layout, copied, polys(three, len, 1, 2));
    agree(expected, be -> {
      try (PolyBuffer buf = be.allocate(b, 7); PolyBuffer dst = be.allocate(b, 3)) {
        long[] fresh = read(be, buf);
        be.upload(three, buf.range(0, 3, 2));
        be.upload(two, buf.range(5, 2));
        be.copy(buf.range(2, 2, 2), dst.range(1, 2));
        be.copy(dst.range(1, 1), dst.range(0, 1));
        be.synchronize();
        return concat(fresh, read(be, buf), read(be, dst), read(be, buf.range(2, 2, 2)));
      }
    });
  }

  @ParameterizedTest
  @MethodSource("shapes")
  void forwardAndInverseNttMatchTheTables(int n, int k) {
    RnsBasis b = basis(n, k);
    long[] data = random(b, 3, 3);
    long[] fwd = data.clone();
    long[] inv = data.clone();
    for (int p = 0; p < 3; p++) {
      for (int i = 0; i < k; i++) {
        b.ntt(i).forward(fwd, (p * k + i) * n);
        b.ntt(i).inverse(inv, (p * k + i) * n);
      }
    }
    int len = n * k;
    // Only polynomial 1 transformed through a strided view of {1}: 0 and 2 untouched.
    long[] partial = concat(polys(data, len, 0, 1), polys(fwd, len, 1, 1), polys(data, len, 2, 1));
    agree(concat(fwd, inv, data, partial), be -> {
      try (PolyBuffer x = load(be, b, data); PolyBuffer y = load(be, b, data); PolyBuffer z = load(be, b, data)) {
        be.forwardNtt(x.all());
        long[] f = read(be, x);
        be.inverseNtt(x.all());
        long[] roundTrip = read(be, x);
        be.inverseNtt(y.all());
        be.forwardNtt(z.range(1, 1, 5));
        return concat(f, read(be, y), roundTrip, read(be, z));
      }
    });
  }

  @ParameterizedTest
  @MethodSource("shapes")
  void addSubtractNegateMultiplyAreCoefficientwise(int n, int k) {
    RnsBasis b = basis(n, k);
    long[] x = random(b, 3, 4);
    long[] y = random(b, 3, 5);
    long[] sum = map(b, x, y, (m, u, v) -> BigInteger.valueOf(u).add(BigInteger.valueOf(v)).mod(BigInteger.valueOf(m.value())).longValue());
    long[] diff = map(b, x, y, (m, u, v) -> BigInteger.valueOf(u).subtract(BigInteger.valueOf(v)).mod(BigInteger.valueOf(m.value())).longValue());
    long[] neg = map(b, x, null, (m, u, v) -> BigInteger.valueOf(u).negate().mod(BigInteger.valueOf(m.value())).longValue());
    long[] prod = map(b, x, y, (m, u, v) -> BigInteger.valueOf(u).multiply(BigInteger.valueOf(v)).mod(BigInteger.valueOf(m.value())).longValue());
    long[] square = map(b, x, x, (m, u, v) -> BigInteger.valueOf(u).multiply(BigInteger.valueOf(v)).mod(BigInteger.valueOf(m.value())).longValue());
    int len = n * k;
    // Strided: out polynomials 1 and 3 of 4 receive x[0] * y[1] and x[2] * y[2].
    long[] x0y1 = map(b, polys(x, len, 0, 1), polys(y, len, 1, 1), (m, u, v) -> m.multiply(u, v));
    long[] strided = concat(new long[len], x0y1, new long[len], polys(prod, len, 2, 1));
    agree(concat(sum, diff, neg, prod, sum, diff, neg, square, strided), be -> {
      try (PolyBuffer a = load(be, b, x); PolyBuffer c = load(be, b, y); PolyBuffer out = be.allocate(b, 3);
          PolyBuffer s = be.allocate(b, 4)) {
        be.add(a.all(), c.all(), out.all());
        long[] r1 = read(be, out);
        be.subtract(a.all(), c.all(), out.all());
        long[] r2 = read(be, out);
        be.negate(a.all(), out.all());
        long[] r3 = read(be, out);
        be.multiply(a.all(), c.all(), out.all());
        long[] r4 = read(be, out);
        be.multiply(a.range(0, 2, 2), c.range(1, 2), s.range(1, 2, 2));
        long[] r9 = read(be, s);
        // In place (output aliases the first operand exactly).
        try (PolyBuffer t = load(be, b, x)) {
          be.add(t.all(), c.all(), t.all());
          long[] r5 = read(be, t);
          be.upload(x, t.all());
          be.subtract(t.all(), c.all(), t.all());
          long[] r6 = read(be, t);
          be.upload(x, t.all());
          be.negate(t.all(), t.all());
          long[] r7 = read(be, t);
          be.upload(x, t.all());
          be.multiply(t.all(), t.all(), t.all());
          return concat(r1, r2, r3, r4, r5, r6, r7, read(be, t), r9);
        }
      }
    });
  }

  @ParameterizedTest
  @MethodSource("shapes")
  void multiplyBroadcastAppliesOnePolynomialToAll(int n, int k) {
    RnsBasis b = basis(n, k);
    int len = n * k;
    long[] x = random(b, 4, 6);
    long[] w = random(b, 3, 7); // polynomial 2 is the broadcast operand
    long[] expected = map(b, x, tile(w, len, 2, 4), CpuBackendOperationsTest::productMod);
    agree(expected, be -> {
      try (PolyBuffer a = load(be, b, x); PolyBuffer c = load(be, b, w); PolyBuffer out = be.allocate(b, 4)) {
        be.multiplyBroadcast(a.all(), c.range(2, 1), out.all());
        return read(be, out);
      }
    });
  }

  @ParameterizedTest
  @MethodSource("shapes")
  void multiplyAddBroadcastAddsTheProductWithOnePolynomial(int n, int k) {
    RnsBasis b = basis(n, k);
    int len = n * k;
    long[] x = random(b, 4, 16);
    long[] w = random(b, 3, 17);
    long[] acc = random(b, 4, 18);
    long[] product = map(b, x, tile(w, len, 1, 4), CpuBackendOperationsTest::productMod);
    long[] expected = map(b, acc, product, (m, u, v) -> (u + v) % m.value());
    agree(expected, be -> {
      try (PolyBuffer a = load(be, b, x); PolyBuffer c = load(be, b, w); PolyBuffer out = load(be, b, acc)) {
        be.multiplyAddBroadcast(a.all(), c.range(1, 1), out.all());
        return read(be, out);
      }
    });
  }

  /**
   * Integers from the edges of (-2^62, 2^62), around multiples of each prime and small, reduced into
   * every limb (BigInteger mod) and, with toNtt, transformed by the limb's NttTables; into a strided
   * view, the other polynomials untouched.
   */
  @ParameterizedTest
  @MethodSource("shapes")
  void uploadIntegersReducesIntoEveryLimbAndTransforms(int n, int k) {
    RnsBasis b = basis(n, k);
    int polys = 3;
    Random r = new Random(n * 31L + k);
    long limit = (1L << 62) - 1;
    long q0 = b.modulus(0).value();
    long[] edges = {-limit, limit, -limit + 1, limit - 1, 0, 1, -1, q0, -q0, q0 - 1, -q0 + 1, q0 + 1, 21 * q0, -21 * q0 - 1};
    long[] ints = new long[polys * n];
    for (int j = 0; j < n; j++) {
      int pick = r.nextInt(4);
      ints[j] = j < edges.length ? edges[j] : pick == 0 ? r.nextLong() >> 2 : pick == 1 ? r.nextInt(64) - 32 : pick == 2 ? (r.nextLong() >> 26) : r.nextLong() % (1L << 38);
    }
    // Polynomials 1 and 2 small enough for the integer-only path (|v| < 2^(2b - 2), b the smallest
    // prime's bits) up to its edges; polynomial 2 has one value just past it (the general path).
    int bits = 64;
    for (int i = 0; i < k; i++) {
      bits = Math.min(bits, b.modulus(i).bits());
    }
    long bound = 1L << (2 * bits - 2);
    long[] small = {bound - 2, -(bound - 1), bound - 3, -(bound - 2), 0, 1, -1, q0, -q0};
    for (int j = n; j < polys * n; j++) {
      int at = j % n;
      ints[j] = at < small.length ? small[at] : r.nextLong() % (bound / 2);
    }
    ints[2 * n + n / 2] = bound - 1;
    long[] residues = new long[polys * k * n];
    for (int p = 0; p < polys; p++) {
      for (int i = 0; i < k; i++) {
        BigInteger q = BigInteger.valueOf(b.modulus(i).value());
        for (int j = 0; j < n; j++) {
          residues[(p * k + i) * n + j] = BigInteger.valueOf(ints[p * n + j]).mod(q).longValueExact();
        }
      }
    }
    long[] transformed = residues.clone();
    for (int p = 0; p < polys; p++) {
      for (int i = 0; i < k; i++) {
        b.ntt(i).forward(transformed, (p * k + i) * n);
      }
    }
    long[] untouched = random(b, 5, 19);
    int len = n * k;
    // into polynomials 1 and 3 of five (stride 2): 0, 2 and 4 keep their values
    long[] strided = concat(polys(untouched, len, 0, 1), polys(transformed, len, 0, 1), polys(untouched, len, 2, 1),
        polys(transformed, len, 1, 1), polys(untouched, len, 4, 1));
    agree(concat(residues, transformed, strided), be -> {
      try (PolyBuffer x = be.allocate(b, polys); PolyBuffer y = be.allocate(b, polys); PolyBuffer z = load(be, b, untouched)) {
        be.uploadIntegers(ints, x.all(), false);
        be.uploadIntegers(ints, y.all(), true);
        be.uploadIntegers(Arrays.copyOf(ints, 2 * n), z.range(1, 2, 2), true);
        return concat(read(be, x), read(be, y), read(be, z));
      }
    });
  }

  /**
   * The fused encryption step: the generated polynomials land where the writer put them, and out =
   * NTT(integers mod q_i) + generated * factor (BigInteger products, NttTables transforms), for
   * integers on both reduction paths and strided ranges; the same bits as the three separate calls.
   */
  @ParameterizedTest
  @MethodSource("shapes")
  void uploadIntegersPlusProductIsTheThreeCallsInOne(int n, int k) {
    RnsBasis b = basis(n, k);
    int len = n * k;
    int polys = 3;
    Random r = new Random(n * 37L + k);
    long[] ints = new long[polys * n];
    for (int j = 0; j < ints.length; j++) {
      // polynomial 0 on the general path (values near 2^61), the others small (m + t e)
      ints[j] = j < n ? r.nextLong() >> 2 : r.nextInt(1 << 30) - (1 << 29);
    }
    long[] generated = random(b, polys, 22);
    long[] factor = random(b, 2, 23);
    long[] expected = new long[polys * len];
    for (int p = 0; p < polys; p++) {
      for (int i = 0; i < k; i++) {
        Modulus m = b.modulus(i);
        int o = (p * k + i) * n;
        for (int j = 0; j < n; j++) {
          expected[o + j] = BigInteger.valueOf(ints[p * n + j]).mod(BigInteger.valueOf(m.value())).longValueExact();
        }
        b.ntt(i).forward(expected, o);
        for (int j = 0; j < n; j++) {
          expected[o + j] = (expected[o + j] + productMod(m, generated[o + j], factor[len + i * n + j])) % m.value();
        }
      }
    }
    long[] untouched = random(b, 2 * polys, 24);
    agree(concat(expected, generated, expected, generated), be -> {
      try (PolyBuffer out = be.allocate(b, polys); PolyBuffer gen = be.allocate(b, polys); PolyBuffer f = load(be, b, factor);
          PolyBuffer out3 = be.allocate(b, polys); PolyBuffer strided = load(be, b, untouched)) {
        ResidueWriter writer = (p, target, offset) -> System.arraycopy(generated, p * len, target, offset, len);
        be.uploadIntegersPlusProduct(ints, out.all(), gen.all(), writer, f.range(1, 1));
        be.uploadIntegers(ints, out3.all(), true);
        be.generate(strided.range(1, polys, 2), writer);
        be.multiplyAddBroadcast(strided.range(1, polys, 2), f.range(1, 1), out3.all());
        long[] three = concat(read(be, out3), read(be, strided.range(1, polys, 2)));
        long[] fused = concat(read(be, out), read(be, gen));
        assertArrayEquals(three, fused, "the fused call against the three calls");
        // strided: out into polynomials 0, 2, 4 of six, generated into 1, 3, 5
        be.uploadIntegersPlusProduct(ints, strided.range(0, polys, 2), strided.range(1, polys, 2), writer, f.range(1, 1));
        long[] got = read(be, strided);
        long[] outs = new long[polys * len];
        long[] gens = new long[polys * len];
        for (int p = 0; p < polys; p++) {
          System.arraycopy(got, 2 * p * len, outs, p * len, len);
          System.arraycopy(got, (2 * p + 1) * len, gens, p * len, len);
        }
        return concat(fused, outs, gens);
      }
    });
  }

  /** generate hands each polynomial of the range to the writer once, and what it writes lands there. */
  @ParameterizedTest
  @MethodSource("shapes")
  void generateWritesEachPolynomialOfTheRangeOnce(int n, int k) {
    RnsBasis b = basis(n, k);
    int len = n * k;
    long[] data = random(b, 4, 20);
    long[] untouched = random(b, 6, 21);
    long[] expected = concat(polys(untouched, len, 0, 1), polys(data, len, 0, 4), polys(untouched, len, 5, 1));
    agree(expected, be -> {
      java.util.concurrent.atomic.AtomicIntegerArray calls = new java.util.concurrent.atomic.AtomicIntegerArray(4);
      try (PolyBuffer z = load(be, b, untouched)) {
        be.generate(z.range(1, 4), (p, target, offset) -> {
          calls.incrementAndGet(p);
          System.arraycopy(data, p * len, target, offset, len);
        });
        for (int p = 0; p < 4; p++) {
          assertEquals(1, calls.get(p), "writer calls for polynomial " + p);
        }
        return read(be, z);
      }
    });
  }

  @ParameterizedTest
  @MethodSource("shapes")
  void multiplyScalarReducesSignedScalars(int n, int k) {
    RnsBasis b = basis(n, k);
    long[] x = random(b, 2, 8);
    long q0 = b.modulus(0).value();
    long[] scalars = {0, 1, -1, 2, -7, 65537, -123456789012345L, Long.MIN_VALUE, Long.MAX_VALUE, q0, -q0, q0 + 1, -q0 - 1,
        new Random(n + k).nextLong()};
    List<long[]> expectedParts = new ArrayList<>();
    for (long s : scalars) {
      expectedParts.add(map(b, x, null, (m, u, v) -> BigInteger.valueOf(u).multiply(BigInteger.valueOf(s)).mod(BigInteger.valueOf(m.value())).longValue()));
    }
    agree(concat(expectedParts.toArray(new long[0][])), be -> {
      List<long[]> parts = new ArrayList<>();
      try (PolyBuffer a = load(be, b, x); PolyBuffer out = be.allocate(b, 2)) {
        for (long s : scalars) {
          be.multiplyScalar(a.all(), s, out.all());
          parts.add(read(be, out));
        }
      }
      return concat(parts.toArray(new long[0][]));
    });
  }

  @ParameterizedTest
  @MethodSource("shapes")
  void addConstantsToTheConstantCoefficientOrToAll(int n, int k) {
    RnsBasis b = basis(n, k);
    int polys = 3;
    long[] x = random(b, polys, 9);
    long[] values = new long[polys * k];
    Random rnd = new Random(10);
    for (int v = 0; v < values.length; v++) {
      long q = b.modulus(v % k).value();
      values[v] = v % 4 == 0 ? q - 1 : v % 4 == 1 ? 0 : rnd.nextLong(q);
    }
    long[] coeff = x.clone();
    long[] ntt = x.clone();
    for (int p = 0; p < polys; p++) {
      for (int i = 0; i < k; i++) {
        Modulus m = b.modulus(i);
        int base = (p * k + i) * n;
        coeff[base] = m.add(coeff[base], values[p * k + i]);
        for (int j = 0; j < n; j++) {
          ntt[base + j] = (ntt[base + j] + values[p * k + i]) % m.value();
        }
      }
    }
    agree(concat(coeff, ntt), be -> {
      try (PolyBuffer a = load(be, b, x); PolyBuffer c = load(be, b, x)) {
        be.addConstants(a.all(), values, false);
        be.addConstants(c.all(), values, true);
        return concat(read(be, a), read(be, c));
      }
    });
  }

  /** Reference layer: out[r * width + c] = sum_k w[r][k] in[k * width + c] mod q_i, in long arithmetic mod q. */
  private static long[] layer(RnsBasis b, int[] dense, int rows, int cols, int width, long[] in) {
    int n = b.n();
    int l = b.size();
    long[] out = new long[rows * width * l * n];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < width; c++) {
        for (int i = 0; i < l; i++) {
          long q = b.modulus(i).value();
          int o = ((r * width + c) * l + i) * n;
          for (int kk = 0; kk < cols; kk++) {
            long w = Math.floorMod((long) dense[r * cols + kk], q);
            if (w == 0) {
              continue;
            }
            int src = ((kk * width + c) * l + i) * n;
            for (int j = 0; j < n; j++) {
              out[o + j] = (out[o + j] + w * in[src + j]) % q;
            }
          }
        }
      }
    }
    return out;
  }

  static Stream<Arguments> layers() {
    List<Arguments> out = new ArrayList<>();
    shapes().forEach(s -> {
      for (int width = 1; width <= 3; width++) {
        for (double density : new double[] {0.15, 0.9}) {
          out.add(Arguments.of(s.get()[0], s.get()[1], width, density));
        }
      }
    });
    return out.stream();
  }

  @ParameterizedTest
  @MethodSource("layers")
  void multiplyAccumulateIsTheSignedWeightedSum(int n, int k, int width, double density) {
    RnsBasis b = basis(n, k);
    int rows = 10; // more than the dense kernel's block of 8 rows
    int cols = 6;
    Random rnd = new Random(n * 31L + k * 7L + width);
    int[] dense = new int[rows * cols];
    for (int e = 0; e < dense.length; e++) {
      if (rnd.nextDouble() < density) {
        int v = rnd.nextInt(2001) - 1000;
        dense[e] = e % 7 == 0 ? -IntMatrix.MAX_ABS_WEIGHT : e % 11 == 0 ? IntMatrix.MAX_ABS_WEIGHT : v == 0 ? 1 : v;
      }
    }
    IntMatrix w = IntMatrix.fromDense(rows, cols, dense);
    assertTrue(density > 0.3 ? w.density() > 0.3 : w.density() <= 0.3, "kernel choice not exercised: density " + w.density());
    long[] in = random(b, cols * width, 11 + width);
    long[] expected = layer(b, dense, rows, cols, width, in);
    // Stale output contents must be overwritten, not accumulated into.
    long[] stale = random(b, rows * width, 12);
    agree(expected, be -> {
      try (PolyBuffer x = load(be, b, in); PolyBuffer z = load(be, b, stale)) {
        be.multiplyAccumulate(w, x.all(), width, z.all());
        return read(be, z);
      }
    });
  }

  /**
   * (n, primes, density, max |w|) for the linear layer followed by the square: the fused path
   * (sparse, n a multiple of its 64-coefficient block; at n = 8192 several 512-coefficient tasks per
   * limb), and the default one for a dense layer, for n = 16, and for weights whose row sums could
   * pass 2^51.
   */
  static Stream<Arguments> linearSquares() {
    return Stream.of(
        Arguments.of(1024, 3, 0.15, 1000),
        Arguments.of(8192, 2, 0.1, 63),
        Arguments.of(1024, 3, 0.9, 1000),
        Arguments.of(16, 3, 0.15, 1000),
        Arguments.of(1024, 2, 0.15, IntMatrix.MAX_ABS_WEIGHT));
  }

  /**
   * multiplyAccumulateSquare is (sum_k w[r][k] in[k] + c_r)^2 as a tensor square, against the
   * long-arithmetic layer and BigInteger products, with 37 rows (not a multiple of the fused path's
   * 16-row step nor of the default's 64) and stale output contents.
   */
  @ParameterizedTest
  @MethodSource("linearSquares")
  void multiplyAccumulateSquareIsTheSquaredAffineLayer(int n, int k, double density, int maxAbs) {
    RnsBasis b = basis(n, k);
    int l = b.size();
    int rows = 37;
    int cols = 20;
    Random rnd = new Random(n * 131L + k * 17L + maxAbs);
    int[] dense = new int[rows * cols];
    for (int e = 0; e < dense.length; e++) {
      if (rnd.nextDouble() < density) {
        int v = rnd.nextInt(2 * maxAbs + 1) - maxAbs;
        dense[e] = e % 7 == 0 ? -maxAbs : e % 11 == 0 ? maxAbs : v == 0 ? 1 : v;
      }
    }
    IntMatrix w = IntMatrix.fromDense(rows, cols, dense);
    long[] constants = new long[rows * l];
    for (int e = 0; e < constants.length; e++) {
      long q = b.modulus(e % l).value();
      constants[e] = e % 5 == 0 ? q - 1 : e % 3 == 0 ? 0 : Math.floorMod(rnd.nextLong(), q);
    }
    long[] in = random(b, 2 * cols, 23 + k);
    long[] y = layer(b, dense, rows, cols, 2, in);
    long[] expected = new long[3 * rows * l * n];
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < l; i++) {
        Modulus m = b.modulus(i);
        for (int j = 0; j < n; j++) {
          long y0 = (y[((2 * r) * l + i) * n + j] + constants[r * l + i]) % m.value();
          long y1 = y[((2 * r + 1) * l + i) * n + j];
          expected[((3 * r) * l + i) * n + j] = productMod(m, y0, y0);
          expected[((3 * r + 1) * l + i) * n + j] = productMod(m, 2 * y0, y1);
          expected[((3 * r + 2) * l + i) * n + j] = productMod(m, y1, y1);
        }
      }
    }
    long[] stale = random(b, 3 * rows, 24);
    agree(expected, be -> {
      try (PolyBuffer x = load(be, b, in); PolyBuffer z = load(be, b, stale)) {
        be.multiplyAccumulateSquare(w, x.all(), constants, z.all());
        return read(be, z);
      }
    });
  }

  /**
   * (n, small prime bits or 0, rows, columns, max |w|) for the register-blocked dense path: rows
   * that are not a multiple of the 8- or 4-row block, the CryptoNet's 100 rows, chunks of 16
   * coefficients, weights at +-max, and a 14-bit prime whose integer-only reduction bound forces a
   * flush every 86 inputs while the kernel still multiplies in doubles.
   */
  static Stream<Arguments> denseLayers() {
    return Stream.of(
        Arguments.of(1024, 0, 13, 37, 63),
        Arguments.of(16, 0, 100, 20, 63),
        Arguments.of(1024, 0, 3, 9, IntMatrix.MAX_ABS_WEIGHT),
        Arguments.of(1024, 14, 5, 300, 63),
        Arguments.of(1024, 14, 11, 200, 1000));
  }

  @ParameterizedTest
  @MethodSource("denseLayers")
  void denseLayerMatchesTheReferenceAtEveryBlockShape(int n, int smallBits, int rows, int cols, int maxAbs) {
    List<Long> primes = new ArrayList<>(org.cryptonets.engine.PrimeGenerator.nttPrimes(31, n, 2, java.util.Set.of()));
    if (smallBits > 0) {
      primes.add(1, org.cryptonets.engine.PrimeGenerator.nttPrimes(smallBits, n, 1, java.util.Set.of()).get(0));
    }
    RnsBasis b = Fixtures.of(n, primes);
    int width = 3;
    Random rnd = new Random(rows * 7919L + cols);
    int[] dense = new int[rows * cols];
    for (int e = 0; e < dense.length; e++) {
      dense[e] = e % 5 == 0 ? maxAbs : e % 7 == 0 ? -maxAbs : rnd.nextInt(2 * maxAbs + 1) - maxAbs;
    }
    IntMatrix w = IntMatrix.fromDense(rows, cols, dense);
    assertTrue(w.density() > 0.3, "dense path not exercised");
    long[] in = random(b, cols * width, rows + cols);
    long[] expected = layer(b, dense, rows, cols, width, in);
    agree(expected, be -> {
      try (PolyBuffer x = load(be, b, in); PolyBuffer z = be.allocate(b, rows * width)) {
        be.multiplyAccumulate(w, x.all(), width, z.all());
        return read(be, z);
      }
    });
  }

  /**
   * Near-maximal weights (+-(2^24 - 1)) of one sign over 300 terms per row and inputs near q: the
   * sum reaches 300 * 2^55 > 2^63, so the 64-bit accumulators overflow unless the kernel reduces
   * them every 128 terms; dense and sparse.
   */
  @ParameterizedTest
  @MethodSource("flushCases")
  void multiplyAccumulateFlushesLazyAccumulatorsBeforeOverflow(int cols, int perRow, int sign) {
    RnsBasis b = basis(1024, 3);
    int rows = 3;
    int width = 1;
    Random rnd = new Random(cols + perRow);
    int[] dense = new int[rows * cols];
    for (int r = 0; r < rows; r++) {
      for (int e = 0; e < perRow; e++) {
        int c = perRow == cols ? e : e * 3 + r; // distinct columns in every row
        dense[r * cols + c] = sign * (IntMatrix.MAX_ABS_WEIGHT - (r == 2 ? rnd.nextInt(1000) : 0));
      }
    }
    IntMatrix w = IntMatrix.fromDense(rows, cols, dense);
    assertEquals(rows * perRow, w.nonZeros());
    assertEquals(perRow == cols, w.density() > 0.3, "kernel choice");
    long[] in = random(b, cols, 13);
    for (int v = 0; v < in.length; v++) {
      if (v % 10 != 0) {
        in[v] = b.modulus((v / 1024) % 3).value() - 1 - (v % 3);
      }
    }
    long[] expected = layer(b, dense, rows, cols, width, in);
    agree(expected, be -> {
      try (PolyBuffer x = load(be, b, in); PolyBuffer z = be.allocate(b, rows)) {
        be.multiplyAccumulate(w, x.all(), width, z.all());
        return read(be, z);
      }
    });
  }

  static Stream<Arguments> flushCases() {
    return Stream.of(
        Arguments.of(300, 300, 1), // dense, all positive
        Arguments.of(300, 300, -1), // dense, all negative
        Arguments.of(1100, 300, 1), // sparse (density < 0.3), 300 terms per row
        Arguments.of(1100, 300, -1));
  }

  @ParameterizedTest
  @MethodSource("shapes")
  void tensorAndTensorSquareArePointwiseProducts(int n, int k) {
    RnsBasis b = basis(n, k);
    int len = n * k;
    long[] x = random(b, 4, 14); // pairs (x0, x1), (x2, x3)
    long[] y = random(b, 4, 15);
    List<long[]> tensor = new ArrayList<>();
    List<long[]> square = new ArrayList<>();
    for (int pair = 0; pair < 2; pair++) {
      long[] x0 = polys(x, len, 2 * pair, 1);
      long[] x1 = polys(x, len, 2 * pair + 1, 1);
      long[] y0 = polys(y, len, 2 * pair, 1);
      long[] y1 = polys(y, len, 2 * pair + 1, 1);
      tensor.add(map(b, x0, y0, (m, u, v) -> m.multiply(u, v)));
      long[] cross1 = map(b, x0, y1, (m, u, v) -> m.multiply(u, v));
      long[] cross2 = map(b, x1, y0, (m, u, v) -> m.multiply(u, v));
      tensor.add(map(b, cross1, cross2, (m, u, v) -> m.add(u, v)));
      tensor.add(map(b, x1, y1, (m, u, v) -> m.multiply(u, v)));
      square.add(map(b, x0, x0, (m, u, v) -> m.multiply(u, v)));
      square.add(map(b, x0, x1, (m, u, v) -> BigInteger.valueOf(u).multiply(BigInteger.valueOf(v)).shiftLeft(1).mod(BigInteger.valueOf(m.value())).longValue()));
      square.add(map(b, x1, x1, (m, u, v) -> m.multiply(u, v)));
    }
    agree(concat(concat(tensor.toArray(new long[0][])), concat(square.toArray(new long[0][]))), be -> {
      try (PolyBuffer a = load(be, b, x); PolyBuffer c = load(be, b, y); PolyBuffer t = be.allocate(b, 6); PolyBuffer s = be.allocate(b, 6)) {
        be.tensor(a.all(), c.all(), t.all());
        be.tensorSquare(a.all(), s.all());
        return concat(read(be, t), read(be, s));
      }
    });
  }

  @ParameterizedTest
  @MethodSource("shapes")
  void extendBaseAndConvertBaseMatchBaseConverter(int n, int k) {
    RnsBasis q = basis(n, k);
    RnsBasis p = auxiliary(n, k + 1);
    BaseConverter conv = new BaseConverter(q, p);
    RnsBasis joined = q.concat(p);
    int polys = 2;
    long[] x = random(q, polys, 16);
    // Coefficients at the lift boundary +-Q/2, where only exact agreement with BaseConverter holds.
    Fixtures.put(x, q, 1, 4, Fixtures.nearHalf(q.product(), 5));
    long[] extended = new long[polys * joined.size() * n];
    long[] converted = new long[polys * p.size() * n];
    long[] coeff = new long[k];
    long[] res = new long[p.size()];
    for (int poly = 0; poly < polys; poly++) {
      for (int j = 0; j < n; j++) {
        for (int i = 0; i < k; i++) {
          coeff[i] = x[(poly * k + i) * n + j];
          extended[(poly * joined.size() + i) * n + j] = coeff[i];
        }
        conv.convert(coeff, res);
        for (int i = 0; i < p.size(); i++) {
          extended[(poly * joined.size() + k + i) * n + j] = res[i];
          converted[(poly * p.size() + i) * n + j] = res[i];
        }
      }
    }
    agree(concat(extended, converted), be -> {
      try (PolyBuffer a = load(be, q, x); PolyBuffer e = be.allocate(joined, polys); PolyBuffer c = be.allocate(p, polys)) {
        be.extendBase(conv, a.all(), e.all());
        be.convertBase(conv, a.all(), c.all());
        return concat(read(be, e), read(be, c));
      }
    });
  }

  @ParameterizedTest
  @MethodSource("shapes")
  void scaleAndRoundMatchesRnsScaler(int n, int k) {
    RnsBasis q = basis(n, k);
    RnsBasis p = auxiliary(n, k + 1);
    Modulus t = Modulus.of(65537);
    RnsScaler mul = RnsScaler.forMultiplication(q, p, t);
    RnsScaler dec = RnsScaler.forDecryption(q, t);
    int polys = 2;
    long[] xm = random(mul.input(), polys, 17);
    long[] xd = random(q, polys, 18);
    // Coefficients with t x / Q at a rounding edge, where only exact agreement with RnsScaler holds.
    Fixtures.put(xm, mul.input(), 1, 4, Fixtures.nearRoundingEdges(q.product(), t.value(), mul.input().product(), 12, n));
    Fixtures.put(xd, q, 0, 4, Fixtures.nearRoundingEdges(q.product(), t.value(), q.product(), 12, n + 1));
    long[] em = scaleReference(mul, xm, polys);
    long[] ed = scaleReference(dec, xd, polys);
    agree(concat(em, ed), be -> {
      try (PolyBuffer a = load(be, mul.input(), xm); PolyBuffer outM = be.allocate(p, polys);
          PolyBuffer c = load(be, q, xd); PolyBuffer outD = be.allocate(dec.output(), polys)) {
        be.scaleAndRound(mul, a.all(), outM.all());
        be.scaleAndRound(dec, c.all(), outD.all());
        return concat(read(be, outM), read(be, outD));
      }
    });
  }

  private static long[] scaleReference(RnsScaler s, long[] x, int polys) {
    int n = s.input().n();
    int in = s.input().size();
    int on = s.output().size();
    long[] out = new long[polys * on * n];
    long[] coeff = new long[in];
    long[] res = new long[on];
    for (int poly = 0; poly < polys; poly++) {
      for (int j = 0; j < n; j++) {
        for (int i = 0; i < in; i++) {
          coeff[i] = x[(poly * in + i) * n + j];
        }
        s.scale(coeff, res);
        for (int i = 0; i < on; i++) {
          out[(poly * on + i) * n + j] = res[i];
        }
      }
    }
    return out;
  }

  @ParameterizedTest
  @MethodSource("shapes")
  void dropLastModulusRoundsXOverTheLastPrime(int n, int k) {
    RnsBasis q = basis(n, k);
    RnsBasis lower = q.prefix(k - 1);
    BigInteger last = BigInteger.valueOf(q.modulus(k - 1).value());
    int polys = 2;
    long[] x = random(q, polys, 19);
    // A few coefficients at the edges of [0, Q): 0, Q - 1, q_last / 2 and its neighbours.
    BigInteger[] edges = {BigInteger.ZERO, q.product().subtract(BigInteger.ONE), last.shiftRight(1), last.shiftRight(1).add(BigInteger.ONE),
        q.product().subtract(last.shiftRight(1))};
    for (int e = 0; e < edges.length; e++) {
      long[] r = q.decompose(edges[e]);
      for (int i = 0; i < k; i++) {
        x[i * n + 5 + e] = r[i];
      }
    }
    long[] expected = new long[polys * (k - 1) * n];
    long[] coeff = new long[k];
    for (int poly = 0; poly < polys; poly++) {
      for (int j = 0; j < n; j++) {
        for (int i = 0; i < k; i++) {
          coeff[i] = x[(poly * k + i) * n + j];
        }
        BigInteger v = q.compose(coeff);
        // round(v / q_last), q_last odd so there are no ties
        BigInteger rounded = v.shiftLeft(1).add(last).divide(last.shiftLeft(1));
        for (int i = 0; i < k - 1; i++) {
          expected[(poly * (k - 1) + i) * n + j] = rounded.mod(BigInteger.valueOf(q.modulus(i).value())).longValueExact();
        }
      }
    }
    agree(expected, be -> {
      try (PolyBuffer a = load(be, q, x); PolyBuffer out = be.allocate(lower, polys)) {
        be.dropLastModulus(a.all(), out.all());
        return read(be, out);
      }
    });
  }

  static Stream<Arguments> keySwitchCases() {
    List<Arguments> out = new ArrayList<>();
    shapes().forEach(s -> {
      int k = (Integer) s.get()[1];
      for (int l : new int[] {k, k - 1, 1}) {
        out.add(Arguments.of(s.get()[0], k, l));
      }
    });
    return out.stream();
  }

  @ParameterizedTest
  @MethodSource("keySwitchCases")
  void keySwitchIsTheDigitKeyInnerProduct(int n, int k, int l) {
    RnsBasis keyBasis = basis(n, k);
    RnsBasis q = keyBasis.prefix(l);
    int digits = 2;
    long[] d = random(q, digits, 20 + l);
    long[] key = random(keyBasis, 2 * k, 21);
    long[] expected = new long[2 * digits * l * n];
    long[] tmp = new long[n];
    for (int p = 0; p < digits; p++) {
      for (int i = 0; i < l; i++) {
        Modulus m = q.modulus(i);
        NttTables tables = q.ntt(i);
        int o0 = ((2 * p) * l + i) * n;
        int o1 = ((2 * p + 1) * l + i) * n;
        for (int j = 0; j < l; j++) {
          for (int c = 0; c < n; c++) {
            tmp[c] = m.reduce(d[(p * l + j) * n + c]); // [d]_{q_j} read mod q_i
          }
          tables.forward(tmp, 0);
          int kb = ((2 * j) * k + i) * n; // b_j, limb i
          int ka = ((2 * j + 1) * k + i) * n; // a_j, limb i
          for (int c = 0; c < n; c++) {
            expected[o0 + c] = m.add(expected[o0 + c], m.multiply(tmp[c], key[kb + c]));
            expected[o1 + c] = m.add(expected[o1 + c], m.multiply(tmp[c], key[ka + c]));
          }
        }
      }
    }
    // keySwitchFromNtt takes the same digits in NTT form, gives the same pairs and leaves them as they were
    long[] dNtt = d.clone();
    for (int p = 0; p < digits; p++) {
      for (int i = 0; i < l; i++) {
        q.ntt(i).forward(dNtt, (p * l + i) * n);
      }
    }
    long[] stale = random(q, 2 * digits, 22);
    agree(concat(expected, expected, dNtt), be -> {
      try (PolyBuffer a = load(be, q, d); PolyBuffer an = load(be, q, dNtt); PolyBuffer kk = load(be, keyBasis, key); PolyBuffer out = load(be, q, stale);
          PolyBuffer fromNtt = load(be, q, stale)) {
        be.keySwitch(a.all(), kk.all(), out.all());
        be.keySwitchFromNtt(an.all(), kk.all(), fromNtt.all());
        return concat(read(be, out), read(be, fromNtt), read(be, an));
      }
    });
  }
}
