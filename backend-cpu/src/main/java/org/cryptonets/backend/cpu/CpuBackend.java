package org.cryptonets.backend.cpu;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.BaseConverter;
import org.cryptonets.engine.EngineException;
import org.cryptonets.engine.IntMatrix;
import org.cryptonets.engine.Modulus;
import org.cryptonets.engine.PlainPreservingSwitch;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PolyRange;
import org.cryptonets.engine.ResidueWriter;
import org.cryptonets.engine.RnsBasis;
import org.cryptonets.engine.RnsScaler;

/**
 * The CPU backend: heap buffers, work split across a fork-join pool by (polynomial, limb) or by
 * coefficient chunks, and limb loops on the Java Vector API ({@link VectorKernels}) or plain Java
 * ({@link ScalarKernels}), which agree bit for bit.
 *
 * <p>System properties: {@code cryptonets.threads} (default: available processors),
 * {@code cryptonets.cpu.vector} ({@code true} by default when the {@code jdk.incubator.vector}
 * module is present; {@code false} forces the scalar path).
 *
 * <p>Thread-safe for calls that write disjoint buffers. Throws {@link EngineException} as described
 * by {@link Backend}.
 */
public final class CpuBackend implements Backend {
  public static final String THREADS_PROPERTY = "cryptonets.threads";
  public static final String VECTOR_PROPERTY = "cryptonets.cpu.vector";
  public static final String WARMUP_PROPERTY = "cryptonets.cpu.warmup";
  /** {@code false} leaves out the JIT directive of {@link CompilerDirectives} (for comparisons). */
  public static final String DIRECTIVES_PROPERTY = "cryptonets.cpu.directives";
  private static final int CHUNK = 512;
  /** Coefficients per base-conversion step: all limbs of a chunk stay in L1. */
  private static final int CONVERT_CHUNK = 256;

  private final int threads;
  private final LimbKernels kernels;
  private final ForkJoinPool pool;
  /** Recycled buffer memory, at most half the maximum heap (property cryptonets.cpu.poolBytes). */
  private final PolyArrayPool arrays = new PolyArrayPool(Long.getLong("cryptonets.cpu.poolBytes", Runtime.getRuntime().maxMemory() / 2));
  private static final Object WARM_UP_LOCK = new Object();
  /** True once a vector backend of this JVM has run {@link #warmUp}; guarded by WARM_UP_LOCK. */
  private static boolean warmedUp;
  /** Completed warm-ups in this JVM (for tests); guarded by WARM_UP_LOCK. */
  private static int warmUps;
  /** Set by {@link #close}: every buffer of this backend is invalid from then on. */
  private volatile boolean closed;

  CpuBackend(int threads, boolean vector) {
    if (threads < 1) {
      throw new EngineException(EngineException.Code.INVALID_ARGUMENT, "thread count " + threads + " must be at least 1");
    }
    this.threads = threads;
    this.kernels = vector ? VectorKernels.INSTANCE : ScalarKernels.INSTANCE;
    this.pool = threads > 1 ? new ForkJoinPool(threads) : null;
    if (vector && !"false".equals(System.getProperty(DIRECTIVES_PROPERTY))) {
      CompilerDirectives.install();
    }
  }

  /**
   * Runs every vector kernel and the backend's operations on small data until the JIT has compiled
   * them: Vector API code that is still interpreted allocates an object per operation and runs
   * orders of magnitude slower, so without this the first layer of a network pays seconds. Once per
   * JVM (compiled code is shared by every instance; a second warm-up in a warm JVM still took about
   * a second), and only for the vector path; {@value #WARMUP_PROPERTY}{@code =false} skips it.
   * Takes about 4 s in a fresh JVM on the 2-core development machine.
   */
  @Override
  public void warmUp() {
    if (closed) {
      throw new EngineException(EngineException.Code.BUFFER_INVALID, "the CPU backend is closed");
    }
    if (kernels != VectorKernels.INSTANCE || "false".equals(System.getProperty(WARMUP_PROPERTY))) {
      return;
    }
    synchronized (WARM_UP_LOCK) {
      if (!warmedUp) {
        runWarmUp();
        warmedUp = true;
        warmUps++;
      }
    }
  }

  /** How many times this JVM's warm-up has run: 0 or 1 (for tests). */
  static int warmUps() {
    synchronized (WARM_UP_LOCK) {
      return warmUps;
    }
  }

  private void runWarmUp() {
    int n = 1024;
    java.util.List<Long> primes = org.cryptonets.engine.PrimeGenerator.nttPrimes(31, n, 4, java.util.Set.of());
    RnsBasis q = RnsBasis.of(n, primes.get(0), primes.get(1));
    RnsBasis p = RnsBasis.of(n, primes.get(2), primes.get(3));
    Modulus m = q.modulus(0);
    BaseConverter conv = new BaseConverter(q, p);
    RnsScaler scaler = RnsScaler.forMultiplication(q, p, Modulus.of(org.cryptonets.engine.PrimeGenerator.nttPrimes(20, n, 1, java.util.Set.of()).get(0)));
    long[] a = new long[4 * n];
    long[] b = new long[4 * n];
    long[] c = new long[4 * n];
    for (int j = 0; j < a.length; j++) {
      a[j] = (j * 7919L) % m.value();
      b[j] = (j * 104729L) % m.value();
    }
    long qv = m.value();
    // 12 rows: the 8- and 4-row double blocks; 25 coefficients: pair, single-vector and scalar tails.
    long[][] denseSrc = {a, b, a, b};
    double[] denseWeights = new double[4 * 12];
    for (int k = 0; k < denseWeights.length; k++) {
      denseWeights[k] = k % 127 - 63;
    }
    long[] denseAcc = new long[12 * 32];
    // three sparse rows of 5, 0 and 3 taps over four packed strips of 64
    double[] packedWarm = new double[256];
    int[] sparseStart = {0, 5, 5, 8};
    int[] sparseCols = {0, 1, 2, 3, 0, 1, 3, 2};
    double[] sparseWeights = {3, -5, 7, 63, -63, 1, 2, -9};
    long[] sparseInitial = {1, 2, 3};
    for (int it = 0; it < 1500; it++) {
      java.util.Arrays.fill(denseAcc, 0);
      kernels.accumulateDense(denseAcc, 0, 32, 12, denseWeights, 0, 4, denseSrc, 0, 25, 1L << 40);
      kernels.accumulateDense(denseAcc, 0, 32, 5, denseWeights, 0, 4, denseSrc, 0, 8, 1L << 60);
      kernels.add(a, 0, b, 0, c, 0, 256, qv);
      kernels.subtract(a, 0, b, 0, c, 0, 256, qv);
      kernels.negate(a, 0, c, 0, 256, qv);
      kernels.multiply(a, 0, b, 0, c, 0, 256, m);
      kernels.multiplyAdd(a, 0, b, 0, c, 0, 256, m);
      kernels.multiplyConstant(a, 0, 12345, m.shoup(12345), c, 0, 256, qv);
      kernels.accumulate(c, 0, a, 0, -17, 256);
      kernels.reduceSigned(c, 0, c, 0, 256, qv);
      kernels.reduceBounded(c, 0, c, 0, 256, m);
      kernels.dropLast(a, 0, b, 0, q.modulus(1).value(), c, 0, 256, qv, q.lastInverse()[0], q.lastInverseShoup()[0]);
      kernels.packDoubles(a, 0, packedWarm, 0, 256);
      kernels.sparseRowsPacked(packedWarm, 0, 64, sparseStart, sparseCols, sparseWeights, sparseInitial, 0, 3, c, 64);
    }
    for (int it = 0; it < 300; it++) {
      System.arraycopy(a, 0, c, 0, n);
      kernels.forwardNtt(c, 0, q.ntt(0));
      kernels.inverseNtt(c, 0, q.ntt(0));
      kernels.convertBase(conv, a, 0, c, 0, n, 0, 256);
      kernels.scaleAndRound(scaler, a, 0, c, 0, n, 0, 256);
    }
    warmUpOperations(q, p, conv, scaler);
  }

  /**
   * Runs the backend's own operations, whose task lambdas are compiled separately from the
   * kernels: until C2 compiles a lambda, its tier-1 code runs every inlined vector operation as a
   * heap object, about a hundred times slower (a CryptoNet's first layer spent over a second so).
   * Both the dense and the sparse layer paths are exercised, and the fused linear-then-square step
   * (without it, a fresh JVM's first conv1 step took 2.2-2.6 s instead of about 1.1 s).
   */
  private void warmUpOperations(RnsBasis q, RnsBasis p, BaseConverter conv, RnsScaler scaler) {
    int cols = 16;
    int[] dense = new int[8 * cols];
    int[] sparse = new int[8 * cols];
    for (int k = 0; k < dense.length; k++) {
      dense[k] = (k * 37) % 129 - 64;
      sparse[k] = k % 9 == 0 ? dense[k] | 1 : 0;
    }
    IntMatrix denseW = IntMatrix.fromDense(8, cols, dense);
    IntMatrix sparseW = IntMatrix.fromDense(8, cols, sparse);
    RnsBasis qp = q.concat(p);
    try (PolyBuffer in = allocate(q, 3 * cols); PolyBuffer out = allocate(q, 3 * 8); PolyBuffer ext = allocate(qp, 2 * 4);
        PolyBuffer prod = allocate(qp, 3 * 4); PolyBuffer scaled = allocate(p, 3 * 4); PolyBuffer back = allocate(q, 3 * 4);
        PolyBuffer dropped = allocate(q.prefix(1), 3 * 4); PolyBuffer key = allocate(q, 2 * q.size()); PolyBuffer switched = allocate(q, 2 * 4)) {
      long[] host = new long[(int) in.all().hostLength()];
      for (int k = 0; k < host.length; k++) {
        host[k] = (k * 2654435761L) % q.modulus((k / q.n()) % q.size()).value();
      }
      upload(host, in.all());
      BaseConverter pToQ = new BaseConverter(p, q);
      long[] constants = new long[8 * q.size()];
      PlainPreservingSwitch bgvSwitch = new PlainPreservingSwitch(q, 65537);
      for (int it = 0; it < 400; it++) {
        multiplyAccumulate(denseW, in.all(), 3, out.all());
        multiplyAccumulate(sparseW, in.all(), 3, out.all());
        extendBaseFromNtt(conv, in.range(0, 8), ext.all());
        tensorSquare(ext.all(), prod.all());
        inverseNtt(prod.all());
        scaleAndRound(scaler, prod.all(), scaled.all());
        convertBase(pToQ, scaled.all(), back.all());
        dropLastModulus(back.all(), dropped.all());
        dropLastModulusNtt(bgvSwitch, back.range(0, 4), dropped.range(0, 4));
        keySwitch(in.range(0, 4), in.range(0, 2 * q.size()), switched.all());
        keySwitchFromNtt(in.range(0, 4), in.range(0, 2 * q.size()), switched.all());
        multiplyAccumulateSquare(sparseW, in.range(0, 2 * cols), constants, out.all());
        add(in.range(0, 4), in.range(4, 4), out.range(0, 4));
        multiply(in.range(0, 4), in.range(4, 4), out.range(0, 4));
      }
    }
  }

  /** A backend with explicit settings; {@code vector} needs the jdk.incubator.vector module. */
  public static CpuBackend create(int threads, boolean vector) {
    if (vector && !vectorModulePresent()) {
      throw new EngineException(
          EngineException.Code.BACKEND_UNAVAILABLE, "the vector path needs the JVM flag --add-modules jdk.incubator.vector");
    }
    return new CpuBackend(threads, vector);
  }

  static CpuBackend fromSystemProperties() {
    String t = System.getProperty(THREADS_PROPERTY);
    int threads;
    try {
      threads = t == null ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(t.trim());
    } catch (NumberFormatException e) {
      throw new EngineException(EngineException.Code.INVALID_ARGUMENT, THREADS_PROPERTY + "='" + t + "' is not a whole number of threads");
    }
    String v = System.getProperty(VECTOR_PROPERTY);
    boolean vector = v == null ? vectorModulePresent() : Boolean.parseBoolean(v.trim());
    return create(threads, vector);
  }

  public static boolean vectorModulePresent() {
    return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
  }

  @Override
  public String name() {
    return "cpu";
  }

  @Override
  public String device() {
    return "CPU, " + threads + " thread(s), " + kernels.describe() + ", " + System.getProperty("os.arch");
  }

  PolyArrayPool pool() {
    return arrays;
  }

  public int threads() {
    return threads;
  }

  public boolean vectorized() {
    return kernels instanceof VectorKernels;
  }

  private void parallel(int tasks, IntConsumer body) {
    if (pool == null || tasks == 1) {
      for (int k = 0; k < tasks; k++) {
        body.accept(k);
      }
      return;
    }
    // Checked up front as well: ForkJoinTask.get on JDK 25 returns a task that finished before the
    // wait without looking at the caller's interrupt flag.
    if (Thread.currentThread().isInterrupted()) {
      throw new EngineException(EngineException.Code.DEVICE_FAILURE, "interrupted");
    }
    try {
      pool.submit(() -> IntStream.range(0, tasks).parallel().forEach(body)).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EngineException(EngineException.Code.DEVICE_FAILURE, "interrupted", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException) {
        throw (RuntimeException) c;
      }
      throw new EngineException(EngineException.Code.DEVICE_FAILURE, "worker failed", c);
    }
  }

  private CpuPolyBuffer own(PolyRange r) {
    PolyBuffer b = r.buffer();
    if (!(b instanceof CpuPolyBuffer) || b.backend() != this) {
      throw new EngineException(EngineException.Code.BUFFER_INVALID, "buffer " + r + " belongs to another backend");
    }
    if (closed) {
      throw new EngineException(EngineException.Code.BUFFER_INVALID, "buffer " + r + " belongs to a closed backend");
    }
    return (CpuPolyBuffer) b;
  }

  private static void sameShape(PolyRange a, PolyRange b) {
    a.requireSameShape(b);
  }

  private static void expect(PolyRange r, RnsBasis basis, int count, String what) {
    r.require(basis, count, what);
  }

  @Override
  public PolyBuffer allocate(RnsBasis basis, int polys) {
    if (polys < 0) {
      throw new EngineException(EngineException.Code.INVALID_ARGUMENT, "negative polynomial count " + polys);
    }
    if (polys < PARALLEL_ZEROING || pool == null) {
      return new CpuPolyBuffer(this, basis, polys);
    }
    // Large buffers (a layer's outputs: 845 x 3 polynomials of 6 limbs is 1 GB) zero their recycled
    // arrays on all threads: zeroing on the caller's thread was most of the time between layers.
    long[][] data = new long[polys][];
    int[] recycled = new int[polys];
    int count = takeArrays(basis, data, recycled);
    if (count > 0) {
      parallel(count, k -> java.util.Arrays.fill(data[recycled[k]], 0));
    }
    return new CpuPolyBuffer(this, basis, data);
  }

  /** Recycled arrays as they are (their old residues stay until the caller overwrites them). */
  @Override
  public PolyBuffer allocateUninitialized(RnsBasis basis, int polys) {
    if (polys < 0) {
      throw new EngineException(EngineException.Code.INVALID_ARGUMENT, "negative polynomial count " + polys);
    }
    long[][] data = new long[polys][];
    takeArrays(basis, data, null);
    return new CpuPolyBuffer(this, basis, data);
  }

  /**
   * Fills {@code data} with recycled arrays as they are, or fresh (zero) ones where the pool has
   * none; the indices of the recycled ones go to {@code recycled} (if not null). Returns their count.
   */
  private int takeArrays(RnsBasis basis, long[][] data, int[] recycled) {
    int len = basis.size() * basis.n();
    int count = 0;
    for (int p = 0; p < data.length; p++) {
      long[] a = arrays.takeRecycled(len);
      if (a == null) {
        a = new long[len];
      } else if (recycled != null) {
        recycled[count++] = p;
      }
      data[p] = a;
    }
    return count;
  }

  /** Buffers of at least this many polynomials are zeroed in parallel. */
  private static final int PARALLEL_ZEROING = 16;

  @Override
  public void upload(long[] host, PolyRange dst) {
    CpuPolyBuffer b = own(dst);
    int len = dst.basis().size() * dst.basis().n();
    if (host.length != dst.hostLength()) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "host array of " + host.length + " values for " + dst + " (" + dst.hostLength() + ")");
    }
    int n = dst.basis().n();
    int limbs = dst.basis().size();
    // Both passes run in parallel over polynomials, and the range check is an OR-reduction that C2
    // vectorizes (v | (q - 1 - v) is negative exactly when v is outside [0, q)); the position of a
    // bad value is searched only when there is one. Measured with JDK 17 on the development VM:
    // uploading 784 polynomials of 6 limbs (one BGV encryption chunk set) took 140-200 ms, one
    // fifth of encryption, with the element-wise checked loop on one thread.
    parallel(dst.count() * limbs, k -> {
      int p = k / limbs;
      int i = k % limbs;
      checkResidues(host, p * len + i * n, n, dst.basis().modulus(i).value(), p, i);
    });
    parallel(dst.count(), p -> System.arraycopy(host, p * len, b.poly(dst.index(p)), 0, len));
  }

  /**
   * Checks that {@code a[base..base + n)} are residues in [0, q) ({@link LimbKernels#allResidues});
   * the position of a bad value is searched only when there is one.
   */
  private void checkResidues(long[] a, int base, int n, long q, int p, int i) {
    if (!kernels.allResidues(a, base, n, q)) {
      for (int j = 0; j < n; j++) {
        long v = a[base + j];
        if (v < 0 || v >= q) {
          throw new EngineException(
              EngineException.Code.VALUE_OUT_OF_RANGE, "value " + v + " at polynomial " + p + ", limb " + i + ", coefficient " + j + " is not in [0, " + q + ")");
        }
      }
    }
  }

  /**
   * Each (polynomial, limb) task reduces the polynomial's integers into its limb and transforms it
   * while the limb is in cache: no per-limb host array, no copy. BGV encryption measured in
   * BENCHMARKS.md ("encryption without staging").
   */
  @Override
  public void uploadIntegers(long[] values, PolyRange dst, boolean toNtt) {
    RnsBasis basis = dst.basis();
    int n = basis.n();
    expectIntegers(values, dst.count(), n);
    CpuPolyBuffer b = own(dst);
    boolean[] bounded = integerBounds(values, dst.count(), n, basis);
    perLimb(dst.count(), basis.size(), (p, i) -> {
      long[] target = b.poly(dst.index(p));
      reduceIntegers(values, p, bounded[p], target, i, n, basis.modulus(i));
      if (toNtt) {
        kernels.forwardNtt(target, i * n, basis.ntt(i));
      }
    });
  }

  /**
   * Limb i of polynomial p: the integers {@code values[p * n..(p + 1) * n)} reduced modulo q_i.
   * Small integers (encryption's m + t e) take the integer-only Barrett path: 0.6 against 1.0 ns
   * per value on JDK 25, 0.85 against 1.19 on JDK 17 (|v| < 2^34, 31-bit prime).
   */
  private void reduceIntegers(long[] values, int p, boolean bounded, long[] target, int i, int n, Modulus q) {
    if (bounded) {
      kernels.reduceBounded(values, p * n, target, i * n, n, q);
    } else {
      kernels.reduceSigned(values, p * n, target, i * n, n, q.value());
    }
  }

  /** SHAPE_MISMATCH unless {@code values} holds one integer per coefficient of {@code count} polynomials. */
  private static void expectIntegers(long[] values, int count, int n) {
    if (values.length != (long) count * n) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, values.length + " integers for " + count + " polynomials of n = " + n);
    }
  }

  /**
   * Checks that every value lies in (-2^62, 2^62) and says, per polynomial, whether all its values
   * are small enough for the integer-only reduction into the basis's smallest prime.
   */
  private boolean[] integerBounds(long[] values, int count, int n, RnsBasis basis) {
    // The smallest prime's bound for the integer-only reduction (|v| < 2^(2b - 2))
    int smallest = 64;
    for (int i = 0; i < basis.size(); i++) {
      smallest = Math.min(smallest, basis.modulus(i).bits());
    }
    long boundedLimit = 1L << Math.min(62, 2 * smallest - 2);
    boolean[] bounded = new boolean[count];
    parallel(count, p -> {
      // v + (2^62 - 1) and (2^62 - 1) - v are both non-negative exactly when |v| < 2^62
      long limit = (1L << 62) - 1;
      long any = 0;
      long magnitude = 0;
      for (int j = p * n; j < (p + 1) * n; j++) {
        long v = values[j];
        any |= (v + limit) | (limit - v);
        magnitude |= v ^ (v >> 63);
      }
      if (any < 0) {
        for (int j = 0; j < n; j++) {
          long v = values[p * n + j];
          if (v <= -(1L << 62) || v >= (1L << 62)) {
            throw new EngineException(EngineException.Code.VALUE_OUT_OF_RANGE, "integer " + v + " at polynomial " + p + ", coefficient " + j + " is not in (-2^62, 2^62)");
          }
        }
      }
      // every |v| <= magnitude + 1 (v ^ (v >> 63) is |v| or |v| - 1, and the OR is at least each)
      bounded[p] = magnitude < boundedLimit - 1;
    });
    return bounded;
  }

  /**
   * One task per polynomial: its generated residues are written and checked, then each limb is
   * reduced, transformed and multiplied-added while the polynomial is in cache. The three separate
   * calls streamed every ciphertext through memory three more times (the product's reads of both
   * halves and its write-back).
   */
  @Override
  public void uploadIntegersPlusProduct(long[] values, PolyRange out, PolyRange generated, ResidueWriter writer, PolyRange factor) {
    sameShape(generated, out);
    RnsBasis basis = out.basis();
    expect(factor, basis, 1, "broadcast operand");
    int n = basis.n();
    expectIntegers(values, out.count(), n);
    CpuPolyBuffer o = own(out), g = own(generated), f = own(factor);
    boolean[] bounded = integerBounds(values, out.count(), n, basis);
    long[] fp = f.poly(factor.index(0));
    parallel(out.count(), p -> {
      long[] a = g.poly(generated.index(p));
      writer.write(p, a, 0);
      long[] target = o.poly(out.index(p));
      for (int i = 0; i < basis.size(); i++) {
        Modulus q = basis.modulus(i);
        checkResidues(a, i * n, n, q.value(), p, i);
        reduceIntegers(values, p, bounded[p], target, i, n, q);
        kernels.forwardNtt(target, i * n, basis.ntt(i));
        kernels.multiplyAdd(a, i * n, fp, i * n, target, i * n, n, q);
      }
    });
  }

  /** The writer fills the buffer's own arrays, one polynomial per task, each checked in cache after. */
  @Override
  public void generate(PolyRange dst, ResidueWriter writer) {
    CpuPolyBuffer b = own(dst);
    RnsBasis basis = dst.basis();
    int n = basis.n();
    parallel(dst.count(), p -> {
      long[] target = b.poly(dst.index(p));
      writer.write(p, target, 0);
      for (int i = 0; i < basis.size(); i++) {
        checkResidues(target, i * n, n, basis.modulus(i).value(), p, i);
      }
    });
  }

  @Override
  public void download(PolyRange src, long[] host) {
    CpuPolyBuffer b = own(src);
    if (host.length != src.hostLength()) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "host array of " + host.length + " values for " + src + " (" + src.hostLength() + ")");
    }
    int len = src.basis().size() * src.basis().n();
    parallel(src.count(), p -> System.arraycopy(b.poly(src.index(p)), 0, host, p * len, len));
  }

  @Override
  public void copy(PolyRange src, PolyRange dst) {
    sameShape(src, dst);
    CpuPolyBuffer s = own(src);
    CpuPolyBuffer d = own(dst);
    int len = src.basis().size() * src.basis().n();
    parallel(src.count(), p -> System.arraycopy(s.poly(src.index(p)), 0, d.poly(dst.index(p)), 0, len));
  }

  @Override
  public void forwardNtt(PolyRange r) {
    CpuPolyBuffer b = own(r);
    RnsBasis basis = r.basis();
    int l = basis.size();
    int n = basis.n();
    parallel(r.count() * l, k -> kernels.forwardNtt(b.poly(r.index(k / l)), (k % l) * n, basis.ntt(k % l)));
  }

  @Override
  public void inverseNtt(PolyRange r) {
    CpuPolyBuffer b = own(r);
    RnsBasis basis = r.basis();
    int l = basis.size();
    int n = basis.n();
    parallel(r.count() * l, k -> kernels.inverseNtt(b.poly(r.index(k / l)), (k % l) * n, basis.ntt(k % l)));
  }

  /** Runs {@code body(p, i)} for every polynomial index p of the ranges and limb i, in parallel. */
  private void perLimb(int count, int limbs, LimbTask body) {
    parallel(count * limbs, k -> body.run(k / limbs, k % limbs));
  }

  private interface LimbTask {
    void run(int p, int i);
  }

  @Override
  public void add(PolyRange a, PolyRange b, PolyRange out) {
    sameShape(a, b);
    sameShape(a, out);
    CpuPolyBuffer x = own(a), y = own(b), z = own(out);
    int n = a.basis().n();
    perLimb(a.count(), a.basis().size(), (p, i) -> kernels.add(
        x.poly(a.index(p)), i * n, y.poly(b.index(p)), i * n, z.poly(out.index(p)), i * n, n, a.basis().modulus(i).value()));
  }

  @Override
  public void subtract(PolyRange a, PolyRange b, PolyRange out) {
    sameShape(a, b);
    sameShape(a, out);
    CpuPolyBuffer x = own(a), y = own(b), z = own(out);
    int n = a.basis().n();
    perLimb(a.count(), a.basis().size(), (p, i) -> kernels.subtract(
        x.poly(a.index(p)), i * n, y.poly(b.index(p)), i * n, z.poly(out.index(p)), i * n, n, a.basis().modulus(i).value()));
  }

  @Override
  public void negate(PolyRange a, PolyRange out) {
    sameShape(a, out);
    CpuPolyBuffer x = own(a), z = own(out);
    int n = a.basis().n();
    perLimb(a.count(), a.basis().size(), (p, i) -> kernels.negate(
        x.poly(a.index(p)), i * n, z.poly(out.index(p)), i * n, n, a.basis().modulus(i).value()));
  }

  @Override
  public void multiply(PolyRange a, PolyRange b, PolyRange out) {
    sameShape(a, b);
    sameShape(a, out);
    CpuPolyBuffer x = own(a), y = own(b), z = own(out);
    int n = a.basis().n();
    perLimb(a.count(), a.basis().size(), (p, i) -> kernels.multiply(
        x.poly(a.index(p)), i * n, y.poly(b.index(p)), i * n, z.poly(out.index(p)), i * n, n, a.basis().modulus(i)));
  }

  @Override
  public void multiplyBroadcast(PolyRange a, PolyRange b, PolyRange out) {
    broadcast(a, b, out, kernels::multiply);
  }

  @Override
  public void multiplyAddBroadcast(PolyRange a, PolyRange b, PolyRange out) {
    broadcast(a, b, out, kernels::multiplyAdd);
  }

  /** A limb kernel of the shape of LimbKernels.multiply and multiplyAdd. */
  private interface ProductKernel {
    void run(long[] a, int ao, long[] b, int bo, long[] out, int oo, int len, Modulus m);
  }

  /** {@code kernel} on every limb of a's polynomials against b's one polynomial. */
  private void broadcast(PolyRange a, PolyRange b, PolyRange out, ProductKernel kernel) {
    sameShape(a, out);
    expect(b, a.basis(), 1, "broadcast operand");
    CpuPolyBuffer x = own(a), y = own(b), z = own(out);
    int n = a.basis().n();
    long[] bp = y.poly(b.index(0));
    perLimb(a.count(), a.basis().size(), (p, i) -> kernel.run(
        x.poly(a.index(p)), i * n, bp, i * n, z.poly(out.index(p)), i * n, n, a.basis().modulus(i)));
  }

  @Override
  public void multiplyScalar(PolyRange a, long scalar, PolyRange out) {
    sameShape(a, out);
    CpuPolyBuffer x = own(a), z = own(out);
    int n = a.basis().n();
    int l = a.basis().size();
    long[] w = new long[l];
    long[] ws = new long[l];
    for (int i = 0; i < l; i++) {
      Modulus m = a.basis().modulus(i);
      w[i] = m.reduce(scalar);
      ws[i] = m.shoup(w[i]);
    }
    perLimb(a.count(), l, (p, i) -> kernels.multiplyConstant(
        x.poly(a.index(p)), i * n, w[i], ws[i], z.poly(out.index(p)), i * n, n, a.basis().modulus(i).value()));
  }

  @Override
  public void addConstants(PolyRange polys, long[] values, boolean nttForm) {
    CpuPolyBuffer x = own(polys);
    int n = polys.basis().n();
    int l = polys.basis().size();
    if (values.length != polys.count() * l) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, values.length + " constants for " + polys.count() + " polynomials of " + l + " limbs");
    }
    for (int k = 0; k < values.length; k++) {
      long q = polys.basis().modulus(k % l).value();
      if (values[k] < 0 || values[k] >= q) {
        throw new EngineException(EngineException.Code.VALUE_OUT_OF_RANGE, "constant " + values[k] + " is not in [0, " + q + ")");
      }
    }
    perLimb(polys.count(), l, (p, i) -> {
      long[] a = x.poly(polys.index(p));
      long q = polys.basis().modulus(i).value();
      long c = values[p * l + i];
      int end = nttForm ? n : 1;
      for (int j = 0; j < end; j++) {
        long s = a[i * n + j] + c - q;
        a[i * n + j] = s + ((s >> 63) & q);
      }
    });
  }

  @Override
  public void multiplyAccumulate(IntMatrix w, PolyRange in, int width, PolyRange out) {
    w.requireLayerShapes(in, width, out);
    CpuPolyBuffer x = own(in), z = own(out);
    RnsBasis basis = in.basis();
    int n = basis.n();
    int l = basis.size();
    boolean dense = w.density() > 0.3;
    // Sparse layers whose every row sum fits 2^62 run whole in registers (LimbKernels.sparseLayer);
    // others take the segmented accumulate path, which reduces between segments.
    long rowAbsMax = w.maxRowL1();
    boolean registerRows = !dense && rowAbsMax <= (1L << 62) / maxModulus(basis);
    int chunk = dense ? denseChunk(n, w.rows()) : registerRows ? Math.min(SPARSE_CHUNK, n) : Math.min(CHUNK, n);
    int chunks = n / chunk;
    int maxAbs = 1;
    for (int v : w.values()) {
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    final int maxAbsWeight = maxAbs;
    // Each term is below maxAbs * 2^31; keep the signed sum below 2^62.
    long maxTerms = Math.max(1, (1L << 62) / ((long) maxAbs << 31));
    double[] transposed = dense ? transposedWeights(w) : null;
    double[] sparseWeights = registerRows ? sparseWeights(w) : null;
    // The register path packs the strips of the inputs a layer reads: only the columns it uses
    // (conv1 arrives in blocks of 64 rows that read about 150 of the 784 inputs), renumbered.
    int[] used = registerRows ? usedColumns(w) : null;
    int[] packedCols = registerRows ? renumbered(w.columnIndex(), used, w.columns()) : null;
    long[][][] columns = dense ? new long[width][w.columns()][] : registerRows ? new long[width][used.length][] : null;
    for (int c = 0; columns != null && c < width; c++) {
      for (int k = 0; k < columns[c].length; k++) {
        columns[c][k] = x.poly(in.index((dense ? k : used[k]) * width + c));
      }
    }
    parallel(width * l * chunks, task -> {
      int c = task / (l * chunks);
      int i = (task / chunks) % l;
      int j0 = (task % chunks) * chunk;
      Modulus qm = basis.modulus(i);
      // The integer-only reduction needs |acc| < 2^(2b-2); fall back to the wide one otherwise. At
      // least two terms: after a flush the reduced accumulator counts as one.
      long boundedTerms = ((1L << (2 * qm.bits() - 2)) / qm.value()) / maxAbsWeight;
      boolean bounded = boundedTerms >= 2;
      long limbMaxTerms = bounded ? Math.min(maxTerms, boundedTerms) : maxTerms;
      LayerTask t = new LayerTask(w, x, in, z, out, width, c, qm, i * n + j0, chunk, limbMaxTerms, bounded);
      if (dense) {
        t.runDense(transposed, columns[c], (long) maxAbsWeight * qm.value());
      } else if (registerRows) {
        t.runSparseRegisters(packedCols, sparseWeights, columns[c], rowAbsMax * (qm.value() - 1));
      } else {
        t.runSparse();
      }
    });
  }

  /**
   * Fused for sparse layers whose row sums stay below 2^51 (conv1): each task takes one limb and a
   * block of {@link #FUSED_BLOCK} coefficients, packs that block of every input pair as doubles
   * once, and runs all rows over it, {@link #FUSED_ROWS} at a time: sums in registers, reduced,
   * squared and stored. Each input is read once per layer and the layer's output never leaves the
   * cache. The default, 64 rows at a time, read every input about 2.5 times over (each block of 64
   * conv1 rows reads about 150 of the 784 inputs) and wrote and re-read the linear output, 3 GB
   * and 1.3 GB per batch of two plaintext primes. Dense layers, and sums that could pass 2^51, take
   * the default.
   */
  @Override
  public void multiplyAccumulateSquare(IntMatrix w, PolyRange in, long[] constants, PolyRange out) {
    Backend.requireLinearSquareShapes(w, in, constants, out);
    RnsBasis basis = in.basis();
    int n = basis.n();
    int l = basis.size();
    long rowAbsMax = w.maxRowL1();
    long maxQ = maxModulus(basis);
    boolean fused = w.density() <= 0.3 && n % FUSED_BLOCK == 0 && rowAbsMax < (1L << 51) / maxQ - 1;
    if (!fused) {
      Backend.super.multiplyAccumulateSquare(w, in, constants, out);
      return;
    }
    CpuPolyBuffer x = own(in), z = own(out);
    int[] used = usedColumns(w);
    int[] packedCols = renumbered(w.columnIndex(), used, w.columns());
    double[] weights = sparseWeights(w);
    long[][] x0 = new long[used.length][];
    long[][] x1 = new long[used.length][];
    for (int k = 0; k < used.length; k++) {
      x0[k] = x.poly(in.index(2 * used[k]));
      x1[k] = x.poly(in.index(2 * used[k] + 1));
    }
    long[][] initial = new long[l + 1][w.rows()];
    for (int r = 0; r < w.rows(); r++) {
      for (int i = 0; i < l; i++) {
        initial[i][r] = constants[r * l + i];
      }
    }
    int span = Math.min(n, FUSED_SPAN);
    int spans = n / span;
    parallel(l * spans, task -> new LinearSquareTask(w, packedCols, weights, x0, x1, initial[task / spans], initial[l], z, out,
        basis.modulus(task / spans), (task / spans) * n + (task % spans) * span, rowAbsMax).run(span));
  }

  /** Coefficients per packed block of the fused linear-then-square step: 784 input pairs packed are 800 KB. */
  static final int FUSED_BLOCK = 64;

  /**
   * Coefficients per task of the fused step, run as consecutive blocks: a task's blocks write the
   * same 3 x 845 output polynomials, whose array headers (read for every copy's bounds check) can
   * then come from cache; with one block per task, reading them was 17 % of a profile of the step.
   * The end-to-end difference was within the VM's noise, as were packing a whole span at once and
   * blocks of 128 or 256 coefficients.
   */
  static final int FUSED_SPAN = 512;

  /** Rows per inner step of the fused linear-then-square step: 16 rows of a block are 8 KB per component. */
  static final int FUSED_ROWS = 16;

  /** One (limb, coefficient block) of {@link #multiplyAccumulateSquare}; its own compilation unit. */
  private final class LinearSquareTask {
    private final IntMatrix w;
    private final int[] cols;
    private final double[] weights;
    private final long[][] x0;
    private final long[][] x1;
    private final long[] initial0;
    private final long[] initial1;
    private final CpuPolyBuffer z;
    private final PolyRange out;
    private final Modulus qm;
    private final int off;
    private final boolean bounded;

    LinearSquareTask(IntMatrix w, int[] cols, double[] weights, long[][] x0, long[][] x1, long[] initial0, long[] initial1, CpuPolyBuffer z,
        PolyRange out, Modulus qm, int off, long rowAbsMax) {
      this.w = w;
      this.cols = cols;
      this.weights = weights;
      this.x0 = x0;
      this.x1 = x1;
      this.initial0 = initial0;
      this.initial1 = initial1;
      this.z = z;
      this.out = out;
      this.qm = qm;
      this.off = off;
      // |sum| <= rowAbsMax (q - 1) + q: the integer-only reduction applies below 2^(2b-2)
      this.bounded = (rowAbsMax + 1) * qm.value() < (1L << (2 * qm.bits() - 2));
    }

    void run(int span) {
      for (int j = 0; j < span; j += FUSED_BLOCK) {
        block(off + j);
      }
    }

    private void block(int at) {
      int b = FUSED_BLOCK;
      int inputs = x0.length;
      double[] packed = ThreadScratch.doubles(0, 2 * inputs * b);
      for (int k = 0; k < inputs; k++) {
        kernels.packDoubles(x0[k], at, packed, k * b, b);
        kernels.packDoubles(x1[k], at, packed, (inputs + k) * b, b);
      }
      long q = qm.value();
      int rows = w.rows();
      long[] y0 = ThreadScratch.get(0, FUSED_ROWS * b);
      long[] y1 = ThreadScratch.get(1, FUSED_ROWS * b);
      long[] cross = ThreadScratch.get(2, FUSED_ROWS * b);
      int[] rowStart = w.rowStart();
      for (int r0 = 0; r0 < rows; r0 += FUSED_ROWS) {
        int r1 = Math.min(rows, r0 + FUSED_ROWS);
        int len = (r1 - r0) * b;
        kernels.sparseRowsPacked(packed, 0, b, rowStart, cols, weights, initial0, r0, r1, y0, b);
        kernels.sparseRowsPacked(packed, inputs * b, b, rowStart, cols, weights, initial1, r0, r1, y1, b);
        reduce(y0, len);
        reduce(y1, len);
        kernels.multiply(y0, 0, y1, 0, cross, 0, len, qm);
        kernels.add(cross, 0, cross, 0, cross, 0, len, q);
        kernels.multiply(y0, 0, y0, 0, y0, 0, len, qm);
        kernels.multiply(y1, 0, y1, 0, y1, 0, len, qm);
        for (int r = r0; r < r1; r++) {
          int s = (r - r0) * b;
          System.arraycopy(y0, s, z.poly(out.index(3 * r)), at, b);
          System.arraycopy(cross, s, z.poly(out.index(3 * r + 1)), at, b);
          System.arraycopy(y1, s, z.poly(out.index(3 * r + 2)), at, b);
        }
      }
    }

    private void reduce(long[] a, int len) {
      if (bounded) {
        kernels.reduceBounded(a, 0, a, 0, len, qm);
      } else {
        kernels.reduceSigned(a, 0, a, 0, len, qm.value());
      }
    }
  }

  private static long maxModulus(RnsBasis basis) {
    long max = 0;
    for (int i = 0; i < basis.size(); i++) {
      max = Math.max(max, basis.modulus(i).value());
    }
    return max;
  }

  /** The distinct column indices of {@code w}, ascending. */
  static int[] usedColumns(IntMatrix w) {
    boolean[] seen = new boolean[w.columns()];
    for (int k : w.columnIndex()) {
      seen[k] = true;
    }
    int count = 0;
    for (boolean b : seen) {
      count += b ? 1 : 0;
    }
    int[] out = new int[count];
    for (int k = 0, i = 0; k < seen.length; k++) {
      if (seen[k]) {
        out[i++] = k;
      }
    }
    return out;
  }

  /** Each column index replaced by its position in {@code used}. */
  static int[] renumbered(int[] cols, int[] used, int columns) {
    int[] position = new int[columns];
    for (int i = 0; i < used.length; i++) {
      position[used[i]] = i;
    }
    int[] out = new int[cols.length];
    for (int e = 0; e < cols.length; e++) {
      out[e] = position[cols[e]];
    }
    return out;
  }

  /** The CSR values as doubles (small integers, exact), for {@link LimbKernels#sparseLayer}. */
  static double[] sparseWeights(IntMatrix w) {
    int[] val = w.values();
    double[] out = new double[val.length];
    for (int e = 0; e < val.length; e++) {
      out[e] = val[e];
    }
    return out;
  }

  /**
   * Coefficients per sparse-layer task on the register path: the strips of all 784 inputs of conv1,
   * packed as doubles, take 784 x 256 x 8 = 1.6 MB, within a core's L2 on the machines measured.
   */
  private static final int SPARSE_CHUNK = 256;

  /**
   * Coefficients per dense-layer task: the accumulators of all rows of a chunk (rows x chunk longs)
   * stay within 512 KB of per-thread scratch, so the micro-kernel's register blocks never spill to
   * memory further than L2.
   */
  static int denseChunk(int n, int rows) {
    int chunk = Math.min(CHUNK, n);
    while (chunk > 16 && (long) rows * chunk > DENSE_ACC_LONGS) {
      chunk >>= 1;
    }
    return chunk;
  }

  private static final int DENSE_ACC_LONGS = 1 << 16;

  /** wt[k * rows + r] = w[r][k]: the weights one input meets, contiguous for the micro-kernel. */
  static double[] transposedWeights(IntMatrix w) {
    int rows = w.rows();
    double[] wt = new double[rows * w.columns()];
    int[] start = w.rowStart();
    int[] col = w.columnIndex();
    int[] val = w.values();
    for (int r = 0; r < rows; r++) {
      for (int e = start[r]; e < start[r + 1]; e++) {
        wt[col[e] * rows + r] = val[e];
      }
    }
    return wt;
  }

  /**
   * One (ciphertext component, limb, coefficient chunk) of a layer. Kept out of the task lambda so
   * each path is its own small compilation unit: one large lambda exhausted C2's inlining budget
   * and left the last vector operation of a reduction un-intrinsified, boxing every vector.
   */
  private final class LayerTask {
    private final IntMatrix w;
    private final CpuPolyBuffer x;
    private final PolyRange in;
    private final CpuPolyBuffer z;
    private final PolyRange out;
    private final int width;
    private final int c;
    private final Modulus qm;
    private final int off;
    private final int chunk;
    private final long limbMaxTerms;
    private final boolean bounded;

    LayerTask(IntMatrix w, CpuPolyBuffer x, PolyRange in, CpuPolyBuffer z, PolyRange out, int width, int c, Modulus qm, int off, int chunk,
        long limbMaxTerms, boolean bounded) {
      this.w = w;
      this.x = x;
      this.in = in;
      this.z = z;
      this.out = out;
      this.width = width;
      this.c = c;
      this.qm = qm;
      this.off = off;
      this.chunk = chunk;
      this.limbMaxTerms = limbMaxTerms;
      this.bounded = bounded;
    }

    /**
     * All rows of this chunk through {@link LimbKernels#accumulateDense}, in segments of inputs short
     * enough that no partial sum passes the proven bound; between segments the accumulators are
     * reduced (a reduced value counts as one term). With CryptoNets weights (|w| < 64) and 31-bit
     * primes a whole layer of 845 inputs is one segment.
     *
     * @param wt the transposed weights, see {@link #transposedWeights}
     * @param src the input polynomials of this ciphertext component, by column
     * @param unit the bound of one term, max |w| * q
     */
    void runDense(double[] wt, long[][] src, long unit) {
      int rows = w.rows();
      int cols = w.columns();
      long q = qm.value();
      long[] acc = ThreadScratch.get(0, rows * chunk);
      java.util.Arrays.fill(acc, 0, rows * chunk, 0);
      long carried = 0;
      for (int k = 0; k < cols; ) {
        int terms = (int) Math.min(cols - k, limbMaxTerms - carried);
        kernels.accumulateDense(acc, 0, chunk, rows, wt, k, k + terms, src, off, chunk, (terms + carried) * unit);
        k += terms;
        if (k < cols) {
          kernels.reduceSigned(acc, 0, acc, 0, rows * chunk, q);
          carried = 1;
        }
      }
      for (int r = 0; r < rows; r++) {
        store(acc, r * chunk, z.poly(out.index(r * width + c)));
      }
    }

    /** All rows of this chunk through {@link LimbKernels#sparseLayer}; {@code bound} is max row |w| sum times (q - 1). */
    void runSparseRegisters(int[] cols, double[] weights, long[][] src, long bound) {
      long[][] dst = new long[w.rows()][];
      for (int r = 0; r < dst.length; r++) {
        dst[r] = z.poly(out.index(r * width + c));
      }
      kernels.sparseLayer(dst, off, w.rowStart(), cols, weights, src, off, chunk, qm, bound);
    }

    void runSparse() {
      long q = qm.value();
      long[] acc = ThreadScratch.get(0, chunk);
      int[] start = w.rowStart();
      int[] col = w.columnIndex();
      int[] val = w.values();
      for (int r = 0; r < w.rows(); r++) {
        java.util.Arrays.fill(acc, 0, chunk, 0);
        long terms = 0;
        for (int k = start[r]; k < start[r + 1]; k++) {
          if (++terms > limbMaxTerms) {
            kernels.reduceSigned(acc, 0, acc, 0, chunk, q);
            terms = 2;
          }
          kernels.accumulate(acc, 0, x.poly(in.index(col[k] * width + c)), off, val[k], chunk);
        }
        store(acc, 0, z.poly(out.index(r * width + c)));
      }
    }

    private void store(long[] acc, int accOff, long[] dst) {
      if (bounded) {
        kernels.reduceBounded(acc, accOff, dst, off, chunk, qm);
      } else {
        kernels.reduceSigned(acc, accOff, dst, off, chunk, qm.value());
      }
    }
  }

  @Override
  public void tensor(PolyRange a, PolyRange b, PolyRange out) {
    sameShape(a, b);
    tensorCheck(a, out);
    CpuPolyBuffer x = own(a), y = own(b), z = own(out);
    int n = a.basis().n();
    perLimb(a.count() / 2, a.basis().size(), (p, i) -> {
      Modulus m = a.basis().modulus(i);
      int o = i * n;
      long[] x0 = x.poly(a.index(2 * p)), x1 = x.poly(a.index(2 * p + 1));
      long[] y0 = y.poly(b.index(2 * p)), y1 = y.poly(b.index(2 * p + 1));
      long[] d0 = z.poly(out.index(3 * p)), d1 = z.poly(out.index(3 * p + 1)), d2 = z.poly(out.index(3 * p + 2));
      // d1 first: the outputs may alias the inputs only when a caller squares in place, not here.
      kernels.multiply(x0, o, y1, o, d1, o, n, m);
      kernels.multiplyAdd(x1, o, y0, o, d1, o, n, m);
      kernels.multiply(x0, o, y0, o, d0, o, n, m);
      kernels.multiply(x1, o, y1, o, d2, o, n, m);
    });
  }

  @Override
  public void tensorSquare(PolyRange a, PolyRange out) {
    tensorCheck(a, out);
    CpuPolyBuffer x = own(a), z = own(out);
    int n = a.basis().n();
    perLimb(a.count() / 2, a.basis().size(), (p, i) -> {
      Modulus m = a.basis().modulus(i);
      int o = i * n;
      long[] x0 = x.poly(a.index(2 * p)), x1 = x.poly(a.index(2 * p + 1));
      long[] d0 = z.poly(out.index(3 * p)), d1 = z.poly(out.index(3 * p + 1)), d2 = z.poly(out.index(3 * p + 2));
      kernels.multiply(x0, o, x1, o, d1, o, n, m);
      kernels.add(d1, o, d1, o, d1, o, n, m.value());
      kernels.multiply(x0, o, x0, o, d0, o, n, m);
      kernels.multiply(x1, o, x1, o, d2, o, n, m);
    });
  }

  private static void tensorCheck(PolyRange a, PolyRange out) {
    a.requireTensorOutput(out);
  }

  @Override
  public void extendBase(BaseConverter conv, PolyRange in, PolyRange out) {
    expect(in, conv.from(), in.count(), "base extension input");
    RnsBasis joined = conv.from().concat(conv.to());
    expect(out, joined, in.count(), "base extension output");
    CpuPolyBuffer x = own(in), z = own(out);
    int n = in.basis().n();
    int l = conv.from().size();
    parallel(in.count(), p -> {
      long[] src = x.poly(in.index(p));
      long[] dst = z.poly(out.index(p));
      System.arraycopy(src, 0, dst, 0, l * n);
      convert(conv, src, dst, l * n);
    });
  }

  @Override
  public void extendBaseFromNtt(BaseConverter conv, PolyRange in, PolyRange out) {
    expect(in, conv.from(), in.count(), "base extension input");
    RnsBasis joined = conv.from().concat(conv.to());
    expect(out, joined, in.count(), "base extension output");
    CpuPolyBuffer x = own(in), z = own(out);
    int n = in.basis().n();
    int l = conv.from().size();
    int k = conv.to().size();
    parallel(in.count(), p -> {
      long[] src = x.poly(in.index(p));
      long[] dst = z.poly(out.index(p));
      System.arraycopy(src, 0, dst, 0, l * n);
      // The copied limbs keep their NTT form; only the new limbs are transformed.
      long[] coeffs = ThreadScratch.get(1, l * n);
      System.arraycopy(src, 0, coeffs, 0, l * n);
      for (int i = 0; i < l; i++) {
        kernels.inverseNtt(coeffs, i * n, conv.from().ntt(i));
      }
      convert(conv, coeffs, dst, l * n);
      for (int j = 0; j < k; j++) {
        kernels.forwardNtt(dst, (l + j) * n, conv.to().ntt(j));
      }
    });
  }

  @Override
  public void convertBase(BaseConverter conv, PolyRange in, PolyRange out) {
    expect(in, conv.from(), in.count(), "base conversion input");
    expect(out, conv.to(), in.count(), "base conversion output");
    CpuPolyBuffer x = own(in), z = own(out);
    parallel(in.count(), p -> convert(conv, x.poly(in.index(p)), z.poly(out.index(p)), 0));
  }

  /** Converts one polynomial's limbs in {@code src} into the target limbs written at {@code dstOff}. */
  private void convert(BaseConverter conv, long[] src, long[] dst, int dstOff) {
    int n = conv.from().n();
    for (int c = 0; c < n; c += CONVERT_CHUNK) {
      kernels.convertBase(conv, src, 0, dst, dstOff, n, c, Math.min(CONVERT_CHUNK, n - c));
    }
  }

  @Override
  public void scaleAndRound(RnsScaler s, PolyRange in, PolyRange out) {
    expect(in, s.input(), in.count(), "scale-and-round input");
    expect(out, s.output(), in.count(), "scale-and-round output");
    CpuPolyBuffer x = own(in), z = own(out);
    int n = s.q().n();
    int chunks = Math.max(1, n / CONVERT_CHUNK);
    int len = n / chunks;
    parallel(in.count() * chunks, task -> {
      int p = task / chunks;
      kernels.scaleAndRound(s, x.poly(in.index(p)), 0, z.poly(out.index(p)), 0, n, (task % chunks) * len, len);
    });
  }

  @Override
  public void dropLastModulus(PolyRange in, PolyRange out) {
    RnsBasis from = in.basis();
    int l = from.size();
    if (l < 2) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "cannot drop the only prime of " + from);
    }
    expect(out, from.prefix(l - 1), in.count(), "modulus switching output");
    CpuPolyBuffer x = own(in), z = own(out);
    int n = from.n();
    long qLast = from.modulus(l - 1).value();
    perLimb(in.count(), l - 1, (p, i) -> {
      long[] src = x.poly(in.index(p));
      long[] dst = z.poly(out.index(p));
      Modulus m = from.modulus(i);
      long q = m.value();
      int last = (l - 1) * n;
      if (qLast < 2 * q) {
        kernels.dropLast(src, i * n, src, last, qLast, dst, i * n, n, q, from.lastInverse()[i], from.lastInverseShoup()[i]);
        return;
      }
      long[] tmp = ThreadScratch.get(0, n);
      for (int j = 0; j < n; j++) {
        long r = src[last + j];
        r = r > (qLast >>> 1) ? r - qLast : r;
        // (x_i - r) mod q_i with r the centred residue mod q_last: round(x / q_last) = (x - r) / q_last.
        tmp[j] = m.reduce(src[i * n + j] - r);
      }
      kernels.multiplyConstant(tmp, 0, from.lastInverse()[i], from.lastInverseShoup()[i], dst, i * n, n, q);
    });
  }

  @Override
  public void dropLastModulusNtt(PlainPreservingSwitch s, PolyRange in, PolyRange out) {
    expect(in, s.from(), in.count(), "modulus switching input");
    expect(out, s.to(), in.count(), "modulus switching output");
    CpuPolyBuffer x = own(in), z = own(out);
    // One task per polynomial: its last limb goes back to coefficient form once and its small
    // correction is transformed into every remaining prime.
    parallel(in.count(), p -> switchPreserving(s, x.poly(in.index(p)), z.poly(out.index(p))));
  }

  private void switchPreserving(PlainPreservingSwitch s, long[] src, long[] dst) {
    RnsBasis from = s.from();
    int l = from.size();
    int n = from.n();
    long[] r = ThreadScratch.get(0, n);
    long[] tmp = ThreadScratch.get(1, n);
    System.arraycopy(src, (l - 1) * n, r, 0, n);
    kernels.inverseNtt(r, 0, from.ntt(l - 1));
    s.correction(r, 0);
    long largest = from.modulus(l - 1).value() >>> 1;
    for (int i = 0; i < l - 1; i++) {
      Modulus qm = from.modulus(i);
      long q = qm.value();
      // |r| <= q_l / 2: one correction when that is below q (primes of similar size, the usual
      // case), else the integer-only Barrett path where it holds. reduceSigned's long-double
      // conversions are not intrinsified on JDK 17 and made it 40 % of BGV modulus switching there
      // (JFR).
      if (largest < q) {
        kernels.reduceSmall(r, 0, tmp, 0, n, q);
      } else if (largest < 1L << (2 * qm.bits() - 2)) {
        kernels.reduceBounded(r, 0, tmp, 0, n, qm);
      } else {
        kernels.reduceSigned(r, 0, tmp, 0, n, q);
      }
      kernels.forwardNtt(tmp, 0, from.ntt(i));
      kernels.multiplyConstant(src, i * n, s.lastInverse(i), s.lastInverseShoup(i), dst, i * n, n, q);
      kernels.multiplyConstant(tmp, 0, s.tOverLast(i), s.tOverLastShoup(i), tmp, 0, n, q);
      kernels.subtract(dst, i * n, tmp, 0, dst, i * n, n, q);
    }
  }

  @Override
  public void keySwitch(PolyRange digits, PolyRange key, PolyRange out) {
    keySwitch(digits, null, key, out);
  }

  /** Digit i under prime i is the NTT-form limb the caller holds: one forward NTT fewer per limb. */
  @Override
  public void keySwitchFromNtt(PolyRange digits, PolyRange key, PolyRange out) {
    keySwitchShapes(digits, key, out);
    try (PolyBuffer coefficients = allocateUninitialized(digits.basis(), digits.count())) {
      copy(digits, coefficients.all());
      inverseNtt(coefficients.all());
      keySwitch(coefficients.all(), digits, key, out);
    }
  }

  private static void keySwitchShapes(PolyRange digits, PolyRange key, PolyRange out) {
    RnsBasis basis = digits.basis();
    RnsBasis keyBasis = key.basis();
    if (!basis.isPrefixOf(keyBasis)) {
      throw new EngineException(EngineException.Code.SHAPE_MISMATCH, "ciphertext basis " + basis + " is not a prefix of the key basis " + keyBasis);
    }
    expect(key, keyBasis, 2 * keyBasis.size(), "key-switching key");
    expect(out, basis, 2 * digits.count(), "key-switching output");
  }

  /** {@code nttDigits}, if not null, holds the same digits in NTT form. */
  private void keySwitch(PolyRange digits, PolyRange nttDigits, PolyRange key, PolyRange out) {
    keySwitchShapes(digits, key, out);
    RnsBasis basis = digits.basis();
    CpuPolyBuffer d = own(digits), k = own(key), z = own(out);
    CpuPolyBuffer dn = nttDigits == null ? null : own(nttDigits);
    int n = basis.n();
    int l = basis.size();
    perLimb(digits.count(), l, (p, i) -> {
      Modulus m = basis.modulus(i);
      long[] src = d.poly(digits.index(p));
      long[] acc0 = z.poly(out.index(2 * p));
      long[] acc1 = z.poly(out.index(2 * p + 1));
      long[] tmp = ThreadScratch.get(0, n);
      int o = i * n;
      java.util.Arrays.fill(acc0, o, o + n, 0);
      java.util.Arrays.fill(acc1, o, o + n, 0);
      for (int j = 0; j < l; j++) {
        long[] digit;
        int at;
        if (j == i && dn != null) {
          digit = dn.poly(nttDigits.index(p));
          at = i * n;
        } else {
          // residues mod q_j reduced mod q_i: one correction when q_j < 2 q_i (primes of one size)
          if (basis.modulus(j).value() <= 2 * m.value()) {
            kernels.reduceSmall(src, j * n, tmp, 0, n, m.value());
          } else {
            kernels.reduceSigned(src, j * n, tmp, 0, n, m.value());
          }
          kernels.forwardNtt(tmp, 0, basis.ntt(i));
          digit = tmp;
          at = 0;
        }
        kernels.multiplyAdd(digit, at, k.poly(key.index(2 * j)), i * n, acc0, o, n, m);
        kernels.multiplyAdd(digit, at, k.poly(key.index(2 * j + 1)), i * n, acc1, o, n, m);
      }
    });
  }

  @Override
  public void synchronize() {}

  @Override
  public void close() {
    closed = true;
    arrays.clear();
    if (pool != null) {
      pool.shutdown();
    }
  }
}
