package org.cryptonets.app;

import java.io.PrintStream;

/**
 * A one-line text progress bar on standard error for long steps; prints plain lines instead when
 * the output is not a terminal (CI logs).
 *
 * <p>Not thread-safe.
 */
final class ProgressBar {
  private final PrintStream out;
  private final String label;
  private final int total;
  private final boolean terminal;
  private final long start = System.nanoTime();
  private int lastPercent = -1;

  ProgressBar(PrintStream out, String label, int total) {
    this.out = out;
    this.label = label;
    this.total = Math.max(1, total);
    this.terminal = System.console() != null;
  }

  void update(int done, String detail) {
    int percent = (int) (100L * done / total);
    if (terminal) {
      int filled = percent * 30 / 100;
      out.print("\r" + label + " [" + "#".repeat(filled) + " ".repeat(30 - filled) + "] " + percent + "% " + detail + "      ");
      if (done >= total) {
        out.println();
      }
      out.flush();
    } else if (percent / 25 != lastPercent / 25 || done >= total) {
      out.printf("%s: %d%% %s (%.1f s)%n", label, percent, detail, (System.nanoTime() - start) / 1e9);
    }
    lastPercent = percent;
  }
}
