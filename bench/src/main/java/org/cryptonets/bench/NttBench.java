package org.cryptonets.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.engine.PolyBuffer;
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
 * Negacyclic NTT of one polynomial with {@code limbs} limbs, reported as
 * {@code NTT/n=8192/limbs=7/Forward}. {@code limbs=max} is the whole 128-bit-secure modulus (7
 * primes, 217 bits at n = 8192), the transform a ciphertext polynomial needs.
 *
 * <p>JMH state: one instance per trial, driven by one JMH thread; not for other use. Setup throws
 * the engine's {@code EngineException} if the backend cannot run here.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class NttBench {
  @Param({"cpu"})
  public String backend;

  @Param({"8192", "16384"})
  public int n;

  @Param({"1", Shapes.MAX})
  public String limbs;

  private Backend engine;
  private PolyBuffer poly;

  @Setup(Level.Trial)
  public void setUp() {
    engine = Backends.open(backend);
    RnsBasis basis = Shapes.nttBasis(n, limbs);
    poly = engine.allocate(basis, 1);
    engine.upload(BenchData.uniform(basis, 1, new SplittableRandom(1)), poly.all());
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    poly.close();
    engine.close();
  }

  // Transforming the same buffer over and over is fine: any residues are valid input, and the
  // kernels' cost does not depend on the values.
  @Benchmark
  public void forward() {
    engine.forwardNtt(poly.all());
    engine.synchronize();
  }

  @Benchmark
  public void inverse() {
    engine.inverseNtt(poly.all());
    engine.synchronize();
  }
}
