package org.cryptonets.bench;

import java.util.SplittableRandom;
import org.cryptonets.bfv.BatchEncoder;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.Plaintext;
import org.cryptonets.engine.IntMatrix;
import org.cryptonets.engine.RnsBasis;

/** Deterministic inputs for the benchmarks. Stateless; thread-safe. */
final class BenchData {
  private BenchData() {}

  /** Uniform residues for {@code polys} polynomials over {@code basis}, in upload layout. */
  static long[] uniform(RnsBasis basis, int polys, SplittableRandom random) {
    int n = basis.n();
    int l = basis.size();
    long[] host = new long[polys * l * n];
    for (int p = 0; p < polys; p++) {
      for (int i = 0; i < l; i++) {
        long q = basis.modulus(i).value();
        int base = (p * l + i) * n;
        for (int j = 0; j < n; j++) {
          host[base + j] = random.nextLong(q);
        }
      }
    }
    return host;
  }

  /** A plaintext whose slots are small signed values, like quantized activations. */
  static Plaintext plaintext(BfvParameters params, SplittableRandom random) {
    long[] slots = new long[params.n()];
    for (int j = 0; j < slots.length; j++) {
      slots[j] = random.nextLong(-1000, 1001);
    }
    return new BatchEncoder(params, 0).encode(slots);
  }

  /** A dense rows x columns matrix of weights in [-bound, bound], none zero when nonZero is set. */
  static IntMatrix weights(int rows, int columns, int bound, boolean nonZero, SplittableRandom random) {
    int[] w = new int[rows * columns];
    for (int k = 0; k < w.length; k++) {
      int v;
      do {
        v = random.nextInt(-bound, bound + 1);
      } while (nonZero && v == 0);
      w[k] = v;
    }
    return IntMatrix.fromDense(rows, columns, w);
  }
}
