package org.cryptonets.backend.opencl;

import java.util.Map;
import java.util.TreeMap;

/**
 * Counts, per kernel name, the work an {@link OpenClBackend} enqueues ({@link KernelWork}, from
 * {@link KernelCosts}), the buffer commands ({@code buffer_copy}, {@code buffer_fill}), and the
 * host-device transfers. Only a backend opened with counting on has one (see
 * {@link OpenClBackend#COUNT_PROPERTY}); otherwise nothing is counted and no formula is evaluated.
 *
 * <p>Every kernel launch is also counted by name on its own, so a launch whose call site records no
 * work (a kernel added later without a cost formula) shows up in {@link Snapshot#uncounted()}.
 *
 * <p>Thread-safe: every method synchronizes on this counter (launches are serialized on the device
 * anyway). Throws nothing.
 */
public final class WorkCounter {
  private final Map<String, KernelWork> kernels = new TreeMap<>();
  private final Map<String, Long> launches = new TreeMap<>();
  private long uploads;
  private long uploadBytes;
  private long downloads;
  private long downloadBytes;

  /** Everything counted up to one moment; immutable. */
  public record Snapshot(Map<String, KernelWork> kernels, Map<String, Long> launches, long uploads, long uploadBytes, long downloads,
      long downloadBytes) {
    public Snapshot {
      kernels = Map.copyOf(kernels);
      launches = Map.copyOf(launches);
    }

    /** Counts since {@code earlier} (a snapshot of the same counter). */
    public Snapshot minus(Snapshot earlier) {
      Map<String, KernelWork> k = new TreeMap<>();
      kernels.forEach((name, w) -> {
        KernelWork d = w.minus(earlier.kernels.getOrDefault(name, KernelWork.NONE));
        if (!d.isEmpty()) {
          k.put(name, d);
        }
      });
      Map<String, Long> l = new TreeMap<>();
      launches.forEach((name, v) -> {
        long d = v - earlier.launches.getOrDefault(name, 0L);
        if (d != 0) {
          l.put(name, d);
        }
      });
      return new Snapshot(k, l, uploads - earlier.uploads, uploadBytes - earlier.uploadBytes, downloads - earlier.downloads,
          downloadBytes - earlier.downloadBytes);
    }

    /** Nothing counted. */
    public static final Snapshot EMPTY = new Snapshot(Map.of(), Map.of(), 0, 0, 0, 0);

    /** The counts of two snapshots' intervals together (for summing stages). */
    public Snapshot plus(Snapshot other) {
      Map<String, KernelWork> k = new TreeMap<>(kernels);
      other.kernels.forEach((name, w) -> k.merge(name, w, KernelWork::plus));
      Map<String, Long> l = new TreeMap<>(launches);
      other.launches.forEach((name, v) -> l.merge(name, v, Long::sum));
      return new Snapshot(k, l, uploads + other.uploads, uploadBytes + other.uploadBytes, downloads + other.downloads,
          downloadBytes + other.downloadBytes);
    }

    /** True if nothing was counted: no kernel, buffer command or transfer. */
    public boolean isEmpty() {
      return kernels.isEmpty() && launches.isEmpty() && uploads == 0 && downloads == 0;
    }

    /** All kernels' work together. */
    public KernelWork total() {
      KernelWork t = KernelWork.NONE;
      for (KernelWork w : kernels.values()) {
        t = t.plus(w);
      }
      return t;
    }

    /** Kernels launched more often than work was recorded for them, with the difference; empty when every launch was costed. */
    public Map<String, Long> uncounted() {
      Map<String, Long> out = new TreeMap<>();
      launches.forEach((name, v) -> {
        long costed = kernels.getOrDefault(name, KernelWork.NONE).launches();
        if (v != costed) {
          out.put(name, v - costed);
        }
      });
      return out;
    }
  }

  /** Adds one launch's (or buffer command's) work under {@code kernel}. */
  public synchronized void add(String kernel, KernelWork work) {
    kernels.merge(kernel, work, KernelWork::plus);
  }

  /** Records that {@code kernel} was enqueued (called by the device for every launch). */
  synchronized void launched(String kernel) {
    launches.merge(kernel, 1L, Long::sum);
  }

  /** Records a host-to-device transfer of {@code bytes}. */
  synchronized void uploaded(long bytes) {
    uploads++;
    uploadBytes += bytes;
  }

  /** Records a device-to-host transfer of {@code bytes}. */
  synchronized void downloaded(long bytes) {
    downloads++;
    downloadBytes += bytes;
  }

  /** The counts so far. */
  public synchronized Snapshot snapshot() {
    return new Snapshot(kernels, launches, uploads, uploadBytes, downloads, downloadBytes);
  }
}
