package org.cryptonets.backend.opencl;

import org.cryptonets.engine.Backend;
import org.cryptonets.engine.BackendProvider;

/**
 * ServiceLoader entry for the {@code opencl} backend. Available when the OpenCL library loads and a
 * device matches the selection properties of {@link OpenClDevices}.
 *
 * <p>Stateless; thread-safe. {@link #unavailableReason()} never throws; {@link #create()} throws
 * what {@link OpenClBackend#open()} throws.
 */
public final class OpenClBackendProvider implements BackendProvider {
  @Override
  public String name() {
    return "opencl";
  }

  @Override
  public String unavailableReason() {
    return OpenClDevices.unavailableReason();
  }

  @Override
  public Backend create() {
    return OpenClBackend.open();
  }

  /** Every platform and device, or the reason none can be listed. */
  @Override
  public java.util.List<String> devices() {
    try {
      return OpenClDevices.describe();
    } catch (RuntimeException | LinkageError e) {
      return java.util.List.of("cannot list OpenCL devices: " + e.getMessage());
    }
  }
}
