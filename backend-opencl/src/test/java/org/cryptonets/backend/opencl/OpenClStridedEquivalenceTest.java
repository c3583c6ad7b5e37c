package org.cryptonets.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.cryptonets.backend.cpu.CpuBackend;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.BaseConverter;
import org.cryptonets.engine.EngineException;
import org.cryptonets.engine.IntMatrix;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PolyRange;
import org.cryptonets.engine.RnsBasis;
import org.cryptonets.engine.RnsScaler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every Backend operation on strided ranges ({@link PolyRange#index}), the way the BFV scheme calls
 * them (one component of a batch of ciphertexts, key-switching pairs read with stride 2, ...): the
 * OpenCL result must equal the CPU backend's bit for bit. After each operation the WHOLE buffers are
 * compared, so a write to a polynomial between the strided ones shows up as well as a wrong result.
 * Operand shapes are chosen so that no two operands have the same first polynomial or stride.
 */
class OpenClStridedEquivalenceTest {
  private static OpenClBackend gpu;
  /** NTT local block of 128 coefficients: the global-stage NTT and the unfused key-switch path. */
  private static OpenClBackend smallBlock;
  /** Key-switching scratch for a single digit per launch sequence: the chunked key switch. */
  private static OpenClBackend tinyScratch;
  /**
   * Transfers staged in pieces of {@value #TINY_PIECE} bytes: two polynomials of 3 limbs at n = 1024
   * (12 KiB each), three 64-bit integer polynomials, and one polynomial per piece at n = 4096, so
   * that seven polynomials end in a short piece.
   */
  private static OpenClBackend tinyPieces;
  private static final long TINY_PIECE = 30_000;
  private static CpuBackend cpu;

  @BeforeAll
  static void open() {
    DeviceRequirement.require();
    gpu = OpenClBackend.open(null, null, 1 << 16);
    smallBlock = OpenClBackend.open(null, null, 128);
    tinyScratch = OpenClBackend.open(null, null, 1 << 16, 1);
    tinyPieces = OpenClBackend.openStagingPieces(null, null, 1 << 16, TINY_PIECE);
    cpu = CpuBackend.create(1, false);
  }

  @AfterAll
  static void close() {
    for (AutoCloseable c : new AutoCloseable[] {gpu, smallBlock, tinyScratch, tinyPieces, cpu}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception ignored) {
          // Closing test fixtures; nothing to report.
        }
      }
    }
  }

  /** The same polynomials on an OpenCL backend and on the CPU backend. */
  static final class Twin implements AutoCloseable {
    final OpenClBackend device;
    final PolyBuffer onGpu;
    final PolyBuffer onCpu;

    Twin(OpenClBackend device, RnsBasis basis, int polys) {
      this.device = device;
      onGpu = device.allocate(basis, polys);
      onCpu = cpu.allocate(basis, polys);
    }

    static Twin random(OpenClBackend device, RnsBasis basis, int polys, long seed) {
      Twin t = new Twin(device, basis, polys);
      long[] host = OpenClEquivalenceTest.randomResidues(basis, polys, new Random(seed));
      device.upload(host, t.onGpu.all());
      cpu.upload(host, t.onCpu.all());
      return t;
    }

    static Twin random(RnsBasis basis, int polys, long seed) {
      return random(gpu, basis, polys, seed);
    }

    PolyRange r(Backend b, int first, int count, int stride) {
      return (b == cpu ? onCpu : onGpu).range(first, count, stride);
    }

    void assertSame(String what) {
      long[] g = new long[(int) onGpu.all().hostLength()];
      long[] c = new long[g.length];
      device.download(onGpu.all(), g);
      cpu.download(onCpu.all(), c);
      OpenClEquivalenceTest.assertArrays(c, g, what);
    }

    @Override
    public void close() {
      onGpu.close();
      onCpu.close();
    }
  }

  /** Runs the operation on the CPU backend and then on {@code device}. */
  static void both(OpenClBackend device, Consumer<Backend> op) {
    op.accept(cpu);
    op.accept(device);
  }

  static void both(Consumer<Backend> op) {
    both(gpu, op);
  }

  private static void expectShape(Executable call) {
    EngineException e = assertThrows(EngineException.class, call);
    assertEquals(EngineException.Code.SHAPE_MISMATCH, e.code(), e.getMessage());
  }

  // ------------------------------------------------------------------------------------------ transfers

  @ParameterizedTest
  @ValueSource(ints = {1024, 4096})
  void uploadAndDownloadStrided(int n) {
    RnsBasis q = OpenClEquivalenceTest.bases(n).q();
    try (Twin a = Twin.random(q, 7, 101)) {
      long[] host = OpenClEquivalenceTest.randomResidues(q, 3, new Random(102));
      both(b -> b.upload(host, a.r(b, 1, 3, 2)));
      a.assertSame("upload into polynomials 1, 3, 5");
      long[] two = OpenClEquivalenceTest.randomResidues(q, 2, new Random(103));
      both(b -> b.upload(two, a.r(b, 0, 2, 6)));
      a.assertSame("upload into polynomials 0, 6");
      for (int[] shape : new int[][] {{1, 3, 2}, {0, 3, 3}, {2, 2, 4}, {6, 1, 5}}) {
        long[] g = new long[shape[1] * q.size() * n];
        long[] c = new long[g.length];
        gpu.download(a.r(gpu, shape[0], shape[1], shape[2]), g);
        cpu.download(a.r(cpu, shape[0], shape[1], shape[2]), c);
        OpenClEquivalenceTest.assertArrays(c, g, "download of range " + java.util.Arrays.toString(shape));
      }
      long[] back = new long[host.length];
      gpu.download(a.r(gpu, 1, 3, 2), back);
      OpenClEquivalenceTest.assertArrays(host, back, "strided round trip");
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1024, 4096})
  void transfersInSeveralPieces(int n) {
    RnsBasis q = OpenClEquivalenceTest.bases(n).q();
    try (Twin a = Twin.random(tinyPieces, q, 7, 121)) {
      a.assertSame("upload of 7 polynomials in pieces");
      long[] host = OpenClEquivalenceTest.randomResidues(q, 3, new Random(122));
      both(tinyPieces, b -> b.upload(host, a.r(b, 1, 3, 2)));
      a.assertSame("upload into polynomials 1, 3, 5 in pieces");
      for (int[] shape : new int[][] {{1, 3, 2}, {0, 7, 1}, {0, 3, 3}, {6, 1, 5}}) {
        long[] g = new long[shape[1] * q.size() * n];
        long[] c = new long[g.length];
        tinyPieces.download(a.r(tinyPieces, shape[0], shape[1], shape[2]), g);
        cpu.download(a.r(cpu, shape[0], shape[1], shape[2]), c);
        OpenClEquivalenceTest.assertArrays(c, g, "download in pieces of range " + java.util.Arrays.toString(shape));
      }
    }
  }

  /** Signed integers below 2^62 in magnitude, with the edges of the range and of the moduli. */
  private static long[] signedIntegers(RnsBasis q, int polys, long seed) {
    Random r = new Random(seed);
    long[] v = new long[polys * q.n()];
    long top = (1L << 62) - 1;
    long q0 = q.modulus(0).value();
    long[] edges = {0, 1, -1, top, -top, q0, -q0, q0 - 1, -(q0 - 1), q0 + 1, 3, -3};
    for (int k = 0; k < v.length; k++) {
      int pick = r.nextInt(16);
      v[k] = pick < edges.length ? edges[pick] : pick == 12 ? r.nextInt(41) - 20 : r.nextLong() >> 2;
    }
    return v;
  }

  @ParameterizedTest
  @ValueSource(ints = {1024, 4096})
  void uploadIntegersStrided(int n) {
    RnsBasis q = OpenClEquivalenceTest.bases(n).q();
    for (OpenClBackend device : new OpenClBackend[] {gpu, tinyPieces}) {
      try (Twin a = Twin.random(device, q, 7, 131)) {
        long[] three = signedIntegers(q, 3, 132);
        both(device, b -> b.uploadIntegers(three, a.r(b, 1, 3, 2), false));
        a.assertSame("integers into polynomials 1, 3, 5");
        long[] seven = signedIntegers(q, 7, 133);
        both(device, b -> b.uploadIntegers(seven, a.r(b, 0, 7, 1), true));
        a.assertSame("integers into all 7, then the forward NTT");
        long[] two = signedIntegers(q, 2, 134);
        both(device, b -> b.uploadIntegers(two, a.r(b, 0, 2, 6), true));
        a.assertSame("integers into polynomials 0, 6, then the forward NTT");
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1024, 4096})
  void generateStrided(int n) {
    RnsBasis q = OpenClEquivalenceTest.bases(n).q();
    int l = q.size();
    // A deterministic function of (polynomial, limb, coefficient), so calls on any thread agree.
    org.cryptonets.engine.ResidueWriter writer = (p, target, offset) -> {
      for (int i = 0; i < l; i++) {
        long qi = q.modulus(i).value();
        java.util.SplittableRandom r = new java.util.SplittableRandom(1000L * p + i);
        for (int j = 0; j < n; j++) {
          target[offset + i * n + j] = j % 97 == 0 ? qi - 1 : r.nextLong(qi);
        }
      }
    };
    for (OpenClBackend device : new OpenClBackend[] {gpu, tinyPieces}) {
      try (Twin a = Twin.random(device, q, 7, 141)) {
        both(device, b -> b.generate(a.r(b, 1, 3, 2), writer));
        a.assertSame("generated polynomials 1, 3, 5");
        both(device, b -> b.generate(a.r(b, 0, 7, 1), writer));
        a.assertSame("generated polynomials 0..6");
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1024, 4096})
  void copyStrided(int n) {
    RnsBasis q = OpenClEquivalenceTest.bases(n).q();
    try (Twin a = Twin.random(q, 6, 104); Twin out = Twin.random(q, 7, 105)) {
      both(b -> b.copy(a.r(b, 0, 3, 2), out.r(b, 1, 3, 1)));
      out.assertSame("strided to contiguous");
      both(b -> b.copy(a.r(b, 2, 2, 1), out.r(b, 0, 2, 3)));
      out.assertSame("contiguous to strided");
      both(b -> b.copy(a.r(b, 1, 2, 3), out.r(b, 1, 2, 5)));
      out.assertSame("strided to another stride");
      // c1 components onto the c0 components of the same batch: interleaved but disjoint.
      both(b -> b.copy(a.r(b, 1, 3, 2), a.r(b, 0, 3, 2)));
      a.assertSame("component 1 onto component 0 of one buffer");
      both(b -> b.copy(a.r(b, 1, 3, 2), a.r(b, 1, 3, 2)));
      a.assertSame("exact alias");
    }
  }

  // ------------------------------------------------------------------------------------------ NTT

  @ParameterizedTest
  @ValueSource(ints = {1024, 4096})
  void nttStrided(int n) {
    RnsBasis q = OpenClEquivalenceTest.bases(n).q();
    for (OpenClBackend device : new OpenClBackend[] {gpu, smallBlock}) {
      String path = device == gpu ? "local" : "global stages";
      try (Twin a = Twin.random(device, q, 7, 106)) {
        both(device, b -> b.forwardNtt(a.r(b, 1, 3, 2)));
        a.assertSame("forward NTT of polynomials 1, 3, 5 (" + path + ")");
        both(device, b -> b.inverseNtt(a.r(b, 0, 3, 3)));
        a.assertSame("inverse NTT of polynomials 0, 3, 6 (" + path + ")");
        both(device, b -> b.forwardNtt(a.r(b, 4, 1, 7)));
        a.assertSame("forward NTT of polynomial 4 (" + path + ")");
      }
    }
  }

  // ------------------------------------------------------------------------------------------ elementwise

  @ParameterizedTest
  @ValueSource(ints = {1024, 4096})
  void elementwiseStrided(int n) {
    RnsBasis q = OpenClEquivalenceTest.bases(n).q();
    try (Twin a = Twin.random(q, 6, 107); Twin b = Twin.random(q, 9, 108); Twin out = Twin.random(q, 7, 109)) {
      both(be -> be.add(a.r(be, 1, 3, 2), b.r(be, 0, 3, 3), out.r(be, 0, 3, 3)));
      out.assertSame("add");
      both(be -> be.subtract(a.r(be, 1, 3, 2), b.r(be, 2, 3, 3), out.r(be, 1, 3, 2)));
      out.assertSame("subtract");
      both(be -> be.negate(b.r(be, 1, 3, 3), out.r(be, 0, 3, 2)));
      out.assertSame("negate");
      both(be -> be.multiply(a.r(be, 0, 3, 2), b.r(be, 1, 3, 3), out.r(be, 2, 3, 2)));
      out.assertSame("multiply");
      both(be -> be.multiplyBroadcast(a.r(be, 1, 3, 2), b.r(be, 4, 1, 5), out.r(be, 0, 3, 3)));
      out.assertSame("multiply broadcast");
      for (long scalar : new long[] {-1, 3, -123456789, Long.MIN_VALUE}) {
        both(be -> be.multiplyScalar(b.r(be, 2, 3, 3), scalar, out.r(be, 1, 3, 2)));
        out.assertSame("multiply by " + scalar);
      }
      // The scheme's in-place patterns: c0 += c1 of one batch, c1 *= x in place, c1 *= s.
      both(be -> be.add(a.r(be, 0, 3, 2), a.r(be, 1, 3, 2), a.r(be, 0, 3, 2)));
      a.assertSame("c0 += c1 in one buffer");
      both(be -> be.subtract(a.r(be, 0, 3, 2), a.r(be, 1, 3, 2), a.r(be, 1, 3, 2)));
      a.assertSame("c1 = c0 - c1 in one buffer");
      both(be -> be.multiply(a.r(be, 1, 3, 2), b.r(be, 2, 3, 3), a.r(be, 1, 3, 2)));
      a.assertSame("multiply in place");
      both(be -> be.multiplyBroadcast(a.r(be, 1, 3, 2), a.r(be, 0, 1, 1), a.r(be, 1, 3, 2)));
      a.assertSame("broadcast of c0 of ciphertext 0 onto the c1's in place");
      both(be -> be.negate(a.r(be, 0, 3, 2), a.r(be, 0, 3, 2)));
      a.assertSame("negate in place");
      both(be -> be.multiplyScalar(a.r(be, 1, 3, 2), 7, a.r(be, 1, 3, 2)));
      a.assertSame("scalar in place");
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1024, 4096})
  void addConstantsStrided(int n) {
    RnsBasis q = OpenClEquivalenceTest.bases(n).q();
    Random r = new Random(110);
    long[] values = new long[3 * q.size()];
    for (int k = 0; k < values.length; k++) {
      values[k] = Math.floorMod(r.nextLong(), q.modulus(k % q.size()).value());
    }
    try (Twin a = Twin.random(q, 7, 111)) {
      both(be -> be.addConstants(a.r(be, 1, 3, 2), values, false));
      a.assertSame("add constants to polynomials 1, 3, 5, coefficient form");
      both(be -> be.addConstants(a.r(be, 0, 3, 3), values, true));
      a.assertSame("add constants to polynomials 0, 3, 6, NTT form");
    }
  }

  // ------------------------------------------------------------------------------------------ linear layer, tensor

  @Test
  void multiplyAccumulateStrided() {
    RnsBasis q = OpenClEquivalenceTest.bases(1024).q();
    Random r = new Random(112);
    int width = 2;
    int cols = 5;
    int rows = 3;
    int[] dense = new int[rows * cols];
    int[] sparse = new int[rows * cols];
    for (int k = 0; k < dense.length; k++) {
      dense[k] = r.nextInt(255) - 127;
      sparse[k] = k % 4 == 0 ? r.nextInt(2001) - 1000 : 0;
    }
    // Input items k: polynomials 1 + 2 (k * width + c); output items: 2 + 3 (r * width + c).
    try (Twin in = Twin.random(q, 2 * cols * width + 1, 113); Twin out = Twin.random(q, 3 * rows * width, 114)) {
      for (IntMatrix w : List.of(IntMatrix.fromDense(rows, cols, dense), IntMatrix.fromDense(rows, cols, sparse))) {
        String kind = w.density() > 0.3 ? "dense" : "sparse";
        both(be -> be.multiplyAccumulate(w, in.r(be, 1, cols * width, 2), width, out.r(be, 2, rows * width, 3)));
        out.assertSame(kind + " multiply-accumulate, strided");
        both(be -> be.multiplyAccumulate(w, in.r(be, 0, cols * width, 2), width, out.r(be, 0, rows * width, 1)));
        out.assertSame(kind + " multiply-accumulate, strided input only");
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1024, 4096})
  void tensorStrided(int n) {
    RnsBasis q = OpenClEquivalenceTest.bases(n).q();
    // Pairs of a: polynomials (0, 2), (4, 6); of b: (1, 4), (7, 10); triples of out: (1, 3, 5), (7, 9, 11).
    try (Twin a = Twin.random(q, 8, 115); Twin b = Twin.random(q, 11, 116); Twin out = Twin.random(q, 12, 117)) {
      both(be -> be.tensor(a.r(be, 0, 4, 2), b.r(be, 1, 4, 3), out.r(be, 1, 6, 2)));
      out.assertSame("tensor, strided");
      both(be -> be.tensorSquare(b.r(be, 2, 4, 2), out.r(be, 0, 6, 2)));
      out.assertSame("tensor square, strided");
    }
  }

  // ------------------------------------------------------------------------------------------ base changes

  @ParameterizedTest
  @ValueSource(ints = {1024, 4096})
  void baseChangesStrided(int n) {
    OpenClEquivalenceTest.Bases bs = OpenClEquivalenceTest.bases(n);
    BaseConverter conv = new BaseConverter(bs.q(), bs.p());
    RnsBasis joined = bs.q().concat(bs.p());
    try (Twin in = Twin.random(bs.q(), 6, 118); Twin ext = Twin.random(joined, 7, 119); Twin toP = Twin.random(bs.p(), 7, 120)) {
      both(be -> be.extendBase(conv, in.r(be, 1, 3, 2), ext.r(be, 0, 3, 3)));
      ext.assertSame("extend base, strided");
      both(be -> be.convertBase(conv, in.r(be, 0, 2, 3), toP.r(be, 1, 2, 4)));
      toP.assertSame("convert base, strided");
      RnsScaler mul = RnsScaler.forMultiplication(bs.q(), bs.p(), Modulus.of(65537));
      both(be -> be.scaleAndRound(mul, ext.r(be, 1, 3, 2), toP.r(be, 0, 3, 3)));
      toP.assertSame("scale and round (multiplication), strided");
      RnsScaler dec = RnsScaler.forDecryption(bs.q(), Modulus.of(65537));
      try (Twin plain = Twin.random(dec.output(), 5, 121)) {
        both(be -> be.scaleAndRound(dec, in.r(be, 1, 2, 4), plain.r(be, 0, 2, 3)));
        plain.assertSame("scale and round (decryption), strided");
      }
      try (Twin dropped = Twin.random(joined.prefix(joined.size() - 1), 6, 122)) {
        both(be -> be.dropLastModulus(ext.r(be, 2, 2, 4), dropped.r(be, 1, 2, 3)));
        dropped.assertSame("drop last modulus, strided");
      }
    }
  }

  // ------------------------------------------------------------------------------------------ key switching

  @ParameterizedTest
  @ValueSource(ints = {1024, 4096})
  void keySwitchStrided(int n) {
    OpenClEquivalenceTest.Bases bs = OpenClEquivalenceTest.bases(n);
    RnsBasis k = bs.keyBasis();
    for (OpenClBackend device : new OpenClBackend[] {gpu, smallBlock, tinyScratch}) {
      String path = device == gpu ? "fused" : device == smallBlock ? "global-stage NTT" : "one digit per chunk";
      // The key as the odd polynomials of a larger buffer; digits as component 2 of size-3 ciphertexts.
      try (Twin key = Twin.random(device, k, 4 * k.size(), 123)) {
        for (int level : new int[] {bs.q().size(), 2}) {
          RnsBasis basis = bs.q().prefix(level);
          try (Twin digits = Twin.random(device, basis, 9, 124 + level); Twin out = Twin.random(device, basis, 13, 126 + level)) {
            both(device, be -> be.keySwitch(digits.r(be, 2, 3, 3), key.r(be, 1, 2 * k.size(), 2), out.r(be, 1, 6, 2)));
            out.assertSame("key switch at " + level + " primes, strided (" + path + ")");
            both(device, be -> be.keySwitch(digits.r(be, 0, 2, 4), key.r(be, 0, 2 * k.size(), 1), out.r(be, 0, 4, 3)));
            out.assertSame("key switch at " + level + " primes, strided output (" + path + ")");
          }
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------ overlap rules

  @Test
  void overlapRulesFollowPolynomialsNotSpans() {
    RnsBasis q = OpenClEquivalenceTest.bases(1024).q();
    try (Twin a = Twin.random(q, 7, 127); Twin other = Twin.random(q, 6, 128)) {
      // Allowed: interleaved but disjoint, exact aliasing, and sharing polynomials only at the same k.
      both(be -> be.add(a.r(be, 0, 3, 2), a.r(be, 1, 3, 2), a.r(be, 0, 3, 2)));
      both(be -> be.multiplyBroadcast(a.r(be, 2, 2, 3), a.r(be, 1, 1, 1), a.r(be, 0, 2, 3)));
      both(be -> be.negate(a.r(be, 0, 2, 2), a.r(be, 0, 2, 1)));
      both(be -> be.multiplyBroadcast(a.r(be, 3, 1, 1), a.r(be, 3, 1, 1), a.r(be, 3, 1, 1)));
      both(be -> be.tensor(other.r(be, 0, 2, 2), a.r(be, 1, 2, 2), a.r(be, 0, 3, 2)));
      a.assertSame("allowed aliasing");

      // Rejected: a polynomial written as output k while read as input k' != k.
      expectShape(() -> gpu.negate(a.r(gpu, 0, 3, 2), a.r(gpu, 2, 3, 2)));
      expectShape(() -> gpu.add(a.r(gpu, 0, 3, 2), other.r(gpu, 0, 3, 2), a.r(gpu, 0, 3, 1)));
      expectShape(() -> gpu.copy(a.r(gpu, 0, 3, 2), a.r(gpu, 2, 3, 2)));
      expectShape(() -> gpu.multiply(a.r(gpu, 1, 2, 3), a.r(gpu, 1, 2, 3), a.r(gpu, 4, 2, 1)));
      // A broadcast operand is read by every item, so it may be no output polynomial of a longer run.
      expectShape(() -> gpu.multiplyBroadcast(a.r(gpu, 0, 3, 2), a.r(gpu, 0, 1, 1), a.r(gpu, 0, 3, 2)));
      expectShape(() -> gpu.multiplyBroadcast(other.r(gpu, 0, 3, 1), a.r(gpu, 4, 1, 1), a.r(gpu, 0, 3, 2)));
      expectShape(() -> gpu.tensor(other.r(gpu, 0, 2, 2), a.r(gpu, 0, 2, 2), a.r(gpu, 2, 3, 2)));
      try (Twin digits = Twin.random(q, 6, 129); Twin key = Twin.random(OpenClEquivalenceTest.bases(1024).keyBasis(), 8, 130)) {
        expectShape(() -> gpu.keySwitch(digits.r(gpu, 0, 2, 3), key.r(gpu, 0, 8, 1), digits.r(gpu, 1, 4, 1)));
      }
      // Nothing was written by the rejected calls.
      a.assertSame("after rejected calls");
    }
  }

  @Test
  void sharedPolynomialSearch() {
    RnsBasis q = OpenClEquivalenceTest.bases(1024).q();
    try (PolyBuffer b = gpu.allocate(q, 20); PolyBuffer c = gpu.allocate(q, 20)) {
      assertEquals(-1, OpenClBackend.firstShared(b.range(0, 5, 2), b.range(1, 5, 2), false));
      assertEquals(-1, OpenClBackend.firstShared(b.range(0, 5, 2), c.range(0, 5, 2), false));
      assertEquals(2, OpenClBackend.firstShared(b.range(0, 5, 2), b.range(4, 3, 1), false));
      assertEquals(-1, OpenClBackend.firstShared(b.range(0, 5, 2), b.range(0, 5, 2), true));
      assertEquals(1, OpenClBackend.firstShared(b.range(0, 5, 2), b.range(0, 5, 1), true));
      assertEquals(0, OpenClBackend.firstShared(b.range(6, 2, 6), b.range(0, 4, 3), true));
      assertEquals(-1, OpenClBackend.firstShared(b.range(1, 3, 6), b.range(0, 5, 3), false));
      assertEquals(-1, OpenClBackend.firstShared(b.range(0, 0, 1), b.range(0, 5, 1), false));
    }
  }
}
