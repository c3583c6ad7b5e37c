package org.cryptonets.app.cloud;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.cryptonets.app.Cli;
import org.cryptonets.app.ModelOption;
import org.cryptonets.app.OutputTarget;
import org.cryptonets.app.UsageError;
import org.cryptonets.inference.parties.CloudInference;
import org.cryptonets.inference.parties.EvaluationKeysFile;
import org.cryptonets.inference.parties.PartyFiles;
import org.cryptonets.inference.parties.TwoPartyPlan;
import org.cryptonets.bfv.io.SerializationException;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.net.IntegerNetwork;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code infer --keys evaluation.keys --in FILE --out FILE}: the cloud's whole job. It holds the
 * model (the committed one), the evaluation keys and the owner's ciphertexts, and nothing else:
 * this class and every application class it uses reference no secret-key type (a test reads their
 * class files to keep it so). The work is the library's {@link CloudInference#run}, which the
 * service and the Spark job call too.
 *
 * <p>One instance per run; not thread-safe. Throws {@link UsageError} for bad options and
 * {@link SerializationException} for malformed, damaged or mismatched input files (ciphertexts
 * under other parameters, a file of the wrong kind); no output file appears on any failure.
 */
@Command(name = "infer", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
    description = "Cloud: apply the network to the owner's encrypted images with the evaluation keys (no secret key).")
public final class InferCommand implements Callable<Integer> {
  private final PrintStream out;
  @Option(names = "--keys", required = true, paramLabel = "FILE", description = "the evaluation.keys file from the data owner")
  private Path keys;
  @Option(names = "--in", required = true, paramLabel = "FILE", description = "encrypted images from the data owner")
  private Path in;
  @Option(names = "--out", required = true, paramLabel = "FILE", description = "results file to write")
  private Path target;
  @Option(names = ModelOption.OPTION, paramLabel = ModelOption.LABEL, description = ModelOption.DESCRIPTION)
  private Path modelFile;
  @Option(names = "--backend", paramLabel = "NAME", description = "cpu or opencl (default: -Dcryptonets.backend or cpu)")
  private String backendName;
  @Option(names = "--force", description = "replace an existing output file")
  private boolean force;

  /** A command that prints to {@code out}. */
  public InferCommand(PrintStream out) {
    this.out = out;
  }

  /** Parses the options and runs; returns the exit code. */
  public static int run(List<String> args, PrintStream out) {
    return Cli.run(new InferCommand(out), args, out);
  }

  @Override
  public Integer call() {
    file("--keys", keys);
    file("--in", in);
    try (OutputTarget claimed = OutputTarget.claim("infer", "--out", target, force, List.of(keys, in));
        Backend backend = Backends.open(backendName != null ? backendName : System.getProperty(Backends.PROPERTY, Backends.DEFAULT))) {
      EvaluationKeysFile.Contents header = EvaluationKeysFile.read(keys, backend, false);
      IntegerNetwork network = ModelOption.forKeys("infer", modelFile, header.plan(), keys.toString());
      infer(keys, in, target, network, backend, out);
    }
    return 0;
  }

  private static void file(String option, Path p) {
    if (!Files.isRegularFile(p)) {
      throw new UsageError("infer: " + option + " " + p + " is not a file");
    }
  }

  /** Evaluates {@code network} on the images file and writes the results file (see {@link CloudInference#run}). */
  public static CloudInference.Result infer(Path keysFile, Path imagesFile, Path resultsFile, IntegerNetwork network, Backend backend, PrintStream out) {
    CloudInference.Result r = CloudInference.run(keysFile, imagesFile, resultsFile, network, backend, out::println);
    out.printf("inference on %d encrypted images took %.1f s%n", r.images(), r.seconds());
    out.println("  upload   " + imagesFile + ": " + PartyFiles.describeSize(r.uploadBytes(), r.images(), r.slots()));
    out.println("  download " + resultsFile + ": " + PartyFiles.describeSize(r.downloadBytes(), r.images(), r.slots()));
    return r;
  }
}
