package org.cryptonets.spark;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Puts one task's result file in place on any Hadoop file system, so a re-run task (a lost
 * executor, speculation) writes the same result and no partial output is ever visible:
 * <ol>
 *   <li>the bytes go to a hidden temporary file named after the result and unique to the task
 *       attempt, {@code .NAME.results.attempt-ID.tmp} in the output folder (Hadoop readers skip
 *       names that start with a dot);
 *   <li>if the final file already exists with the same bytes (a rerun, or another attempt of the
 *       same task got there first) it is left as it is; with other bytes the commit fails, never
 *       replacing a result it did not make;
 *   <li>otherwise the temporary file is renamed to the final name, one atomic step on HDFS and on a
 *       local folder; a rename that loses a race to an identical file counts as committed.
 * </ol>
 * Evaluation is deterministic (the same keys, model and batch give the same bytes), which is what
 * makes two attempts interchangeable. A temporary file whose attempt died before committing is
 * removed by the driver at the end of the job ({@link #removeTemporaryFiles}).
 *
 * <p>Stateless; thread-safe for distinct results. Throws {@link IOException} when the file system
 * fails and {@link ResultConflictException} when a different result is already in place.
 */
final class ResultCommitter {
  /** Suffix of a result file: {@code batch-0.bin} gives {@code batch-0.bin.results}. */
  static final String RESULTS_SUFFIX = ".results";
  private static final Pattern TEMPORARY = Pattern.compile("\\..+\\" + RESULTS_SUFFIX + "\\.attempt-[0-9]+\\.tmp");

  /** How a result came to be in place. */
  enum Commit {
    /** This attempt's bytes were renamed into place. */
    WRITTEN,
    /** Identical bytes were already there; left as they were. */
    ALREADY_PRESENT
  }

  /** A result file already in place with other bytes than this run's. Unchecked. */
  static final class ResultConflictException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ResultConflictException(String message) {
      super(message);
    }
  }

  private ResultCommitter() {}

  /** The result file of {@code input} in {@code outputDir}. */
  static Path resultPath(Path outputDir, Path input) {
    return new Path(outputDir, input.getName() + RESULTS_SUFFIX);
  }

  /** The temporary name of {@code result} for one task attempt. */
  static Path temporaryPath(Path result, long taskAttemptId) {
    return new Path(result.getParent(), "." + result.getName() + ".attempt-" + taskAttemptId + ".tmp");
  }

  /** Whether a file name is one of {@link #temporaryPath}'s. */
  static boolean isTemporaryName(String name) {
    return TEMPORARY.matcher(name).matches();
  }

  /**
   * The file system of {@code path}, bypassing the checksummed local file system's {@code .crc}
   * side files (the format has its own CRC-32C).
   */
  static FileSystem fileSystem(Path path, org.apache.hadoop.conf.Configuration conf) throws IOException {
    FileSystem fs = path.getFileSystem(conf);
    return fs instanceof LocalFileSystem local ? local.getRaw() : fs;
  }

  /**
   * Commits {@code localResult} as {@code result}.
   *
   * @param beforeRename runs after the temporary file is written and before it is renamed (a test
   *     simulates a crash there)
   * @throws ResultConflictException if another result is already in place
   */
  static Commit commit(FileSystem fs, java.nio.file.Path localResult, Path result, long taskAttemptId, Runnable beforeRename) throws IOException {
    byte[] bytes = Files.readAllBytes(localResult);
    if (fs.exists(result)) {
      return keepIdentical(fs, result, bytes);
    }
    Path temp = temporaryPath(result, taskAttemptId);
    try (FSDataOutputStream out = fs.create(temp, true)) {
      out.write(bytes);
      out.hsync();
    } catch (IOException | RuntimeException e) {
      fs.delete(temp, false);
      throw e;
    }
    // Outside the clean-up below: a crash here leaves the temporary file behind, as a real one would.
    beforeRename.run();
    boolean renamed = false;
    try {
      renamed = fs.rename(temp, result);
      // HDFS refuses to rename over a file: then another attempt committed first.
      return renamed ? Commit.WRITTEN : keepIdentical(fs, result, bytes);
    } finally {
      if (!renamed) {
        fs.delete(temp, false);
      }
    }
  }

  private static Commit keepIdentical(FileSystem fs, Path result, byte[] bytes) throws IOException {
    if (!sameBytes(fs, result, bytes)) {
      throw new ResultConflictException(result + " exists with other contents than this run's result (another batch, keys or model?); "
          + "move it away or choose another output folder");
    }
    return Commit.ALREADY_PRESENT;
  }

  private static boolean sameBytes(FileSystem fs, Path file, byte[] bytes) throws IOException {
    if (fs.getFileStatus(file).getLen() != bytes.length) {
      return false;
    }
    byte[] buffer = new byte[1 << 16];
    try (InputStream in = fs.open(file)) {
      int offset = 0;
      int n;
      while ((n = in.read(buffer)) > 0) {
        if (offset + n > bytes.length || !Arrays.equals(buffer, 0, n, bytes, offset, offset + n)) {
          return false;
        }
        offset += n;
      }
      return offset == bytes.length;
    }
  }

  /**
   * Removes the temporary files that attempts of the results in {@code results} left behind; returns
   * how many. Run by the driver once every task has finished, when no attempt can still be writing.
   */
  static int removeTemporaryFiles(FileSystem fs, Path outputDir, List<String> resultNames) throws IOException {
    if (!fs.exists(outputDir)) {
      return 0;
    }
    List<Path> stale = new ArrayList<>();
    for (FileStatus s : fs.listStatus(outputDir)) {
      String name = s.getPath().getName();
      if (isTemporaryName(name)) {
        for (String r : resultNames) {
          if (name.startsWith("." + r + ".attempt-")) {
            stale.add(s.getPath());
            break;
          }
        }
      }
    }
    for (Path p : stale) {
      fs.delete(p, false);
    }
    return stale.size();
  }
}
