package org.cryptonets.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The end of a {@link SparkInferenceJob}: batches done and failed, images, total and per-batch
 * time, throughput, and every batch's {@link BatchOutcome} in input order.
 *
 * <p>Immutable; thread-safe. {@link #writeJson} throws {@link IOException}; nothing else throws.
 *
 * @param backend what the executors were asked to use ({@code -Dcryptonets.backend}, threads)
 * @param seconds wall time of the whole job on the driver, from reading the keys to the last commit
 * @param staleTemporaryFiles temporary result files of crashed task attempts that the driver removed
 * @param batches one outcome per input file, sorted by input
 */
public record JobSummary(String backend, double seconds, int staleTemporaryFiles, List<BatchOutcome> batches) {
  /** Copies the list. */
  public JobSummary {
    batches = List.copyOf(batches);
  }

  /** Batches with a correct result file. */
  public int batchesDone() {
    return (int) batches.stream().filter(BatchOutcome::succeeded).count();
  }

  /** Batches without one. */
  public int batchesFailed() {
    return batches.size() - batchesDone();
  }

  /** Images in the slots of the batches done. */
  public long images() {
    return batches.stream().filter(BatchOutcome::succeeded).mapToLong(BatchOutcome::images).sum();
  }

  /** Mean task time over the batches done (0 when none). */
  public double meanBatchSeconds() {
    return batches.stream().filter(BatchOutcome::succeeded).mapToDouble(BatchOutcome::seconds).average().orElse(0);
  }

  /** Images of the batches done per second of the job's wall time. */
  public double imagesPerSecond() {
    return seconds > 0 ? images() / seconds : 0;
  }

  /** The failed outcomes, in input order. */
  public List<BatchOutcome> failures() {
    List<BatchOutcome> out = new ArrayList<>();
    for (BatchOutcome b : batches) {
      if (!b.succeeded()) {
        out.add(b);
      }
    }
    return out;
  }

  /** The summary as lines for a person. */
  public List<String> describe() {
    List<String> lines = new ArrayList<>();
    lines.add(String.format(Locale.ROOT, "batches: %d done, %d failed, of %d; images: %,d", batchesDone(), batchesFailed(), batches.size(), images()));
    lines.add(String.format(Locale.ROOT, "time: %.1f s in all, %.1f s per batch (mean task time); throughput %.1f images/s; backend %s", seconds,
        meanBatchSeconds(), imagesPerSecond(), backend));
    if (staleTemporaryFiles > 0) {
      lines.add("removed " + staleTemporaryFiles + " temporary result file(s) left by crashed task attempts");
    }
    for (BatchOutcome b : batches) {
      lines.add(String.format(Locale.ROOT, "  %-15s %s%s", b.status(), b.input(), b.succeeded()
          ? String.format(Locale.ROOT, " -> %s (%d images, %.1f s%s)", b.output(), b.images(), b.seconds(), b.attempt() > 0 ? ", attempt " + b.attempt() : "")
          : ": " + b.message()));
    }
    return lines;
  }

  /** The summary as a JSON object: the totals, then {@code batches}. */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("batchesDone", batchesDone());
    m.put("batchesFailed", batchesFailed());
    m.put("images", images());
    m.put("seconds", seconds);
    m.put("meanBatchSeconds", meanBatchSeconds());
    m.put("imagesPerSecond", imagesPerSecond());
    m.put("backend", backend);
    m.put("staleTemporaryFiles", staleTemporaryFiles);
    m.put("batches", batches);
    return m;
  }

  /**
   * Writes {@link #toJson} to {@code file} through a temporary file moved into place.
   *
   * @throws IOException if it cannot be written
   */
  public void writeJson(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Path temp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
    try {
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(temp.toFile(), toJson());
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
