package org.cryptonets.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.engine.BaseConverter;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.RnsBasis;
import org.cryptonets.engine.RnsScaler;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The engine primitives BFV multiplication and relinearization are made of, each called once on a
 * batch of {@value #BATCH} polynomials and reported per polynomial, as
 * {@code Engine/n=8192/logq=217/ExtendBase}. The bases are those of {@link Shapes#bfv}: Q the
 * ciphertext modulus, P its auxiliary basis, t the plaintext prime.
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
public class EngineBench {
  /** Polynomials per call: enough for a multi-threaded backend to split, as BFV batches are. */
  public static final int BATCH = 8;

  @Param({"cpu"})
  public String backend;

  @Param({"8192", "16384"})
  public int n;

  @Param({Shapes.MAX})
  public String logq;

  private Backend engine;
  private BaseConverter qToP;
  private BaseConverter pToQ;
  private RnsScaler scaler;
  private PolyBuffer overQ;
  private PolyBuffer otherQ;
  private PolyBuffer productQ;
  private PolyBuffer overQp;
  private PolyBuffer overP;
  private PolyBuffer key;
  private PolyBuffer switched;

  @Setup(Level.Trial)
  public void setUp() {
    engine = Backends.open(backend);
    BfvParameters params = Shapes.bfv(n, logq);
    RnsBasis q = params.coeffBasis();
    RnsBasis p = new RnsBasis(n, params.auxiliaryModuli());
    qToP = new BaseConverter(q, p);
    pToQ = new BaseConverter(p, q);
    scaler = RnsScaler.forMultiplication(q, p, params.plainModulus(0));
    SplittableRandom random = new SplittableRandom(5);
    overQ = upload(q, BATCH, random);
    otherQ = upload(q, BATCH, random);
    productQ = engine.allocate(q, BATCH);
    overQp = upload(q.concat(p), BATCH, random);
    overP = upload(p, BATCH, random);
    // A relinearization key has a (b_j, a_j) pair per prime of Q; random residues cost the same.
    key = upload(q, 2 * q.size(), random);
    switched = engine.allocate(q, 2 * BATCH);
  }

  private PolyBuffer upload(RnsBasis basis, int polys, SplittableRandom random) {
    PolyBuffer b = engine.allocate(basis, polys);
    engine.upload(BenchData.uniform(basis, polys, random), b.all());
    return b;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    for (PolyBuffer b : new PolyBuffer[] {overQ, otherQ, productQ, overQp, overP, key, switched}) {
      b.close();
    }
    engine.close();
  }

  /** Coefficient-wise product over Q (the ring product in NTT form). */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public void pointwiseMultiply() {
    engine.multiply(overQ.all(), otherQ.all(), productQ.all());
    engine.synchronize();
  }

  /** Q to Q u P, the first step of the HPS multiplication (done for c0 and c1 of each operand). */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public void extendBase() {
    engine.extendBase(qToP, overQ.all(), overQp.all());
    engine.synchronize();
  }

  /** round(t x / Q) from Q u P into P, for each of the three tensor components. */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public void scaleAndRound() {
    engine.scaleAndRound(scaler, overQp.all(), overP.all());
    engine.synchronize();
  }

  /** P back to Q, the last step of the HPS multiplication. */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public void convertBase() {
    engine.convertBase(pToQ, overP.all(), productQ.all());
    engine.synchronize();
  }

  /** The relinearization inner product: one c2 in, a pair over Q in NTT form out. */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public void keySwitch() {
    engine.keySwitch(overQ.all(), key.all(), switched.all());
    engine.synchronize();
  }
}
