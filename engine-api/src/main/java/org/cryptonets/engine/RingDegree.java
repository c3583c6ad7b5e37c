package org.cryptonets.engine;

/**
 * Checks ring degrees: the engine works in Z[x]/(x^n + 1) for n a power of two in [16, 65536].
 *
 * <p>Stateless; thread-safe.
 */
public final class RingDegree {
  public static final int MIN = 16;
  public static final int MAX = 1 << 16;

  private RingDegree() {}

  /**
   * @throws EngineException {@code INVALID_RING_DEGREE} if n is not a power of two in [16, 65536]
   */
  public static void check(int n) {
    if (n < MIN || n > MAX || Integer.bitCount(n) != 1) {
      throw new EngineException(
          EngineException.Code.INVALID_RING_DEGREE,
          "ring degree " + n + " is not a power of two in [" + MIN + ", " + MAX + "]");
    }
  }

  public static int log2(int n) {
    return Integer.numberOfTrailingZeros(n);
  }
}
