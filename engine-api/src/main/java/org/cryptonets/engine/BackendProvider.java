package org.cryptonets.engine;

/**
 * Service-provider entry for a backend, found with {@link java.util.ServiceLoader}. A provider is
 * cheap to construct; {@link #create()} does the expensive work (threads, device contexts).
 *
 * <p>Implementations must be thread-safe.
 */
public interface BackendProvider {
  /** The selection name, e.g. {@code cpu} or {@code opencl}. */
  String name();

  /** Null if the backend can run here, else why not (missing driver, no device). */
  String unavailableReason();

  /**
   * @throws EngineException {@code BACKEND_UNAVAILABLE} if it cannot run here
   */
  Backend create();

  /**
   * The devices this backend can use, one description per line, for listings (for example every
   * OpenCL platform and device with its index). Empty if the backend has no device choice.
   */
  default java.util.List<String> devices() {
    return java.util.List.of();
  }
}
