package org.cryptonets.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
