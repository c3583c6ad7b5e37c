package org.cryptonets.backend.cpu;

import org.cryptonets.engine.Backend;
import org.cryptonets.engine.BackendProvider;

/** ServiceLoader entry for the {@code cpu} backend; always available. Thread-safe. */
public final class CpuBackendProvider implements BackendProvider {
  @Override
  public String name() {
    return "cpu";
  }

  @Override
  public String unavailableReason() {
    return null;
  }

  @Override
  public Backend create() {
    return CpuBackend.fromSystemProperties();
  }
}
