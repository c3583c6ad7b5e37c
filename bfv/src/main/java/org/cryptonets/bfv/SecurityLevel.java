package org.cryptonets.bfv;

/**
 * Security levels with the HomomorphicEncryption.org standard's bound on log2(Q) for a ternary
 * secret (classical attacks). {@link #NONE} disables the check and exists for tests only.
 *
 * <p>Immutable; thread-safe.
 */
public enum SecurityLevel {
  /** 128-bit classical security: n -> largest log2 Q. */
  TC128(new int[] {1024, 2048, 4096, 8192, 16384, 32768}, new int[] {27, 54, 109, 218, 438, 881}),
  /** No security requirement: for tests with toy parameters only. */
  NONE(new int[0], new int[0]);

  private final int[] degrees;
  private final int[] maxBits;

  SecurityLevel(int[] degrees, int[] maxBits) {
    this.degrees = degrees;
    this.maxBits = maxBits;
  }

  /** Largest log2(Q) allowed at degree n, or -1 if n is not in the table. */
  public int maxModulusBits(int n) {
    if (this == NONE) {
      return Integer.MAX_VALUE;
    }
    for (int i = 0; i < degrees.length; i++) {
      if (degrees[i] == n) {
        return maxBits[i];
      }
    }
    return -1;
  }

  /** Security bits claimed for the report (0 for NONE). */
  public int bits() {
    return this == TC128 ? 128 : 0;
  }
}
