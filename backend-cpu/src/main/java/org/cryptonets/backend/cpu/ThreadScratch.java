package org.cryptonets.backend.cpu;

/**
 * Per-thread scratch arrays for the kernels. Allocating temporaries per call produced gigabytes of
 * garbage per network layer, and on a VM every fresh heap page costs a page fault; reusing one
 * array per thread and purpose removes that. Callers must not hold a scratch array across calls
 * that may request the same slot.
 *
 * <p>Thread-confined by construction (ThreadLocal); thread-safe to call from any thread.
 */
final class ThreadScratch {
  static final int SLOTS = 4;
  private static final ThreadLocal<long[][]> ARRAYS = ThreadLocal.withInitial(() -> new long[SLOTS][]);
  static final int DOUBLE_SLOTS = 2;
  private static final ThreadLocal<double[][]> DOUBLES = ThreadLocal.withInitial(() -> new double[DOUBLE_SLOTS][]);

  private ThreadScratch() {}

  /** A thread-local array of at least {@code length} longs for {@code slot}; contents undefined. */
  static long[] get(int slot, int length) {
    long[][] a = ARRAYS.get();
    long[] x = a[slot];
    if (x == null || x.length < length) {
      x = new long[length];
      a[slot] = x;
    }
    return x;
  }

  /** The thread's double scratch array for {@code slot}, at least {@code length}; contents undefined. */
  static double[] doubles(int slot, int length) {
    double[][] a = DOUBLES.get();
    double[] x = a[slot];
    if (x == null || x.length < length) {
      x = new double[length];
      a[slot] = x;
    }
    return x;
  }
}
