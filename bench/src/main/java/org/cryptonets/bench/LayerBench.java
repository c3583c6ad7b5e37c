package org.cryptonets.bench;

import java.security.SecureRandom;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.Encryptor;
import org.cryptonets.bfv.Evaluator;
import org.cryptonets.bfv.KeyGenerator;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.engine.IntMatrix;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * A plain-weight dense layer over encrypted inputs, {@code Evaluator.multiplyAccumulate}: {@code
 * layer=ROWSxCOLUMNS} weights in [-64, 64] applied to COLUMNS ciphertexts of size 2 (fresh) or 3
 * (squared, not yet relinearized). One operation is the whole layer; {@link BenchReport} also
 * divides by ROWS x COLUMNS for the time per ciphertext-MAC. Reported as
 * {@code BFV/n=8192/logq=217/MultiplyAccumulate/100x845/size=3}.
 *
 * <p>The default 100 x 845 is the CryptoNets dense layer after the 5 x 13 x 13 convolution. Its
 * size-3 input is 1.2 GB at n = 8192 and 4.6 GB at n = 16384, hence the larger heap below.
 *
 * <p>JMH state: one instance per trial, driven by one JMH thread; not for other use. Setup throws
 * {@link IllegalArgumentException} for a malformed layer, the engine's {@code EngineException} or
 * {@code BfvException} otherwise.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx12g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class LayerBench {
  /** Largest weight magnitude: the CryptoNets quantization keeps layer weights in 7 bits plus sign. */
  static final int WEIGHT_BOUND = 64;

  @Param({"cpu"})
  public String backend;

  @Param({"8192", "16384"})
  public int n;

  @Param({Shapes.MAX})
  public String logq;

  @Param({"2", "3"})
  public int size;

  @Param({"100x845"})
  public String layer;

  private Backend engine;
  private IntMatrix weights;
  private CiphertextBatch inputs;
  private Evaluator evaluator;

  /** Rows and columns of a {@code ROWSxCOLUMNS} layer string. */
  static int[] layerShape(String layer) {
    String[] parts = layer.trim().split("x");
    try {
      if (parts.length == 2) {
        int rows = Integer.parseInt(parts[0]);
        int columns = Integer.parseInt(parts[1]);
        if (rows > 0 && columns > 0) {
          return new int[] {rows, columns};
        }
      }
    } catch (NumberFormatException e) {
      // reported below with the expected format
    }
    throw new IllegalArgumentException("layer='" + layer + "' is not ROWSxCOLUMNS, e.g. 100x845");
  }

  @Setup(Level.Trial)
  public void setUp() {
    if (size != 2 && size != 3) {
      throw new IllegalArgumentException("size=" + size + "; ciphertexts have 2 or 3 polynomials");
    }
    int[] shape = layerShape(layer);
    engine = Backends.open(backend);
    BfvParameters params = Shapes.bfv(n, logq);
    KeyGenerator keys = new KeyGenerator(params, engine, new SecureRandom());
    evaluator = new Evaluator(params, engine);
    SplittableRandom random = new SplittableRandom(11);
    Encryptor encryptor = new Encryptor(params, engine, keys.secretKey());
    // Encrypting and squaring hundreds of ciphertexts would dominate the trial; a column of nonzero
    // weights fans one ciphertext out into distinct multiples instead, and the layer's cost does
    // not depend on the values.
    try (CiphertextBatch one = encryptor.encrypt(List.of(BenchData.plaintext(params, random)))) {
      CiphertextBatch seed = size == 3 ? evaluator.square(one) : one;
      try {
        inputs = evaluator.multiplyAccumulate(BenchData.weights(shape[1], 1, WEIGHT_BOUND, true, random), seed);
      } finally {
        if (seed != one) {
          seed.close();
        }
      }
    }
    weights = BenchData.weights(shape[0], shape[1], WEIGHT_BOUND, false, random);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    inputs.close();
    engine.close();
  }

  @Benchmark
  public void multiplyAccumulate(Blackhole bh) {
    try (CiphertextBatch out = evaluator.multiplyAccumulate(weights, inputs)) {
      bh.consume(out);
    }
  }
}
