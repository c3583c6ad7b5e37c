package org.cryptonets.app.cloud;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.cryptonets.app.Cli;
import org.cryptonets.app.ModelOption;
import org.cryptonets.app.OutputTarget;
import org.cryptonets.app.UsageError;
import org.cryptonets.app.parties.EncryptedImagesFile;
import org.cryptonets.app.parties.EncryptedResultsFile;
import org.cryptonets.app.parties.EvaluationKeysFile;
import org.cryptonets.app.parties.PartyFiles;
import org.cryptonets.app.parties.TwoPartyPlan;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.CompressedCiphertexts;
import org.cryptonets.bfv.Evaluator;
import org.cryptonets.bfv.io.SerializationException;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.cryptonets.inference.EncryptedCryptoNet;
import org.cryptonets.net.IntegerNetwork;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code infer --keys evaluation.keys --in FILE --out FILE}: the cloud's whole job. It holds the
 * model (the committed one), the evaluation keys and the owner's ciphertexts, and nothing else:
 * this class and every application class it uses reference no secret-key type (a test reads their
 * class files to keep it so). The plan comes from the evaluation-keys file; each plaintext prime's
 * batch is evaluated, its logits relinearized at the output level and switched to the small
 * result modulus, and the results file is written only once every batch has been evaluated.
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

  /** Sizes and time of one run. A value holder: not thread-safe; throws nothing. */
  public static final class Result {
    public int images;
    /** The images file's index of the image in slot 0, passed on in the results. */
    public int first;
    public int slots;
    public long uploadBytes;
    public long downloadBytes;
    public double seconds;
    public BfvParameters parameters;
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

  /** Evaluates {@code network} on the images file and writes the results file. */
  public static Result infer(Path keysFile, Path imagesFile, Path resultsFile, IntegerNetwork network, Backend backend, PrintStream out) {
    long start = System.nanoTime();
    Result r = new Result();
    try (EvaluationKeysFile.Contents keys = EvaluationKeysFile.read(keysFile, backend, true);
        Evaluator evaluator = new Evaluator(keys.parameters(), backend)) {
      BfvParameters params = keys.parameters();
      TwoPartyPlan plan = keys.plan();
      r.parameters = params;
      r.slots = params.n();
      if (params.security().bits() < 128) {
        out.println("warning: the owner's parameters are not 128-bit secure (" + params.security() + "): test parameters");
      }
      int pixels = network.inputShape().size();
      EncryptedCryptoNet net = new EncryptedCryptoNet(params, evaluator, keys.relinKeys(), network, plan.toCryptoNetPlan(params));
      List<CompressedCiphertexts> results = new ArrayList<>();
      try (EncryptedImagesFile.Reader images = new EncryptedImagesFile.Reader(imagesFile, params, pixels)) {
        r.images = images.images();
        r.first = images.first();
        r.uploadBytes = images.size();
        for (int j = 0; j < params.plainModuli().size(); j++) {
          long t0 = System.nanoTime();
          try (CiphertextBatch input = images.next(backend)) {
            if (input.level() != plan.inputLevel()) {
              throw new SerializationException(SerializationException.Code.INVALID_FIELD, imagesFile + ": ciphertexts at level " + input.level()
                  + "; the plan in " + keysFile + " expects level " + plan.inputLevel());
            }
            // The inputs stay in coefficient form, as the owner's modulus switch left them: the
            // first layer's outputs then go into the squares' base extension without inverse NTTs.
            // Results leave relinearized (size 2) and switched to the small modulus 2^b.
            results.add(net.evaluateForReturn(input, (name, index, seconds) -> { }, plan.resultBits()));
          }
          out.printf("plaintext prime %d of %d: network evaluated in %.1f s%n", j + 1, params.plainModuli().size(), (System.nanoTime() - t0) / 1e9);
        }
        images.finish();
      }
      r.downloadBytes = EncryptedResultsFile.write(resultsFile, params, r.images, r.first, results);
    }
    r.seconds = (System.nanoTime() - start) / 1e9;
    out.printf("inference on %d encrypted images took %.1f s%n", r.images, r.seconds);
    out.println("  upload   " + imagesFile + ": " + PartyFiles.describeSize(r.uploadBytes, r.images, r.slots));
    out.println("  download " + resultsFile + ": " + PartyFiles.describeSize(r.downloadBytes, r.images, r.slots));
    return r;
  }
}
