package org.cryptonets.backend.cpu;

import org.cryptonets.engine.Backend;
import org.cryptonets.engine.EngineException;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.RnsBasis;

/**
 * Heap memory for the CPU backend: one {@code long[limbs * n]} per polynomial, so a polynomial's
 * limbs are contiguous and polynomials can be processed by different threads without false sharing.
 *
 * <p>Not thread-safe for concurrent writes to the same polynomial.
 */
final class CpuPolyBuffer implements PolyBuffer {
  private final CpuBackend owner;
  private final RnsBasis basis;
  private long[][] data;

  CpuPolyBuffer(CpuBackend owner, RnsBasis basis, int polys) {
    this(owner, basis, arrays(owner, basis, polys));
  }

  CpuPolyBuffer(CpuBackend owner, RnsBasis basis, long[][] data) {
    this.owner = owner;
    this.basis = basis;
    this.data = data;
  }

  private static long[][] arrays(CpuBackend owner, RnsBasis basis, int polys) {
    long[][] data = new long[polys][];
    int len = basis.size() * basis.n();
    for (int p = 0; p < polys; p++) {
      data[p] = owner.pool().take(len);
    }
    return data;
  }

  long[] poly(int index) {
    long[][] d = data;
    if (d == null) {
      throw new EngineException(EngineException.Code.BUFFER_INVALID, "buffer used after close");
    }
    return d[index];
  }

  @Override
  public RnsBasis basis() {
    return basis;
  }

  @Override
  public int polys() {
    long[][] d = data;
    if (d == null) {
      throw new EngineException(EngineException.Code.BUFFER_INVALID, "buffer used after close");
    }
    return d.length;
  }

  @Override
  public Backend backend() {
    return owner;
  }

  @Override
  public void close() {
    long[][] d = data;
    data = null;
    if (d != null) {
      for (long[] a : d) {
        owner.pool().give(a);
      }
    }
  }
}
