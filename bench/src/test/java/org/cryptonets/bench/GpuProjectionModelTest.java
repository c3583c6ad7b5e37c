package org.cryptonets.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.cryptonets.backend.opencl.KernelCosts;
import org.cryptonets.backend.opencl.KernelWork;
import org.cryptonets.backend.opencl.WorkCounter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The projection's arithmetic without a device: the roofline, the fused-step split, BGV's derived sequence. */
class GpuProjectionModelTest {
  private static KernelWork work(long launches, long bytes, long instructions) {
    return new KernelWork(launches, 1, bytes, 0, 0, bytes, 0, 0, 0, 0, instructions);
  }

  @Test
  void h200ThroughputFromTheDataSheet() {
    // 64 multiplies per clock per SM x 132 SMs x 1.98 GHz.
    assertEquals(16.727e12, GpuModel.H200.multipliesPerSecond(), 1e9);
    assertEquals(4.8e12, GpuModel.H200.bytesPerSecond());
    assertThrows(IllegalArgumentException.class, () -> new GpuModel("x", 0, 1, 0, 1));
  }

  @ParameterizedTest(name = "{1} bytes, {2} multiplies, {0} launches: {3} s, {4}")
  @CsvSource({
      // 4.8 GB at 4.8 TB/s = 1 ms, beats 1.6727e9 instructions = 0.1 ms; plus 2 x 5 us
      "2, 4800000000, 1672700000, 0.00101, memory",
      // 16.727e9 instructions = 1 ms, beats 0.48 GB = 0.1 ms
      "1, 480000000, 16727000000, 0.001005, compute",
  })
  void roofline(long launches, long bytes, long instructions, double seconds, String bound) {
    GpuModel.Time t = GpuModel.H200.time(work(launches, bytes, instructions), false);
    assertEquals(seconds, t.seconds(), 1e-7);
    assertEquals(bound, t.bound());
  }

  private static WorkCounter.Snapshot snapshot(Map<String, KernelWork> kernels, long uploadBytes) {
    Map<String, Long> launches = new java.util.TreeMap<>();
    kernels.forEach((k, w) -> launches.put(k, w.launches()));
    return new WorkCounter.Snapshot(kernels, launches, uploadBytes > 0 ? 1 : 0, uploadBytes, 0, 0);
  }

  @Test
  void fusedStepsAreSplitByKernel() {
    StageLedger ledger = new StageLedger();
    KernelWork mac = work(1, 100, 10);
    KernelWork ntt = work(2, 200, 20);
    for (int prime = 0; prime < 2; prime++) {
      ledger.record("conv1", snapshot(Map.of("mac_sparse", mac, "ntt_forward_local", ntt), 64), 1.0);
      ledger.record("square1", WorkCounter.Snapshot.EMPTY, 3.0);
      ledger.record("middle", snapshot(Map.of("mac_dense", mac), 0), 0.5);
    }
    Map<String, StageLedger.Stage> s = ledger.stages();
    assertEquals(List.of("conv1", "square1", "middle"), List.copyOf(s.keySet()));
    assertEquals(Map.of("mac_sparse", mac.times(2)), s.get("conv1").work().kernels());
    assertEquals(128, s.get("conv1").work().uploadBytes());
    assertEquals(Map.of("ntt_forward_local", ntt.times(2)), s.get("square1").work().kernels());
    assertEquals(6.0, s.get("square1").seconds());
    assertEquals(2, s.get("middle").calls());
    assertTrue(s.get("square1").work().uncounted().isEmpty());
  }

  @Test
  void unfusedEmptyStepStaysEmpty() {
    StageLedger ledger = new StageLedger();
    ledger.record("relinearize", snapshot(Map.of("key_switch_inner", work(1, 1, 1)), 0), 0.1);
    ledger.record("modulus switch", WorkCounter.Snapshot.EMPTY, 0.0);
    assertTrue(ledger.stages().get("modulus switch").work().isEmpty());
    assertFalse(ledger.stages().get("relinearize").work().isEmpty());
  }

  @Test
  void bgvSquareIsATensorAndOneRescalePerDroppedPrime() {
    java.util.Map<String, KernelWork> w = new java.util.TreeMap<>();
    // 100 ciphertexts at 5 primes to 3: 300 polynomials, two rescales (5 -> 4 -> 3).
    BgvDerivation.rescale(w, 300, 5, 3, 8192);
    assertEquals(2, w.get("ntt_inverse_local").launches());
    assertEquals(300L * 8192 * 2, w.get("ntt_inverse_local").residueWriteBytes() / 4); // one limb per polynomial, twice
    // Correction residues: 300 x (4 + 3) limbs x 8192.
    assertEquals(300L * 7 * 8192, w.get(BgvDerivation.COMBINE).workItems());
    KernelWork square = KernelCosts.tensorSquare(100, 5, 8192);
    assertEquals(3L * 100 * 5 * 8192, square.barrettProducts());
  }
}
