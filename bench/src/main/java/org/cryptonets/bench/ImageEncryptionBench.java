package org.cryptonets.bench;

import java.security.SecureRandom;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.cryptonets.bfv.BatchEncoder;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.BgvEncryptor;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.KeyGenerator;
import org.cryptonets.bfv.Plaintext;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.inference.CryptoNetPlan;
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
 * The data owner's side for one plaintext prime of a full batch: 8192 images of 784 pixels (3-bit
 * values, fixed seed) encoded and encrypted with the secret key (seeded BGV, NTT form) at the
 * committed model's input level, on the committed model's parameters (n = 8192, 31-bit primes).
 * {@code path}: {@code encoded} encodes on the backend and encrypts from that buffer, as {@code
 * DataOwner} does; {@code plaintexts} builds a slot array, {@code Plaintext} objects and encrypts
 * those. Each operation is one batch; the demo's "encode + encrypt" is two of them.
 *
 * <p>JMH state: one instance per trial, driven by one JMH thread; not for other use. Setup throws
 * the engine's {@code EngineException} or {@code BfvException} for a backend that cannot be used.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx6g", "-XX:+UseParallelGC", "-Xmn512m"})
@Warmup(iterations = 4)
@Measurement(iterations = 8)
public class ImageEncryptionBench {
  @Param({"cpu"})
  public String backend;

  @Param({"encoded", "plaintexts"})
  public String path;

  private Backend engine;
  private BfvParameters params;
  private int level;
  private BgvEncryptor encryptor;
  private BatchEncoder encoder;
  private int[][] images;

  @Setup(Level.Trial)
  public void setUp() {
    engine = Backends.open(backend);
    CryptoNetPlan plan = CryptoNetPlan.forValueBits(54, 30);
    params = plan.parameters();
    level = plan.inputLevel();
    KeyGenerator keys = new KeyGenerator(params, engine, new SecureRandom());
    encryptor = new BgvEncryptor(params, engine, keys.secretKey());
    encoder = new BatchEncoder(params, 0);
    SplittableRandom r = new SplittableRandom(11);
    images = new int[params.n()][784];
    for (int[] image : images) {
      for (int p = 0; p < image.length; p++) {
        image[p] = r.nextInt(8);
      }
    }
  }

  @Benchmark
  public void encryptOnePrime() {
    int n = params.n();
    int pixels = images[0].length;
    if (path.equals("encoded")) {
      try (PolyBuffer encoded = encoder.encodeOnBackend(engine, pixels, (p, target, offset) -> {
            for (int s = 0; s < n; s++) {
              target[offset + s] = images[s][p];
            }
          });
          CiphertextBatch batch = encryptor.encryptEncoded(encoded.all(), 0, level)) {
        engine.synchronize();
      }
    } else {
      long[] slots = new long[pixels * n];
      IntStream.range(0, pixels).parallel().forEach(p -> {
        for (int s = 0; s < n; s++) {
          slots[p * n + s] = images[s][p];
        }
      });
      Plaintext[] plaintexts = encoder.encodeAll(engine, slots, pixels);
      try (CiphertextBatch batch = encryptor.encrypt(List.of(plaintexts), level)) {
        engine.synchronize();
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    encryptor.close();
    engine.close();
  }
}
