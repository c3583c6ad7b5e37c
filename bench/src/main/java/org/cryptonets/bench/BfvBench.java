package org.cryptonets.bench;

import java.security.SecureRandom;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.Decryptor;
import org.cryptonets.bfv.Encryptor;
import org.cryptonets.bfv.Evaluator;
import org.cryptonets.bfv.KeyGenerator;
import org.cryptonets.bfv.Plaintext;
import org.cryptonets.bfv.PublicKey;
import org.cryptonets.bfv.RelinKeys;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
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
 * BFV operations on one ciphertext, reported SEAL-style as {@code BFV/n=8192/logq=217/SquareRelin}
 * (method name, capitalized, is the last part). {@code logq=max} is the largest 128-bit-secure
 * modulus of 31-bit primes. Each operation allocates its result and closes it, as a caller would.
 *
 * <p>Inputs of the multiplications and of modulus switching are kept in coefficient form, the form
 * the evaluator leaves products and relinearized ciphertexts in, so the figures do not include a
 * one-off NTT conversion; fresh ciphertexts (decryption input) are in NTT form as encrypted.
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
public class BfvBench {
  @Param({"cpu"})
  public String backend;

  @Param({"8192", "16384"})
  public int n;

  @Param({Shapes.MAX})
  public String logq;

  private Backend engine;
  private Encryptor symmetric;
  private Encryptor asymmetric;
  private Decryptor decryptor;
  private Evaluator evaluator;
  private RelinKeys relinKeys;
  private List<Plaintext> plaintext;
  private CiphertextBatch fresh;
  private CiphertextBatch coefficients;
  private CiphertextBatch other;
  private CiphertextBatch squared;

  @Setup(Level.Trial)
  public void setUp() {
    engine = Backends.open(backend);
    BfvParameters params = Shapes.bfv(n, logq);
    KeyGenerator keys = new KeyGenerator(params, engine, new SecureRandom());
    PublicKey publicKey = keys.createPublicKey();
    relinKeys = keys.createRelinKeys();
    symmetric = new Encryptor(params, engine, keys.secretKey());
    asymmetric = new Encryptor(params, engine, publicKey);
    decryptor = new Decryptor(params, engine, keys.secretKey());
    evaluator = new Evaluator(params, engine);
    SplittableRandom random = new SplittableRandom(7);
    plaintext = List.of(BenchData.plaintext(params, random));
    fresh = symmetric.encrypt(plaintext);
    coefficients = symmetric.encrypt(plaintext);
    evaluator.toCoefficients(coefficients);
    other = symmetric.encrypt(List.of(BenchData.plaintext(params, random)));
    evaluator.toCoefficients(other);
    squared = evaluator.square(coefficients);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    fresh.close();
    coefficients.close();
    other.close();
    squared.close();
    relinKeys.close();
    engine.close();
  }

  @Benchmark
  public void encryptSymmetric(Blackhole bh) {
    try (CiphertextBatch c = symmetric.encrypt(plaintext)) {
      bh.consume(c);
    }
  }

  @Benchmark
  public void encryptPublic(Blackhole bh) {
    try (CiphertextBatch c = asymmetric.encrypt(plaintext)) {
      bh.consume(c);
    }
  }

  /** Down to the plaintext polynomial (no slot decoding), like SEAL's Decrypt. */
  @Benchmark
  public Plaintext[] decrypt() {
    return decryptor.decrypt(fresh);
  }

  /** The ciphertext square without relinearization: size 2 in, size 3 out (HPS multiply). */
  @Benchmark
  public void square(Blackhole bh) {
    try (CiphertextBatch c = evaluator.square(coefficients)) {
      bh.consume(c);
    }
  }

  /** Product of two different ciphertexts, without relinearization. */
  @Benchmark
  public void multiply(Blackhole bh) {
    try (CiphertextBatch c = evaluator.multiply(coefficients, other)) {
      bh.consume(c);
    }
  }

  @Benchmark
  public void relinearize(Blackhole bh) {
    try (CiphertextBatch c = evaluator.relinearize(squared, relinKeys)) {
      bh.consume(c);
    }
  }

  @Benchmark
  public void squareRelin(Blackhole bh) {
    try (CiphertextBatch s = evaluator.square(coefficients); CiphertextBatch c = evaluator.relinearize(s, relinKeys)) {
      bh.consume(c);
    }
  }

  /** Drops the last prime of a fresh-size ciphertext at the top level. */
  @Benchmark
  public void modSwitch(Blackhole bh) {
    try (CiphertextBatch c = evaluator.modSwitchToNext(coefficients)) {
      bh.consume(c);
    }
  }
}
