package org.cryptonets.app.owner;

import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.cryptonets.app.Cli;
import org.cryptonets.app.UsageError;
import org.cryptonets.inference.parties.PartyFiles;
import org.cryptonets.service.ServiceClient;
import org.cryptonets.service.ServiceException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code submit --server URL --keys DIR --in images.bin [--model NAME]}: the owner uploads an
 * encrypted batch to the service and prints {@code job ID}. On first use with a server it registers
 * the folder's evaluation keys there and keeps the key id and the client token beside the keys
 * ({@value ServiceCredentials#FILE}, owner-only); if the server no longer knows them (its store
 * was reset) it registers them again. Only evaluation keys and ciphertexts leave the machine.
 *
 * <p>One instance per run; not thread-safe. Throws {@link UsageError} for bad options and the
 * server's refusals of the input (4xx), {@link IllegalStateException} for its other failures and
 * {@link java.io.UncheckedIOException} when it cannot be reached.
 */
@Command(name = "submit", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
    description = "Owner: upload encrypted images to the service (registering the evaluation keys on first use); prints the job id.")
public final class SubmitCommand implements Callable<Integer> {
  private final PrintStream out;
  @Option(names = "--server", required = true, paramLabel = "URL", description = ServiceOptions.SERVER)
  private String server;
  @Option(names = "--keys", required = true, paramLabel = "DIR", description = "the folder keygen wrote")
  private Path keysOption;
  @Option(names = "--in", required = true, paramLabel = "FILE", description = "encrypted images written by encrypt")
  private Path in;
  @Option(names = "--model", paramLabel = "NAME", description = "a model name from the service's GET /models (default: the model the keys were made for)")
  private String model;

  /** A command that prints to {@code out}. */
  public SubmitCommand(PrintStream out) {
    this.out = out;
  }

  /** Parses the options and runs; returns the exit code. */
  public static int run(List<String> args, PrintStream out) {
    return Cli.run(new SubmitCommand(out), args, out);
  }

  @Override
  public Integer call() {
    URI uri = ServiceOptions.server("submit", server);
    Path keysDir = OwnerData.keysFolder("submit", keysOption);
    Path evaluationKeys = keysDir.resolve(PartyFiles.EVALUATION_KEYS_FILE);
    if (!Files.isRegularFile(evaluationKeys)) {
      throw new UsageError("submit: " + evaluationKeys + " is missing (expected the folder keygen wrote)");
    }
    if (!Files.isRegularFile(in)) {
      throw new UsageError("submit: --in " + in + " is not a file");
    }
    ServiceClient client = new ServiceClient(uri);
    String key = uri.toString();
    ServiceCredentials.Entry registration = ServiceCredentials.load(keysDir, key);
    try {
      if (registration == null) {
        registration = register(client, keysDir, evaluationKeys, key);
      }
      String job;
      try {
        job = client.submit(registration.token(), registration.keyId(), model, in, ServiceOptions.progress("upload", System.err));
      } catch (ServiceException e) {
        boolean forgotten = e.status() == 401 || e.status() == 404 && "unknown_key".equals(e.code());
        if (!forgotten) {
          throw e;
        }
        out.println("the service does not know key " + registration.keyId() + " (" + e.getMessage() + "); registering the keys again");
        registration = register(client, keysDir, evaluationKeys, key);
        job = client.submit(registration.token(), registration.keyId(), model, in, ServiceOptions.progress("upload", System.err));
      }
      out.println("job " + job);
    } catch (ServiceException e) {
      throw ServiceOptions.refused("submit", e);
    }
    return 0;
  }

  private ServiceCredentials.Entry register(ServiceClient client, Path keysDir, Path evaluationKeys, String server) {
    ServiceClient.Registration r = client.registerKeys(evaluationKeys, null, ServiceOptions.progress("upload keys", System.err));
    ServiceCredentials.Entry entry = new ServiceCredentials.Entry(r.keyId(), r.token());
    ServiceCredentials.save(keysDir, server, entry);
    out.println("evaluation keys registered on " + server + " as " + r.keyId() + "; key id and token kept in " + keysDir.resolve(ServiceCredentials.FILE));
    return entry;
  }
}
