package org.cryptonets.bench;

import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.engine.IntMatrix;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PrimeGenerator;
import org.cryptonets.engine.RnsBasis;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The BGV CryptoNet's first step alone at its shape: conv1 (5 maps of 5 x 5 taps, stride 2, padding
 * 1, over 28 x 28 inputs: 845 x 784, about 22 non-zero taps per row, weights in [-63, 63] with
 * one in eight zero, as after quantization) on fresh pairs, plus a constant per row, then the
 * tensor square, over {@code primes} 31-bit primes at n = 8192. {@code fused} is {@code
 * Backend.multiplyAccumulateSquare} (the CPU backend's fused kernel); {@code separate} runs
 * {@code multiplyAccumulate}, {@code addConstants} and {@code tensorSquare} on the whole layer;
 * {@code chunked} runs them 64 rows at a time, as the interface's default does. {@link #main} runs
 * the fused and chunked steps alternately in one JVM.
 * Inputs are uniform residues (the cost does not depend on them); buffers are allocated once.
 *
 * <p>JMH state: one instance per trial, driven by one JMH thread; not for other use. Setup throws
 * the engine's {@code EngineException} for a backend it cannot open.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx8g", "-XX:+UseParallelGC"})
@Warmup(iterations = 4)
@Measurement(iterations = 10)
public class LinearSquareBench {
  @Param({"cpu"})
  public String backend;

  @Param({"6"})
  public int primes;

  private Backend engine;
  private IntMatrix conv1;
  private long[] constants;
  private PolyBuffer inputs;
  private PolyBuffer linear;
  private PolyBuffer outputs;

  /** The conv1 matrix described above, rows map-major (map, output row, output column). */
  static IntMatrix conv1(SplittableRandom random) {
    int side = 28;
    int out = 13;
    int[] w = new int[5 * out * out * side * side];
    for (int m = 0; m < 5; m++) {
      for (int oy = 0; oy < out; oy++) {
        for (int ox = 0; ox < out; ox++) {
          int r = (m * out + oy) * out + ox;
          for (int ky = 0; ky < 5; ky++) {
            for (int kx = 0; kx < 5; kx++) {
              int y = 2 * oy + ky - 1;
              int x = 2 * ox + kx - 1;
              if (y >= 0 && y < side && x >= 0 && x < side && random.nextInt(8) != 0) {
                w[r * side * side + y * side + x] = random.nextInt(-63, 64);
              }
            }
          }
        }
      }
    }
    return IntMatrix.fromDense(5 * out * out, side * side, w);
  }

  @Setup(Level.Trial)
  public void setUp() {
    int n = 8192;
    engine = Backends.open(backend);
    RnsBasis basis = RnsBasis.of(n, PrimeGenerator.nttPrimes(31, n, primes, Set.of()).stream().mapToLong(Long::longValue).toArray());
    SplittableRandom random = new SplittableRandom(19);
    conv1 = conv1(random);
    constants = new long[conv1.rows() * primes];
    for (int k = 0; k < constants.length; k++) {
      constants[k] = random.nextLong(basis.modulus(k % primes).value());
    }
    inputs = engine.allocate(basis, 2 * conv1.columns());
    engine.upload(BenchData.uniform(basis, 2 * conv1.columns(), random), inputs.all());
    linear = engine.allocate(basis, 2 * conv1.rows());
    outputs = engine.allocate(basis, 3 * conv1.rows());
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    inputs.close();
    linear.close();
    outputs.close();
    engine.close();
  }

  @Benchmark
  public void fused() {
    engine.multiplyAccumulateSquare(conv1, inputs.all(), constants, outputs.all());
    engine.synchronize();
  }

  @Benchmark
  public void separate() {
    engine.multiplyAccumulate(conv1, inputs.all(), 2, linear.all());
    engine.addConstants(linear.range(0, conv1.rows(), 2), constants, true);
    engine.tensorSquare(linear.all(), outputs.all());
    engine.synchronize();
  }

  /** The same three operations 64 rows at a time, as {@code Backend}'s default does (and as the CryptoNet ran before the fused step). */
  @Benchmark
  public void chunked() {
    chunked(engine, conv1, inputs, constants, linear, outputs);
  }

  static void chunked(Backend engine, IntMatrix w, PolyBuffer inputs, long[] constants, PolyBuffer linear, PolyBuffer outputs) {
    int limbs = inputs.basis().size();
    for (int r0 = 0; r0 < w.rows(); r0 += Backend.LINEAR_SQUARE_ROWS) {
      int rows = Math.min(Backend.LINEAR_SQUARE_ROWS, w.rows() - r0);
      engine.multiplyAccumulate(w.rows(r0, r0 + rows), inputs.all(), 2, linear.range(0, 2 * rows));
      engine.addConstants(linear.range(0, rows, 2), java.util.Arrays.copyOfRange(constants, r0 * limbs, (r0 + rows) * limbs), true);
      engine.tensorSquare(linear.range(0, 2 * rows), outputs.all().sub(3 * r0, 3 * rows));
    }
    engine.synchronize();
  }

  /**
   * Runs {@link #fused} and {@link #chunked} alternately in one JVM (args: repeats, default 14), so
   * that the VM's drift falls on both alike, and prints each one's minimum and median and how often
   * the fused step was the faster of a pair. {@code -Dcryptonets.threads} sets the pool.
   */
  public static void main(String[] args) {
    int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 14;
    LinearSquareBench b = new LinearSquareBench();
    b.backend = "cpu";
    b.primes = 6;
    b.setUp();
    try {
      double[][] seconds = new double[2][repeats];
      int wins = 0;
      for (int k = 0; k < repeats; k++) {
        long t0 = System.nanoTime();
        b.fused();
        long t1 = System.nanoTime();
        b.chunked();
        long t2 = System.nanoTime();
        seconds[0][k] = (t1 - t0) / 1e9;
        seconds[1][k] = (t2 - t1) / 1e9;
        wins += seconds[0][k] < seconds[1][k] ? 1 : 0;
      }
      String[] names = {"fused", "chunked"};
      for (int m = 0; m < 2; m++) {
        double[] s = seconds[m].clone();
        java.util.Arrays.sort(s);
        System.out.printf("%-8s min %.3f s, median %.3f s%n", names[m], s[0], s[repeats / 2]);
      }
      System.out.printf("fused faster in %d of %d pairs (%s)%n", wins, repeats, Runtime.version());
    } finally {
      b.tearDown();
    }
  }
}
