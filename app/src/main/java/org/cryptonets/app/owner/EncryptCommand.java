package org.cryptonets.app.owner;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import org.cryptonets.app.Cli;
import org.cryptonets.app.UsageError;
import org.cryptonets.app.OutputTarget;
import org.cryptonets.inference.parties.EncryptedImagesFile;
import org.cryptonets.inference.parties.PartyFiles;
import org.cryptonets.inference.DataOwner;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.engine.Backend;
import org.cryptonets.app.ModelOption;
import org.cryptonets.data.LabeledImages;
import org.cryptonets.net.IntegerNetwork;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code encrypt --keys DIR --images N [--data DIR] [--first K] --out FILE}: the owner encrypts
 * test images K to K + N - 1 (one batch: N is at most n) into the upload file. Pixels are quantized
 * as the network expects (4 bits), slot s of the ciphertext for pixel p holds pixel p of image s,
 * one batch per plaintext prime. Ciphertexts are symmetric (secret key) so each goes as its c0 half
 * plus one seed per batch, switched down to the plan's input level first.
 *
 * <p>One instance per run; not thread-safe. Throws {@link UsageError} for bad options,
 * {@link org.cryptonets.data.DatasetFormatException} for an image file that is not IDX, and
 * {@link org.cryptonets.bfv.io.SerializationException} for bad key files or a failed write; the
 * output file then does not appear.
 */
@Command(name = "encrypt", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
    description = "Owner: encrypt test images into the upload file for the cloud (one batch).")
public final class EncryptCommand implements Callable<Integer> {
  private final PrintStream out;
  @Spec
  private CommandSpec spec;

  @Option(names = "--keys", required = true, paramLabel = "DIR", description = "the folder keygen wrote")
  private Path keysOption;
  @Option(names = "--out", required = true, paramLabel = "FILE", description = "upload file to write")
  private Path file;
  private Integer imagesOption;
  private int first;
  @Option(names = "--data", paramLabel = "DIR", description = OwnerData.DATA)
  private Path data;
  @Option(names = ModelOption.OPTION, paramLabel = ModelOption.LABEL, description = ModelOption.DESCRIPTION)
  private Path modelFile;
  @Option(names = "--backend", paramLabel = "NAME", description = OwnerData.BACKEND)
  private String backendName;
  @Option(names = "--force", description = "replace an existing output file")
  private boolean force;

  /** A command that prints to {@code out}. */
  public EncryptCommand(PrintStream out) {
    this.out = out;
  }

  @Option(names = "--images", paramLabel = "N", description = "number of test images to encrypt, 1 to n (default: as many as one batch holds, n)")
  void images(int n) {
    imagesOption = Cli.range(spec, "--images", n, 1, 1 << 20);
  }

  @Option(names = "--first", paramLabel = "K", description = "index of the first test image (default 0)")
  void first(int k) {
    first = Cli.range(spec, "--first", k, 0, Integer.MAX_VALUE);
  }

  /** Parses the options and runs; returns the exit code. */
  public static int run(List<String> args, PrintStream out) {
    return Cli.run(new EncryptCommand(out), args, out);
  }

  @Override
  public Integer call() {
    Path keysDir = OwnerData.keysFolder("encrypt", keysOption);
    int first = this.first;
    try (OutputTarget target = OutputTarget.claim("encrypt", "--out", file, force,
            List.of(keysDir.resolve(PartyFiles.SECRET_KEY_FILE), keysDir.resolve(PartyFiles.EVALUATION_KEYS_FILE)));
        Backend backend = OwnerData.backend(backendName); OwnerKeys keys = OwnerKeys.load(keysDir, backend, out)) {
      int n = keys.parameters().n();
      int count = imagesOption == null ? n : Cli.range("encrypt", "--images", imagesOption, 1, n);
      IntegerNetwork network = ModelOption.forKeys("encrypt", modelFile, keys.plan(), keysDir.toString());
      LabeledImages test = OwnerData.dataset("encrypt", data).test();
      if ((long) first + count > test.size()) {
        throw new UsageError("encrypt: images " + first + " to " + (first + count - 1) + " requested; the test set has " + test.size());
      }
      if (test.imageSize() != network.inputShape().size()) {
        throw new UsageError("encrypt: the model expects " + network.inputShape() + " images; the data set's are " + test.shape());
      }
      int[][] images = new int[count][];
      int[] logitBits = new int[count];
      IntStream.range(0, count).parallel().forEach(s -> {
        images[s] = network.quantizeInput(test.image(first + s));
        logitBits[s] = IntegerNetwork.bits(network.logits(images[s]));
      });
      // An image whose logits leave the range the keys were sized for would decrypt to a wrapped,
      // wrong value: refuse it here, by index, rather than let it through.
      List<Integer> outside = new java.util.ArrayList<>();
      for (int s = 0; s < count; s++) {
        if (logitBits[s] > keys.plan().valueBits()) {
          outside.add(first + s);
        }
      }
      if (!outside.isEmpty()) {
        throw new UsageError("encrypt: the logits of test image" + (outside.size() == 1 ? " " : "s ") + outside.subList(0, Math.min(20, outside.size()))
            + (outside.size() > 20 ? " and " + (outside.size() - 20) + " more" : "") + " need more than the " + keys.plan().valueBits()
            + " bits the keys were sized for; their results could not be decrypted correctly. Run keygen with a larger --value-bits, or leave them out");
      }
      long bytes = encrypt(keys, backend, images, first, file, out);
      out.println("upload " + file + ": " + PartyFiles.describeSize(bytes, count, n));
    }
    return 0;
  }

  /**
   * Encrypts quantized images (all of one length) into the upload file, one plaintext prime at a
   * time so only one batch is in memory; returns the file's size.
   *
   * @throws IllegalArgumentException for no images, more than n, or images of different lengths
   */
  public static long encrypt(OwnerKeys keys, Backend backend, int[][] images, Path file, PrintStream out) {
    return encrypt(keys, backend, images, 0, file, out);
  }

  /**
   * As above, recording {@code first}, the data set's index of the image in slot 0, in the file so
   * that decrypt matches the results to the right labels.
   */
  public static long encrypt(OwnerKeys keys, Backend backend, int[][] images, int first, Path file, PrintStream out) {
    BfvParameters params = keys.parameters();
    if (images.length == 0 || images.length > params.n()) {
      throw new IllegalArgumentException(images.length + " images; one batch holds 1 to " + params.n());
    }
    long start = System.nanoTime();
    int level = keys.plan().inputLevel();
    // The owner-side library API, as in the in-process demo: encode (one image per slot), encrypt
    // with a seed straight at the input level, in NTT form, under the keys' scheme. Only c0
    // travels; the cloud regenerates c1 from the seed.
    try (EncryptedImagesFile.Writer writer = new EncryptedImagesFile.Writer(file, params, images.length, images[0].length, first);
        DataOwner owner = new DataOwner(params, keys.plan().scheme(), backend, keys.secretKey())) {
      for (int j = 0; j < params.plainModuli().size(); j++) {
        try (CiphertextBatch batch = owner.encryptImages(images, j, level)) {
          writer.write(batch);
        }
      }
      long bytes = writer.commit();
      out.printf("encrypted %d images in %.1f s: %d batches of %d seeded %s ciphertexts at level %d%n", images.length, (System.nanoTime() - start) / 1e9,
          params.plainModuli().size(), images[0].length, keys.plan().scheme(), level);
      return bytes;
    }
  }
}
