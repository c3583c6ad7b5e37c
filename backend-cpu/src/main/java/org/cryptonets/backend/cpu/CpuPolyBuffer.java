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
    this.owner = owner;
    this.basis = basis;
    this.data = new long[polys][basis.size() * basis.n()];
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
    data = null;
  }
}
