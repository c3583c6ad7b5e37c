package org.cryptonets.app.owner;

import org.cryptonets.inference.LoadedModel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.cryptonets.app.Cli;
import org.cryptonets.app.UsageError;
import org.cryptonets.inference.parties.EvaluationKeysFile;
import org.cryptonets.inference.parties.PartyFiles;
import org.cryptonets.inference.parties.TwoPartyPlan;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.KeyGenerator;
import org.cryptonets.bfv.PublicKey;
import org.cryptonets.bfv.BgvPublicKey;
import org.cryptonets.bfv.BgvRelinKeys;
import org.cryptonets.bfv.RelinKeys;
import org.cryptonets.bfv.Scheme;
import org.cryptonets.app.SchemeOption;
import org.cryptonets.bfv.io.BfvFileWriter;
import org.cryptonets.engine.Backend;
import org.cryptonets.inference.CryptoNetPlan;
import org.cryptonets.app.ModelOption;
import org.cryptonets.data.ImageDataset;
import org.cryptonets.inference.ParameterPlanner;
import org.cryptonets.net.IntegerNetwork;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code keygen --out DIR}: the data owner makes its keys. Writes {@value PartyFiles#SECRET_KEY_FILE}
 * (owner-only, 0600) and {@value PartyFiles#EVALUATION_KEYS_FILE} (to send to the cloud). The
 * parameters are the 128-bit ones the single-party demo uses, with plaintext primes sized for the
 * network's value range (measured over the MNIST test set unless {@code --value-bits} says).
 *
 * <p>One instance per run; not thread-safe. Throws {@link UsageError} for bad options or an
 * existing secret key (never overwritten without {@code --force}),
 * {@link org.cryptonets.bfv.io.SerializationException} when a file cannot be written.
 */
@Command(name = "keygen", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
    description = "Owner: make secret.key (0600, never sent) and evaluation.keys (for the cloud), with parameters sized for the model.")
public final class KeygenCommand implements Callable<Integer> {
  private final PrintStream out;
  @Spec
  private CommandSpec spec;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "folder for secret.key and evaluation.keys (created if missing)")
  private Path dir;
  private int plainBitsOption;
  private int valueBits = -1;
  @Option(names = "--data", paramLabel = "DIR", description = "folder with the four IDX files (default: MNIST from the cache), for the widths and the measurement")
  private Path data;
  @Option(names = ModelOption.OPTION, paramLabel = ModelOption.LABEL, description = ModelOption.DESCRIPTION)
  private Path modelFile;
  @Option(names = "--backend", paramLabel = "NAME", description = OwnerData.BACKEND)
  private String backendName;
  @Option(names = "--force", description = "replace an existing secret key (whatever was encrypted under it can no longer be decrypted)")
  private boolean force;

  /** A command that prints to {@code out}. */
  public KeygenCommand(PrintStream out) {
    this.out = out;
  }

  @Option(names = "--scheme", paramLabel = "S", description = SchemeOption.DESCRIPTION + "; the keys, and every file made with them, are for this scheme",
      converter = SchemeOption.class)
  private Scheme scheme;

  @Option(names = "--plain-bits", paramLabel = "B", description = "bits per plaintext prime, 18 to 31 (default: the fewest primes that hold the logits)")
  void plainBits(int bits) {
    plainBitsOption = Cli.range(spec, "--plain-bits", bits, 18, 31);
  }

  @Option(names = "--value-bits", paramLabel = "V", description = "bits of the largest |logit| to provide for, 8 to 2000 (default: measured on the data set's test images)")
  void valueBits(int bits) {
    valueBits = Cli.range(spec, "--value-bits", bits, 8, 2000);
  }

  /** Parses the options and runs; returns the exit code. */
  public static int run(List<String> args, PrintStream out) {
    return Cli.run(new KeygenCommand(out), args, out);
  }

  @Override
  public Integer call() {
    checkTarget(dir, force);
    LoadedModel model = ModelOption.load("keygen", modelFile);
    ImageDataset dataset = OwnerData.dataset("keygen", data);
    model.network().checkData(dataset.test());
    IntegerNetwork network = model.chooseWidths(dataset.train(), out::println);
    // The range is measured on the data set's test images; a smaller one given by hand would let
    // logits wrap around the plaintext primes and decrypt to wrong values.
    int measured = network.measure(dataset.test()).logitBits();
    int valueBits = this.valueBits;
    if (valueBits < 0) {
      valueBits = measured;
    } else if (valueBits < measured) {
      throw new UsageError("keygen: --value-bits " + valueBits + " is below the " + measured + " bits the model's logits need on the test images of "
          + (data != null ? data.toString() : "MNIST") + "; give at least " + measured + " or leave the option out");
    }
    ParameterPlanner.Choice choice;
    try {
      int plainBits = plainBitsOption > 0 ? plainBitsOption : ParameterPlanner.plainBitsFor(valueBits);
      choice = scheme == null ? ParameterPlanner.chooseScheme(network, valueBits, plainBits) : ParameterPlanner.choose(network, valueBits, plainBits, scheme);
    } catch (IllegalArgumentException e) {
      throw new UsageError("keygen: " + e.getMessage());
    }
    out.println("parameters chosen for " + model.name() + " (depth " + model.depth() + "):");
    for (String reason : choice.reasons()) {
      out.println("  " + reason);
    }
    CryptoNetPlan plan = choice.plan();
    BfvParameters params;
    try {
      params = plan.parameters();
    } catch (org.cryptonets.bfv.BfvException e) {
      throw new UsageError("keygen: " + e.getMessage() + "; " + suggestPlainBits(network, valueBits, plan.plainPrimeBits()));
    }
    try (Backend backend = OwnerData.backend(backendName)) {
      generate(dir, params, TwoPartyPlan.of(params, plan, valueBits, model.name(), model.sha256(), network.spec()), backend, force, out);
    }
    return 0;
  }

  /** The plan's scheme's relinearization and public keys into the evaluation-keys file; its size. */
  private static long writeEvaluationKeys(Path evalFile, BfvParameters params, TwoPartyPlan plan, KeyGenerator keys) {
    if (plan.scheme() == Scheme.BGV) {
      try (BgvRelinKeys rk = keys.createBgvRelinKeys(); BgvPublicKey pk = keys.createBgvPublicKey()) {
        return EvaluationKeysFile.write(evalFile, params, plan, rk, pk);
      }
    }
    try (RelinKeys rk = keys.createRelinKeys(); PublicKey pk = keys.createPublicKey()) {
      return EvaluationKeysFile.write(evalFile, params, plan, rk, pk);
    }
  }

  /** What to do when no parameters exist for the prime size asked for: the next size that works. */
  static String suggestPlainBits(IntegerNetwork network, int valueBits, int asked) {
    for (int bits = asked + 1; bits <= 31; bits++) {
      try {
        ParameterPlanner.choose(network, valueBits, bits, org.cryptonets.bfv.Scheme.BFV).plan().parameters();
        return "use --plain-bits " + bits + " (the smallest size above " + asked + " with enough primes that are 1 mod 2n), or leave the option out";
      } catch (RuntimeException tooFewOrTooNoisy) {
        // try the next size
      }
    }
    return "leave --plain-bits out to let keygen choose the size";
  }

  private static void checkTarget(Path dir, boolean force) {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new UsageError("keygen: --out " + dir + " exists and is not a folder");
    }
    if (!force && Files.exists(dir.resolve(PartyFiles.SECRET_KEY_FILE))) {
      throw new UsageError("keygen: " + dir.resolve(PartyFiles.SECRET_KEY_FILE)
          + " exists; keygen never replaces a secret key unasked (whatever was encrypted under it could no longer be decrypted); pass --force to replace it");
    }
  }

  /**
   * Generates keys under {@code params} and writes both files into {@code dir}. The evaluation keys
   * are moved into place first and removed again if the secret key cannot be, so the folder never
   * holds evaluation keys without their secret key.
   */
  public static void generate(Path dir, BfvParameters params, TwoPartyPlan plan, Backend backend, boolean force, PrintStream out) {
    checkTarget(dir, force);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UsageError("keygen: cannot create " + dir + ": " + e.getMessage());
    }
    long start = System.nanoTime();
    KeyGenerator keys = new KeyGenerator(params, backend);
    Path evalFile = dir.resolve(PartyFiles.EVALUATION_KEYS_FILE);
    Path secretFile = dir.resolve(PartyFiles.SECRET_KEY_FILE);
    long evalBytes;
    try (BfvFileWriter secret = BfvFileWriter.create(secretFile, BfvFileWriter.Access.OWNER_ONLY)) {
      secret.writeParameters(params).writeSecretKey(keys.secretKey());
      evalBytes = writeEvaluationKeys(evalFile, params, plan, keys);
      try {
        secret.commit();
      } catch (RuntimeException e) {
        try {
          Files.deleteIfExists(evalFile);
        } catch (IOException ignored) {
          // The original failure is what the user needs to see.
        }
        throw e;
      }
      out.printf("keys generated in %.1f s under %s%n", (System.nanoTime() - start) / 1e9, params);
      out.println("  plan: " + plan);
      out.printf("  %s: %,d bytes, readable by the owner only; keep it, never send it (memory locked against swapping: %s)%n", secretFile, secret.bytesWritten(),
          keys.secretKey().isLocked() ? "yes" : "no");
      out.printf("  %s: %,d bytes (parameters, plan, relinearization and public keys); send it to the cloud once%n", evalFile, evalBytes);
    } finally {
      keys.secretKey().close();
    }
  }
}
