package org.cryptonets.service;

import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;

/**
 * One CPU backend for every test class of this module: opening one warms its kernels up for
 * seconds, and the servers the tests start share it (it is thread-safe for disjoint buffers). It is
 * released when the test JVM exits.
 */
final class SharedBackend {
  private static Backend backend;

  private SharedBackend() {}

  static synchronized Backend get() {
    if (backend == null) {
      backend = Backends.open("cpu");
    }
    return backend;
  }
}
