package org.cryptonets.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import org.cryptonets.backend.opencl.OpenClBackend;
import org.cryptonets.backend.opencl.WorkCounter;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.BgvEvaluator;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.CompressedResults;
import org.cryptonets.bfv.CrtComposer;
import org.cryptonets.bfv.Evaluator;
import org.cryptonets.bfv.HomomorphicEvaluator;
import org.cryptonets.bfv.RelinearizationKeys;
import org.cryptonets.bfv.Scheme;
import org.cryptonets.bfv.SecurityLevel;
import org.cryptonets.data.ImageDataset;
import org.cryptonets.data.LabeledImages;
import org.cryptonets.engine.Modulus;
import org.cryptonets.inference.CryptoNetPlan;
import org.cryptonets.inference.DataOwner;
import org.cryptonets.inference.EncryptedCryptoNet;
import org.cryptonets.inference.ParameterPlanner;
import org.cryptonets.net.IntegerNetwork;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The GPU projection runner (issue 10): runs one encrypted MNIST CryptoNet batch on the OpenCL
 * backend with work counting on ({@link OpenClBackend#COUNT_PROPERTY}), snapshots the counter at
 * every stage boundary (key generation, the owner's encode + encrypt, each step the evaluator
 * reports through its listener, decrypt + decode), and projects each kernel's counted bytes and
 * multiply instructions onto a {@link GpuModel} roofline (H200 by default). Also derives BGV's time
 * per step ({@link BgvDerivation}). Writes {@code projection.json} and {@code projection.md} into
 * the {@code --out} folder and prints the Markdown, whose "measured" column is this run's own time
 * per stage on whatever OpenCL device ran it: on PoCL a CPU figure, on a GPU the check of the model.
 *
 * <pre>
 * GpuProjection [--images N] [--data DIR] [--out DIR] [--scheme bfv] [--toy-n N] [--launch-us US] [--bandwidth-tbs TBS]
 * </pre>
 *
 * <p>Parameters: the planner's 128-bit choice for the committed model, as the app's demo and the
 * comparison runner's full profile; {@code --toy-n} swaps in an INSECURE smaller ring with the same
 * primes and levels for development (counts scale with n, times log n for NTT butterflies).
 * {@code --scheme}: {@code bfv} (default) or {@code bgv}, the scheme whose run is counted; the BGV
 * column derived from BFV's counts is printed either way, so a counted BGV run checks the derivation.
 * (The OpenCL backend's BGV modulus switch is native: two kernels when a ring fits local memory,
 * counted like the others.)
 *
 * <p>Exit codes of {@link #main}: 0 when the decrypted logits equal the clear network's, 1 when they
 * do not or the run fails, 2 for bad usage. {@link #execute} is stateless; each call opens its own
 * backend. Throws nothing from {@link #execute}; the run throws {@link IllegalStateException} for a
 * backend opened without counting or a report that cannot be written, and what the layers below throw.
 */
public final class GpuProjection {
  static final String KEYGEN = "keygen";
  static final String ENCRYPT = "encode + encrypt";
  static final String DECRYPT = "decrypt + decode";
  static final String JSON_FILE = "projection.json";
  static final String MARKDOWN_FILE = "projection.md";
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private GpuProjection() {}

  public static void main(String[] args) {
    System.exit(execute(Arrays.asList(args), System.out, System.err));
  }

  /** Parses, runs and maps the outcome to {@link #main}'s exit code. */
  static int execute(List<String> args, PrintStream out, PrintStream err) {
    Options options = new Options();
    CommandLine cl = new CommandLine(options);
    cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    try {
      if (CommandLine.printHelpIfRequested(cl.parseArgs(args.toArray(String[]::new)))) {
        return 0;
      }
      return options.run(out, err) == 0 ? 0 : 1;
    } catch (ParameterException e) {
      err.println("error: " + e.getMessage() + " (--help lists the options)");
      return 2;
    } catch (RuntimeException e) {
      err.println("error: " + e);
      e.printStackTrace(err);
      return 1;
    }
  }

  /** The options, parsed by picocli. Not thread-safe. */
  @Command(name = "GpuProjection", sortOptions = false, usageHelpAutoWidth = true,
      description = {"Counts the OpenCL backend's work on one encrypted MNIST CryptoNet batch and projects it onto a GPU roofline (H200 by default). "
          + "Writes " + JSON_FILE + " and " + MARKDOWN_FILE + " into --out and prints the Markdown."},
      footer = {"", "Exit codes: 0 the decrypted logits equal the clear network's, 1 they do not or the run failed, 2 bad usage."})
  static final class Options {
    @Spec
    CommandSpec spec;

    @Option(names = "--images", paramLabel = "N", description = "test images (default 8192: one full batch at n = 8192)")
    int images = 8192;
    @Option(names = "--data", paramLabel = "DIR", description = "folder with the MNIST IDX files (default: the project's cache)")
    Path data;
    @Option(names = "--out", paramLabel = "DIR", description = "report folder, new or empty (default: bench/results/gpu-projection-STAMP)")
    Path out;
    @Option(names = "--scheme", paramLabel = "bfv|bgv", description = "scheme to run and count (default bfv; BGV is also derived from the counts in its own column)")
    String scheme = "bfv";
    @Option(names = "--toy-n", paramLabel = "N", description = "INSECURE smaller ring degree with the same primes and levels, for development")
    Integer toyN;
    @Option(names = "--launch-us", paramLabel = "US", description = "per-launch overhead of the model in microseconds (default 5)")
    double launchMicros = 5;
    @Option(names = "--bandwidth-tbs", paramLabel = "TBS", description = "memory bandwidth of the model in TB/s (default 4.8, H200 HBM3e)")
    double bandwidthTbs = 4.8;
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "print this help and exit")
    boolean help;

    private ParameterException usage(String message) {
      return new ParameterException(spec.commandLine(), message);
    }

    /** Runs; returns the number of mismatching images. @throws ParameterException for bad options */
    int run(PrintStream out, PrintStream log) {
      if (!scheme.equals("bfv") && !scheme.equals("bgv")) {
        throw usage("--scheme " + scheme + ": expected bfv or bgv");
      }
      if (images < 1) {
        throw usage("--images " + images + ": expected at least 1");
      }
      if (toyN != null && (toyN < 1024 || toyN > 8192 || Integer.bitCount(toyN) != 1)) {
        throw usage("--toy-n " + toyN + ": expected 1024, 2048, 4096 or 8192");
      }
      if (!(launchMicros >= 0) || !(bandwidthTbs > 0)) {
        throw usage("--launch-us must be >= 0 and --bandwidth-tbs > 0");
      }
      String requested = System.getProperty(OpenClBackend.COUNT_PROPERTY);
      if (requested != null && !requested.trim().equalsIgnoreCase("true")) {
        throw usage("-D" + OpenClBackend.COUNT_PROPERTY + "=" + requested + ": the projection needs counting on");
      }
      System.setProperty(OpenClBackend.COUNT_PROPERTY, "true");
      Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
      Path folder = (this.out != null ? this.out : Path.of("bench/results/gpu-projection-" + STAMP.format(started))).toAbsolutePath();
      GpuModel base = GpuModel.H200;
      GpuModel model = new GpuModel(base.name(), bandwidthTbs * 1e12, base.multipliesPerSecond(), launchMicros * 1e-6, base.linkBytesPerSecond());
      return project(model, started, folder, out, log);
    }

    private int project(GpuModel model, Instant started, Path folder, PrintStream out, PrintStream log) {
      ImageDataset data = ImageDataset.obtain(this.data);
      LabeledImages test = data.test();
      if (images > test.size()) {
        throw usage("--images " + images + ": the test set has " + test.size());
      }
      IntegerNetwork net = IntegerNetwork.loadDefault();
      int logitBits = net.measure(test).logitBits();
      Scheme chosen = scheme.equals("bgv") ? Scheme.BGV : Scheme.BFV;
      CryptoNetPlan plan = ParameterPlanner.choose(net, logitBits, BackendComparison.PLAIN_PRIME_BITS, chosen).plan();
      BfvParameters params;
      String security;
      if (toyN != null) {
        plan = BackendComparison.toyPlan(plan, toyN).withScheme(chosen);
        params = plan.parameters(SecurityLevel.NONE);
        security = "INSECURE toy n = " + toyN + " (SecurityLevel.NONE), for development only";
        log.println("WARNING: " + security);
      } else {
        params = plan.parameters();
        security = "128-bit";
      }
      try (OpenClBackend backend = OpenClBackend.open()) {
        if (!backend.isCounting()) {
          throw new IllegalStateException("the OpenCL backend is not counting");
        }
        log.println("counting on " + backend.device() + ": " + params);
        Run run = new Run(backend, net, plan, params, test, images, log);
        run.execute();
        int n = params.n();
        int parts = run.batches * params.plainModuli().size();
        int inputs = ((IntegerNetwork.Linear) net.layers().get(0)).inputs();
        long ingest = (long) parts * inputs * 2 * plan.inputLevel() * n * 4L;
        ProjectionReport report = new ProjectionReport(model, run.ledger.stages(), BgvDerivation.derive(net, plan, n), parts, ingest);
        report.meta.put("date", started.toString());
        report.meta.put("machine", BackendComparison.machine());
        report.meta.put("jdk", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " " + Runtime.version());
        report.meta.put("counted_on", backend.device());
        report.meta.put("parameters", params.toString());
        report.meta.put("security", security);
        report.meta.put("scheme_counted", chosen.toString());
        report.meta.put("plan", plan.toString());
        report.meta.put("images", images);
        report.meta.put("batches", run.batches);
        report.meta.put("mismatches", run.mismatches);
        write(folder, report);
        out.print(report.markdown());
        out.println();
        out.println("report: " + folder.resolve(MARKDOWN_FILE) + " (also " + JSON_FILE + ")");
        return run.mismatches;
      }
    }

    private void write(Path folder, ProjectionReport report) {
      try {
        if (Files.exists(folder)) {
          try (var s = Files.list(folder)) {
            if (s.findAny().isPresent()) {
              throw usage("--out " + folder + " is not empty");
            }
          }
        }
        Files.createDirectories(folder);
        Files.writeString(folder.resolve(JSON_FILE), Json.write(report.json()), StandardCharsets.UTF_8);
        Files.writeString(folder.resolve(MARKDOWN_FILE), report.markdown(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalStateException("cannot write the report to " + folder + ": " + e.getMessage(), e);
      }
    }
  }

  /** One counted run: the owner's and the cloud's stages with counter snapshots between them. Not thread-safe. */
  static final class Run {
    private final OpenClBackend backend;
    private final IntegerNetwork net;
    private final CryptoNetPlan plan;
    private final BfvParameters params;
    private final LabeledImages test;
    private final int images;
    private final PrintStream log;
    final StageLedger ledger = new StageLedger();
    int batches;
    int mismatches;
    private WorkCounter.Snapshot last;

    Run(OpenClBackend backend, IntegerNetwork net, CryptoNetPlan plan, BfvParameters params, LabeledImages test, int images, PrintStream log) {
      this.backend = backend;
      this.net = net;
      this.plan = plan;
      this.params = params;
      this.test = test;
      this.images = images;
      this.log = log;
    }

    /** The counter's work since the previous boundary, after all enqueued work is done. */
    private WorkCounter.Snapshot since() {
      backend.synchronize();
      WorkCounter.Snapshot now = backend.workCounter().snapshot();
      WorkCounter.Snapshot d = now.minus(last);
      last = now;
      return d;
    }

    void execute() {
      int n = params.n();
      int k = params.plainModuli().size();
      int[][] quantized = new int[images][];
      BigInteger[][] expected = new BigInteger[images][];
      IntStream.range(0, images).parallel().forEach(i -> {
        quantized[i] = net.quantizeInput(test.image(i));
        expected[i] = net.logits(quantized[i]);
      });
      int capacity = new CrtComposer(params).capacityBits();
      int plainBits = 0;
      for (Modulus t : params.plainModuli()) {
        plainBits = Math.max(plainBits, t.bits());
      }
      int resultBits = CryptoNetPlan.resultBits(plainBits);
      last = backend.workCounter().snapshot();
      long t0 = System.nanoTime();
      Scheme scheme = plan.scheme();
      DataOwner owner = new DataOwner(params, scheme, backend, new SecureRandom());
      RelinearizationKeys relinKeys = owner.createRelinearizationKeys();
      ledger.record(KEYGEN, since(), (System.nanoTime() - t0) / 1e9);
      HomomorphicEvaluator cloud = scheme == Scheme.BGV ? new BgvEvaluator(params, backend) : new Evaluator(params, backend);
      EncryptedCryptoNet network = new EncryptedCryptoNet(params, cloud, relinKeys, net, plan);
      batches = (images + n - 1) / n;
      try (owner; relinKeys; cloud) {
        for (int b = 0; b < batches; b++) {
          int first = b * n;
          int count = Math.min(n, images - first);
          int[][] batch = Arrays.copyOfRange(quantized, first, first + count);
          List<CompressedResults> outputs = new ArrayList<>();
          for (int j = 0; j < k; j++) {
            long e0 = System.nanoTime();
            CiphertextBatch input = owner.encryptImages(batch, j, plan.inputLevel());
            ledger.record(ENCRYPT, since(), (System.nanoTime() - e0) / 1e9);
            // The listener runs after the evaluator synchronized the backend: the counter holds
            // exactly the step's launches.
            outputs.add(network.evaluateForReturn(input, (name, plainIndex, seconds) -> ledger.record(name, since(), seconds), resultBits));
            input.close();
            log.printf(Locale.ROOT, "   batch %d/%d, plaintext prime %d/%d done%n", b + 1, batches, j + 1, k);
          }
          long d0 = System.nanoTime();
          DataOwner.Decryption d = owner.decryptResults(outputs, count, capacity - 1);
          ledger.record(DECRYPT, since(), (System.nanoTime() - d0) / 1e9);
          for (int s = 0; s < count; s++) {
            if (!Arrays.equals(d.logits()[s], expected[first + s])) {
              mismatches++;
            }
          }
        }
      }
      ledger.flush();
      log.println("   " + mismatches + " of " + images + " images with logits different from the clear network");
    }
  }
}
