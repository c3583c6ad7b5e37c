package org.cryptonets.app;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.InteractiveConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarRenderer;
import me.tongfei.progressbar.ProgressBarStyle;
import me.tongfei.progressbar.ProgressState;
import org.jline.terminal.spi.SystemStream;
import org.jline.terminal.spi.TerminalProvider;

/**
 * The progress of a run's stages on standard error, drawn by {@code me.tongfei:progressbar}.
 *
 * <p>On a terminal each stage is a live bar on a line of its own, so stages that alternate (encode +
 * encrypt and the network take turns, one plaintext prime at a time) never draw over each other.
 * Otherwise (a file, a pipe, a CI log) it writes plain lines: one when a stage starts, at most one
 * per quarter, and one at 100%, each with the seconds spent in that stage. The time between two
 * reports is counted to the stage of the later one, the stage that was running, so these seconds
 * agree with the run's tables even when stages alternate (a wall clock from the stage's first
 * report would not).
 *
 * <p>A stage is finished, and its bar closed, when it reports {@code done >= total}; the same name
 * reported again later starts a new bar.
 *
 * <p>Public for the owner's service commands (upload and download progress). Not thread-safe: one
 * thread reports at a time (the library draws from a thread of its own); throws nothing.
 */
public final class ProgressBar {
  /** Live bars are redrawn this often; plain lines are looked at this often. */
  private static final int LIVE_REFRESH_MILLIS = 200;
  private static final int PLAIN_REFRESH_MILLIS = 1000;
  /** Stage names are padded to this width so that the bars line up. */
  private static final int NAME_WIDTH = 20;

  private final PrintStream out;
  private final boolean live;
  private final int width;
  private final LongSupplier clock;
  private final Map<String, Stage> open = new HashMap<>();
  private long previousReport = -1;

  /**
   * @param out where the bars or lines go
   * @param live live bars (a terminal that moves its cursor) rather than plain lines
   * @param width the terminal's columns, for live bars
   * @param clock nanoseconds, as {@link System#nanoTime}
   */
  ProgressBar(PrintStream out, boolean live, int width, LongSupplier clock) {
    this.out = out;
    this.live = live;
    this.width = Math.max(40, Math.min(width - 1, 120));
    this.clock = clock;
  }

  /** Live bars when standard error is a terminal (and {@code TERM} is not dumb), plain lines otherwise. */
  public static ProgressBar onStandardError(PrintStream err) {
    String term = System.getenv("TERM");
    boolean terminal = false;
    int columns = 0;
    if (term != null && !term.isEmpty() && !term.equals("dumb")) {
      try {
        TerminalProvider provider = TerminalProvider.load("exec");
        terminal = provider.isSystemStream(SystemStream.Error);
        columns = terminal ? provider.systemStreamWidth(SystemStream.Error) : 0;
      } catch (IOException | RuntimeException | LinkageError e) {
        terminal = false; // no way to tell: plain lines are always readable
      }
    }
    return new ProgressBar(err, terminal, columns > 0 ? columns : 80, System::nanoTime);
  }

  /** Reports that {@code stage} has done {@code done} of {@code total} steps. */
  public void stage(String stage, int done, int total) {
    long now = clock.getAsLong();
    long spent = previousReport < 0 ? 0 : now - previousReport;
    previousReport = now;
    int max = Math.max(1, total);
    Stage s = open.get(stage);
    if (s == null) {
      s = new Stage(stage, max);
      open.put(stage, s);
    }
    s.nanos += spent;
    s.bar.maxHint(max);
    s.bar.stepTo(Math.max(0, Math.min(done, max)));
    if (done >= total) {
      s.bar.close(); // draws the final state before it returns
      open.remove(stage);
    }
  }

  private me.tongfei.progressbar.ProgressBar bar(Stage stage, String name, int total) {
    ProgressBarBuilder builder = new ProgressBarBuilder().setTaskName(name).setInitialMax(total);
    if (live) {
      String padded = name.length() >= NAME_WIDTH ? name : name + " ".repeat(NAME_WIDTH - name.length());
      return builder.setTaskName(padded)
          .setStyle(unicode() ? ProgressBarStyle.COLORFUL_UNICODE_BLOCK : ProgressBarStyle.ASCII)
          .setUpdateIntervalMillis(LIVE_REFRESH_MILLIS)
          .setConsumer(new InteractiveConsoleProgressBarConsumer(out, width))
          .build();
    }
    return builder.setUpdateIntervalMillis(PLAIN_REFRESH_MILLIS)
        .setRenderer(new PlainLine(stage))
        .setConsumer(new DelegatingProgressBarConsumer(line -> {
          if (!line.isEmpty()) {
            out.println(line);
            out.flush();
          }
        }, Integer.MAX_VALUE))
        .build();
  }

  private static boolean unicode() {
    String encoding = System.getProperty("sun.stderr.encoding", Charset.defaultCharset().name());
    try {
      return Charset.forName(encoding).equals(StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** One stage: its bar and the time spent in it. */
  private final class Stage {
    final me.tongfei.progressbar.ProgressBar bar;
    /** Written by the reporting thread, read by the library's drawing thread. */
    volatile long nanos;

    Stage(String name, int total) {
      this.bar = bar(this, name, total);
    }
  }

  /**
   * A plain line when a stage starts, enters a new quarter or ends, and nothing ("" is not
   * printed) in between. Called on the library's drawing thread only.
   */
  private static final class PlainLine implements ProgressBarRenderer {
    private final Stage stage;
    private int lastQuarter = -1;

    PlainLine(Stage stage) {
      this.stage = stage;
    }

    @Override
    public String render(ProgressState progress, int maxLength) {
      long max = Math.max(1, progress.getMax());
      long current = Math.min(progress.getCurrent(), max);
      int percent = (int) (100 * current / max);
      int quarter = percent / 25;
      if (quarter <= lastQuarter) {
        return "";
      }
      lastQuarter = quarter;
      return String.format(Locale.ROOT, "%s: %d%% (%d/%d, %.2f s)", progress.getTaskName(), percent, current, max, stage.nanos / 1e9);
    }
  }
}
