package org.cryptonets.backend.opencl;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicReference;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.EngineException;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.RnsBasis;
import org.jocl.cl_mem;

/**
 * Device memory of the OpenCL backend: {@code polys * limbs * n} residues stored as 32-bit words
 * (every prime is below 2^31), laid out exactly like the host arrays of {@link Backend#upload}:
 * polynomial-major, then limb, then coefficient. Data stays on the device; only the backend's
 * upload and download move it.
 *
 * <p>Not thread-safe for concurrent writes (see {@link PolyBuffer}). {@link #close()} is idempotent
 * and may be called from any thread; a buffer that is never closed is released when it becomes
 * unreachable, or at the latest when its backend closes. Using a closed buffer, or any buffer of a
 * closed backend, throws {@link EngineException} {@code BUFFER_INVALID}.
 */
public final class OpenClPolyBuffer implements PolyBuffer {
  private static final Cleaner CLEANER = Cleaner.create();

  private final OpenClBackend owner;
  private final RnsBasis basis;
  private final int polys;
  private final Allocation allocation;
  private final Cleaner.Cleanable cleanable;

  /**
   * The device memory, shared with the cleaner and the backend's list of live allocations, so it
   * can be released exactly once by whichever comes first: close, garbage collection, backend close.
   */
  static final class Allocation implements Runnable {
    private final AtomicReference<cl_mem> mem;
    private final ClDevice device;
    private final OpenClBackend owner;

    Allocation(ClDevice device, OpenClBackend owner, cl_mem mem) {
      this.device = device;
      this.owner = owner;
      this.mem = new AtomicReference<>(mem);
    }

    cl_mem get() {
      return mem.get();
    }

    @Override
    public void run() {
      cl_mem m = mem.getAndSet(null);
      if (m != null) {
        owner.forget(this);
        if (!device.isClosed()) {
          device.release(m);
        }
      }
    }
  }

  OpenClPolyBuffer(OpenClBackend owner, RnsBasis basis, int polys, Allocation allocation) {
    this.owner = owner;
    this.basis = basis;
    this.polys = polys;
    this.allocation = allocation;
    this.cleanable = CLEANER.register(this, allocation);
  }

  /** The device memory; throws BUFFER_INVALID once closed. */
  cl_mem mem() {
    cl_mem m = allocation.get();
    if (m == null || owner.isClosed()) {
      throw new EngineException(EngineException.Code.BUFFER_INVALID, "OpenCL buffer of " + polys + " polynomials used after close");
    }
    return m;
  }

  /** Residues per polynomial: limbs * n. */
  long polyLength() {
    return (long) basis.size() * basis.n();
  }

  @Override
  public RnsBasis basis() {
    return basis;
  }

  @Override
  public int polys() {
    return polys;
  }

  @Override
  public Backend backend() {
    return owner;
  }

  @Override
  public void close() {
    cleanable.clean();
  }

  @Override
  public String toString() {
    return "OpenClPolyBuffer[" + polys + " x " + basis.size() + " limbs x " + basis.n() + (allocation.get() == null ? ", closed]" : "]");
  }
}
