package org.cryptonets.backend.cpu;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Recycles the arrays of closed buffers. A network layer allocates and frees hundreds of megabytes
 * per call; handing freed arrays to the next allocation keeps the heap near the peak live size, so
 * the JVM touches fewer fresh pages (each a page fault, slow on virtual machines) and collects less.
 * Recycled arrays are zeroed before reuse, as a fresh allocation would be.
 *
 * <p>Thread-safe (synchronized); bounded by a byte budget, beyond which arrays go to the collector.
 */
final class PolyArrayPool {
  private final long budgetBytes;
  private final Map<Integer, ArrayDeque<long[]>> free = new HashMap<>();
  private long pooledBytes;

  PolyArrayPool(long budgetBytes) {
    this.budgetBytes = budgetBytes;
  }

  /** A zero-filled array of exactly {@code length} longs. */
  long[] take(int length) {
    long[] a = takeRecycled(length);
    if (a == null) {
      return new long[length];
    }
    Arrays.fill(a, 0);
    return a;
  }

  /**
   * A recycled array of exactly {@code length} longs with its old contents, or null when none is
   * free: for callers that zero many arrays at once in parallel.
   */
  long[] takeRecycled(int length) {
    synchronized (this) {
      ArrayDeque<long[]> q = free.get(length);
      if (q != null && !q.isEmpty()) {
        pooledBytes -= 8L * length;
        return q.pop();
      }
    }
    return null;
  }

  void give(long[] a) {
    synchronized (this) {
      if (pooledBytes + 8L * a.length > budgetBytes) {
        return;
      }
      free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).push(a);
      pooledBytes += 8L * a.length;
    }
  }

  synchronized void clear() {
    free.clear();
    pooledBytes = 0;
  }
}
