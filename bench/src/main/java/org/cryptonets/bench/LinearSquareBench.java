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
 * {@code multiplyAccumulate}, {@code addConstants} and {@code tensorSquare} on the whole layer.
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
}
