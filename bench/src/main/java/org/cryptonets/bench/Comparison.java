package org.cryptonets.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.inference.CryptoNetPlan;
import org.cryptonets.inference.EncryptedInference;

/**
 * Everything one comparison run measured, and the figures derived from it (throughput, speedups),
 * so the JSON, Markdown and chart renderers all read the same numbers.
 *
 * <p>Built once by {@link BackendComparison}, then only read; not thread-safe while being built.
 */
final class Comparison {
  /** The name of the baseline backend that speedups are relative to. */
  static final String BASELINE = "cpu";

  /** One backend's run. */
  static final class Run {
    final EncryptedInference.Result result;
    /** Null for the host backend, whose buffers are host memory: nothing to transfer. */
    final TransferTimer.Transfers transfers;
    /**
     * The 1, 5 and 15 minute load averages before and after the run ("unknown" off Linux): other
     * processes on the machine inflate times, and this is how a reader can tell.
     */
    final String loadBefore;
    final String loadAfter;

    Run(EncryptedInference.Result result, TransferTimer.Transfers transfers, String loadBefore, String loadAfter) {
      this.result = result;
      this.transfers = transfers;
      this.loadBefore = loadBefore;
      this.loadAfter = loadAfter;
    }

    String name() {
      return result.backend;
    }

    double network() {
      return result.networkSeconds;
    }

    double transfers() {
      return transfers == null ? 0 : transfers.totalSeconds();
    }

    double networkWithTransfers() {
      return network() + transfers();
    }

    /**
     * Encrypt, network and decrypt, as the app's throughput counts it; key generation is a
     * one-off per key and left out. Device backends encrypt on the device and the decryptor
     * downloads the results, so this figure already holds the transfers it needs.
     */
    double endToEnd() {
      return result.encodeEncryptSeconds + result.networkSeconds + result.decryptSeconds;
    }

    double step(String name) {
      Double s = result.stepSeconds.get(name);
      return s == null ? Double.NaN : s;
    }

    double perSecond(double seconds) {
      return result.images / seconds;
    }
  }

  final String profile;
  final boolean insecure;
  final String securityNote;
  final String date;
  final String machine;
  final String jdk;
  final String threads;
  final BfvParameters parameters;
  final CryptoNetPlan plan;
  final int images;
  final List<Run> runs = new ArrayList<>();
  /** Backends on the class path that were not run, with the reason. */
  final Map<String, String> skipped = new LinkedHashMap<>();

  Comparison(String profile, boolean insecure, String securityNote, String date, String machine, String jdk, String threads, BfvParameters parameters,
      CryptoNetPlan plan, int images) {
    this.profile = profile;
    this.insecure = insecure;
    this.securityNote = securityNote;
    this.date = date;
    this.machine = machine;
    this.jdk = jdk;
    this.threads = threads;
    this.parameters = parameters;
    this.plan = plan;
    this.images = images;
  }

  /** Step names in network order (every backend runs the same steps). */
  List<String> steps() {
    return runs.isEmpty() ? List.of() : new ArrayList<>(runs.get(0).result.stepSeconds.keySet());
  }

  /** The baseline run, or null if {@value #BASELINE} was not among the backends. */
  Run baseline() {
    for (Run r : runs) {
      if (r.name().equals(BASELINE)) {
        return r;
      }
    }
    return null;
  }

  /** Runs other than the baseline: the ones a speedup is reported for. */
  List<Run> others() {
    List<Run> out = new ArrayList<>();
    for (Run r : runs) {
      if (!r.name().equals(BASELINE)) {
        out.add(r);
      }
    }
    return out;
  }

  /** Baseline seconds over this backend's: above 1 means faster than {@value #BASELINE}. */
  static double speedup(double baselineSeconds, double seconds) {
    return seconds > 0 ? baselineSeconds / seconds : Double.NaN;
  }

  int plainPrimes() {
    return parameters.plainModuli().size();
  }

  int batches() {
    return runs.isEmpty() ? (images + parameters.n() - 1) / parameters.n() : runs.get(0).result.batches;
  }

  boolean allCorrect() {
    for (Run r : runs) {
      if (r.result.mismatches != 0) {
        return false;
      }
    }
    return !runs.isEmpty();
  }
}
