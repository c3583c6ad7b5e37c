package org.cryptonets.service;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How a service runs: where it listens, its store, the models it offers, the backend, and its
 * limits. Start from {@link #defaults} and change what differs with the {@code with} methods.
 *
 * <p>Immutable; thread-safe. The constructor throws {@link IllegalArgumentException} for a value
 * outside its range (named, with the range).
 *
 * @param host address to listen on ({@value #DEFAULT_HOST} by default: only this machine)
 * @param port TCP port, 0 for any free one
 * @param store folder of the store (created if missing)
 * @param models folder of .onnx and {@code train} model files offered, or null for the committed model
 * @param backend backend name, or null for {@code -Dcryptonets.backend} or the default
 * @param workers jobs run at a time on the one backend
 * @param maxBodyBytes largest upload accepted (keys or images), in bytes
 * @param maxActiveJobsPerClient queued and running jobs a client may have at once
 * @param maxKeysPerClient evaluation-keys files a client may register
 * @param tlsKeystore PKCS12 keystore with the server's certificate and key, or null for plain HTTP
 * @param tlsPassword the keystore's password (with {@code tlsKeystore})
 * @param allowTestParameters accept keys under parameters below 128-bit security (tests only)
 * @param shutdownGrace how long a graceful stop waits for running jobs before leaving them to the
 *     next start
 */
public record ServiceConfig(String host, int port, Path store, Path models, String backend, int workers, long maxBodyBytes, int maxActiveJobsPerClient,
    int maxKeysPerClient, Path tlsKeystore, String tlsPassword, boolean allowTestParameters, Duration shutdownGrace) {
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 8080;
  public static final int DEFAULT_WORKERS = 1;
  public static final int MAX_WORKERS = 64;
  /** 1 GiB: a full batch of 8192 images at the committed model's parameters is about 300 MB. */
  public static final long DEFAULT_MAX_BODY_BYTES = 1L << 30;
  public static final int DEFAULT_MAX_ACTIVE_JOBS = 16;
  public static final int DEFAULT_MAX_KEYS = 8;
  public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofMinutes(10);

  public ServiceConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(shutdownGrace, "shutdownGrace");
    check("port", port, 0, 65535);
    check("workers", workers, 1, MAX_WORKERS);
    if (maxBodyBytes < 1024 || maxBodyBytes > (1L << 40)) {
      throw new IllegalArgumentException("maximum body size " + maxBodyBytes + " bytes is outside [1024, 2^40]");
    }
    check("active jobs per client", maxActiveJobsPerClient, 1, 100_000);
    check("keys per client", maxKeysPerClient, 1, 10_000);
    if (tlsKeystore != null && tlsPassword == null) {
      throw new IllegalArgumentException("a TLS keystore needs its password");
    }
    if (shutdownGrace.isNegative()) {
      throw new IllegalArgumentException("shutdown grace " + shutdownGrace + " is negative");
    }
  }

  private static void check(String what, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(what + " " + value + " is outside [" + min + ", " + max + "]");
    }
  }

  /** Every default, with the store in {@code store}. */
  public static ServiceConfig defaults(Path store) {
    return new ServiceConfig(DEFAULT_HOST, DEFAULT_PORT, store, null, null, DEFAULT_WORKERS, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_ACTIVE_JOBS, DEFAULT_MAX_KEYS,
        null, null, false, DEFAULT_SHUTDOWN_GRACE);
  }

  public ServiceConfig withHost(String h) {
    return new ServiceConfig(h, port, store, models, backend, workers, maxBodyBytes, maxActiveJobsPerClient, maxKeysPerClient, tlsKeystore, tlsPassword,
        allowTestParameters, shutdownGrace);
  }

  public ServiceConfig withPort(int p) {
    return new ServiceConfig(host, p, store, models, backend, workers, maxBodyBytes, maxActiveJobsPerClient, maxKeysPerClient, tlsKeystore, tlsPassword,
        allowTestParameters, shutdownGrace);
  }

  public ServiceConfig withModels(Path folder) {
    return new ServiceConfig(host, port, store, folder, backend, workers, maxBodyBytes, maxActiveJobsPerClient, maxKeysPerClient, tlsKeystore, tlsPassword,
        allowTestParameters, shutdownGrace);
  }

  public ServiceConfig withBackend(String name) {
    return new ServiceConfig(host, port, store, models, name, workers, maxBodyBytes, maxActiveJobsPerClient, maxKeysPerClient, tlsKeystore, tlsPassword,
        allowTestParameters, shutdownGrace);
  }

  public ServiceConfig withWorkers(int w) {
    return new ServiceConfig(host, port, store, models, backend, w, maxBodyBytes, maxActiveJobsPerClient, maxKeysPerClient, tlsKeystore, tlsPassword,
        allowTestParameters, shutdownGrace);
  }

  public ServiceConfig withLimits(long bodyBytes, int activeJobsPerClient, int keysPerClient) {
    return new ServiceConfig(host, port, store, models, backend, workers, bodyBytes, activeJobsPerClient, keysPerClient, tlsKeystore, tlsPassword,
        allowTestParameters, shutdownGrace);
  }

  public ServiceConfig withTls(Path keystore, String password) {
    return new ServiceConfig(host, port, store, models, backend, workers, maxBodyBytes, maxActiveJobsPerClient, maxKeysPerClient, keystore, password,
        allowTestParameters, shutdownGrace);
  }

  public ServiceConfig withTestParameters(boolean allow) {
    return new ServiceConfig(host, port, store, models, backend, workers, maxBodyBytes, maxActiveJobsPerClient, maxKeysPerClient, tlsKeystore, tlsPassword,
        allow, shutdownGrace);
  }

  public ServiceConfig withShutdownGrace(Duration grace) {
    return new ServiceConfig(host, port, store, models, backend, workers, maxBodyBytes, maxActiveJobsPerClient, maxKeysPerClient, tlsKeystore, tlsPassword,
        allowTestParameters, grace);
  }
}
