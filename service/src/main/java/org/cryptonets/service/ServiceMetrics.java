package org.cryptonets.service;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of a running service for {@code GET /metrics}: bytes received and sent in request and
 * response bodies, and the latency of the last {@value #WINDOW} batches (a worker's whole run of
 * one job) and of their wait in the queue. Job counts by state come from the service.
 *
 * <p>Thread-safe; throws nothing.
 */
public final class ServiceMetrics {
  /** Batches whose latency is kept for the minimum, median and maximum. */
  static final int WINDOW = 1000;

  private final AtomicLong bytesIn = new AtomicLong();
  private final AtomicLong bytesOut = new AtomicLong();
  private final Deque<Double> batchSeconds = new ArrayDeque<>();
  private final Deque<Double> queueSeconds = new ArrayDeque<>();
  private final long started = System.nanoTime();

  void received(long bytes) {
    bytesIn.addAndGet(bytes);
  }

  void sent(long bytes) {
    bytesOut.addAndGet(bytes);
  }

  synchronized void batch(double seconds, double waited) {
    add(batchSeconds, seconds);
    add(queueSeconds, waited);
  }

  private static void add(Deque<Double> window, double value) {
    if (window.size() == WINDOW) {
      window.removeFirst();
    }
    window.addLast(value);
  }

  /** The metrics as JSON fields, with the job counts by state. */
  synchronized Map<String, Object> snapshot(Map<String, Long> jobs) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("jobs", jobs);
    m.put("batch_seconds", summary(batchSeconds));
    m.put("queue_wait_seconds", summary(queueSeconds));
    m.put("bytes_in", bytesIn.get());
    m.put("bytes_out", bytesOut.get());
    m.put("uptime_seconds", (System.nanoTime() - started) / 1e9);
    return m;
  }

  private static Map<String, Object> summary(Deque<Double> window) {
    List<Double> sorted = new ArrayList<>(window);
    Collections.sort(sorted);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", sorted.size());
    m.put("min", sorted.isEmpty() ? null : sorted.get(0));
    m.put("median", sorted.isEmpty() ? null : sorted.size() % 2 == 1 ? sorted.get(sorted.size() / 2)
        : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2);
    m.put("max", sorted.isEmpty() ? null : sorted.get(sorted.size() - 1));
    return m;
  }
}
