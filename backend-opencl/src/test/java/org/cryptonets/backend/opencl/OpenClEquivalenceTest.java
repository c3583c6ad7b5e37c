package org.cryptonets.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.cryptonets.backend.cpu.CpuBackend;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.BaseConverter;
import org.cryptonets.engine.IntMatrix;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PolyRange;
import org.cryptonets.engine.PrimeGenerator;
import org.cryptonets.engine.RnsBasis;
import org.cryptonets.engine.RnsScaler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every Backend operation on random residues with fixed seeds: the OpenCL result must equal the CPU
 * backend's (or, where noted, the engine-api reference's) bit for bit, after downloading both.
 */
class OpenClEquivalenceTest {
  private static OpenClBackend gpu;
  private static CpuBackend cpu;
  private static final Map<Integer, Bases> BASES = new HashMap<>();

  /** Q: two 31-bit and one 30-bit prime; P: two further 30-bit primes; K: Q plus a special prime. */
  record Bases(RnsBasis q, RnsBasis p, RnsBasis keyBasis) {}

  @BeforeAll
  static void open() {
    DeviceRequirement.require();
    gpu = OpenClBackend.open(null, null, 1 << 16);
    cpu = CpuBackend.create(1, false);
  }

  @AfterAll
  static void close() {
    if (gpu != null) {
      gpu.close();
    }
    if (cpu != null) {
      cpu.close();
    }
  }

  static Bases bases(int n) {
    return BASES.computeIfAbsent(n, k -> {
      List<Long> big = PrimeGenerator.nttPrimes(31, k, 3, List.of());
      List<Long> small = PrimeGenerator.nttPrimes(30, k, 3, List.of());
      RnsBasis q = RnsBasis.of(k, big.get(0), big.get(1), small.get(0));
      RnsBasis p = RnsBasis.of(k, small.get(1), small.get(2));
      RnsBasis key = q.concat(RnsBasis.of(k, big.get(2)));
      return new Bases(q, p, key);
    });
  }

  /** The same polynomials on both backends. */
  static final class Twin implements AutoCloseable {
    final PolyBuffer onGpu;
    final PolyBuffer onCpu;

    Twin(RnsBasis basis, int polys) {
      onGpu = gpu.allocate(basis, polys);
      onCpu = cpu.allocate(basis, polys);
    }

    static Twin random(RnsBasis basis, int polys, long seed) {
      Twin t = new Twin(basis, polys);
      long[] host = randomResidues(basis, polys, new Random(seed));
      gpu.upload(host, t.onGpu.all());
      cpu.upload(host, t.onCpu.all());
      return t;
    }

    PolyRange on(Backend b) {
      return b == gpu ? onGpu.all() : onCpu.all();
    }

    PolyRange on(Backend b, int first, int count) {
      return b == gpu ? onGpu.range(first, count) : onCpu.range(first, count);
    }

    void assertSame(String what) {
      long[] g = new long[(int) onGpu.all().hostLength()];
      long[] c = new long[g.length];
      gpu.download(onGpu.all(), g);
      cpu.download(onCpu.all(), c);
      assertArrays(c, g, what);
    }

    long[] download(Backend b) {
      long[] h = new long[(int) onGpu.all().hostLength()];
      b.download(on(b), h);
      return h;
    }

    @Override
    public void close() {
      onGpu.close();
      onCpu.close();
    }
  }

  static long[] randomResidues(RnsBasis basis, int polys, Random r) {
    int n = basis.n();
    int l = basis.size();
    long[] host = new long[polys * l * n];
    for (int p = 0; p < polys; p++) {
      for (int i = 0; i < l; i++) {
        long q = basis.modulus(i).value();
        for (int j = 0; j < n; j++) {
          // Mix uniform residues with the edge values 0, 1, q - 1 that expose reduction slips.
          int pick = r.nextInt(64);
          long v = pick == 0 ? 0 : pick == 1 ? 1 : pick == 2 ? q - 1 : Math.floorMod(r.nextLong(), q);
          host[(p * l + i) * n + j] = v;
        }
      }
    }
    return host;
  }

  static void assertArrays(long[] expected, long[] actual, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int k = 0; k < expected.length; k++) {
      if (expected[k] != actual[k]) {
        int mismatches = 0;
        for (int m = k; m < expected.length; m++) {
          mismatches += expected[m] != actual[m] ? 1 : 0;
        }
        assertEquals(expected[k], actual[k], what + ": first of " + mismatches + " mismatches at index " + k);
      }
    }
  }

  static void both(Consumer<Backend> op) {
    op.accept(cpu);
    op.accept(gpu);
  }

  // ------------------------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(ints = {1024, 4096, 8192})
  void uploadDownloadAndCopy(int n) {
    RnsBasis q = bases(n).q();
    try (Twin a = Twin.random(q, 4, 1); Twin out = new Twin(q, 4)) {
      a.assertSame("upload/download");
      both(b -> b.copy(a.on(b, 1, 2), out.on(b, 2, 2)));
      out.assertSame("copy into a sub-range");
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1024, 4096, 8192})
  void nttForwardAndInverse(int n) {
    RnsBasis q = bases(n).q();
    try (Twin a = Twin.random(q, 3, 2)) {
      long[] original = a.download(gpu);
      both(b -> b.forwardNtt(a.on(b, 1, 2)));
      a.assertSame("forward NTT of polynomials 1..2");
      both(b -> b.inverseNtt(a.on(b)));
      a.assertSame("inverse NTT");
      both(b -> b.forwardNtt(a.on(b)));
      both(b -> b.inverseNtt(a.on(b)));
      a.assertSame("round trip");
      // Polynomial 0 went through inverse, forward, inverse; 1..2 are back where they started.
      long[] now = a.download(gpu);
      int poly = q.size() * n;
      assertArrays(java.util.Arrays.copyOfRange(original, poly, 3 * poly), java.util.Arrays.copyOfRange(now, poly, 3 * poly), "round trip restores");
    }
  }

  @Test
  void keySwitchWithGlobalStages() {
    // The unfused path (spread, then the global-stage NTT) used when n exceeds the local block.
    Bases b = bases(1024);
    RnsBasis k = b.keyBasis();
    try (OpenClBackend small = OpenClBackend.open(null, null, 128); Twin key = Twin.random(k, 2 * k.size(), 30);
        Twin digits = Twin.random(b.q(), 2, 31); Twin out = new Twin(b.q(), 4)) {
      cpu.keySwitch(digits.on(cpu), key.on(cpu), out.on(cpu));
      long[] host = key.download(gpu);
      long[] d = digits.download(gpu);
      PolyBuffer sk = small.allocate(k, 2 * k.size());
      PolyBuffer sd = small.allocate(b.q(), 2);
      PolyBuffer so = small.allocate(b.q(), 4);
      small.upload(host, sk.all());
      small.upload(d, sd.all());
      small.keySwitch(sd.all(), sk.all(), so.all());
      long[] got = new long[(int) so.all().hostLength()];
      small.download(so.all(), got);
      assertArrays(out.download(cpu), got, "key switch through global NTT stages");
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1024, 4096})
  void nttWithGlobalStages(int n) {
    // A 256-coefficient local block forces the global-memory stages for the larger spans.
    try (OpenClBackend small = OpenClBackend.open(null, null, 256)) {
      RnsBasis q = bases(n).q();
      long[] host = randomResidues(q, 2, new Random(3));
      long[] expected = host.clone();
      for (int k = 0; k < 2 * q.size(); k++) {
        q.ntt(k % q.size()).forward(expected, k * n);
      }
      PolyBuffer buf = small.allocate(q, 2);
      small.upload(host, buf.all());
      small.forwardNtt(buf.all());
      long[] got = new long[host.length];
      small.download(buf.all(), got);
      assertArrays(expected, got, "forward NTT with global stages");
      small.inverseNtt(buf.all());
      small.download(buf.all(), got);
      assertArrays(host, got, "inverse NTT with global stages");
    }
  }

  /**
   * uploadIntegers, generate and uploadIntegersPlusProduct: the interface's defaults on OpenCL, the
   * CPU backend's own code.
   */
  @ParameterizedTest
  @ValueSource(ints = {1024, 8192})
  void integerUploadsAndGeneratedResidues(int n) {
    RnsBasis q = bases(n).q();
    int len = q.size() * n;
    Random r = new Random(n + 3);
    long[] ints = new long[3 * n];
    for (int j = 0; j < ints.length; j++) {
      ints[j] = j == 0 ? (1L << 62) - 1 : j == 1 ? -(1L << 62) + 1 : j % 3 == 0 ? r.nextLong() >> 2 : r.nextInt(1 << 20) - (1 << 19);
    }
    long[] residues = randomResidues(q, 3, new Random(n + 4));
    try (Twin coefficients = new Twin(q, 3); Twin transformed = new Twin(q, 3); Twin generated = new Twin(q, 3)) {
      both(be -> be.uploadIntegers(ints, coefficients.on(be), false));
      coefficients.assertSame("integers reduced into every limb");
      both(be -> be.uploadIntegers(ints, transformed.on(be), true));
      transformed.assertSame("integers reduced and transformed");
      both(be -> be.generate(generated.on(be), (p, target, offset) -> System.arraycopy(residues, p * len, target, offset, len)));
      generated.assertSame("generated residues");
      assertArrayEquals(residues, generated.download(gpu));
      // the fused encryption step: the interface's default on OpenCL, one pass per polynomial on the CPU
      try (Twin factor = Twin.random(q, 1, n + 5); Twin out = new Twin(q, 3); Twin drawn = new Twin(q, 3)) {
        both(be -> be.uploadIntegersPlusProduct(ints, out.on(be), drawn.on(be), (p, target, offset) -> System.arraycopy(residues, p * len, target, offset, len),
            factor.on(be)));
        out.assertSame("integers transformed plus the generated polynomials times one factor");
        drawn.assertSame("the fused call's generated residues");
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1024, 4096, 8192})
  void elementwise(int n) {
    RnsBasis q = bases(n).q();
    try (Twin a = Twin.random(q, 3, 4); Twin b = Twin.random(q, 3, 5); Twin out = new Twin(q, 3)) {
      both(be -> be.add(a.on(be), b.on(be), out.on(be)));
      out.assertSame("add");
      both(be -> be.subtract(a.on(be), b.on(be), out.on(be)));
      out.assertSame("subtract");
      both(be -> be.negate(a.on(be), out.on(be)));
      out.assertSame("negate");
      both(be -> be.multiply(a.on(be), b.on(be), out.on(be)));
      out.assertSame("multiply");
      both(be -> be.multiplyBroadcast(a.on(be), b.on(be, 2, 1), out.on(be)));
      out.assertSame("multiply broadcast");
      both(be -> be.multiplyAddBroadcast(a.on(be), b.on(be, 2, 1), out.on(be)));
      out.assertSame("multiply-add broadcast (the interface's default on OpenCL)");
      for (long scalar : new long[] {0, 1, -1, 3, -123456789, Long.MAX_VALUE, Long.MIN_VALUE, q.modulus(0).value() + 5}) {
        both(be -> be.multiplyScalar(a.on(be), scalar, out.on(be)));
        out.assertSame("multiply by " + scalar);
      }
      // In place, on a sub-range.
      both(be -> be.multiply(a.on(be, 1, 2), b.on(be, 0, 2), a.on(be, 1, 2)));
      a.assertSame("multiply in place");
      both(be -> be.add(a.on(be), a.on(be), a.on(be)));
      a.assertSame("add in place");
    }
  }

  @Test
  void concurrentCallsOnDisjointBuffers() throws Exception {
    RnsBasis q = bases(1024).q();
    int threads = 4;
    List<Twin> as = new ArrayList<>();
    List<Twin> bs = new ArrayList<>();
    for (int k = 0; k < threads; k++) {
      as.add(Twin.random(q, 2, 40 + k));
      bs.add(Twin.random(q, 2, 50 + k));
    }
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
    try {
      List<java.util.concurrent.Future<?>> done = new ArrayList<>();
      for (int k = 0; k < threads; k++) {
        Twin a = as.get(k);
        Twin b = bs.get(k);
        done.add(pool.submit(() -> {
          for (int rep = 0; rep < 10; rep++) {
            gpu.forwardNtt(a.on(gpu));
            gpu.multiply(a.on(gpu), b.on(gpu), a.on(gpu));
            gpu.inverseNtt(a.on(gpu));
          }
        }));
      }
      for (java.util.concurrent.Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    for (int k = 0; k < threads; k++) {
      Twin a = as.get(k);
      Twin b = bs.get(k);
      for (int rep = 0; rep < 10; rep++) {
        cpu.forwardNtt(a.on(cpu));
        cpu.multiply(a.on(cpu), b.on(cpu), a.on(cpu));
        cpu.inverseNtt(a.on(cpu));
      }
      a.assertSame("thread " + k);
      a.close();
      b.close();
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1024, 4096, 8192})
  void addConstants(int n) {
    RnsBasis q = bases(n).q();
    try (Twin a = Twin.random(q, 3, 6)) {
      Random r = new Random(7);
      long[] values = new long[2 * q.size()];
      for (int k = 0; k < values.length; k++) {
        values[k] = Math.floorMod(r.nextLong(), q.modulus(k % q.size()).value());
      }
      values[0] = q.modulus(0).value() - 1;
      both(be -> be.addConstants(a.on(be, 1, 2), values, false));
      a.assertSame("add constants, coefficient form");
      both(be -> be.addConstants(a.on(be, 0, 2), values, true));
      a.assertSame("add constants, NTT form");
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1024, 4096, 8192})
  void tensorAndSquare(int n) {
    RnsBasis q = bases(n).q();
    try (Twin a = Twin.random(q, 4, 8); Twin b = Twin.random(q, 4, 9); Twin out = new Twin(q, 6)) {
      both(be -> be.tensor(a.on(be), b.on(be), out.on(be)));
      out.assertSame("tensor");
      both(be -> be.tensorSquare(a.on(be), out.on(be)));
      out.assertSame("tensor square");
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1024, 4096})
  void multiplyAccumulateDenseAndSparse(int n) {
    RnsBasis q = bases(n).q();
    Random r = new Random(10);
    int width = 2;
    int cols = 9;
    int rows = 6;
    int[] dense = new int[rows * cols];
    int[] sparse = new int[rows * cols];
    for (int k = 0; k < dense.length; k++) {
      dense[k] = r.nextInt(255) - 127;
      sparse[k] = r.nextInt(5) == 0 ? r.nextInt(2 * IntMatrix.MAX_ABS_WEIGHT + 1) - IntMatrix.MAX_ABS_WEIGHT : 0;
    }
    try (Twin in = Twin.random(q, cols * width, 11); Twin out = new Twin(q, rows * width)) {
      IntMatrix d = IntMatrix.fromDense(rows, cols, dense);
      both(be -> be.multiplyAccumulate(d, in.on(be), width, out.on(be)));
      out.assertSame("dense multiply-accumulate");
      IntMatrix s = IntMatrix.fromDense(rows, cols, sparse);
      both(be -> be.multiplyAccumulate(s, in.on(be), width, out.on(be)));
      out.assertSame("sparse multiply-accumulate");
    }
  }

  /**
   * The linear layer then the square: the interface's default (64 rows at a time) on OpenCL, the
   * CPU backend's fused kernel for the sparse layer of 70 rows (its 16-row steps and 512-coefficient
   * tasks), bit for bit.
   */
  @ParameterizedTest
  @ValueSource(ints = {1024, 4096})
  void multiplyAccumulateSquare(int n) {
    RnsBasis q = bases(n).q();
    Random r = new Random(12);
    int cols = 30;
    int rows = 70;
    int[] sparse = new int[rows * cols];
    for (int k = 0; k < sparse.length; k++) {
      sparse[k] = r.nextInt(5) == 0 ? r.nextInt(127) - 63 : 0;
    }
    long[] constants = new long[rows * q.size()];
    for (int k = 0; k < constants.length; k++) {
      constants[k] = Math.floorMod(r.nextLong(), q.modulus(k % q.size()).value());
    }
    try (Twin in = Twin.random(q, 2 * cols, 13); Twin out = new Twin(q, 3 * rows)) {
      IntMatrix s = IntMatrix.fromDense(rows, cols, sparse);
      both(be -> be.multiplyAccumulateSquare(s, in.on(be), constants, out.on(be)));
      out.assertSame("linear layer then square");
    }
  }

  @Test
  void multiplyAccumulateFoldsLargeSums() {
    // Weights near 2^24 allow only 128 terms before the 64-bit accumulators must be folded; 300
    // columns cross that bound several times in both the dense and the sparse kernel.
    RnsBasis q = bases(1024).q();
    Random r = new Random(12);
    int cols = 300;
    int rows = 5;
    int[] dense = new int[rows * cols];
    int[] sparse = new int[rows * cols];
    for (int k = 0; k < dense.length; k++) {
      int big = IntMatrix.MAX_ABS_WEIGHT - r.nextInt(16);
      dense[k] = r.nextBoolean() ? big : -big;
      sparse[k] = k % 7 == 0 ? 0 : dense[k];
    }
    try (Twin in = Twin.random(q, cols, 13); Twin out = new Twin(q, rows)) {
      IntMatrix d = IntMatrix.fromDense(rows, cols, dense);
      both(be -> be.multiplyAccumulate(d, in.on(be), 1, out.on(be)));
      out.assertSame("dense multiply-accumulate with folding");
      int[] thin = new int[rows * cols];
      for (int k = 0; k < thin.length; k += 4) {
        thin[k] = sparse[k];
      }
      IntMatrix s = IntMatrix.fromDense(rows, cols, thin);
      both(be -> be.multiplyAccumulate(s, in.on(be), 1, out.on(be)));
      out.assertSame("sparse multiply-accumulate with folding");
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1024, 4096, 8192})
  void baseExtensionAndConversion(int n) {
    Bases b = bases(n);
    BaseConverter conv = new BaseConverter(b.q(), b.p());
    RnsBasis joined = b.q().concat(b.p());
    try (Twin in = Twin.random(b.q(), 3, 14); Twin ext = new Twin(joined, 3); Twin conv2 = new Twin(b.p(), 2)) {
      both(be -> be.extendBase(conv, in.on(be), ext.on(be)));
      ext.assertSame("extend base");
      both(be -> be.convertBase(conv, in.on(be, 1, 2), conv2.on(be)));
      conv2.assertSame("convert base");
      // And the engine-api reference, coefficient by coefficient.
      long[] x = in.download(gpu);
      long[] got = conv2.download(gpu);
      long[] one = new long[b.q().size()];
      long[] res = new long[b.p().size()];
      for (int p = 0; p < 2; p++) {
        for (int j = 0; j < n; j++) {
          for (int i = 0; i < one.length; i++) {
            one[i] = x[((p + 1) * one.length + i) * n + j];
          }
          conv.convert(one, res);
          for (int k = 0; k < res.length; k++) {
            assertEquals(res[k], got[(p * res.length + k) * n + j], "reference conversion at " + p + "/" + k + "/" + j);
          }
        }
      }
    }
  }

  /** Compared with the engine-api reference {@link RnsScaler#scale} and with the CPU backend. */
  @ParameterizedTest
  @ValueSource(ints = {1024, 4096, 8192})
  void scaleAndRound(int n) {
    Bases b = bases(n);
    Modulus t = Modulus.of(65537);
    List<RnsScaler> scalers = new ArrayList<>();
    scalers.add(RnsScaler.forMultiplication(b.q(), b.p(), t));
    scalers.add(RnsScaler.forDecryption(b.q(), t));
    for (RnsScaler s : scalers) {
      int polys = 2;
      long[] host = randomResidues(s.input(), polys, new Random(15));
      PolyBuffer in = gpu.allocate(s.input(), polys);
      PolyBuffer out = gpu.allocate(s.output(), polys);
      gpu.upload(host, in.all());
      gpu.scaleAndRound(s, in.all(), out.all());
      long[] got = new long[(int) out.all().hostLength()];
      gpu.download(out.all(), got);
      int li = s.input().size();
      int lo = s.output().size();
      long[] x = new long[li];
      long[] res = new long[lo];
      long[] expected = new long[got.length];
      for (int p = 0; p < polys; p++) {
        for (int j = 0; j < n; j++) {
          for (int i = 0; i < li; i++) {
            x[i] = host[(p * li + i) * n + j];
          }
          s.scale(x, res);
          for (int k = 0; k < lo; k++) {
            expected[(p * lo + k) * n + j] = res[k];
          }
        }
      }
      String what = "scale and round " + (s.hasAuxiliary() ? "(multiplication)" : "(decryption)");
      assertArrays(expected, got, what + " vs reference");
      in.close();
      out.close();
      try (PolyBuffer cin = cpu.allocate(s.input(), polys); PolyBuffer cout = cpu.allocate(s.output(), polys)) {
        cpu.upload(host, cin.all());
        cpu.scaleAndRound(s, cin.all(), cout.all());
        long[] onCpu = new long[got.length];
        cpu.download(cout.all(), onCpu);
        assertArrays(onCpu, got, what + " vs CPU backend");
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1024, 4096, 8192})
  void dropLastModulus(int n) {
    Bases b = bases(n);
    RnsBasis joined = b.q().concat(b.p());
    try (Twin in = Twin.random(joined, 3, 16); Twin out = new Twin(joined.prefix(joined.size() - 1), 2)) {
      both(be -> be.dropLastModulus(in.on(be, 1, 2), out.on(be)));
      out.assertSame("drop last modulus");
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1024, 4096, 8192})
  void keySwitch(int n) {
    Bases b = bases(n);
    RnsBasis k = b.keyBasis();
    try (Twin key = Twin.random(k, 2 * k.size(), 17)) {
      for (int level : new int[] {b.q().size(), 2}) {
        RnsBasis basis = b.q().prefix(level);
        try (Twin digits = Twin.random(basis, 3, 18 + level); Twin out = new Twin(basis, 6)) {
          both(be -> be.keySwitch(digits.on(be), key.on(be), out.on(be)));
          out.assertSame("key switch at " + level + " primes");
          // from NTT form: the interface's default on OpenCL, the CPU backend's own path
          both(be -> be.keySwitchFromNtt(digits.on(be), key.on(be), out.on(be)));
          out.assertSame("key switch from NTT form at " + level + " primes");
          digits.assertSame("digits after a key switch from NTT form");
        }
      }
    }
  }
}
