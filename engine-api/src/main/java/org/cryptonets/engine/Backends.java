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
    StringBuilder listing = new StringBuilder();
    for (BackendProvider p : all) {
      String why = p.unavailableReason();
      listing.append(listing.length() == 0 ? "" : ", ").append(p.name()).append(why == null ? "" : " (unavailable: " + why + ")");
    }
    for (BackendProvider p : all) {
      if (p.name().equals(name)) {
        String why = p.unavailableReason();
        if (why != null) {
          throw new EngineException(
              EngineException.Code.BACKEND_UNAVAILABLE, "backend '" + name + "' cannot run here: " + why + "; backends: " + listing);
        }
        return p.create();
      }
    }
    throw new EngineException(
        EngineException.Code.BACKEND_UNAVAILABLE,
        "unknown backend '" + name + "' (set with -D" + PROPERTY + "); available: " + (listing.length() == 0 ? "none on the class path" : listing));
  }
}
