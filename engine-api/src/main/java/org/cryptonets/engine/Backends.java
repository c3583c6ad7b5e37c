package org.cryptonets.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * Finds backends on the class path and opens the one named by the system property
 * {@code cryptonets.backend} (default {@code cpu}).
 *
 * <p>Stateless; thread-safe.
 */
public final class Backends {
  public static final String PROPERTY = "cryptonets.backend";
  public static final String DEFAULT = "cpu";

  private Backends() {}

  /** Every provider on the class path, by name. */
  public static List<BackendProvider> providers() {
    TreeMap<String, BackendProvider> byName = new TreeMap<>();
    for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
      byName.putIfAbsent(p.name(), p);
    }
    return new ArrayList<>(byName.values());
  }

  /** The backend named by {@code -Dcryptonets.backend}, default {@code cpu}. */
  public static Backend open() {
    return open(System.getProperty(PROPERTY, DEFAULT));
  }

  /**
   * @throws EngineException {@code BACKEND_UNAVAILABLE} naming the backends that exist and why the
   *     requested one cannot run
   */
  public static Backend open(String name) {
    List<BackendProvider> all = providers();
    // Only the requested provider is probed when it can run: probing OpenCL loads the driver, and a
    // driver's own signal handlers (PoCL's LLVM) can kill a JVM that was started without libjsig
    // even when it opens the CPU backend (measured: 3 of 8 fresh JVMs reading a batch crashed).
    for (BackendProvider p : all) {
      if (p.name().equals(name) && p.unavailableReason() == null) {
        return p.create();
      }
    }
    StringBuilder listing = new StringBuilder();
    for (BackendProvider p : all) {
      String why = p.unavailableReason();
      listing.append(listing.length() == 0 ? "" : ", ").append(p.name()).append(why == null ? "" : " (unavailable: " + why + ")");
    }
    for (BackendProvider p : all) {
      if (p.name().equals(name)) {
        throw new EngineException(
            EngineException.Code.BACKEND_UNAVAILABLE, "backend '" + name + "' cannot run here: " + p.unavailableReason() + "; backends: " + listing);
      }
    }
    throw new EngineException(
        EngineException.Code.BACKEND_UNAVAILABLE,
        "unknown backend '" + name + "' (set with -D" + PROPERTY + "); available: " + (listing.length() == 0 ? "none on the class path" : listing));
  }
}
