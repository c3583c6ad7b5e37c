package org.cryptonets.bench;

import java.util.List;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PrimeGenerator;
import org.cryptonets.engine.RnsBasis;

/**
 * {@link AlternatingJars}'s {@code ntt} workload: each {@link #call} runs 20 forward and 20 inverse
 * NTTs of one polynomial over six 31-bit primes at n = 8192 through the backend's batched
 * operations (one core with {@code -Dcryptonets.threads=1}). Uses only the public API. Not
 * thread-safe.
 */
public final class NttWorkload implements AutoCloseable {
  static final int REPETITIONS = 20;
  private final Backend backend;
  private final PolyBuffer poly;

  public NttWorkload() {
    int n = 8192;
    List<Long> primes = PrimeGenerator.nttPrimes(31, n, 6, List.of());
    RnsBasis basis = RnsBasis.of(n, primes.stream().mapToLong(Long::longValue).toArray());
    backend = Backends.open();
    poly = backend.allocate(basis, 1);
    long[] values = new long[6 * n];
    java.util.SplittableRandom r = new java.util.SplittableRandom(7);
    for (int i = 0; i < 6; i++) {
      for (int j = 0; j < n; j++) {
        values[i * n + j] = r.nextLong(primes.get(i));
      }
    }
    backend.upload(values, poly.all());
    backend.warmUp();
  }

  public void call() {
    for (int k = 0; k < REPETITIONS; k++) {
      backend.forwardNtt(poly.all());
      backend.inverseNtt(poly.all());
    }
  }

  @Override
  public void close() {
    poly.close();
    backend.close();
  }
}
