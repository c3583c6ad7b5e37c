package org.cryptonets.backend.opencl;

import java.util.List;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PrimeGenerator;
import org.cryptonets.engine.RnsBasis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Opt-in wall-clock timings on the selected device (the H100 target: forward NTT at n = 8192 over 64
 * limbs in at most 5 us per limb). Run with
 * {@code mvn -pl backend-opencl test -Dtest=OpenClTimingTest -Dcryptonets.opencl.timing=true}; it only
 * prints, since timings depend on the machine.
 */
@EnabledIfSystemProperty(named = "cryptonets.opencl.timing", matches = "true")
class OpenClTimingTest {
  @Test
  void nttAndElementwiseTimings() {
    DeviceRequirement.require();
    int n = 8192;
    int limbs = 64;
    List<Long> primes = PrimeGenerator.nttPrimes(31, n, limbs, List.of());
    RnsBasis basis = RnsBasis.of(n, primes.stream().mapToLong(Long::longValue).toArray());
    try (OpenClBackend gpu = OpenClBackend.open(); PolyBuffer x = gpu.allocate(basis, 1); PolyBuffer y = gpu.allocate(basis, 1)) {
      System.out.println("device: " + gpu.device());
      int reps = Integer.getInteger("cryptonets.opencl.timing.reps", 50);
      for (int round = 0; round < 3; round++) {
        long t0 = System.nanoTime();
        for (int k = 0; k < reps; k++) {
          gpu.forwardNtt(x.all());
        }
        gpu.synchronize();
        long t1 = System.nanoTime();
        for (int k = 0; k < reps; k++) {
          gpu.inverseNtt(x.all());
        }
        gpu.synchronize();
        long t2 = System.nanoTime();
        for (int k = 0; k < reps; k++) {
          gpu.multiply(x.all(), y.all(), x.all());
        }
        gpu.synchronize();
        long t3 = System.nanoTime();
        double perLimb = 1e-3 / reps / limbs;
        System.out.printf(
            "round %d, n=%d x %d limbs: forward NTT %.3f us/limb, inverse NTT %.3f us/limb, multiply %.3f us/limb%n",
            round, n, limbs, (t1 - t0) * perLimb, (t2 - t1) * perLimb, (t3 - t2) * perLimb);
      }
    }
  }
}
