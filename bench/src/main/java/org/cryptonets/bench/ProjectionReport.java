package org.cryptonets.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.cryptonets.backend.opencl.KernelWork;
import org.cryptonets.backend.opencl.WorkCounter;

/**
 * The GPU projection of one counted CryptoNet run: per stage and per kernel, counted bytes and
 * modular products, the roofline time on a {@link GpuModel}, the bound (memory or compute), the
 * host-device transfers over the model's link, the time measured in the run itself, and the BGV
 * column derived by {@link BgvDerivation}. Renders as JSON (plain maps for {@link Json#write}) and
 * Markdown.
 *
 * <p>Built once by {@link GpuProjection}, then only read; not thread-safe while being built. Throws
 * nothing.
 */
final class ProjectionReport {
  /** Stages of the data owner, outside the cloud's network time. */
  static final Set<String> OWNER_STAGES = Set.of(GpuProjection.KEYGEN, GpuProjection.ENCRYPT, GpuProjection.DECRYPT);

  final GpuModel model;
  final Map<String, Object> meta = new LinkedHashMap<>();
  final Map<String, StageLedger.Stage> stages;
  /** Per step, BGV's work for one part (plaintext prime of a batch); absent steps equal BFV's. */
  final Map<String, Map<String, KernelWork>> bgvPerPart;
  /** Plaintext primes times batches: how often each network step ran. */
  final int parts;
  /** Bytes the cloud would upload if it received the batch (c0 and regenerated c1 at the input level, all parts). */
  final long ingestBytes;

  ProjectionReport(GpuModel model, Map<String, StageLedger.Stage> stages, Map<String, Map<String, KernelWork>> bgvPerPart, int parts,
      long ingestBytes) {
    this.model = model;
    this.stages = stages;
    this.bgvPerPart = bgvPerPart;
    this.parts = parts;
    this.ingestBytes = ingestBytes;
  }

  /** Projected device time of counted kernels (sum of per-kernel rooflines). */
  GpuModel.Time time(Map<String, KernelWork> kernels, boolean noCacheReuse) {
    GpuModel.Time t = GpuModel.ZERO;
    for (KernelWork w : kernels.values()) {
      t = t.plus(perKernel(w, noCacheReuse));
    }
    return t;
  }

  private GpuModel.Time perKernel(KernelWork w, boolean noCacheReuse) {
    GpuModel.Time k = model.time(w, noCacheReuse);
    // Sum of per-kernel maxima, kept as (max, 0, overhead) so that plus() adds projected seconds.
    return new GpuModel.Time(Math.max(k.memorySeconds(), k.computeSeconds()), 0, k.overheadSeconds());
  }

  /** "memory" or "compute": which bound holds the larger part of the stage's projected kernel time. */
  String bound(Map<String, KernelWork> kernels) {
    double memory = 0;
    double compute = 0;
    for (KernelWork w : kernels.values()) {
      GpuModel.Time t = model.time(w, false);
      if (t.bound().equals("compute")) {
        compute += t.computeSeconds();
      } else {
        memory += t.memorySeconds();
      }
    }
    return compute > memory ? "compute" : "memory";
  }

  /** BGV's kernels for a stage over the whole run: derived for the steps it changes, counted BFV otherwise. */
  Map<String, KernelWork> bgvKernels(String stage) {
    Map<String, KernelWork> perPart = bgvPerPart.get(stage);
    if (perPart == null) {
      return stages.get(stage).work().kernels();
    }
    Map<String, KernelWork> all = new TreeMap<>();
    perPart.forEach((k, w) -> all.put(k, w.times(parts)));
    return all;
  }

  List<String> networkStages() {
    List<String> out = new ArrayList<>();
    for (String s : stages.keySet()) {
      if (!OWNER_STAGES.contains(s)) {
        out.add(s);
      }
    }
    return out;
  }

  /** Network kernels summed over the cloud's stages. */
  Map<String, KernelWork> networkKernels() {
    Map<String, KernelWork> all = new TreeMap<>();
    for (String s : networkStages()) {
      stages.get(s).work().kernels().forEach((k, w) -> all.merge(k, w, KernelWork::plus));
    }
    return all;
  }

  private static double seconds(GpuModel.Time t) {
    return t.seconds();
  }

  // ------------------------------------------------------------------ JSON

  Map<String, Object> json() {
    Map<String, Object> root = new LinkedHashMap<>(meta);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", model.name());
    m.put("memory_bytes_per_second", model.bytesPerSecond());
    m.put("int32_multiplies_per_second", model.multipliesPerSecond());
    m.put("launch_overhead_seconds", model.launchSeconds());
    m.put("link_bytes_per_second", model.linkBytesPerSecond());
    root.put("model", m);
    root.put("parts", parts);
    List<Object> st = new ArrayList<>();
    for (Map.Entry<String, StageLedger.Stage> e : stages.entrySet()) {
      WorkCounter.Snapshot w = e.getValue().work();
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("name", e.getKey());
      s.put("owner", OWNER_STAGES.contains(e.getKey()));
      s.put("calls", e.getValue().calls());
      s.put("measured_seconds", e.getValue().seconds());
      s.put("projected_seconds", seconds(time(w.kernels(), false)));
      s.put("projected_seconds_no_cache_reuse", seconds(time(w.kernels(), true)));
      s.put("bound", bound(w.kernels()));
      s.put("upload_bytes", w.uploadBytes());
      s.put("download_bytes", w.downloadBytes());
      s.put("link_seconds", model.linkSeconds(w.uploadBytes() + w.downloadBytes()));
      s.put("bgv_derived", bgvPerPart.containsKey(e.getKey()));
      s.put("bgv_projected_seconds", seconds(time(bgvKernels(e.getKey()), false)));
      s.put("total", work(w.total()));
      Map<String, Object> ks = new LinkedHashMap<>();
      w.kernels().forEach((k, v) -> ks.put(k, kernelJson(v)));
      s.put("kernels", ks);
      if (!w.uncounted().isEmpty()) {
        s.put("uncounted_launches", w.uncounted());
      }
      st.add(s);
    }
    root.put("stages", st);
    Map<String, Object> ks = new LinkedHashMap<>();
    networkKernels().forEach((k, v) -> ks.put(k, kernelJson(v)));
    root.put("network_kernels", ks);
    Map<String, Object> totals = new LinkedHashMap<>();
    totals.put("network_measured_seconds", measured(networkStages()));
    totals.put("network_projected_seconds", projected(networkStages(), false));
    totals.put("network_projected_seconds_no_cache_reuse", projected(networkStages(), true));
    totals.put("network_bgv_projected_seconds", projectedBgv(networkStages()));
    totals.put("ingest_upload_bytes", ingestBytes);
    totals.put("ingest_link_seconds", model.linkSeconds(ingestBytes));
    root.put("totals", totals);
    Map<String, Object> bgv = new LinkedHashMap<>();
    bgvPerPart.forEach((step, kernels) -> {
      Map<String, Object> k = new LinkedHashMap<>();
      kernels.forEach((name, w) -> k.put(name, work(w)));
      bgv.put(step, k);
    });
    root.put("bgv_derived_per_part", bgv);
    return root;
  }

  private Map<String, Object> kernelJson(KernelWork w) {
    Map<String, Object> k = work(w);
    GpuModel.Time t = model.time(w, false);
    k.put("memory_seconds", t.memorySeconds());
    k.put("compute_seconds", t.computeSeconds());
    k.put("overhead_seconds", t.overheadSeconds());
    k.put("projected_seconds", t.seconds());
    k.put("bound", t.bound());
    return k;
  }

  private static Map<String, Object> work(KernelWork w) {
    Map<String, Object> k = new LinkedHashMap<>();
    k.put("launches", w.launches());
    k.put("work_items", w.workItems());
    k.put("residue_read_bytes", w.residueReadBytes());
    k.put("residue_write_bytes", w.residueWriteBytes());
    k.put("table_bytes", w.tableBytes());
    k.put("issued_read_bytes", w.issuedReadBytes());
    k.put("modular_products", w.modularProducts());
    k.put("barrett_products", w.barrettProducts());
    k.put("shoup_products", w.shoupProducts());
    k.put("reductions", w.reductions());
    k.put("wide_products", w.wideProducts());
    k.put("int32_multiply_instructions", w.multiplyInstructions());
    return k;
  }

  double measured(List<String> names) {
    double s = 0;
    for (String n : names) {
      s += stages.get(n).seconds();
    }
    return s;
  }

  double projected(List<String> names, boolean noCacheReuse) {
    double s = 0;
    for (String n : names) {
      s += seconds(time(stages.get(n).work().kernels(), noCacheReuse));
    }
    return s;
  }

  double projectedBgv(List<String> names) {
    double s = 0;
    for (String n : names) {
      s += seconds(time(bgvKernels(n), false));
    }
    return s;
  }

  // ------------------------------------------------------------------ Markdown

  String markdown() {
    StringBuilder b = new StringBuilder();
    b.append("# Projected GPU time from counted work\n\n");
    meta.forEach((k, v) -> b.append("- ").append(k).append(": ").append(v).append('\n'));
    b.append(String.format(Locale.ROOT, "- model: %s: %.1f TB/s, %.1f T int32 multiplies/s, %.0f us per launch, link %.0f GB/s%n", model.name(),
        model.bytesPerSecond() / 1e12, model.multipliesPerSecond() / 1e12, model.launchSeconds() * 1e6, model.linkBytesPerSecond() / 1e9));
    b.append("\n## Per stage (all ").append(parts).append(" parts: plaintext primes x batches)\n\n");
    b.append("| stage | launches | memory GB | modular products (G) | int32 mul instr (G) | projected ms | no cache reuse ms | bound "
        + "| host<->device MB | link ms | measured s (this run) | measured / projected | BGV derived ms |\n");
    b.append("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|\n");
    for (Map.Entry<String, StageLedger.Stage> e : stages.entrySet()) {
      WorkCounter.Snapshot w = e.getValue().work();
      KernelWork t = w.total();
      double p = seconds(time(w.kernels(), false));
      b.append(String.format(Locale.ROOT, "| %s%s | %d | %.2f | %.2f | %.1f | %.3f | %.3f | %s | %.1f | %.3f | %.3f | %s | %.3f%s |%n", e.getKey(),
          OWNER_STAGES.contains(e.getKey()) ? " (owner)" : "", t.launches(), t.memoryBytes() / 1e9, t.modularProducts() / 1e9,
          t.multiplyInstructions() / 1e9, 1e3 * p, 1e3 * seconds(time(w.kernels(), true)), bound(w.kernels()),
          (w.uploadBytes() + w.downloadBytes()) / 1e6, 1e3 * model.linkSeconds(w.uploadBytes() + w.downloadBytes()), e.getValue().seconds(),
          ratio(e.getValue().seconds(), p), 1e3 * seconds(time(bgvKernels(e.getKey()), false)), bgvPerPart.containsKey(e.getKey()) ? " (derived)" : ""));
    }
    List<String> net = networkStages();
    b.append(String.format(Locale.ROOT, "| **network (cloud)** | | | | | **%.3f** | %.3f | | | | %.3f | %s | **%.3f** |%n", 1e3 * projected(net, false),
        1e3 * projected(net, true), measured(net), ratio(measured(net), projected(net, false)), 1e3 * projectedBgv(net)));
    b.append(String.format(Locale.ROOT, "%nIf the cloud receives the batch and uploads it (c0 and regenerated c1 at the input level, all parts): "
        + "%.1f MB, %.2f ms over the link.%n", ingestBytes / 1e6, 1e3 * model.linkSeconds(ingestBytes)));
    b.append("\n## Per kernel, network stages together\n\n");
    b.append("| kernel | launches | operand+table GB | issued-load GB | modular products (G) | int32 mul instr (G) | memory ms | compute ms "
        + "| overhead ms | projected ms | bound | share |\n");
    b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|\n");
    Map<String, KernelWork> kernels = networkKernels();
    double total = seconds(time(kernels, false));
    List<Map.Entry<String, KernelWork>> sorted = new ArrayList<>(kernels.entrySet());
    sorted.sort((x, y) -> Double.compare(model.time(y.getValue(), false).seconds(), model.time(x.getValue(), false).seconds()));
    for (Map.Entry<String, KernelWork> e : sorted) {
      KernelWork w = e.getValue();
      GpuModel.Time t = model.time(w, false);
      b.append(String.format(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.2f | %.1f | %.3f | %.3f | %.3f | %.3f | %s | %.0f %% |%n", e.getKey(),
          w.launches(), w.memoryBytes() / 1e9, (w.issuedReadBytes() + w.residueWriteBytes()) / 1e9, w.modularProducts() / 1e9,
          w.multiplyInstructions() / 1e9, 1e3 * t.memorySeconds(), 1e3 * t.computeSeconds(), 1e3 * t.overheadSeconds(), 1e3 * t.seconds(), t.bound(),
          100 * t.seconds() / total));
    }
    Map<String, Long> uncounted = new TreeMap<>();
    for (StageLedger.Stage s : stages.values()) {
      s.work().uncounted().forEach((k, v) -> uncounted.merge(k, v, Long::sum));
    }
    if (!uncounted.isEmpty()) {
      b.append("\nWARNING: launches without a cost formula (not in the projection): ").append(uncounted).append('\n');
    }
    b.append("\nMemory: operand residues once per launch plus distinct table bytes (twiddles, constants, keys, weights); "
        + "'no cache reuse' counts every issued load instead. Compute: 32-bit multiply instructions (KernelCosts). "
        + "A stage's projection sums max(memory, compute) + overhead over its kernels. BGV rows marked derived come from "
        + "KernelCosts formulas and BGV's operation sequence (BgvDerivation), not from a counted run.\n");
    return b.toString();
  }

  private static String ratio(double measured, double projected) {
    return projected > 0 ? String.format(Locale.ROOT, "%.1f", measured / projected) : "-";
  }
}
