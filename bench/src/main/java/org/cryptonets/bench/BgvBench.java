package org.cryptonets.bench;

import java.security.SecureRandom;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.cryptonets.bfv.BfvParameterSpec;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.BgvEncryptor;
import org.cryptonets.bfv.BgvEvaluator;
import org.cryptonets.bfv.BgvRelinKeys;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.KeyGenerator;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.engine.PlainPreservingSwitch;
import org.cryptonets.engine.PolyBuffer;
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
 * BGV's square in NTT form on one ciphertext at n = 8192 with six 31-bit primes (a 20-bit plaintext
 * prime): the bare tensor square on reused buffers (three pointwise products per prime), the
 * square with relinearization and a modulus switch as the evaluator runs them (allocating and
 * closing results as a caller would), and the BGV modulus switch of a size-3 ciphertext natively
 * and as the interface's default host round trip (what a backend without a native kernel runs).
 *
 * <p>JMH state: one instance per trial, driven by one JMH thread; not for other use. Setup throws
 * the engine's {@code EngineException} or {@code BfvException} for a backend or parameter set that
 * cannot be used.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BgvBench {
  @Param({"cpu"})
  public String backend;

  @Param({"8192"})
  public int n;

  @Param({"6"})
  public int primes;

  private Backend engine;
  private BgvEvaluator evaluator;
  private BgvRelinKeys relinKeys;
  private CiphertextBatch fresh;
  private CiphertextBatch squared;
  private PolyBuffer pair;
  private PolyBuffer triple;
  private PolyBuffer switched;
  private PlainPreservingSwitch rescale;
  private PolyBuffer digit;
  private PolyBuffer switchedPair;

  @Setup(Level.Trial)
  public void setUp() {
    engine = Backends.open(backend);
    BfvParameters params = BfvParameters.create(BfvParameterSpec.of(n, java.util.Collections.nCopies(primes, 31), 20, 1));
    KeyGenerator keys = new KeyGenerator(params, engine, new SecureRandom());
    relinKeys = keys.createBgvRelinKeys();
    evaluator = new BgvEvaluator(params, engine);
    try (BgvEncryptor encryptor = new BgvEncryptor(params, engine, keys.secretKey())) {
      fresh = encryptor.encrypt(List.of(BenchData.plaintext(params, new SplittableRandom(7))));
    }
    squared = evaluator.square(fresh);
    pair = engine.allocate(params.coeffBasis(), 2);
    triple = engine.allocate(params.coeffBasis(), 3);
    switched = engine.allocate(params.basisAt(primes - 1), 3);
    engine.copy(fresh.buffer().all(), pair.all());
    rescale = new PlainPreservingSwitch(params.coeffBasis(), params.plainModulus(0).value());
    digit = engine.allocate(params.coeffBasis(), 1);
    switchedPair = engine.allocate(params.coeffBasis(), 2);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    fresh.close();
    squared.close();
    pair.close();
    triple.close();
    switched.close();
    digit.close();
    switchedPair.close();
    evaluator.close();
    relinKeys.close();
    engine.close();
  }

  /** The tensor square alone, on reused buffers: x0^2, 2 x0 x1, x1^2 per prime. */
  @Benchmark
  public void tensorSquare() {
    engine.tensorSquare(pair.all(), triple.all());
    engine.synchronize();
  }

  /** Square, relinearize, drop one prime with the t-correction, as the evaluator runs them. */
  @Benchmark
  public void squareRelinSwitch(Blackhole bh) {
    try (CiphertextBatch s = evaluator.square(fresh); CiphertextBatch r = evaluator.relinearize(s, relinKeys);
        CiphertextBatch c = evaluator.modSwitchToNext(r)) {
      engine.synchronize();
      bh.consume(c);
    }
  }

  /** Relinearization's key switching of c2 from NTT form, the backend's own implementation. */
  @Benchmark
  public void keySwitchFromNtt() {
    engine.keySwitchFromNtt(squared.component(2), relinKeys.keysFor(0), switchedPair.all());
    engine.synchronize();
  }

  /** The same as {@code Backend}'s default runs it: copy, inverse NTT of every limb, key switching from coefficients. */
  @Benchmark
  public void keySwitchViaCoefficients() {
    engine.copy(squared.component(2), digit.all());
    engine.inverseNtt(digit.all());
    engine.keySwitch(digit.all(), relinKeys.keysFor(0), switchedPair.all());
    engine.synchronize();
  }

  /** The BGV modulus switch of a size-3 ciphertext, the backend's own implementation. */
  @Benchmark
  public void modSwitchNative() {
    engine.dropLastModulusNtt(rescale, squared.buffer().all(), switched.all());
    engine.synchronize();
  }

  /** The same switch as {@code Backend}'s default method runs it: download, scalar reference, upload. */
  @Benchmark
  public void modSwitchHostRoundTrip() {
    int inLength = primes * n;
    int outLength = (primes - 1) * n;
    long[] host = new long[3 * inLength];
    long[] result = new long[3 * outLength];
    engine.download(squared.buffer().all(), host);
    for (int p = 0; p < 3; p++) {
      rescale.apply(host, p * inLength, result, p * outLength);
    }
    engine.upload(result, switched.all());
  }
}
