package org.cryptonets.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.cryptonets.engine.IntMatrix;
import org.cryptonets.engine.PlainPreservingSwitch;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PrimeGenerator;
import org.cryptonets.engine.RnsBasis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The work counter on PoCL: small operations whose counted bytes, modular products and launches
 * equal numbers worked out by hand from the kernel source (the expected values below are literals,
 * with the arithmetic in comments, not calls of {@link KernelCosts}), and counting changes no
 * result bit.
 */
class WorkCountingTest {
  private static OpenClBackend counting;
  private static OpenClBackend plain;

  @BeforeAll
  static void open() {
    DeviceRequirement.require();
    counting = OpenClBackend.openCounting(null, null, 1 << 16, true);
    plain = OpenClBackend.openCounting(null, null, 1 << 16, false);
  }

  @AfterAll
  static void close() {
    if (counting != null) {
      counting.close();
    }
    if (plain != null) {
      plain.close();
    }
  }

  private static RnsBasis basis(int n, int limbs) {
    List<Long> primes = PrimeGenerator.nttPrimes(31, n, limbs, List.of());
    return RnsBasis.of(n, primes.stream().mapToLong(Long::longValue).toArray());
  }

  private static long[] random(RnsBasis b, int polys, long seed) {
    Random r = new Random(seed);
    long[] host = new long[polys * b.size() * b.n()];
    for (int p = 0; p < polys; p++) {
      for (int i = 0; i < b.size(); i++) {
        long q = b.modulus(i).value();
        for (int j = 0; j < b.n(); j++) {
          host[(p * b.size() + i) * b.n() + j] = Math.floorMod(r.nextLong(), q);
        }
      }
    }
    return host;
  }

  /** Counts of what {@code op} enqueues on the counting backend, buffers made beforehand. */
  private static WorkCounter.Snapshot counted(Runnable op) {
    WorkCounter.Snapshot before = counting.workCounter().snapshot();
    op.run();
    counting.synchronize();
    return counting.workCounter().snapshot().minus(before);
  }

  // Forward NTT in one local-memory launch: reads and writes each residue once (4 bytes), and
  // does n/2 x log2 n butterflies per limb, one Shoup product each.
  @ParameterizedTest(name = "forward NTT, n = {0}, {1} limbs, {2} polynomials")
  @CsvSource({
      // n, limbs, polys, bytes read = 4 p l n, Shoup products = p l (n/2) log2 n
      "1024, 1, 1, 4096, 5120",
      "1024, 3, 2, 24576, 30720",
      "2048, 2, 3, 49152, 67584",
  })
  void forwardNttInLocalMemory(int n, int limbs, int polys, long bytes, long shoup) {
    RnsBasis b = basis(n, limbs);
    try (PolyBuffer x = counting.allocate(b, polys)) {
      counting.upload(random(b, polys, 1), x.all());
      WorkCounter.Snapshot s = counted(() -> counting.forwardNtt(x.all()));
      KernelWork w = s.kernels().get("ntt_forward_local");
      assertEquals(Map.of("ntt_forward_local", 1L), s.launches());
      assertEquals(1, w.launches());
      assertEquals(bytes, w.residueReadBytes());
      assertEquals(bytes, w.residueWriteBytes());
      assertEquals(shoup, w.shoupProducts());
      assertEquals(shoup, w.modularProducts());
      assertEquals(0, w.barrettProducts());
      assertEquals(3 * shoup, w.multiplyInstructions());
      assertTrue(s.uncounted().isEmpty(), s.uncounted().toString());
    }
  }

  // With the local block capped at 256 on n = 1024: two global stages (spans 512, 256), each
  // p l n/2 butterflies reading and writing 8 bytes, then one local launch of log2 256 = 8 stages.
  @Test
  void forwardNttWithGlobalStages() {
    try (OpenClBackend small = OpenClBackend.openCounting(null, null, 256, true)) {
      RnsBasis b = basis(1024, 2);
      try (PolyBuffer x = small.allocate(b, 3)) {
        small.upload(random(b, 3, 2), x.all());
        WorkCounter.Snapshot before = small.workCounter().snapshot();
        small.forwardNtt(x.all());
        small.synchronize();
        WorkCounter.Snapshot s = small.workCounter().snapshot().minus(before);
        KernelWork stage = s.kernels().get("ntt_forward_stage");
        KernelWork local = s.kernels().get("ntt_forward_local");
        assertEquals(2, stage.launches());
        assertEquals(2 * 3 * 2 * 512, stage.workItems()); // 6144 butterflies
        assertEquals(2 * 8 * 3072, stage.residueReadBytes()); // 49152
        assertEquals(6144, stage.shoupProducts());
        assertEquals(1, local.launches());
        assertEquals(3 * 2 * 4, local.workItems()); // 24 work-groups of 256 coefficients
        assertEquals(24 * 128 * 8, local.shoupProducts()); // 24576
        assertEquals(4 * 3 * 2 * 1024, local.residueWriteBytes()); // 24576
      }
    }
  }

  // Inverse NTT with the whole row local: the n^-1 scaling adds one Shoup product per residue.
  @Test
  void inverseNttScalesInTheSameLaunch() {
    RnsBasis b = basis(1024, 2);
    try (PolyBuffer x = counting.allocate(b, 2)) {
      counting.upload(random(b, 2, 3), x.all());
      KernelWork w = counted(() -> counting.inverseNtt(x.all())).kernels().get("ntt_inverse_local");
      assertEquals(2 * 2 * 512 * 10 + 2 * 2 * 1024, w.shoupProducts()); // 20480 + 4096
    }
  }

  // Sparse multiply-accumulate: rows x width x limbs x n items; one widening product per nonzero
  // per coefficient; one reduce_signed per output; no modular product. Dense (density > 0.3): one
  // item per block of 4 rows, 4 x cols products per item (padding rows included).
  @ParameterizedTest(name = "multiplyAccumulate {0}x{1}, density {2}, width {3}")
  @CsvSource({
      // rows, cols, nonzeros per row (first k columns), width, kernel, wide products, bytes written, unique input bytes
      // sparse 6x10, 2 per row, width 2, 2 limbs, n 1024: 12 nnz x 2 x 2 x 1024 = 49152; 6 x 2 x 2 x 1024 x 4 = 98304;
      // distinct columns {0,1} x 2 x 2 x 1024 x 4 = 32768
      "6, 10, 2, 2, mac_sparse, 49152, 98304, 32768",
      // dense 5x4, all nonzero, width 3: 2 blocks x 3 x 2 x 1024 = 12288 items x 16 = 196608;
      // 5 x 3 x 2 x 1024 x 4 = 122880; 4 x 3 x 2 x 1024 x 4 = 98304
      "5, 4, 4, 3, mac_dense, 196608, 122880, 98304",
  })
  void multiplyAccumulate(int rows, int cols, int perRow, int width, String kernel, long wide, long written, long uniqueRead) {
    RnsBasis b = basis(1024, 2);
    int[] dense = new int[rows * cols];
    for (int r = 0; r < rows; r++) {
      for (int k = 0; k < perRow; k++) {
        dense[r * cols + k] = (r + k) % 2 == 0 ? 3 : -5;
      }
    }
    IntMatrix w = IntMatrix.fromDense(rows, cols, dense);
    try (PolyBuffer in = counting.allocate(b, cols * width); PolyBuffer out = counting.allocate(b, rows * width)) {
      counting.upload(random(b, cols * width, 4), in.all());
      WorkCounter.Snapshot s = counted(() -> counting.multiplyAccumulate(w, in.all(), width, out.all()));
      assertEquals(Map.of(kernel, 1L), s.launches());
      KernelWork k = s.kernels().get(kernel);
      assertEquals(wide, k.wideProducts());
      assertEquals(2 * wide, k.multiplyInstructions() - 13L * rows * width * 2 * 1024);
      assertEquals(written, k.residueWriteBytes());
      assertEquals(uniqueRead, k.residueReadBytes());
      assertEquals(0, k.modularProducts());
      assertEquals((long) rows * width * 2 * 1024, k.reductions());
      // The weights reach the device as constant buffers: host-to-device bytes, no download.
      assertTrue(s.uploadBytes() > 0);
      assertEquals(0, s.downloadBytes());
    }
  }

  // Tensor square of 4 pairs over 3 limbs, n 1024: 12288 items, 3 Barrett products each; reads 2
  // residues, writes 3.
  @Test
  void tensorSquare() {
    RnsBasis b = basis(1024, 3);
    try (PolyBuffer a = counting.allocate(b, 8); PolyBuffer out = counting.allocate(b, 12)) {
      counting.upload(random(b, 8, 5), a.all());
      KernelWork w = counted(() -> counting.tensorSquare(a.all(), out.all())).kernels().get("poly_tensor_square");
      assertEquals(12288, w.workItems());
      assertEquals(36864, w.barrettProducts());
      assertEquals(36864 * 12, w.multiplyInstructions());
      assertEquals(98304, w.residueReadBytes());
      assertEquals(147456, w.residueWriteBytes());
    }
  }

  // BGV modulus switch in NTT form, whole ring local (n = 1024, 3 primes -> 2, 2 polynomials): two
  // launches, no transfer. switch_correction_local: 2 groups, reads 2 x 1024 residues (8192 bytes),
  // writes 2 x 2 x 1024 (16384); Shoup products 2 x 512 x 10 butterflies + 2048 scalings = 12288;
  // 4096 reduce_wide, so 12288 x 3 + 4096 x 10 = 77824 multiply instructions.
  // switch_forward_combine: 4 groups (rows), reads correction and input (2 x 4 x 4096 = 32768),
  // writes 16384; Shoup products 4 x 512 x 10 + 2 x 4096 = 28672.
  @Test
  void bgvModulusSwitchInLocalMemory() {
    RnsBasis b = basis(1024, 3);
    PlainPreservingSwitch sw = new PlainPreservingSwitch(b, 65537);
    try (PolyBuffer in = counting.allocate(b, 2); PolyBuffer out = counting.allocate(sw.to(), 2)) {
      counting.upload(random(b, 2, 8), in.all());
      WorkCounter.Snapshot first = counted(() -> counting.dropLastModulusNtt(sw, in.all(), out.all()));
      // The switch's tables: q_l (4), its inverse twiddles (1024 x 8), n^-1 (8), the combine
      // constants (2 x 16); the output basis's tables may already exist, so at least this much.
      assertTrue(first.uploadBytes() >= 4 + 8192 + 8 + 32, first.toString());
      WorkCounter.Snapshot s = counted(() -> counting.dropLastModulusNtt(sw, in.all(), out.all()));
      assertEquals(Map.of("switch_correction_local", 1L, "switch_forward_combine", 1L), s.launches());
      assertEquals(0, s.uploads(), "tables are cached per switch");
      assertEquals(0, s.downloads(), "no host round trip");
      assertTrue(s.uncounted().isEmpty(), s.uncounted().toString());
      KernelWork c = s.kernels().get("switch_correction_local");
      assertEquals(2, c.workItems());
      assertEquals(8192, c.residueReadBytes());
      assertEquals(16384, c.residueWriteBytes());
      assertEquals(12288, c.shoupProducts());
      assertEquals(0, c.barrettProducts());
      assertEquals(4096, c.reductions());
      assertEquals(77824, c.multiplyInstructions());
      KernelWork f = s.kernels().get("switch_forward_combine");
      assertEquals(4, f.workItems());
      assertEquals(32768, f.residueReadBytes());
      assertEquals(16384, f.residueWriteBytes());
      assertEquals(28672, f.shoupProducts());
      assertEquals(0, f.reductions());
      assertEquals(3 * 28672, f.multiplyInstructions());
    }
  }

  // The same switch with the local block capped at 256: poly_copy of the last limbs (2048 items),
  // the one-limb inverse NTT (a local launch of 8 blocks x 128 x 8 = 8192 Shoup products, then two
  // global stages of 1024 butterflies, the last scaling by n^-1: 1024 + 3 x 1024), switch_spread
  // (2048 items, 2048 Shoup products by t^-1, 4096 reductions), the forward NTT of the 4 output
  // limbs (two stages of 2048 butterflies, 16 local blocks x 128 x 8 = 16384), switch_combine (4096
  // items, two Shoup products each, reading 8 bytes and writing 4 per item).
  @Test
  void bgvModulusSwitchWithGlobalStages() {
    try (OpenClBackend small = OpenClBackend.openCounting(null, null, 256, true)) {
      RnsBasis b = basis(1024, 3);
      PlainPreservingSwitch sw = new PlainPreservingSwitch(b, 65537);
      try (PolyBuffer in = small.allocate(b, 2); PolyBuffer out = small.allocate(sw.to(), 2)) {
        small.upload(random(b, 2, 9), in.all());
        small.dropLastModulusNtt(sw, in.all(), out.all());
        small.synchronize();
        WorkCounter.Snapshot before = small.workCounter().snapshot();
        small.dropLastModulusNtt(sw, in.all(), out.all());
        small.synchronize();
        WorkCounter.Snapshot s = small.workCounter().snapshot().minus(before);
        assertEquals(Map.of("poly_copy", 1L, "ntt_inverse_local", 1L, "ntt_inverse_stage", 2L, "switch_spread", 1L, "ntt_forward_stage", 2L,
            "ntt_forward_local", 1L, "switch_combine", 1L), s.launches());
        assertEquals(0, s.uploads());
        assertEquals(0, s.downloads());
        assertTrue(s.uncounted().isEmpty(), s.uncounted().toString());
        assertEquals(2048, s.kernels().get("poly_copy").workItems());
        assertEquals(8192, s.kernels().get("poly_copy").residueWriteBytes());
        assertEquals(8192, s.kernels().get("ntt_inverse_local").shoupProducts());
        assertEquals(1024 + 3 * 1024, s.kernels().get("ntt_inverse_stage").shoupProducts());
        KernelWork spread = s.kernels().get("switch_spread");
        assertEquals(2048, spread.workItems());
        assertEquals(2048, spread.shoupProducts());
        assertEquals(4096, spread.reductions());
        assertEquals(8192, spread.residueReadBytes());
        assertEquals(16384, spread.residueWriteBytes());
        assertEquals(4096, s.kernels().get("ntt_forward_stage").shoupProducts());
        assertEquals(16384, s.kernels().get("ntt_forward_local").shoupProducts());
        KernelWork combine = s.kernels().get("switch_combine");
        assertEquals(4096, combine.workItems());
        assertEquals(8192, combine.shoupProducts());
        assertEquals(32768, combine.residueReadBytes());
        assertEquals(16384, combine.residueWriteBytes());
      }
    }
  }

  // Transfers: 4 bytes per residue each way; a download of 2 polynomials of 3 limbs at n 1024 is
  // 24576 bytes.
  @Test
  void transfersCountFourBytesPerResidue() {
    RnsBasis b = basis(1024, 3);
    try (PolyBuffer x = counting.allocate(b, 2)) {
      long[] host = random(b, 2, 6);
      WorkCounter.Snapshot up = counted(() -> counting.upload(host, x.all()));
      assertEquals(1, up.uploads());
      assertEquals(24576, up.uploadBytes());
      long[] back = new long[host.length];
      WorkCounter.Snapshot down = counted(() -> counting.download(x.all(), back));
      assertEquals(24576, down.downloadBytes());
      assertArrayEquals(host, back);
    }
  }

  // Counting on or off: the same residues, bit for bit, through NTTs, products, a layer and a
  // base-independent chain of elementwise kernels.
  @Test
  void countingChangesNoResult() {
    RnsBasis b = basis(1024, 3);
    long[] x = random(b, 6, 7);
    IntMatrix w = IntMatrix.fromDense(2, 3, new int[] {1, -2, 0, 7, 0, -3});
    long[] withCounting = pipeline(counting, b, x, w);
    long[] without = pipeline(plain, b, x, w);
    assertArrayEquals(without, withCounting);
    assertFalse(plain.isCounting());
    assertThrows(IllegalStateException.class, plain::workCounter);
  }

  private static long[] pipeline(OpenClBackend be, RnsBasis b, long[] host, IntMatrix w) {
    try (PolyBuffer a = be.allocate(b, 6); PolyBuffer sq = be.allocate(b, 9); PolyBuffer mac = be.allocate(b, 6)) {
      be.upload(host, a.all());
      be.forwardNtt(a.all());
      be.tensorSquare(a.all(), sq.all());
      be.inverseNtt(sq.all());
      be.multiplyAccumulate(w, sq.range(0, 9), 3, mac.all());
      be.multiply(mac.all(), a.all(), mac.all());
      be.multiplyScalar(mac.all(), -12345, mac.all());
      be.addConstants(mac.range(0, 2), new long[] {1, 2, 3, 4, 5, 6}, false);
      long[] out = new long[6 * b.size() * b.n()];
      be.download(mac.all(), out);
      return out;
    }
  }
}
