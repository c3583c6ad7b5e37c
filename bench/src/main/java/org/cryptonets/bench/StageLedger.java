package org.cryptonets.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.cryptonets.backend.opencl.KernelWork;
import org.cryptonets.backend.opencl.WorkCounter;

/**
 * Counted work and measured seconds per stage of a CryptoNet run, summed over plaintext primes and
 * batches, in the order stages first appear. Stages are fed the counter's difference between two
 * stage boundaries (the evaluator's listener calls).
 *
 * <p>Fused steps: the evaluator runs a linear layer and the square after it chunk by chunk and
 * reports both steps at the end, so the second arrives with no work of its own. When a step with no
 * work follows one whose work holds both linear-layer kernels ({@link #LINEAR_KERNELS}) and others,
 * the first keeps the linear-layer kernels and all transfers (the weights' uploads), the second gets
 * the rest.
 *
 * <p>Not thread-safe: fed by the one thread that runs the network. Throws nothing.
 */
final class StageLedger {
  /** Kernels of a plain-weight linear layer (multiply-accumulate and the bias). */
  static final Set<String> LINEAR_KERNELS = Set.of("mac_dense", "mac_sparse", "poly_add_constants");

  /** One stage's totals. */
  record Stage(WorkCounter.Snapshot work, double seconds, int calls) {}

  private final Map<String, Stage> stages = new LinkedHashMap<>();
  private String pendingName;
  private WorkCounter.Snapshot pendingWork;
  private double pendingSeconds;

  /** Records a step's work and seconds; commits the previous step once it is known whether the two were fused. */
  void record(String name, WorkCounter.Snapshot work, double seconds) {
    if (pendingName != null && work.isEmpty() && mixed(pendingWork)) {
      Map<String, KernelWork> linear = new TreeMap<>();
      Map<String, KernelWork> rest = new TreeMap<>();
      Map<String, Long> linearLaunches = new TreeMap<>();
      Map<String, Long> restLaunches = new TreeMap<>();
      pendingWork.kernels().forEach((k, w) -> (LINEAR_KERNELS.contains(k) ? linear : rest).put(k, w));
      pendingWork.launches().forEach((k, v) -> (LINEAR_KERNELS.contains(k) ? linearLaunches : restLaunches).put(k, v));
      WorkCounter.Snapshot p = pendingWork;
      commit(pendingName, new WorkCounter.Snapshot(linear, linearLaunches, p.uploads(), p.uploadBytes(), p.downloads(), p.downloadBytes()),
          pendingSeconds);
      commit(name, new WorkCounter.Snapshot(rest, restLaunches, 0, 0, 0, 0), seconds);
      pendingName = null;
      return;
    }
    flush();
    pendingName = name;
    pendingWork = work;
    pendingSeconds = seconds;
  }

  /** Commits the last step; call before reading. */
  void flush() {
    if (pendingName != null) {
      commit(pendingName, pendingWork, pendingSeconds);
      pendingName = null;
    }
  }

  private static boolean mixed(WorkCounter.Snapshot s) {
    boolean linear = false;
    boolean other = false;
    for (String k : s.kernels().keySet()) {
      if (LINEAR_KERNELS.contains(k)) {
        linear = true;
      } else {
        other = true;
      }
    }
    return linear && other;
  }

  private void commit(String name, WorkCounter.Snapshot work, double seconds) {
    stages.merge(name, new Stage(work, seconds, 1), (a, b) -> new Stage(a.work().plus(b.work()), a.seconds() + b.seconds(), a.calls() + b.calls()));
  }

  /** The stages in order of first appearance (after {@link #flush}). */
  Map<String, Stage> stages() {
    flush();
    return stages;
  }
}
