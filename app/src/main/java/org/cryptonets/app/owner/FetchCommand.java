package org.cryptonets.app.owner;

import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.cryptonets.app.Cli;
import org.cryptonets.app.OutputTarget;
import org.cryptonets.app.UsageError;
import org.cryptonets.service.JobState;
import org.cryptonets.service.ServiceClient;
import org.cryptonets.service.ServiceException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fetch --server URL --keys DIR --job ID --out results.bin [--wait SECONDS]}: the owner
 * downloads a finished job's encrypted results, with the token {@code submit} kept beside the keys;
 * {@code decrypt} then reads the file as it reads {@code infer}'s. With {@code --wait} it polls
 * until the job is done; otherwise a job still queued or running is reported and nothing written.
 *
 * <p>One instance per run; not thread-safe. Throws {@link UsageError} for bad options, no
 * registration on that server and the server's refusals (4xx), {@link IllegalStateException} for a
 * failed or unfinished job; the output file appears only complete.
 */
@Command(name = "fetch", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
    description = "Owner: download a job's encrypted results from the service (for decrypt).")
public final class FetchCommand implements Callable<Integer> {
  private final PrintStream out;
  @Spec
  private CommandSpec spec;
  @Option(names = "--server", required = true, paramLabel = "URL", description = ServiceOptions.SERVER)
  private String server;
  @Option(names = "--keys", required = true, paramLabel = "DIR", description = "the folder keygen wrote (and submit kept the token in)")
  private Path keysOption;
  @Option(names = "--job", required = true, paramLabel = "ID", description = "the job id submit printed")
  private String job;
  @Option(names = "--out", required = true, paramLabel = "FILE", description = "results file to write")
  private Path target;
  @Option(names = "--force", description = "replace an existing output file")
  private boolean force;
  private int waitSeconds;

  /** A command that prints to {@code out}. */
  public FetchCommand(PrintStream out) {
    this.out = out;
  }

  @Option(names = "--wait", paramLabel = "SECONDS", description = "wait up to this long for the job to finish, 0 to 86400 (default 0: do not wait)")
  void waitSeconds(int seconds) {
    waitSeconds = Cli.range(spec, "--wait", seconds, 0, 86_400);
  }

  /** Parses the options and runs; returns the exit code. */
  public static int run(List<String> args, PrintStream out) {
    return Cli.run(new FetchCommand(out), args, out);
  }

  @Override
  public Integer call() {
    URI uri = ServiceOptions.server("fetch", server);
    Path keysDir = OwnerData.keysFolder("fetch", keysOption);
    ServiceCredentials.Entry registration = ServiceCredentials.load(keysDir, uri.toString());
    if (registration == null) {
      throw new UsageError("fetch: " + keysDir + " holds no registration on " + uri + " (submit registers the keys and keeps the token there)");
    }
    try (OutputTarget claimed = OutputTarget.claim("fetch", "--out", target, force, List.of())) {
      ServiceClient client = new ServiceClient(uri);
      ServiceClient.JobStatus status = client.await(registration.token(), job, Duration.ofSeconds(waitSeconds));
      if (status.state() == JobState.FAILED) {
        throw new IllegalStateException("fetch: job " + job + " failed: " + status.reason());
      }
      if (status.state() != JobState.DONE) {
        throw new IllegalStateException("fetch: job " + job + " is " + status.state().label() + (waitSeconds > 0 ? " after " + waitSeconds + " s" : "")
            + "; fetch again later, or pass --wait SECONDS");
      }
      long bytes = client.fetch(registration.token(), job, target, ServiceOptions.progress("download", System.err));
      out.printf("job %s: %d images, network %.1f s on the service; results written to %s (%,d bytes)%n", job, status.images(), status.seconds(), target, bytes);
    } catch (ServiceException e) {
      throw ServiceOptions.refused("fetch", e);
    }
    return 0;
  }
}
