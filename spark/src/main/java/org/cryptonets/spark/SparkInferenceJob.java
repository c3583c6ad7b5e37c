package org.cryptonets.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;
import org.cryptonets.inference.LoadedModel;
import org.cryptonets.inference.parties.CloudInference;

/**
 * The cloud's job over many encrypted batch files on Apache Spark: every file matching the glob in
 * the input folder (any Hadoop file system) goes through {@link CloudInference#run}, one batch per
 * task, and gets a result file {@code NAME.results} in the output folder.
 *
 * <p>How the work divides: the driver reads the evaluation keys and the model once, checks the
 * model against the keys ({@link LoadedModel#forPlan}; a mismatch fails before any task starts),
 * broadcasts both as bytes, lists the inputs and makes one partition per file. Each executor turns
 * the broadcasts into local files and opens its backend once per JVM ({@link ExecutorCache}); each
 * task evaluates its batch and commits the result by rename ({@link ResultCommitter}), so a task
 * that Spark runs again (lost executor, speculation) writes the same bytes and no partial result is
 * ever visible. A batch the loader refuses is a failed {@link BatchOutcome}, not a failed task: the
 * other batches complete and the {@link JobSummary} lists it. At the end the driver removes the
 * temporary files that crashed attempts left.
 *
 * <p>Executors use {@code -Dcryptonets.backend} (cpu by default, opencl where a node has a GPU),
 * passed with {@code spark.executor.extraJavaOptions}; the CPU backend's threads default to
 * {@code spark.executor.cores} (in {@code local[N]}, N) unless {@code -Dcryptonets.threads} says.
 *
 * <p>Stateless; one job per Spark context at a time. Throws {@link IllegalArgumentException} for an
 * input that matches no file or a model the keys were not made for,
 * {@link org.cryptonets.bfv.io.SerializationException} for a bad keys file, what
 * {@link org.cryptonets.onnx.ModelFiles#load} throws for a bad model file, and
 * {@link UncheckedIOException} when a file system fails on the driver.
 */
public final class SparkInferenceJob {
  /** What the job reads on the driver at most, for the keys and for the model each. */
  static final long MAX_BROADCAST_BYTES = 1L << 30;
  private static final Pattern LOCAL_MASTER = Pattern.compile("local\\[(\\d+)(?:,\\s*\\d+)?\\]");

  /**
   * What to run. Immutable; thread-safe; throws nothing.
   *
   * @param keys the evaluation-keys file (a local path or any Hadoop path)
   * @param input a folder of batch files, or one batch file
   * @param output the folder for the result files (created if missing)
   * @param model the model file the keys were made for; null for the committed MNIST model
   * @param glob which file names of the input folder are batches (default {@code *}); hidden names
   *     (starting with {@code .} or {@code _}) and result files ({@code *.results}) never are
   */
  public record Spec(String keys, String input, String output, String model, String glob) {
    /** Fills in the default glob. */
    public Spec {
      glob = glob == null ? "*" : glob;
    }
  }

  private SparkInferenceJob() {}

  /**
   * Runs the job and returns its summary; progress lines go to {@code log}.
   *
   * @throws IllegalArgumentException see the class comment
   */
  public static JobSummary run(JavaSparkContext sc, Spec spec, Consumer<String> log) {
    long start = System.nanoTime();
    Configuration conf = sc.hadoopConfiguration();
    try {
      Path keysPath = new Path(spec.keys());
      byte[] keyBytes = readAll(keysPath, conf, "--keys");
      String keysSha = ExecutorCache.sha256(keyBytes);
      byte[] modelBytes = spec.model() == null ? null : readAll(new Path(spec.model()), conf, "--model");
      String modelSha = modelBytes == null ? null : ExecutorCache.sha256(modelBytes);
      String modelName = spec.model() == null ? null : new Path(spec.model()).getName();
      // Check keys and model here, once, before any task: a mismatch is the user's, not a batch's.
      java.nio.file.Path localKeys = ExecutorCache.localFile(keysSha, keysPath.getName(), () -> keyBytes);
      java.nio.file.Path localModel = modelBytes == null ? null : ExecutorCache.localFile(modelSha, modelName, () -> modelBytes);
      ExecutorCache.network(localKeys, keysSha, localModel, modelSha, spec.keys());

      List<String> inputs = listInputs(new Path(spec.input()), spec.glob(), conf);
      Path outputDir = new Path(spec.output());
      FileSystem outFs = ResultCommitter.fileSystem(outputDir, conf);
      outFs.mkdirs(outputDir);
      String qualifiedOutput = outFs.makeQualified(outputDir).toString();
      Integer threads = executorThreads(sc.getConf());
      log.accept(String.format(Locale.ROOT, "%d batch file(s) under %s -> %s; keys %s (%,d bytes), model %s; executor threads %s", inputs.size(),
          spec.input(), qualifiedOutput, spec.keys(), keyBytes.length, modelName == null ? LoadedModel.COMMITTED : modelName,
          threads == null ? "(backend default)" : threads.toString()));

      Broadcast<byte[]> keysBroadcast = sc.broadcast(keyBytes);
      Broadcast<byte[]> modelBroadcast = modelBytes == null ? null : sc.broadcast(modelBytes);
      Broadcast<SerializableConfiguration> confBroadcast = sc.broadcast(new SerializableConfiguration(conf));
      List<BatchOutcome> outcomes;
      try {
        BatchInferenceTask task = new BatchInferenceTask(keysBroadcast, keysPath.getName(), keysSha, modelBroadcast, modelName, modelSha, confBroadcast,
            qualifiedOutput, threads);
        sc.setJobDescription("CryptoNets inference on " + inputs.size() + " encrypted batch file(s)");
        // One partition per file: one batch per task.
        outcomes = new ArrayList<>(sc.parallelize(inputs, Math.max(1, inputs.size())).map(task).collect());
      } finally {
        keysBroadcast.destroy();
        if (modelBroadcast != null) {
          modelBroadcast.destroy();
        }
        confBroadcast.destroy();
      }
      outcomes.sort(Comparator.comparing(BatchOutcome::input));
      List<String> resultNames = new ArrayList<>();
      for (String in : inputs) {
        resultNames.add(new Path(in).getName() + ResultCommitter.RESULTS_SUFFIX);
      }
      int stale = ResultCommitter.removeTemporaryFiles(outFs, outputDir, resultNames);
      TreeSet<String> backends = new TreeSet<>();
      for (BatchOutcome o : outcomes) {
        if (o.backend() != null) {
          backends.add(o.backend());
        }
      }
      return new JobSummary(backends.isEmpty() ? "(none opened)" : String.join("; ", backends), (System.nanoTime() - start) / 1e9, stale, outcomes);
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
  }

  /**
   * The CPU backend's threads for executors: {@code spark.executor.cores}, or N in {@code local[N]};
   * null (the backend's default, every core) otherwise.
   */
  static Integer executorThreads(SparkConf conf) {
    Optional<String> cores = Optional.ofNullable(conf.get("spark.executor.cores", null));
    if (cores.isPresent()) {
      return Integer.valueOf(cores.get().trim());
    }
    Matcher m = LOCAL_MASTER.matcher(conf.get("spark.master", ""));
    return m.matches() ? Integer.valueOf(m.group(1)) : null;
  }

  /** The batch files: {@code input} itself if it is a file, else the files of the folder matching {@code glob}, sorted. */
  static List<String> listInputs(Path input, String glob, Configuration conf) throws IOException {
    FileSystem fs = ResultCommitter.fileSystem(input, conf);
    FileStatus status;
    try {
      status = fs.getFileStatus(input);
    } catch (FileNotFoundException e) {
      throw new IllegalArgumentException("--in " + input + ": no such file or folder");
    }
    List<String> out = new ArrayList<>();
    if (status.isFile()) {
      out.add(fs.makeQualified(input).toString());
      return out;
    }
    FileStatus[] matches = fs.globStatus(new Path(input, glob));
    for (FileStatus s : matches == null ? new FileStatus[0] : matches) {
      String name = s.getPath().getName();
      if (s.isFile() && !name.startsWith(".") && !name.startsWith("_") && !name.endsWith(ResultCommitter.RESULTS_SUFFIX)) {
        out.add(fs.makeQualified(s.getPath()).toString());
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("--in " + input + ": no batch file matches --glob " + glob);
    }
    out.sort(null);
    return out;
  }

  private static byte[] readAll(Path path, Configuration conf, String option) throws IOException {
    FileSystem fs = ResultCommitter.fileSystem(path, conf);
    FileStatus status;
    try {
      status = fs.getFileStatus(path);
    } catch (FileNotFoundException e) {
      throw new IllegalArgumentException(option + " " + path + ": no such file");
    }
    if (!status.isFile()) {
      throw new IllegalArgumentException(option + " " + path + " is not a file");
    }
    if (status.getLen() > MAX_BROADCAST_BYTES) {
      throw new IllegalArgumentException(option + " " + path + ": " + status.getLen() + " bytes, above the " + MAX_BROADCAST_BYTES + " the job broadcasts");
    }
    try (InputStream in = fs.open(path)) {
      return in.readAllBytes();
    }
  }
}
