package org.cryptonets.engine;

/**
 * Host code that writes the residues of one polynomial for {@link Backend#generate}: limb i,
 * coefficient j at {@code target[offset + i * n + j]}, each in [0, q_i).
 *
 * <p>Implementations must be safe to call concurrently for different polynomials. Exceptions they
 * throw reach the caller of {@code generate}.
 */
@FunctionalInterface
public interface ResidueWriter {
  /** Writes polynomial {@code poly} (its index within the range) at {@code target[offset..]}. */
  void write(int poly, long[] target, int offset);
}
