package org.cryptonets.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.SecurityLevel;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.BackendProvider;
import org.cryptonets.engine.Backends;
import org.cryptonets.engine.Modulus;
import org.cryptonets.inference.CryptoNetPlan;
import org.cryptonets.inference.EncryptedInference;
import org.cryptonets.data.ImageDataset;
import org.cryptonets.net.IntegerNetwork;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The backend comparison runner: the same encrypted MNIST CryptoNet batch on every chosen backend
 * in one JVM, reporting per-layer and per-stage seconds, throughput (images per second and per
 * hour), each backend's speedup over {@code cpu}, and for device backends the network time with
 * and without host-device transfers. Writes {@code comparison.json}, {@code comparison.md} and
 * {@code per-layer.png} into a fresh folder (written in a temporary sibling folder and moved into
 * place, so a crash never leaves half a report) and prints the Markdown.
 *
 * <pre>
 * BackendComparison [--profile quick|full] [--backends cpu,opencl] [--data DIR] [--out DIR] [--images N] [--scheme bfv|bgv]
 * </pre>
 *
 * <ul>
 *   <li>{@code full}: the real configuration, {@code ParameterPlanner.choose(network, logitBits, 29)} at n =
 *       8192 with 128-bit security, one full batch of 8192 test images per backend.
 *   <li>{@code quick} (default): INSECURE toy parameters, n = 2048 with the same ciphertext prime
 *       chain, plaintext primes and level schedule but {@link SecurityLevel#NONE}; one full toy
 *       batch of 2048 images. It exercises every layer on every backend in about a minute per
 *       backend on 2 cores (PoCL included): a smoke test, never a measurement to publish.
 * </ul>
 *
 * <p>The options are parsed with picocli; {@code --help} prints the generated usage. Exit codes of
 * {@link #main}: 0 when every backend decrypted exactly the clear integer logits (or for
 * {@code --help}), 1 when one did not or a run failed, 2 for bad usage (unknown options, bad
 * values), reported as one {@code error: ...} line on standard error.
 *
 * <p>{@link #run} is stateless, but each call opens the backends it compares and keeps every core
 * busy: concurrent calls are safe only in that they slow each other. It throws
 * {@link IllegalArgumentException} for bad options or an unknown backend,
 * {@link IllegalStateException} for a backend that cannot run here or a report that cannot be
 * written, and whatever the backends and {@link EncryptedInference} throw.
 */
public final class BackendComparison {
  /** The quick profile's toy ring degree: a batch costs about a quarter of n = 8192's. */
  static final int QUICK_N = 2048;
  /** The full profile's batch: one full batch at n = 8192. */
  static final int FULL_IMAGES = 8192;
  /** Bits per plaintext prime, as the app's demo uses. */
  static final int PLAIN_PRIME_BITS = 29;
  /** Timed repetitions of each transfer (after one warm-up). */
  static final int TRANSFER_REPETITIONS = 3;

  static final String JSON_FILE = "comparison.json";
  static final String MARKDOWN_FILE = "comparison.md";
  static final String CHART_FILE = "per-layer.png";

  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  /** What a call of {@link #run} produced. Not modified after {@code run} returns; safe to share. */
  public static final class Outcome {
    private final Path folder;
    private final Comparison comparison;

    Outcome(Path folder, Comparison comparison) {
      this.folder = folder;
      this.comparison = comparison;
    }

    /** The folder holding the three report files. */
    public Path folder() {
      return folder;
    }

    /** The backends that ran, in order. */
    public List<String> backends() {
      List<String> names = new ArrayList<>();
      for (Comparison.Run r : comparison.runs) {
        names.add(r.name());
      }
      return names;
    }

    /** True if every backend's decrypted logits equal the clear integer network's. */
    public boolean allCorrect() {
      return comparison.allCorrect();
    }

    /** The Markdown report, as written to {@value BackendComparison#MARKDOWN_FILE}. */
    public String markdown() {
      return ComparisonReport.markdown(comparison);
    }
  }

  private BackendComparison() {}

  public static void main(String[] args) {
    System.exit(execute(Arrays.asList(args), System.out, System.err));
  }

  /**
   * Parses {@code args}, runs the comparison and maps the outcome to the exit code of
   * {@link #main}: 0 (also for {@code --help}, which prints the usage to {@code out}), 1 when a
   * backend was wrong or a run failed (the error and its stack trace go to {@code err}), 2 for bad
   * usage (one {@code error: ...} line on {@code err}, no stack trace).
   */
  static int execute(List<String> args, PrintStream out, PrintStream err) {
    Options options = new Options();
    CommandLine cl = commandLine(options, out, err);
    try {
      if (CommandLine.printHelpIfRequested(cl.parseArgs(args.toArray(String[]::new)))) {
        return 0;
      }
      return options.run(out, err).allCorrect() ? 0 : 1;
    } catch (ParameterException e) {
      err.println("error: " + e.getMessage() + " (--help lists the options)");
      return 2;
    } catch (RuntimeException e) {
      err.println("error: " + e);
      e.printStackTrace(err);
      return 1;
    }
  }

  /** Prints the generated usage, as {@code --help} does. */
  static void usage(PrintStream out) {
    commandLine(new Options(), out, System.err).usage(out);
  }

  private static CommandLine commandLine(Options options, PrintStream out, PrintStream err) {
    CommandLine cl = new CommandLine(options);
    cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    cl.setUsageHelpAutoWidth(true);
    return cl;
  }

  /**
   * Runs the comparison and writes the report; {@code out} receives the Markdown report,
   * {@code log} the progress.
   *
   * @throws IllegalArgumentException for bad options (also {@code --help}: nothing to run) or an
   *     unknown backend
   */
  public static Outcome run(List<String> args, PrintStream out, PrintStream log) {
    Options options = new Options();
    CommandLine cl = commandLine(options, out, log);
    try {
      if (cl.parseArgs(args.toArray(String[]::new)).isUsageHelpRequested()) {
        throw new IllegalArgumentException("--help: nothing to run");
      }
      return options.run(out, log);
    } catch (ParameterException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** The options, parsed by picocli; bad values are {@link ParameterException}s. Not thread-safe. */
  @Command(name = "BackendComparison", sortOptions = false, usageHelpAutoWidth = true,
      description = {"The same encrypted MNIST CryptoNet batch on every chosen backend: per-layer and per-stage seconds, throughput, speedup over cpu "
          + "and host-device transfer times. Writes " + JSON_FILE + ", " + MARKDOWN_FILE + " and " + CHART_FILE + " into the --out folder and prints the Markdown."},
      footer = {"", "Exit codes: 0 every backend decrypted exactly the clear integer logits, 1 one did not or a run failed, 2 bad usage."})
  static final class Options {
    @Spec
    CommandSpec spec;

    @Option(names = "--profile", order = 1, paramLabel = "quick|full",
        description = "quick (default): INSECURE toy n = " + QUICK_N + ", one toy batch; full: n = 8192, 128-bit, " + FULL_IMAGES + " images")
    String profile = "quick";
    @Option(names = "--backends", order = 2, paramLabel = "NAMES", description = "comma-separated backend names, e.g. cpu,opencl (default: every available one)")
    String backends;
    @Option(names = "--data", order = 3, paramLabel = "DIR", description = "folder with the four MNIST IDX files (default: the project's cache, fetched if missing)")
    Path data;
    @Option(names = "--out", order = 4, paramLabel = "DIR", description = "report folder, must not exist or be empty (default: bench/results/comparison-PROFILE-STAMP)")
    Path out;
    @Option(names = "--images", order = 5, paramLabel = "N", description = "test images to run, 1 to the size of the test set (default: one full batch)")
    Integer images;
    @Option(names = "--scheme", order = 6, paramLabel = "bfv|bgv", description = "the homomorphic scheme (default: bgv, as the app's demo)")
    String scheme = "bgv";
    @Option(names = {"-h", "--help"}, order = 7, usageHelp = true, description = "print this help and exit")
    boolean help;

    /**
     * Checks the values that need no data: after parsing, so that {@code --help} anywhere on the
     * line prints the usage whatever else is there. @throws ParameterException for a bad value
     */
    private void validate() {
      if (!scheme.equals("bfv") && !scheme.equals("bgv")) {
        throw usage("--scheme " + scheme + ": expected bfv or bgv");
      }
      if (!profile.equals("quick") && !profile.equals("full")) {
        throw usage("--profile " + profile + ": expected quick or full");
      }
      if (data != null && !Files.isDirectory(data)) {
        throw usage("--data " + data + " is not a folder (expected one holding the four MNIST IDX files)");
      }
      if (images != null && images < 1) {
        throw usage("--images " + images + ": expected at least 1");
      }
    }

    private ParameterException usage(String message) {
      return new ParameterException(spec.commandLine(), message);
    }

    /** Runs the comparison with the parsed options. @throws ParameterException for bad options */
    Outcome run(PrintStream out, PrintStream log) {
      validate();
      boolean quick = profile.equals("quick");
      Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
      Path folder = (this.out != null ? this.out : Path.of("bench/results/comparison-" + profile + "-" + STAMP.format(started))).toAbsolutePath();
      checkOutputFolder(folder);
      Map<String, String> skipped = new LinkedHashMap<>();
      List<String> chosen;
      try {
        chosen = chooseBackends(backends, skipped);
      } catch (IllegalArgumentException e) {
        throw usage(e.getMessage());
      }
      return compare(quick, started, folder, chosen, skipped, out, log);
    }

    /** The report folder must be new or empty: a run never mixes its files with another's. */
    private void checkOutputFolder(Path folder) {
      if (Files.exists(folder)) {
        if (!Files.isDirectory(folder)) {
          throw usage("--out " + folder + " is a file");
        }
        try (Stream<Path> s = Files.list(folder)) {
          if (s.findAny().isPresent()) {
            throw usage("--out " + folder + " is not empty");
          }
        } catch (IOException e) {
          throw new IllegalStateException("cannot read " + folder + ": " + e.getMessage(), e);
        }
      }
    }

    private Outcome compare(boolean quick, Instant started, Path folder, List<String> backends, Map<String, String> skipped, PrintStream out,
        PrintStream log) {
      // Charts are drawn off screen; without this a machine with no display may fail in AWT.
      if (System.getProperty("java.awt.headless") == null) {
        System.setProperty("java.awt.headless", "true");
      }

      ImageDataset data = ImageDataset.obtain(this.data);
      IntegerNetwork net = IntegerNetwork.loadDefault();
      // As the app's demo: the plaintext range is sized by the logits over the whole test set, and
      // the parameters are the planner's choice for the network.
      int logitBits = net.measure(data.test()).logitBits();
      org.cryptonets.bfv.Scheme chosenScheme = scheme.equals("bgv") ? org.cryptonets.bfv.Scheme.BGV : org.cryptonets.bfv.Scheme.BFV;
      CryptoNetPlan full = org.cryptonets.inference.ParameterPlanner.choose(net, logitBits, PLAIN_PRIME_BITS, chosenScheme).plan();
      CryptoNetPlan plan;
      BfvParameters params;
      String securityNote;
      if (quick) {
        plan = toyPlan(full, QUICK_N);
        params = plan.parameters(SecurityLevel.NONE);
        securityNote = chosenScheme + ", n = " + QUICK_N + " with the production prime chain (" + params.coeffBasis().productBits() + "-bit q), SecurityLevel.NONE";
      } else {
        plan = full;
        params = plan.parameters();
        securityNote = chosenScheme + ", 128-bit security (HomomorphicEncryption.org bound for n = " + params.n() + ")";
      }
      int defaultImages = quick ? params.n() : FULL_IMAGES;
      int images;
      if (this.images != null) {
        if (this.images > data.test().size()) {
          throw usage("--images " + this.images + ": expected 1 to " + data.test().size());
        }
        images = this.images;
      } else {
        images = Math.min(defaultImages, data.test().size());
      }

      Comparison c = new Comparison(profile, quick, securityNote, started.toString(), machine(), System.getProperty("java.vm.vendor") + " "
          + System.getProperty("java.vm.name") + " " + Runtime.version(), System.getProperty("cryptonets.threads", "default (all cores)"), params, plan,
          images);
      c.skipped.putAll(skipped);
      log.println("comparing " + String.join(", ", backends) + " on " + images + " images, " + profile + " profile: " + params);
      if (quick) {
        log.println("WARNING: INSECURE toy parameters (" + securityNote + "): a smoke test, not a measurement");
      }
      for (String name : backends) {
        c.runs.add(runOne(name, net, plan, params, data, images, log));
      }
      String chartNote = writeReport(c, folder);
      out.print(ComparisonReport.markdown(c));
      out.println();
      out.println("report: " + folder.resolve(MARKDOWN_FILE) + " (also " + JSON_FILE + (chartNote == null ? ", " + CHART_FILE : "; " + chartNote) + ")");
      return new Outcome(folder, c);
    }
  }

  private static Comparison.Run runOne(String name, IntegerNetwork net, CryptoNetPlan plan, BfvParameters params, ImageDataset data, int images,
      PrintStream log) {
    String loadBefore = loadAverage();
    try (Backend backend = Backends.open(name)) {
      backend.warmUp();
      log.println("== " + name + ": " + backend.device());
      long t0 = System.nanoTime();
      EncryptedInference.Result r = EncryptedInference.run(backend, net, plan, params, data.test(), images, progress(log));
      log.printf(Locale.ROOT, "== %s: network %.2f s, %d mismatches, %.1f s in all%n", name, r.networkSeconds, r.mismatches,
          (System.nanoTime() - t0) / 1e9);
      TransferTimer.Transfers t = null;
      if (!name.equals(Comparison.BASELINE)) {
        int parts = r.batches * params.plainModuli().size();
        int inputs = ((IntegerNetwork.Linear) net.layers().get(0)).inputs();
        t = TransferTimer.measure(backend, params.coeffBasis(), 2 * inputs, params.basisAt(plan.outputLevel()),
            outputPolysPerPart(net), parts, TRANSFER_REPETITIONS);
        log.printf(Locale.ROOT, "== %s: transfers %.3f s up, %.3f s down (measured separately)%n", name, t.uploadSeconds(), t.downloadSeconds());
      }
      return new Comparison.Run(r, t, loadBefore, loadAverage());
    }
  }

  /**
   * Polynomials of one part (one plaintext prime of one batch) of the results as they leave the
   * device: the logits relinearized to size 2 at the output level, two per class. They are switched
   * to a power-of-two modulus on the host afterwards (EncryptedInference), so the device transfer
   * is these RNS polynomials, not the smaller wire format.
   */
  static int outputPolysPerPart(IntegerNetwork net) {
    IntegerNetwork.Layer last = net.layers().get(net.layers().size() - 1);
    if (!(last instanceof IntegerNetwork.Linear)) {
      throw new IllegalStateException("the network does not end in a linear layer; cannot size the download to time");
    }
    return 2 * ((IntegerNetwork.Linear) last).outputs();
  }

  /** The same plan at another ring degree: same primes' sizes, plaintext primes and levels. */
  static CryptoNetPlan toyPlan(CryptoNetPlan full, int n) {
    List<Integer> bits = new ArrayList<>();
    for (Modulus m : full.parameters(SecurityLevel.NONE).coeffBasis().moduli()) {
      bits.add(m.bits());
    }
    List<Integer> levels = new ArrayList<>();
    for (int i = 0; full.levelAfterSquare(i) > 0; i++) {
      levels.add(full.levelAfterSquare(i));
    }
    return CryptoNetPlan.of(n, bits, full.plainPrimeBits(), full.plainPrimeCount(), levels.stream().mapToInt(Integer::intValue).toArray(),
        full.outputLevel(), full.inputLevel()).withScheme(full.scheme());
  }

  /** Prints a line when a stage starts or ends, and at most every 10 s in between. */
  private static EncryptedInference.Progress progress(PrintStream log) {
    return new EncryptedInference.Progress() {
      private String last = "";
      private long lastNanos;

      @Override
      public void stage(String stage, int done, int total) {
        long now = System.nanoTime();
        if (!stage.equals(last) || done == total || now - lastNanos > 10_000_000_000L) {
          log.println("   " + stage + ": " + done + "/" + total);
          last = stage;
          lastNanos = now;
        }
      }
    };
  }

  static List<String> chooseBackends(String requested, Map<String, String> skipped) {
    List<BackendProvider> providers = Backends.providers();
    List<String> chosen = new ArrayList<>();
    if (requested == null) {
      for (BackendProvider p : providers) {
        String why = p.unavailableReason();
        if (why == null) {
          chosen.add(p.name());
        } else {
          skipped.put(p.name(), why);
        }
      }
      if (chosen.isEmpty()) {
        throw new IllegalStateException("no backend can run here: " + skipped);
      }
    } else {
      for (String name : new LinkedHashSet<>(Arrays.asList(requested.split(",")))) {
        String n = name.trim();
        if (n.isEmpty()) {
          continue;
        }
        BackendProvider p = providers.stream().filter(x -> x.name().equals(n)).findFirst().orElse(null);
        if (p == null) {
          throw new IllegalArgumentException("--backends: unknown backend '" + n + "'; on the class path: "
              + String.join(", ", providers.stream().map(BackendProvider::name).toArray(String[]::new)));
        }
        String why = p.unavailableReason();
        if (why != null) {
          throw new IllegalStateException("backend '" + n + "' cannot run here: " + why);
        }
        chosen.add(n);
      }
      if (chosen.isEmpty()) {
        throw new IllegalArgumentException("--backends names no backend");
      }
    }
    // The baseline first, so the tables read from it.
    chosen.sort(Comparator.comparing(n -> !n.equals(Comparison.BASELINE)));
    return chosen;
  }

  /**
   * Writes the three files into a temporary sibling folder, then moves it into place. The chart is
   * optional: on a runtime without java.desktop or without the chart library (the trimmed Java
   * runtime scripts/gpu-prepare.sh carries to a device machine, where every megabyte counts), the
   * JSON and Markdown are still written, and the returned note says why the chart is missing;
   * null when it was written.
   */
  static String writeReport(Comparison c, Path folder) {
    String chartNote = null;
    Path parent = folder.getParent();
    Path tmp = null;
    try {
      Files.createDirectories(parent);
      tmp = Files.createTempDirectory(parent, "." + folder.getFileName() + ".tmp-");
      // Temporary folders are private (rwx------); the report is an ordinary folder once moved.
      try {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
      } catch (UnsupportedOperationException e) {
        // Not a POSIX file system: its default permissions apply.
      }
      Files.writeString(tmp.resolve(JSON_FILE), Json.write(ComparisonReport.json(c)), StandardCharsets.UTF_8);
      Files.writeString(tmp.resolve(MARKDOWN_FILE), ComparisonReport.markdown(c), StandardCharsets.UTF_8);
      try {
        ComparisonChart.chart(c, tmp.resolve(CHART_FILE));
      } catch (LinkageError e) {
        chartNote = "no " + CHART_FILE + ": this runtime cannot draw it (" + e + ")";
      }
      // An empty folder left by checkOutputFolder's caller would block the move; it holds nothing.
      Files.deleteIfExists(folder);
      try {
        Files.move(tmp, folder, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, folder);
      }
      tmp = null;
    } catch (IOException e) {
      throw new IllegalStateException("cannot write the report to " + folder + ": " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        deleteQuietly(tmp);
      }
    }
    return chartNote;
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | RuntimeException e) {
      // Best effort: a leftover hidden temporary folder is harmless.
    }
  }

  /** The first three fields of /proc/loadavg, or "unknown" where there is none. */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f.length >= 3 ? f[0] + " " + f[1] + " " + f[2] : "unknown";
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /** CPU model, cores, OS: what a reader needs to compare reports from different machines. */
  static String machine() {
    String cpu = null;
    try {
      Path info = Path.of("/proc/cpuinfo");
      if (Files.isReadable(info)) {
        try (Stream<String> lines = Files.lines(info)) {
          cpu = lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse(null);
        }
      }
    } catch (IOException | RuntimeException e) {
      cpu = null;
    }
    return (cpu == null ? System.getProperty("os.arch") : cpu) + ", " + Runtime.getRuntime().availableProcessors() + " cores, "
        + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB max heap; " + System.getProperty("os.name") + " " + System.getProperty("os.version");
  }
}
