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
 * The backend's dense plain-weight layer alone, {@code Backend.multiplyAccumulate}, at the shape of
 * the BGV CryptoNet's folded middle layer: {@code layer=ROWSxCOLUMNS} dense weights with |w| < 64
 * applied to COLUMNS ciphertexts of {@code width} polynomials (3: squared, not relinearized) over
 * {@code primes} 31-bit primes at degree n; about 1.25e10 multiply-adds per prime at the default
 * 100 x 845, width 3, n = 8192. One operation is the whole layer. Unlike {@link LayerBench} there is
 * no encryption: the inputs are uniform residues (the cost does not depend on the values), the
 * moduli are generated at run time, and the input and output buffers are allocated once and reused.
 * {@code threads} sets the CPU backend's pool ({@code cryptonets.threads}).
 *
 * <p>The input is 1 GB at the default shape, hence the heap below.
 *
 * <p>JMH state: one instance per trial, driven by one JMH thread; not for other use. Setup throws
 * {@link IllegalArgumentException} for a malformed layer, the engine's {@code EngineException} for
 * a backend or shape it cannot serve.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx6g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class DenseLayerBench {
  /** CryptoNets layer weights are quantized to 7 bits: |w| < 64. */
  static final int WEIGHT_BOUND = 63;

  @Param({"cpu"})
  public String backend;

  @Param({"8192"})
  public int n;

  @Param({"6"})
  public int primes;

  @Param({"100x845"})
  public String layer;

  @Param({"3"})
  public int width;

  @Param({"1", "2"})
  public int threads;

  private Backend engine;
  private IntMatrix weights;
  private PolyBuffer inputs;
  private PolyBuffer outputs;

  @Setup(Level.Trial)
  public void setUp() {
    System.setProperty("cryptonets.threads", Integer.toString(threads));
    int[] shape = LayerBench.layerShape(layer);
    engine = Backends.open(backend);
    RnsBasis basis = RnsBasis.of(n, PrimeGenerator.nttPrimes(31, n, primes, Set.of()).stream().mapToLong(Long::longValue).toArray());
    SplittableRandom random = new SplittableRandom(17);
    weights = BenchData.weights(shape[0], shape[1], WEIGHT_BOUND, false, random);
    inputs = engine.allocate(basis, shape[1] * width);
    engine.upload(BenchData.uniform(basis, shape[1] * width, random), inputs.all());
    outputs = engine.allocate(basis, shape[0] * width);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    inputs.close();
    outputs.close();
    engine.close();
  }

  @Benchmark
  public void multiplyAccumulate() {
    engine.multiplyAccumulate(weights, inputs.all(), width, outputs.all());
    engine.synchronize();
  }
}
