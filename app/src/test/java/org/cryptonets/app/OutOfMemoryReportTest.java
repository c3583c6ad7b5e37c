package org.cryptonets.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run that outgrows the heap ends with one {@code error: out of memory ...} line that says how
 * large the heap was and how to give the JVM more, exit code 1, no stack trace and no report file:
 * the demo in a JVM of its own with a 160 MB heap, where one encrypted input batch (n = 8192, six
 * primes, 784 ciphertexts) alone needs about 600 MB.
 */
class OutOfMemoryReportTest {
  @Test
  void aRunThatOutgrowsTheHeapSaysSoInOneLine(@TempDir Path dir) throws IOException, InterruptedException {
    Path report = dir.resolve("report.json");
    org.cryptonets.bfv.io.ForkedJvm.Outcome run = org.cryptonets.bfv.io.ForkedJvm.run(Main.class, List.of("-Xmx160m"),
        List.of("demo", "--images", "64", "--report", report.toString()), java.time.Duration.ofSeconds(120));
    String text = run.output();
    assertFalse(run.timedOut(), "the demo did not end within 120 s:\n" + text);
    assertEquals(1, run.exitCode(), text);
    List<String> errors = text.lines().filter(l -> l.startsWith("error: ")).toList();
    assertEquals(1, errors.size(), text);
    assertTrue(errors.get(0).startsWith("error: out of memory: the Java heap (at most "), errors.get(0));
    assertTrue(errors.get(0).contains("-Xmx"), errors.get(0));
    assertFalse(text.contains("\tat ") || text.contains("OutOfMemoryError"), "a stack trace or the error's class name:\n" + text);
    assertFalse(Files.exists(report), "a report of a run that failed");
  }

  @Test
  void theMessageNamesTheHeapInMegabytes() {
    assertTrue(Main.outOfMemoryMessage(6L << 30).contains("(at most 6144 MB)"), Main.outOfMemoryMessage(6L << 30));
  }
}
