package org.cryptonets.spark;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.cryptonets.bfv.io.SerializationException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The main class for {@code spark-submit}: {@code --keys FILE --in DIR_OR_PATH --out DIR_OR_PATH
 * [--model FILE] [--glob PATTERN] [--summary FILE]} runs {@link SparkInferenceJob} and prints its
 * {@link JobSummary}, and writes it as JSON with {@code --summary}. Paths may be local or on any
 * Hadoop file system (the summary file is local to the driver). Without a master from
 * {@code spark-submit} it runs in {@code local[*]}.
 *
 * <p>Exit codes: 0 every batch done, 1 some batch failed (listed) or the job failed, 2 bad options
 * or input (no matching batch, keys that do not load, a model the keys were not made for).
 *
 * <p>One instance per run; not thread-safe. {@link #run} throws nothing: errors become one
 * {@code error: ...} line on standard error and an exit code.
 */
@Command(name = "cryptonets-spark", mixinStandardHelpOptions = true, sortOptions = false, versionProvider = SparkInferenceCommand.Version.class,
    description = "Cloud, on Apache Spark: apply the network to every encrypted batch file of a folder, one batch per task.")
public final class SparkInferenceCommand implements Callable<Integer> {
  private final PrintStream out;
  private final JavaSparkContext context;

  @Option(names = "--keys", required = true, paramLabel = "FILE", description = "the evaluation.keys file from the data owner (local or Hadoop path)")
  private String keys;
  @Option(names = "--in", required = true, paramLabel = "DIR_OR_PATH", description = "folder of encrypted batch files, or one file (local or Hadoop path)")
  private String in;
  @Option(names = "--out", required = true, paramLabel = "DIR_OR_PATH", description = "folder for the result files, NAME.results per input NAME (created if missing)")
  private String outDir;
  @Option(names = "--model", paramLabel = "FILE", description = "the model the keys were made for: .onnx or a model file from train (default: the committed MNIST model)")
  private String model;
  @Option(names = "--glob", paramLabel = "PATTERN", defaultValue = "*", description = "which names in --in are batch files (default: ${DEFAULT-VALUE})")
  private String glob;
  @Option(names = "--summary", paramLabel = "FILE", description = "also write the summary as JSON to this local file")
  private Path summaryFile;

  /** {@code --version}: the module's version from the jar (unknown outside one) and the JVM. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      String v = "unknown";
      try (java.io.InputStream in = SparkInferenceCommand.class.getResourceAsStream("/META-INF/maven/org.cryptonets/spark/pom.properties")) {
        if (in != null) {
          java.util.Properties p = new java.util.Properties();
          p.load(in);
          v = p.getProperty("version", v);
        }
      }
      return new String[] {"cryptonets-spark " + v + " (Spark " + org.apache.spark.package$.MODULE$.SPARK_VERSION() + ")",
          "JVM: " + System.getProperty("java.vm.vendor") + " " + Runtime.version()};
    }
  }

  SparkInferenceCommand(PrintStream out, JavaSparkContext context) {
    this.out = out;
    this.context = context;
  }

  /** Runs the command line and exits with its code. */
  public static void main(String[] args) {
    System.exit(run(List.of(args), System.out, System.err, null));
  }

  /**
   * Parses {@code args} and runs the job on {@code context}, or on a context of its own (stopped at
   * the end) when null; returns the exit code.
   */
  static int run(List<String> args, PrintStream out, PrintStream err, JavaSparkContext context) {
    CommandLine cl = new CommandLine(new SparkInferenceCommand(out, context));
    cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    cl.setExecutionExceptionHandler((e, commandLine, parsed) -> {
      boolean input = e instanceof IllegalArgumentException || e instanceof SerializationException;
      err.println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      return input ? 2 : 1;
    });
    cl.setParameterExceptionHandler((e, commandArgs) -> {
      err.println("error: " + e.getMessage());
      return 2;
    });
    return cl.execute(args.toArray(String[]::new));
  }

  @Override
  public Integer call() throws IOException {
    if (summaryFile != null && !java.nio.file.Files.isDirectory(summaryFile.toAbsolutePath().getParent())) {
      throw new IllegalArgumentException("--summary " + summaryFile + ": the folder " + summaryFile.toAbsolutePath().getParent() + " does not exist");
    }
    SparkInferenceJob.Spec spec = new SparkInferenceJob.Spec(keys, in, outDir, model, glob);
    JobSummary summary;
    if (context != null) {
      summary = SparkInferenceJob.run(context, spec, out::println);
    } else {
      SparkConf conf = new SparkConf().setAppName("cryptonets-spark");
      if (!conf.contains("spark.master")) {
        conf.setMaster("local[*]");
      }
      try (JavaSparkContext sc = new JavaSparkContext(conf)) {
        summary = SparkInferenceJob.run(sc, spec, out::println);
      }
    }
    summary.describe().forEach(out::println);
    if (summaryFile != null) {
      summary.writeJson(summaryFile);
      out.println("summary written to " + summaryFile);
    }
    return summary.batchesFailed() == 0 ? 0 : 1;
  }
}
