package org.cryptonets.bench;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * The PNG bar chart of a {@link Comparison}: per-layer seconds by backend. Its own class because it
 * is the only part of the report that needs AWT and XChart: a runtime without them (the trimmed
 * one carried to a device machine) still writes the JSON and Markdown, and the runner catches the
 * LinkageError of this class alone.
 *
 * <p>Stateless; thread-safe. {@link #chart} throws {@link IOException} when the file cannot be
 * written, and AWT's errors when no font is installed (headless JDKs still need fontconfig and one
 * font to draw text).
 */
final class ComparisonChart {
  private ComparisonChart() {}

  /** A grouped bar chart: one group per network step, one bar per backend, seconds on the y axis. */
  static void chart(Comparison c, Path png) throws IOException {
    String title = "CryptoNets per-layer time by backend: " + c.profile + " profile, " + c.images + " images, n = " + c.parameters.n()
        + (c.insecure ? " (INSECURE toy parameters)" : ", 128-bit security");
    CategoryChart chart = new CategoryChartBuilder()
        .width(1200)
        .height(650)
        .title(title)
        .xAxisTitle("network step")
        .yAxisTitle("seconds (all " + c.plainPrimes() + " plaintext primes, " + c.batches() + " batch" + (c.batches() == 1 ? "" : "es") + ")")
        .build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    chart.getStyler().setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
    chart.getStyler().setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    chart.getStyler().setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    chart.getStyler().setLabelsVisible(true);
    chart.getStyler().setLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    // Dark labels at the top of each bar: white ones inside would vanish on the short bars, which
    // are the ones whose value a reader cannot estimate from the axis.
    chart.getStyler().setLabelsFontColorAutomaticEnabled(false);
    chart.getStyler().setLabelsFontColor(Color.BLACK);
    chart.getStyler().setLabelsPosition(1.0);
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setYAxisDecimalPattern("#,##0.###");
    List<String> steps = c.steps();
    for (Comparison.Run r : c.runs) {
      List<Double> ys = new ArrayList<>();
      for (String s : steps) {
        ys.add(r.step(s));
      }
      chart.addSeries(r.name() + " (network " + ComparisonReport.seconds(r.network()) + " s)", steps, ys);
    }
    // The encoder appends ".png" unless the name already ends with it; write to the exact path.
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapFormat.PNG);
    if (!Files.isRegularFile(png)) {
      throw new IOException("the chart encoder did not write " + png);
    }
  }
}
