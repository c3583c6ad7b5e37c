package org.cryptonets.spark;

import java.io.Serializable;

/**
 * What became of one encrypted batch file in a {@link SparkInferenceJob}: the record one task
 * returns to the driver. A batch the loader refuses (damaged, truncated, foreign, of another
 * model's parameters) is a {@link Status#FAILED} outcome carrying the loader's message, not a
 * failed Spark task, so the other batches of the job complete.
 *
 * <p>Immutable; thread-safe; serializable (tasks send it back to the driver). Throws nothing.
 *
 * @param input the batch file, as a Hadoop path (URI)
 * @param output the result file committed for it ({@code null} when failed)
 * @param status what happened
 * @param images images in the batch's slots (0 when failed)
 * @param seconds time the task spent on the batch: copy in, evaluation, commit
 * @param attempt Spark's attempt number of the task that produced this outcome (0 for the first)
 * @param message why it failed ({@code null} otherwise): the loader's message, naming the input
 * @param backend the executor's backend and its configuration ({@code null} if it could not be opened)
 */
public record BatchOutcome(String input, String output, Status status, int images, double seconds, int attempt, String message, String backend)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The fate of a batch. */
  public enum Status {
    /** Evaluated and its result file committed by this job. */
    DONE,
    /** Evaluated; an identical result file was already in place (a rerun, or another attempt won) and was left as it is. */
    ALREADY_PRESENT,
    /** Not evaluated or not committed; {@link BatchOutcome#message()} says why. */
    FAILED
  }

  /** Whether the batch has a correct result file (committed now or already in place). */
  public boolean succeeded() {
    return status != Status.FAILED;
  }
}
