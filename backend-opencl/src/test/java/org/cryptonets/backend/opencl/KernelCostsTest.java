package org.cryptonets.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The cost formulas that need no device: accumulator folds and the per-operation instruction counts. */
class KernelCostsTest {
  /** The kernels' fold loop, step by step: {@code if (++terms > max_terms) { fold; terms = 2; }}. */
  private static long simulatedFolds(long terms, long maxTerms) {
    long t = 0;
    long folds = 0;
    for (long k = 0; k < terms; k++) {
      if (++t > maxTerms) {
        folds++;
        t = 2;
      }
    }
    return folds;
  }

  @ParameterizedTest(name = "{0} terms, at most {1} per sum: {2} folds")
  @CsvSource({"25, 1000, 0", "1000, 1000, 0", "1001, 1000, 1", "10, 3, 4", "845, 2, 843", "7, 4, 1", "8, 4, 2"})
  void foldsFollowTheKernelLoop(long terms, long maxTerms, long folds) {
    assertEquals(folds, KernelCosts.folds(terms, maxTerms));
    assertEquals(folds, simulatedFolds(terms, maxTerms));
  }

  // Multiply instructions per item: poly_multiply 12 (Barrett), poly_multiply_scalar 3 (Shoup),
  // drop_last_modulus 13 (reduce_wide + Shoup), poly_add 0.
  @ParameterizedTest(name = "{0}: {1} multiply instructions per residue")
  @CsvSource({"poly_multiply, 12", "poly_add, 0", "poly_multiply_scalar, 3", "drop_last_modulus, 13"})
  void instructionsPerResidue(String kernel, long perItem) {
    KernelWork w = switch (kernel) {
      case "poly_multiply_scalar" -> KernelCosts.multiplyScalar(2, 3, 1024);
      case "drop_last_modulus" -> KernelCosts.dropLastModulus(2, 4, 1024); // 2 x 3 x 1024 outputs
      default -> KernelCosts.elementwise(kernel, 2, 3, 1024);
    };
    assertEquals(6144, w.workItems());
    assertEquals(perItem * 6144, w.multiplyInstructions());
  }

  // The two device paths of the BGV modulus switch do the same arithmetic: the global path has one
  // more Shoup product per coefficient of the last limbs (n^-1 and t^-1 applied separately, where the
  // fused kernel multiplies once by n^-1 t^-1) and the same reductions; the fused path moves less
  // (no copy, the correction written once and read once instead of through the NTT's own pass).
  @ParameterizedTest(name = "n = {0}, {1} primes, {2} polynomials, block {3}")
  @CsvSource({"1024, 3, 2, 256", "8192, 6, 300, 2048", "4096, 2, 1, 1024"})
  void modulusSwitchPathsAgree(int n, int limbs, long count, int block) {
    int logn = Integer.numberOfTrailingZeros(n);
    int logb = Integer.numberOfTrailingZeros(block);
    int m = limbs - 1;
    KernelWork fused = KernelCosts.switchCorrectionLocal(count, limbs, n).plus(KernelCosts.switchForwardCombine(count, limbs, n));
    KernelWork global = KernelCosts.elementwise("poly_copy", count, 1, n)
        .plus(KernelCosts.nttLocal(count, 1, n, block, false))
        .plus(KernelCosts.switchSpread(count, limbs, n))
        .plus(KernelCosts.nttLocal(count * m, m, n, block, false))
        .plus(KernelCosts.switchCombine(count, limbs, n));
    for (int logt = logb; logt < logn; logt++) {
      global = global.plus(KernelCosts.nttStage(count, 1, n, logt, logt == logn - 1));
      global = global.plus(KernelCosts.nttStage(count * m, m, n, logt, false));
    }
    assertEquals(2, fused.launches());
    assertEquals(fused.shoupProducts() + count * n, global.shoupProducts());
    assertEquals(fused.reductions(), global.reductions());
    assertEquals(count * m * n, fused.reductions());
    assertEquals(fused.multiplyInstructions() + 3 * count * n, global.multiplyInstructions());
    // Fused: read the last limb and, per output residue, the correction and the input; write each
    // output residue twice (correction, result).
    assertEquals(4 * count * n * (1 + 2L * m), fused.residueReadBytes());
    assertEquals(4 * count * n * 2L * m, fused.residueWriteBytes());
    assertTrue(global.residueReadBytes() > fused.residueReadBytes());
    assertTrue(global.residueWriteBytes() > fused.residueWriteBytes());
  }
}
