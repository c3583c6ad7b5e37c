package org.cryptonets.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cryptonets.engine.Modulus;

/**
 * Renders a {@link Comparison} as JSON (every figure, for tools) and Markdown (per-layer rows by
 * backend columns with speedups, then stages, throughput and correctness); {@link ComparisonChart}
 * draws its PNG, in a class of its own so that these two need neither AWT nor the chart library.
 *
 * <p>Stateless; thread-safe.
 */
final class ComparisonReport {
  static final String TRANSFER_METHOD = "measured separately, not inside the network: one untimed warm-up, then the median of %d timed "
      + "Backend.upload (+ synchronize) of a buffer shaped like one plaintext prime's input ciphertexts and Backend.download of one shaped like "
      + "its results, times %d parts (plaintext primes x batches)";

  private ComparisonReport() {}

  // ---------------------------------------------------------------- JSON

  static Map<String, Object> json(Comparison c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("profile", c.profile);
    m.put("insecure", c.insecure);
    m.put("security_note", c.securityNote);
    m.put("date", c.date);
    m.put("machine", c.machine);
    m.put("jdk", c.jdk);
    m.put("cryptonets_threads", c.threads);
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("n", c.parameters.n());
    p.put("log2_q", c.parameters.coeffBasis().productBits());
    List<Object> q = new ArrayList<>();
    for (Modulus mod : c.parameters.coeffBasis().moduli()) {
      q.add(mod.value());
    }
    p.put("coeff_moduli", q);
    List<Object> t = new ArrayList<>();
    for (Modulus mod : c.parameters.plainModuli()) {
      t.add(mod.value());
    }
    p.put("plaintext_moduli", t);
    p.put("security", c.parameters.security().name());
    p.put("security_bits", c.parameters.security().bits());
    p.put("description", c.parameters.toString());
    p.put("plan", c.plan.toString());
    m.put("parameters", p);
    m.put("images", c.images);
    m.put("batches", c.batches());
    m.put("steps", c.steps());
    m.put("transfer_method", c.runs.stream().anyMatch(r -> r.transfers != null) ? transferMethod(c) : null);
    Comparison.Run base = c.baseline();
    List<Object> backends = new ArrayList<>();
    for (Comparison.Run r : c.runs) {
      backends.add(backendJson(r, base));
    }
    m.put("backends", backends);
    m.put("skipped", new LinkedHashMap<String, Object>(c.skipped));
    m.put("all_correct", c.allCorrect());
    return m;
  }

  private static String transferMethod(Comparison c) {
    for (Comparison.Run r : c.runs) {
      if (r.transfers != null) {
        return String.format(Locale.ROOT, TRANSFER_METHOD, r.transfers.repetitions, r.transfers.parts);
      }
    }
    return null;
  }

  private static Map<String, Object> backendJson(Comparison.Run r, Comparison.Run base) {
    Map<String, Object> b = new LinkedHashMap<>();
    b.put("name", r.name());
    b.put("device", r.result.device);
    b.put("load_average_before", r.loadBefore);
    b.put("load_average_after", r.loadAfter);
    b.put("images", r.result.images);
    b.put("batches", r.result.batches);
    b.put("mismatches", r.result.mismatches);
    b.put("accuracy_encrypted", r.result.accuracyEncrypted());
    b.put("accuracy_plain", r.result.accuracyPlain());
    b.put("noise_budget_min_bits", r.result.noiseBudgetMinBits);
    b.put("logit_bits", r.result.logitBits);
    b.put("step_seconds", new LinkedHashMap<String, Object>(r.result.stepSeconds));
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("keygen", r.result.keygenSeconds);
    s.put("encode_encrypt", r.result.encodeEncryptSeconds);
    s.put("network", r.network());
    s.put("upload", r.transfers == null ? null : r.transfers.uploadSeconds());
    s.put("download", r.transfers == null ? null : r.transfers.downloadSeconds());
    s.put("network_with_transfers", r.networkWithTransfers());
    s.put("decrypt_decode", r.result.decryptSeconds);
    s.put("end_to_end", r.endToEnd());
    b.put("stage_seconds", s);
    Map<String, Object> th = new LinkedHashMap<>();
    th.put("network_images_per_second", r.perSecond(r.network()));
    th.put("network_images_per_hour", 3600 * r.perSecond(r.network()));
    th.put("network_with_transfers_images_per_second", r.perSecond(r.networkWithTransfers()));
    th.put("network_with_transfers_images_per_hour", 3600 * r.perSecond(r.networkWithTransfers()));
    th.put("end_to_end_images_per_second", r.perSecond(r.endToEnd()));
    th.put("end_to_end_images_per_hour", 3600 * r.perSecond(r.endToEnd()));
    b.put("throughput", th);
    Map<String, Object> sizes = new LinkedHashMap<>();
    sizes.put("upload_serialized_bytes", r.result.uploadBytes);
    sizes.put("download_serialized_bytes", r.result.downloadBytes);
    sizes.put("relin_key_bytes", r.result.relinKeyBytes);
    b.put("sizes", sizes);
    if (r.transfers == null) {
      b.put("transfers", null);
    } else {
      TransferTimer.Transfers t = r.transfers;
      Map<String, Object> tr = new LinkedHashMap<>();
      tr.put("repetitions", t.repetitions);
      tr.put("parts", t.parts);
      tr.put("upload_polys_per_part", t.uploadPolys);
      tr.put("upload_limbs", t.uploadLimbs);
      tr.put("download_polys_per_part", t.downloadPolys);
      tr.put("download_limbs", t.downloadLimbs);
      tr.put("upload_bytes", t.uploadBytes());
      tr.put("download_bytes", t.downloadBytes());
      tr.put("upload_seconds_per_part", t.uploadSecondsPerPart);
      tr.put("download_seconds_per_part", t.downloadSecondsPerPart);
      tr.put("upload_gb_per_second", t.uploadBytes() / t.uploadSeconds() / 1e9);
      tr.put("download_gb_per_second", t.downloadBytes() / t.downloadSeconds() / 1e9);
      b.put("transfers", tr);
    }
    if (base == null || base == r) {
      b.put("speedup_vs_cpu", null);
    } else {
      Map<String, Object> sp = new LinkedHashMap<>();
      Map<String, Object> steps = new LinkedHashMap<>();
      for (String step : r.result.stepSeconds.keySet()) {
        steps.put(step, Comparison.speedup(base.step(step), r.step(step)));
      }
      sp.put("steps", steps);
      sp.put("network", Comparison.speedup(base.network(), r.network()));
      sp.put("network_with_transfers", Comparison.speedup(base.networkWithTransfers(), r.networkWithTransfers()));
      sp.put("end_to_end", Comparison.speedup(base.endToEnd(), r.endToEnd()));
      b.put("speedup_vs_cpu", sp);
    }
    return b;
  }

  // ---------------------------------------------------------------- Markdown

  static String markdown(Comparison c) {
    StringBuilder sb = new StringBuilder();
    sb.append("# CryptoNets backend comparison: ").append(c.profile).append(" profile\n\n");
    if (c.insecure) {
      sb.append("> **INSECURE toy parameters** (").append(c.securityNote).append("). These numbers check that every backend runs the "
          + "network and gets it right; they are not a measurement of the real 128-bit configuration (use `--profile full`).\n\n");
    }
    sb.append("- Date: ").append(c.date).append('\n');
    sb.append("- Machine: ").append(c.machine).append('\n');
    sb.append("- JDK: ").append(c.jdk).append("; cryptonets.threads = ").append(c.threads).append('\n');
    sb.append("- Parameters: ").append(c.parameters).append('\n');
    sb.append("- Plan: ").append(c.plan).append('\n');
    sb.append("- Batch: ").append(c.images).append(" MNIST test images in ").append(c.batches()).append(" batch(es) of n = ").append(c.parameters.n())
        .append(" slots; every time below covers all ").append(c.plainPrimes()).append(" plaintext primes and all batches\n");
    for (Comparison.Run r : c.runs) {
      sb.append("- Backend `").append(r.name()).append("`: ").append(r.result.device).append("; load average ").append(r.loadBefore)
          .append(" before, ").append(r.loadAfter).append(" after\n");
    }
    for (Map.Entry<String, String> e : c.skipped.entrySet()) {
      sb.append("- Backend `").append(e.getKey()).append("` not run: ").append(e.getValue()).append('\n');
    }
    sb.append("- Load averages are over 1, 5 and 15 minutes: one well above 0 before a run, or above the ")
        .append(Runtime.getRuntime().availableProcessors()).append(" cores after it, means other processes shared the cores and inflated its times\n");
    String method = transferMethod(c);
    if (method != null) {
      sb.append("- Host-device transfers: ").append(method).append(". The network rows hold none: inputs are encrypted on the device and the "
          + "results stay there until decryption.\n");
    }
    Comparison.Run base = c.baseline();
    List<Comparison.Run> others = base == null ? List.of() : c.others();
    if (!others.isEmpty()) {
      sb.append("- Speedup = ").append(Comparison.BASELINE).append(" seconds / backend seconds (above 1: faster than ").append(Comparison.BASELINE)
          .append(")\n");
    }

    sb.append("\n## Per-layer time (seconds)\n\n");
    header(sb, c, others, "Step");
    for (String step : c.steps()) {
      row(sb, "`" + step + "`", c, others, r -> r.step(step));
    }
    row(sb, "**network (sum)**", c, others, Comparison.Run::network);

    sb.append("\n## Stages (seconds)\n\n");
    header(sb, c, others, "Stage");
    row(sb, "key generation (once per key)", c, others, r -> r.result.keygenSeconds);
    row(sb, "encode + encrypt", c, others, r -> r.result.encodeEncryptSeconds);
    row(sb, "network, without transfers", c, others, Comparison.Run::network);
    row(sb, "upload ciphertexts (host to device)", c, others, r -> r.transfers == null ? Double.NaN : r.transfers.uploadSeconds());
    row(sb, "download results (device to host)", c, others, r -> r.transfers == null ? Double.NaN : r.transfers.downloadSeconds());
    row(sb, "network + transfers", c, others, Comparison.Run::networkWithTransfers);
    row(sb, "decrypt + decode", c, others, r -> r.result.decryptSeconds);
    row(sb, "end to end (encrypt + network + decrypt)", c, others, Comparison.Run::endToEnd);

    sb.append("\n## Throughput (images)\n\n");
    sb.append("| Figure |");
    for (Comparison.Run r : c.runs) {
      sb.append(' ').append(r.name()).append(" |");
    }
    sb.append('\n').append("|---|");
    sb.append("---:|".repeat(c.runs.size())).append('\n');
    throughputRow(sb, c, "network, per second", r -> r.perSecond(r.network()));
    throughputRow(sb, c, "network, per hour", r -> 3600 * r.perSecond(r.network()));
    throughputRow(sb, c, "network + transfers, per second", r -> r.perSecond(r.networkWithTransfers()));
    throughputRow(sb, c, "network + transfers, per hour", r -> 3600 * r.perSecond(r.networkWithTransfers()));
    throughputRow(sb, c, "end to end, per hour", r -> 3600 * r.perSecond(r.endToEnd()));

    sb.append("\n## Correctness\n\n");
    sb.append("| Check |");
    for (Comparison.Run r : c.runs) {
      sb.append(' ').append(r.name()).append(" |");
    }
    sb.append('\n').append("|---|").append("---:|".repeat(c.runs.size())).append('\n');
    textRow(sb, c, "images whose logits differ from the clear integer network", r -> r.result.mismatches + " of " + r.result.images);
    textRow(sb, c, "accuracy, encrypted", r -> percent(r.result.accuracyEncrypted()));
    textRow(sb, c, "accuracy, clear integer network", r -> percent(r.result.accuracyPlain()));
    textRow(sb, c, "noise budget left (min, bits)", r -> Integer.toString(r.result.noiseBudgetMinBits));
    sb.append('\n').append(c.allCorrect() ? "All backends decrypted exactly the clear integer logits.\n"
        : "**FAILED: some backend's decrypted logits differ from the clear integer network.**\n");
    return sb.toString();
  }

  private interface Figure {
    double of(Comparison.Run r);
  }

  private interface Text {
    String of(Comparison.Run r);
  }

  private static void header(StringBuilder sb, Comparison c, List<Comparison.Run> others, String first) {
    sb.append("| ").append(first).append(" |");
    for (Comparison.Run r : c.runs) {
      sb.append(' ').append(r.name()).append(" |");
    }
    for (Comparison.Run r : others) {
      sb.append(" speedup ").append(r.name()).append(" |");
    }
    sb.append('\n').append("|---|").append("---:|".repeat(c.runs.size() + others.size())).append('\n');
  }

  private static void row(StringBuilder sb, String label, Comparison c, List<Comparison.Run> others, Figure f) {
    sb.append("| ").append(label).append(" |");
    for (Comparison.Run r : c.runs) {
      sb.append(' ').append(seconds(f.of(r))).append(" |");
    }
    Comparison.Run base = c.baseline();
    for (Comparison.Run r : others) {
      double s = Comparison.speedup(f.of(base), f.of(r));
      sb.append(' ').append(Double.isFinite(s) ? String.format(Locale.ROOT, "%.2fx", s) : "-").append(" |");
    }
    sb.append('\n');
  }

  private static void throughputRow(StringBuilder sb, Comparison c, String label, Figure f) {
    textRow(sb, c, label, r -> String.format(Locale.ROOT, "%,.0f", f.of(r)));
  }

  private static void textRow(StringBuilder sb, Comparison c, String label, Text t) {
    sb.append("| ").append(label).append(" |");
    for (Comparison.Run r : c.runs) {
      sb.append(' ').append(t.of(r)).append(" |");
    }
    sb.append('\n');
  }

  /** About three significant digits, in plain notation for the usual range. */
  static String seconds(double s) {
    if (!Double.isFinite(s)) {
      return "-";
    }
    if (s >= 100) {
      return String.format(Locale.ROOT, "%.0f", s);
    }
    if (s >= 10) {
      return String.format(Locale.ROOT, "%.1f", s);
    }
    if (s >= 1) {
      return String.format(Locale.ROOT, "%.2f", s);
    }
    if (s >= 0.001 || s == 0) {
      return String.format(Locale.ROOT, "%.3f", s);
    }
    return String.format(Locale.ROOT, "%.1e", s);
  }

  private static String percent(double fraction) {
    return String.format(Locale.ROOT, "%.2f%%", 100 * fraction);
  }
}
