package org.cryptonets.app.owner;

import java.io.IOException;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;
import org.cryptonets.app.Cli;
import org.cryptonets.app.UsageError;
import org.cryptonets.app.OutputTarget;
import org.cryptonets.app.ModelOption;
import org.cryptonets.inference.DataOwner;
import org.cryptonets.inference.parties.EncryptedResultsFile;
import org.cryptonets.inference.parties.PartyFiles;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.engine.Backend;
import org.cryptonets.data.LabeledImages;
import org.cryptonets.net.IntegerNetwork;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code decrypt --keys DIR --in FILE [--data DIR --first K] [--out FILE]}: the owner decrypts the
 * cloud's results into logits and predictions, and with the test labels reports the accuracy (and
 * whether the logits equal the integer network's in the clear).
 *
 * <p>Results made under another secret key with the same parameters pass every file check (the
 * format has no authentication) and decrypt to noise. Decryption therefore checks what it can: the
 * noise budget of every ciphertext must be positive and every logit must lie in the range the
 * plaintext primes were sized for; otherwise it says the results cannot be trusted and exits 1.
 *
 * <p>Stateless; thread-safe. Throws {@link UsageError} for bad options and
 * {@link org.cryptonets.bfv.io.SerializationException} for bad files; the predictions file is
 * written atomically, or not at all.
 */
public final class DecryptCommand {
  private DecryptCommand() {}

  /** Decrypted results and the checks on them. A value holder: not thread-safe; throws nothing. */
  public static final class Decryption {
    /** {@code logits[image][class]}, exact. */
    public BigInteger[][] logits;
    public int[] predictions;
    /** Smallest invariant noise budget over every result ciphertext, in bits (0: decryption failed). */
    public int minNoiseBudget;
    /** Images with a logit outside the plan's value range. */
    public int implausible;
    public int valueBits;
    public long downloadBytes;
    /** Index, in the owner's data set, of the image in slot 0, as encrypt recorded it. */
    public int first;

    /** True if nothing suggests a wrong key or damaged results. */
    public boolean trustworthy() {
      return minNoiseBudget > 0 && implausible == 0;
    }
  }

  /** Parses the options and runs; returns 0, or 1 if the decryption check fails. */
  public static int run(List<String> args, PrintStream out) {
    return Cli.run(new Options(out), args, out);
  }

  /** The command's options; one instance per run, not thread-safe. */
  @Command(name = "decrypt", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
      description = "Owner: decrypt the cloud's results into predictions, and with the test labels report the accuracy.")
  public static final class Options implements Callable<Integer> {
    private final PrintStream out;
    @Spec
    private CommandSpec spec;
    @Option(names = "--keys", required = true, paramLabel = "DIR", description = "the folder keygen wrote")
    private Path keys;
    @Option(names = "--in", required = true, paramLabel = "FILE", description = "results file from the cloud")
    private Path in;
    @Option(names = "--out", paramLabel = "FILE", description = "CSV file for the predictions and logits")
    private Path csv;
    private int first;
    private boolean firstGiven;
    @Option(names = "--data", paramLabel = "DIR", description = "folder with the four IDX files, for labels and the clear check (default: MNIST from the cache)")
    private Path data;
    @Option(names = "--no-labels", description = "skip the accuracy (no labelled data needed; --data does not apply)")
    private boolean noLabels;
    @Option(names = ModelOption.OPTION, paramLabel = ModelOption.LABEL, description = ModelOption.DESCRIPTION)
    private Path modelFile;
    @Option(names = "--backend", paramLabel = "NAME", description = OwnerData.BACKEND)
    private String backendName;
    @Option(names = "--force", description = "replace an existing --out file")
    private boolean force;

    /** Options of a run that prints to {@code out}. */
    public Options(PrintStream out) {
      this.out = out;
    }

    @Option(names = "--first", paramLabel = "K", description = "index of the first test image that was encrypted (default: as recorded in the file by encrypt; a different value is refused)")
    void first(int k) {
      first = Cli.range(spec, "--first", k, 0, Integer.MAX_VALUE);
      firstGiven = true;
    }

    @Override
    public Integer call() {
      Cli.refuse("decrypt", noLabels && data != null, "--data", "with --no-labels (the data set is read only for its labels)");
      Cli.refuse("decrypt", force && csv == null, "--force", "without --out (nothing is written)");
      return decrypt(this);
    }
  }

  private static int decrypt(Options o) {
    PrintStream out = o.out;
    Path keysDir = OwnerData.keysFolder("decrypt", o.keys);
    Path in = o.in;
    Path csv = o.csv;
    try (OutputTarget target = csv == null ? null : OutputTarget.claim("decrypt", "--out", csv, o.force,
            List.of(in, keysDir.resolve(PartyFiles.SECRET_KEY_FILE), keysDir.resolve(PartyFiles.EVALUATION_KEYS_FILE)));
        Backend backend = OwnerData.backend(o.backendName); OwnerKeys keys = OwnerKeys.load(keysDir, backend, out)) {
      // the model first: results of another model's keys must not be read as this one's
      IntegerNetwork network = ModelOption.forKeys("decrypt", o.modelFile, keys.plan(), keysDir.toString());
      Decryption d = decrypt(keys, backend, in);
      // encrypt recorded which images the slots hold; a different --first would pair results
      // with the wrong labels and report a meaningless accuracy
      if (o.firstGiven && o.first != d.first) {
        throw new UsageError("decrypt: --first " + o.first + ", but " + in + " holds the results of images " + d.first + " to "
            + (d.first + d.predictions.length - 1) + " (recorded by encrypt); leave --first out or give " + d.first);
      }
      int first = d.first;
      int images = d.predictions.length;
      out.println("download " + in + ": " + PartyFiles.describeSize(d.downloadBytes, images, keys.parameters().n()));
      out.println("noise budget left (min): " + d.minNoiseBudget + " bits");
      LabeledImages test = o.noLabels ? null : OwnerData.dataset("decrypt", o.data).test();
      int[] labels = null;
      if (test != null) {
        if ((long) first + images > test.size()) {
          throw new UsageError("decrypt: " + images + " results from image " + first + " do not fit the test set of " + test.size());
        }
        labels = new int[images];
        int correct = 0;
        for (int s = 0; s < images; s++) {
          labels[s] = test.label(first + s);
          correct += d.predictions[s] == labels[s] ? 1 : 0;
        }
        // The clear network on every image, on all cores, as encrypt runs it (one core took 2.2 s
        // of this command's 5 s for a full batch on the development machine).
        int exact = (int) java.util.stream.IntStream.range(0, images).parallel()
            .filter(s -> java.util.Arrays.equals(d.logits[s], network.logits(network.quantizeInput(test.image(first + s))))).count();
        out.printf("accuracy: %.2f%% (%d of %d test images from %d); logits equal to the integer network in the clear: %d of %d%n", 100.0 * correct / images,
            correct, images, first, exact, images);
      }
      if (images <= 20) {
        for (int s = 0; s < images; s++) {
          out.println("  image " + (first + s) + ": predicted " + d.predictions[s] + (labels == null ? "" : ", label " + labels[s]));
        }
      }
      if (!d.trustworthy()) {
        // a failed command leaves no output: the predictions file is not written
        System.err.println("decryption check FAILED: " + d.implausible + " of " + images + " images have logits outside +-2^" + d.valueBits
            + " and the smallest noise budget is " + d.minNoiseBudget + " bits: these results were not computed on ciphertexts under this secret key,"
            + " or they were damaged; the predictions are meaningless" + (csv == null ? "" : "; " + csv + " was not written"));
        return 1;
      }
      out.println("decryption check passed: every noise budget is positive and every logit is within +-2^" + d.valueBits);
      if (csv != null) {
        writeCsv(csv, d, first, labels);
        out.println("predictions written to " + csv);
      }
      return 0;
    }
  }

  /** Decrypts a results file with the owner's key, through the owner-side API. */
  public static Decryption decrypt(OwnerKeys keys, Backend backend, Path file) {
    BfvParameters params = keys.parameters();
    EncryptedResultsFile.Contents contents = EncryptedResultsFile.read(file, params);
    Decryption d = new Decryption();
    d.first = contents.first();
    d.valueBits = keys.plan().valueBits();
    if (contents.scheme() != keys.plan().scheme()) {
      throw new org.cryptonets.bfv.io.SerializationException(org.cryptonets.bfv.io.SerializationException.Code.INVALID_FIELD, file + " holds "
          + contents.scheme() + " results; the keys are " + keys.plan().scheme() + " keys");
    }
    try (DataOwner owner = new DataOwner(params, keys.plan().scheme(), backend, keys.secretKey())) {
      // The primes were sized so every logit is below 2^valueBits in magnitude; under a wrong key
      // the values are uniform over the whole CRT range instead.
      DataOwner.Decryption result = owner.decryptResults(contents.results(), contents.images(), d.valueBits);
      d.logits = result.logits();
      d.predictions = result.predictions();
      d.minNoiseBudget = result.minNoiseBudget();
      d.implausible = result.outOfRange().size();
    }
    try {
      d.downloadBytes = Files.size(file);
    } catch (IOException e) {
      d.downloadBytes = -1;
    }
    return d;
  }

  private static void writeCsv(Path file, Decryption d, int first, int[] labels) {
    StringBuilder b = new StringBuilder("image,prediction");
    b.append(labels == null ? "" : ",label");
    for (int c = 0; c < d.logits[0].length; c++) {
      b.append(",logit").append(c);
    }
    b.append('\n');
    for (int s = 0; s < d.predictions.length; s++) {
      b.append(first + s).append(',').append(d.predictions[s]);
      if (labels != null) {
        b.append(',').append(labels[s]);
      }
      for (BigInteger v : d.logits[s]) {
        b.append(',').append(v);
      }
      b.append('\n');
    }
    try {
      Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName() + "-", ".tmp");
      try {
        Files.writeString(tmp, b, StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}
