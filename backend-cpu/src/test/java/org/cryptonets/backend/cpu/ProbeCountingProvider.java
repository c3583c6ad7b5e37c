package org.cryptonets.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.BackendProvider;
import org.cryptonets.engine.EngineException;

/**
 * A test provider that can never run and counts how often it is asked why (as probing a device
 * driver would load it): {@link BackendsTest} checks that opening another backend never asks.
 * Thread-safe; {@link #create} throws BACKEND_UNAVAILABLE.
 */
public final class ProbeCountingProvider implements BackendProvider {
  static final String NAME = "probe-counting";
  static final String REASON = "a test provider that never runs";
  static final AtomicInteger PROBES = new AtomicInteger();

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String unavailableReason() {
    PROBES.incrementAndGet();
    return REASON;
  }

  @Override
  public Backend create() {
    throw new EngineException(EngineException.Code.BACKEND_UNAVAILABLE, REASON);
  }
}
