package org.cryptonets.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;
import org.cryptonets.engine.Backend;
import org.cryptonets.inference.parties.CloudInference;
import org.cryptonets.net.IntegerNetwork;

/**
 * One Spark task: one encrypted batch file through {@link CloudInference#run}, the result committed
 * by {@link ResultCommitter}. The keys and the model arrive as broadcast bytes and become local
 * files once per JVM ({@link ExecutorCache}); a batch on a remote file system is copied to a local
 * temporary folder of the task first, one on a local file system is read in place.
 *
 * <p>A batch that cannot be evaluated or committed (the loader refuses it, a different result is
 * already in place, the file system fails) gives a {@link BatchOutcome.Status#FAILED} outcome with
 * the loader's message (a copied input's local path replaced by the input's), so the other batches go on;
 * only errors of the JVM ({@link Error}) fail the task, for Spark to retry it.
 *
 * <p>Serializable; Spark calls each instance from one thread per task; thread-safe. Throws only
 * what fails a task: {@link Error}s and {@link SimulatedCrash}.
 */
final class BatchInferenceTask implements Function<String, BatchOutcome> {
  private static final long serialVersionUID = 1L;
  /**
   * Tests only: a Spark local property naming an input file whose first task attempt crashes after
   * writing its temporary result and before committing it (set with {@code setLocalProperty}).
   */
  static final String CRASH_FIRST_ATTEMPT_PROPERTY = "cryptonets.spark.test.crashFirstAttemptOf";

  /** The crash {@link #CRASH_FIRST_ATTEMPT_PROPERTY} asks for: fails the task attempt. Unchecked. */
  static final class SimulatedCrash extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SimulatedCrash(String message) {
      super(message);
    }
  }

  private final Broadcast<byte[]> keys;
  private final String keysName;
  private final String keysSha256;
  private final Broadcast<byte[]> model;
  private final String modelName;
  private final String modelSha256;
  private final Broadcast<SerializableConfiguration> hadoopConf;
  private final String outputDir;
  private final Integer threads;

  /**
   * @param model the model file's bytes, or null for the committed model (then the name and
   *     SHA-256 are null too)
   * @param threads the CPU backend's threads on an executor (null: the backend's default)
   */
  BatchInferenceTask(Broadcast<byte[]> keys, String keysName, String keysSha256, Broadcast<byte[]> model, String modelName, String modelSha256,
      Broadcast<SerializableConfiguration> hadoopConf, String outputDir, Integer threads) {
    this.keys = keys;
    this.keysName = keysName;
    this.keysSha256 = keysSha256;
    this.model = model;
    this.modelName = modelName;
    this.modelSha256 = modelSha256;
    this.hadoopConf = hadoopConf;
    this.outputDir = outputDir;
    this.threads = threads;
  }

  @Override
  public BatchOutcome call(String input) {
    TaskContext context = TaskContext.get();
    int attempt = context == null ? 0 : context.attemptNumber();
    long attemptId = context == null ? 0 : context.taskAttemptId();
    String crashFor = context == null ? null : context.getLocalProperty(CRASH_FIRST_ATTEMPT_PROPERTY);
    Path in = new Path(input);
    Path result = ResultCommitter.resultPath(new Path(outputDir), in);
    java.nio.file.Path work = null;
    String localName = null;
    String device = null;
    try {
      Backend backend = ExecutorCache.backend(threads);
      device = backend.name() + " (" + backend.device() + ")";
      java.nio.file.Path keysFile = ExecutorCache.localFile(keysSha256, keysName, keys::value);
      java.nio.file.Path modelFile = model == null ? null : ExecutorCache.localFile(modelSha256, modelName, model::value);
      IntegerNetwork network = ExecutorCache.network(keysFile, keysSha256, modelFile, modelSha256, keysName);
      long start = System.nanoTime();
      work = Files.createTempDirectory("cryptonets-task-");
      FileSystem inFs = ResultCommitter.fileSystem(in, hadoopConf.value().value());
      java.nio.file.Path localInput = localInput(inFs, in, work);
      if (!isLocal(inFs)) {
        localName = localInput.toString(); // messages should name the input, not the task's copy
      }
      java.nio.file.Path localResult = work.resolve(result.getName());
      CloudInference.Result r = CloudInference.run(keysFile, localInput, localResult, network, backend, line -> { });
      FileSystem outFs = ResultCommitter.fileSystem(result, hadoopConf.value().value());
      ResultCommitter.Commit commit = ResultCommitter.commit(outFs, localResult, result, attemptId, () -> {
        if (attempt == 0 && in.getName().equals(crashFor)) {
          throw new SimulatedCrash("simulated crash of the first attempt at " + input + " before its commit");
        }
      });
      BatchOutcome.Status status = commit == ResultCommitter.Commit.WRITTEN ? BatchOutcome.Status.DONE : BatchOutcome.Status.ALREADY_PRESENT;
      return new BatchOutcome(input, result.toString(), status, r.images(), (System.nanoTime() - start) / 1e9, attempt, null, device);
    } catch (SimulatedCrash e) {
      throw e;
    } catch (RuntimeException | IOException e) {
      return new BatchOutcome(input, null, BatchOutcome.Status.FAILED, 0, 0, attempt, message(e, localName, input), device);
    } finally {
      if (work != null) {
        ExecutorCache.deleteTree(work);
      }
    }
  }

  /** Whether {@code fs} is this machine's file system ({@code file:}), whose files the loaders can read in place. */
  private static boolean isLocal(FileSystem fs) {
    return fs instanceof RawLocalFileSystem && "file".equals(fs.getUri().getScheme());
  }

  /** The batch as a local regular file: in place on the local file system, copied from any other. */
  private static java.nio.file.Path localInput(FileSystem fs, Path in, java.nio.file.Path work) throws IOException {
    if (isLocal(fs)) {
      return ((RawLocalFileSystem) fs).pathToFile(in).toPath();
    }
    java.nio.file.Path copy = work.resolve(in.getName());
    try (InputStream stream = fs.open(in)) {
      Files.copy(stream, copy);
    }
    return copy;
  }

  /** The failure's message, naming the input rather than the task's local copy of it. */
  static String message(Exception e, String localName, String input) {
    Throwable cause = e instanceof UncheckedIOException && e.getCause() != null ? e.getCause() : e;
    String m = cause.getMessage() == null ? cause.toString() : cause.getMessage();
    return localName == null || localName.equals(input) ? m : m.replace(localName, input);
  }
}
