package org.cryptonets.app.cloud;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.cryptonets.app.Cli;
import org.cryptonets.app.UsageError;
import org.cryptonets.service.InferenceServer;
import org.cryptonets.service.ServiceConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code serve --port P --store DIR [--models DIR] ...}: the cloud as an HTTP service
 * ({@link InferenceServer}) until the process is stopped; SIGTERM or Ctrl-C stop it gracefully
 * (running jobs finish within {@code --shutdown-grace}, queued ones stay in the store for the next
 * start). Like {@code infer} it holds evaluation keys and ciphertexts only.
 *
 * <p>One instance per run; not thread-safe. Throws {@link UsageError} for bad options, and what
 * {@link InferenceServer#start} throws (a models folder that does not load, a port in use).
 */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
    description = "Cloud: serve encrypted inference over HTTP (register keys, submit batches, fetch results); see README 'As a service'.")
public final class ServeCommand implements Callable<Integer> {
  private final PrintStream out;
  @Spec
  private CommandSpec spec;
  private int port = ServiceConfig.DEFAULT_PORT;
  @Option(names = "--host", paramLabel = "ADDRESS", description = "address to listen on (default " + ServiceConfig.DEFAULT_HOST
      + ": this machine only; 0.0.0.0 for every interface)")
  private String host = ServiceConfig.DEFAULT_HOST;
  @Option(names = "--store", required = true, paramLabel = "DIR", description = "folder of the service's keys, jobs and results (created if missing)")
  private Path store;
  @Option(names = "--models", paramLabel = "DIR", description = "folder of .onnx and train model files to offer (default: the committed MNIST model, as 'committed')")
  private Path models;
  @Option(names = "--backend", paramLabel = "NAME", description = "cpu or opencl (default: -Dcryptonets.backend or cpu); shared by all jobs")
  private String backendName;
  private int workers = ServiceConfig.DEFAULT_WORKERS;
  private int maxBodyMb = (int) (ServiceConfig.DEFAULT_MAX_BODY_BYTES >> 20);
  private int maxJobs = ServiceConfig.DEFAULT_MAX_ACTIVE_JOBS;
  private int maxKeys = ServiceConfig.DEFAULT_MAX_KEYS;
  @Option(names = "--tls-keystore", paramLabel = "FILE", description = "PKCS12 keystore with the server's certificate: serve HTTPS only")
  private Path tlsKeystore;
  @Option(names = "--tls-password", paramLabel = "PASSWORD", description = "the keystore's password (default: the environment variable CRYPTONETS_TLS_PASSWORD)")
  private String tlsPassword;
  @Option(names = "--allow-test-parameters", description = "accept keys under parameters below 128-bit security (tests only)")
  private boolean allowTestParameters;
  private int graceSeconds = (int) ServiceConfig.DEFAULT_SHUTDOWN_GRACE.toSeconds();

  /** A command that prints to {@code out}. */
  public ServeCommand(PrintStream out) {
    this.out = out;
  }

  @Option(names = "--port", paramLabel = "P", description = "TCP port, 0 to 65535 (default " + ServiceConfig.DEFAULT_PORT + "; 0: any free port)")
  void port(int p) {
    port = Cli.range(spec, "--port", p, 0, 65535);
  }

  @Option(names = "--workers", paramLabel = "N", description = "jobs run at a time, 1 to " + ServiceConfig.MAX_WORKERS + " (default " + ServiceConfig.DEFAULT_WORKERS + ")")
  void workers(int n) {
    workers = Cli.range(spec, "--workers", n, 1, ServiceConfig.MAX_WORKERS);
  }

  @Option(names = "--max-body-mb", paramLabel = "MB", description = "largest upload in MiB, 1 to 1048576 (default 1024; a batch of 8192 images is about 300 MB)")
  void maxBodyMb(int mb) {
    maxBodyMb = Cli.range(spec, "--max-body-mb", mb, 1, 1 << 20);
  }

  @Option(names = "--max-jobs", paramLabel = "N", description = "queued and running jobs per client, 1 to 100000 (default " + ServiceConfig.DEFAULT_MAX_ACTIVE_JOBS + ")")
  void maxJobs(int n) {
    maxJobs = Cli.range(spec, "--max-jobs", n, 1, 100_000);
  }

  @Option(names = "--max-keys", paramLabel = "N", description = "evaluation-keys files per client, 1 to 10000 (default " + ServiceConfig.DEFAULT_MAX_KEYS + ")")
  void maxKeys(int n) {
    maxKeys = Cli.range(spec, "--max-keys", n, 1, 10_000);
  }

  @Option(names = "--shutdown-grace", paramLabel = "SECONDS", description = "how long a stop waits for running jobs, 0 to 86400 (default 600); "
      + "unfinished ones run again at the next start")
  void grace(int seconds) {
    graceSeconds = Cli.range(spec, "--shutdown-grace", seconds, 0, 86_400);
  }

  /** Parses the options and runs until stopped; returns the exit code. */
  public static int run(List<String> args, PrintStream out) {
    return Cli.run(new ServeCommand(out), args, out);
  }

  /** The configuration the options describe. */
  ServiceConfig config() {
    String password = tlsPassword != null ? tlsPassword : System.getenv("CRYPTONETS_TLS_PASSWORD");
    Cli.refuse("serve", tlsKeystore == null && tlsPassword != null, "--tls-password", "without --tls-keystore");
    if (tlsKeystore != null && !Files.isRegularFile(tlsKeystore)) {
      throw new UsageError("serve: --tls-keystore " + tlsKeystore + " is not a file");
    }
    if (tlsKeystore != null && password == null) {
      throw new UsageError("serve: --tls-keystore needs --tls-password or the environment variable CRYPTONETS_TLS_PASSWORD");
    }
    if (models != null && !Files.isDirectory(models)) {
      throw new UsageError("serve: --models " + models + " is not a folder");
    }
    if (Files.exists(store) && !Files.isDirectory(store)) {
      throw new UsageError("serve: --store " + store + " exists and is not a folder");
    }
    return new ServiceConfig(host, port, store, models, backendName, workers, (long) maxBodyMb << 20, maxJobs, maxKeys, tlsKeystore,
        tlsKeystore == null ? null : password, allowTestParameters, Duration.ofSeconds(graceSeconds));
  }

  @Override
  public Integer call() throws InterruptedException {
    ServiceConfig config = config();
    InferenceServer server;
    try {
      server = InferenceServer.start(config);
    } catch (IllegalArgumentException e) {
      throw new UsageError("serve: " + e.getMessage());
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.err.println("stopping: running jobs finish (up to " + graceSeconds + " s), queued ones wait in " + store + " for the next start");
      server.stop();
      stopped.countDown();
    }, "cryptonets-serve-stop"));
    out.println("serving on " + server.baseUri() + " (store " + store + ", " + config.workers() + " worker(s)); "
        + "contract: " + server.baseUri() + "/openapi.json; stop with Ctrl-C or SIGTERM");
    out.flush();
    stopped.await();
    return 0;
  }
}
