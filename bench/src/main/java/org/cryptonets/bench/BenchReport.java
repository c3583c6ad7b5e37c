package org.cryptonets.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns JMH JSON results ({@code -rf json -rff FILE}) into Markdown tables with SEAL-style row
 * names: {@code NTT/n=8192/limbs=7/Forward}, {@code BFV/n=8192/logq=217/SquareRelin},
 * {@code Engine/n=8192/logq=217/KeySwitch}. "max" sizes are resolved to the numbers measured, the
 * layer benchmark gets a second row per ciphertext-MAC, and rows with a per-core target say
 * whether it was met.
 *
 * <p>Usage: {@code java -cp benchmarks.jar org.cryptonets.bench.BenchReport [--title T] [--note T]...
 * [-o out.md] result.json...}; one section per file (say, one per thread count).
 *
 * <p>Stateless; thread-safe. {@link #main} exits with status 2 on bad arguments; {@link #render}
 * throws {@link IllegalArgumentException} for input that is not a JMH result array.
 */
public final class BenchReport {
  private BenchReport() {}

  /** One line of a table. */
  static final class Row {
    final String label;
    final String backend;
    final double micros;
    final double errorMicros;
    final String per;
    final String target;
    final long[] order;

    Row(String label, String backend, double micros, double errorMicros, String per, String target, long[] order) {
      this.label = label;
      this.backend = backend;
      this.micros = micros;
      this.errorMicros = errorMicros;
      this.per = per;
      this.target = target;
      this.order = order;
    }
  }

  // Per-core goals of issue 4, for the 128-bit n = 8192 parameters (seven 31-bit primes).
  private static final String[][] TARGETS = {
    {"NTT/n=8192/limbs=7/Forward", "200"},
    {"BFV/n=8192/logq=217/SquareRelin", "4000"},
    {"BFV/n=8192/logq=217/EncryptSymmetric", "700"},
    {"BFV/n=8192/logq=217/Decrypt", "300"},
  };

  // Table order: NTT, then the BFV operations (the layer among them), then engine primitives.
  private static final int NTT = 0;
  private static final int BFV = 1;
  private static final int ENGINE = 2;
  private static final int OTHER = 3;
  private static final List<String> OPERATIONS = List.of(
      "forward", "inverse",
      "encryptSymmetric", "encryptPublic", "decrypt", "square", "multiply", "relinearize", "squareRelin", "modSwitch",
      "multiplyAccumulate",
      "pointwiseMultiply", "extendBase", "scaleAndRound", "convertBase", "keySwitch");

  public static void main(String[] args) throws IOException {
    String title = null;
    List<String> notes = new ArrayList<>();
    Path out = null;
    List<Path> inputs = new ArrayList<>();
    for (int k = 0; k < args.length; k++) {
      String a = args[k];
      if ((a.equals("--title") || a.equals("--note") || a.equals("-o")) && k + 1 >= args.length) {
        usage(a + " needs a value");
      }
      if (a.equals("--title")) {
        title = args[++k];
      } else if (a.equals("--note")) {
        notes.add(args[++k]);
      } else if (a.equals("-o")) {
        out = Paths.get(args[++k]);
      } else if (a.startsWith("-")) {
        usage("unknown option " + a);
      } else {
        inputs.add(Paths.get(a));
      }
    }
    if (inputs.isEmpty()) {
      usage("no JMH JSON result given");
    }
    List<List<Object>> runs = new ArrayList<>();
    for (Path p : inputs) {
      Object parsed = Json.parse(new String(Files.readAllBytes(p), StandardCharsets.UTF_8));
      if (!(parsed instanceof List)) {
        throw new IllegalArgumentException(p + " is not a JMH JSON result (expected an array)");
      }
      @SuppressWarnings("unchecked")
      List<Object> run = (List<Object>) parsed;
      runs.add(run);
    }
    String markdown = render(title, notes, runs);
    if (out == null) {
      PrintStream ps = new PrintStream(System.out, true, StandardCharsets.UTF_8.name());
      ps.print(markdown);
      ps.flush();
    } else {
      Files.write(out, markdown.getBytes(StandardCharsets.UTF_8));
    }
  }

  private static void usage(String why) {
    System.err.println("BenchReport: " + why);
    System.err.println("usage: java -cp benchmarks.jar org.cryptonets.bench.BenchReport [--title T] [--note T]... [-o out.md] result.json...");
    System.exit(2);
  }

  /** The whole Markdown document: title, notes, then one section per JMH run. */
  public static String render(String title, List<String> notes, List<List<Object>> runs) {
    StringBuilder sb = new StringBuilder();
    if (title != null) {
      sb.append("# ").append(title).append("\n\n");
    }
    for (String n : notes) {
      sb.append(n).append("\n\n");
    }
    for (List<Object> run : runs) {
      section(sb, run);
    }
    return sb.toString();
  }

  private static void section(StringBuilder sb, List<Object> run) {
    if (run.isEmpty()) {
      sb.append("(empty result file)\n\n");
      return;
    }
    Map<String, Object> first = map(run.get(0));
    List<Object> jvmArgs = list(first.get("jvmArgs"));
    String threads = property(jvmArgs, "cryptonets.threads", "all cores");
    String vector = property(jvmArgs, "cryptonets.cpu.vector", "true");
    sb.append("## ").append(threads.equals("1") ? "1 thread (per core)" : threads + " threads").append(", JDK ").append(first.get("jdkVersion")).append("\n\n");
    sb.append(String.format(Locale.ROOT, "%s %s; cryptonets.threads=%s, cryptonets.cpu.vector=%s; JMH %s, %s fork(s), %s x %s warmup, %s x %s measurement.%n%n",
        first.get("vmName"), first.get("vmVersion"), threads, vector, first.get("jmhVersion"), whole(first.get("forks")),
        whole(first.get("warmupIterations")), first.get("warmupTime"), whole(first.get("measurementIterations")), first.get("measurementTime")));
    List<Row> rows = new ArrayList<>();
    for (Object o : run) {
      rows.addAll(rows(map(o)));
    }
    rows.sort(Comparator.comparing((Row r) -> r.order, BenchReport::compareKeys).thenComparing(r -> r.label));
    sb.append("| Benchmark | Backend | Time | Error (99.9%) | Per | Target (1 core) |\n");
    sb.append("|---|---|---:|---:|---|---|\n");
    for (Row r : rows) {
      sb.append("| ").append(r.label).append(" | ").append(r.backend).append(" | ").append(time(r.micros)).append(" | ")
          .append(Double.isNaN(r.errorMicros) ? "n/a" : "± " + time(r.errorMicros)).append(" | ").append(r.per).append(" | ").append(r.target).append(" |\n");
    }
    sb.append('\n');
  }

  private static int compareKeys(long[] a, long[] b) {
    for (int i = 0; i < Math.min(a.length, b.length); i++) {
      int c = Long.compare(a[i], b[i]);
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.length, b.length);
  }

  /** The rows of one JMH result: one, or two for the layer (whole layer and per MAC). */
  static List<Row> rows(Map<String, Object> result) {
    String benchmark = String.valueOf(result.get("benchmark"));
    int dot = benchmark.lastIndexOf('.');
    String method = benchmark.substring(dot + 1);
    String cls = benchmark.substring(benchmark.lastIndexOf('.', dot - 1) + 1, dot);
    Map<String, Object> params = result.get("params") == null ? Map.of() : map(result.get("params"));
    Map<String, Object> metric = map(result.get("primaryMetric"));
    double scale = microsPer(String.valueOf(metric.get("scoreUnit")));
    double micros = number(metric.get("score")) * scale;
    double error = number(metric.get("scoreError")) * scale;
    String backend = params.containsKey("backend") ? String.valueOf(params.get("backend")) : "";
    String op = Character.toUpperCase(method.charAt(0)) + method.substring(1);
    int opRank = OPERATIONS.indexOf(method) < 0 ? OPERATIONS.size() : OPERATIONS.indexOf(method);
    List<Row> rows = new ArrayList<>();
    try {
      int n = Integer.parseInt(String.valueOf(params.get("n")));
      switch (cls) {
        case "NttBench": {
          int limbs = Shapes.limbs(n, String.valueOf(params.get("limbs")));
          String label = "NTT/n=" + n + "/limbs=" + limbs + "/" + op;
          rows.add(new Row(label, backend, micros, error, "polynomial (" + limbs + (limbs == 1 ? " limb)" : " limbs)"), target(label, micros),
              new long[] {NTT, n, limbs, opRank}));
          return rows;
        }
        case "BfvBench": {
          int bits = Shapes.logqBits(n, String.valueOf(params.get("logq")));
          String label = "BFV/n=" + n + "/logq=" + bits + "/" + op;
          rows.add(new Row(label, backend, micros, error, "ciphertext", target(label, micros), new long[] {BFV, n, bits, opRank}));
          return rows;
        }
        case "LayerBench": {
          int bits = Shapes.logqBits(n, String.valueOf(params.get("logq")));
          String layer = String.valueOf(params.get("layer"));
          int[] shape = LayerBench.layerShape(layer);
          long macs = (long) shape[0] * shape[1];
          String size = String.valueOf(params.get("size"));
          String label = "BFV/n=" + n + "/logq=" + bits + "/" + op + "/" + layer + "/size=" + size;
          long[] order = {BFV, n, bits, opRank, Long.parseLong(size), 0};
          rows.add(new Row(label, backend, micros, error, "layer (" + String.format(Locale.ROOT, "%,d", macs) + " ciphertext-MACs)", "", order));
          long[] perOrder = order.clone();
          perOrder[5] = 1;
          rows.add(new Row(label + "/PerMAC", backend, micros / macs, error / macs, "ciphertext-MAC (size " + size + ")", "", perOrder));
          return rows;
        }
        case "EngineBench": {
          int bits = Shapes.logqBits(n, String.valueOf(params.get("logq")));
          String label = "Engine/n=" + n + "/logq=" + bits + "/" + op;
          String per = method.equals("keySwitch") ? "ciphertext (its c2)" : "polynomial";
          rows.add(new Row(label, backend, micros, error, per + ", batch of " + EngineBench.BATCH, "", new long[] {ENGINE, n, bits, opRank}));
          return rows;
        }
        default:
          break;
      }
    } catch (RuntimeException e) {
      // Parameters this report cannot resolve (say, a hand-edited file): fall through to the raw id.
    }
    StringBuilder label = new StringBuilder(cls + "." + method);
    for (Map.Entry<String, Object> p : params.entrySet()) {
      label.append('/').append(p.getKey()).append('=').append(p.getValue());
    }
    rows.add(new Row(label.toString(), backend, micros, error, "operation", "", new long[] {OTHER}));
    return rows;
  }

  private static String target(String label, double micros) {
    for (String[] t : TARGETS) {
      if (t[0].equals(label)) {
        double goal = Double.parseDouble(t[1]);
        return "<= " + time(goal) + ": " + (micros <= goal ? "met" : String.format(Locale.ROOT, "missed (x%.2f)", micros / goal));
      }
    }
    return "";
  }

  /** A duration in microseconds, in the unit that keeps it readable. */
  static String time(double micros) {
    if (Double.isNaN(micros)) {
      return "n/a";
    }
    double a = Math.abs(micros);
    if (a < 1) {
      return String.format(Locale.ROOT, "%.1f ns", micros * 1e3);
    }
    if (a < 10) {
      return String.format(Locale.ROOT, "%.2f us", micros);
    }
    if (a < 1_000) {
      return String.format(Locale.ROOT, "%.1f us", micros);
    }
    if (a < 1_000_000) {
      return String.format(Locale.ROOT, "%.2f ms", micros / 1e3);
    }
    return String.format(Locale.ROOT, "%.2f s", micros / 1e6);
  }

  private static double microsPer(String unit) {
    String time = unit.contains("/") ? unit.substring(0, unit.indexOf('/')) : unit;
    switch (time) {
      case "ns":
        return 1e-3;
      case "us":
        return 1;
      case "ms":
        return 1e3;
      case "s":
        return 1e6;
      default:
        throw new IllegalArgumentException("score unit " + unit + " is not a time per operation; run with -bm avgt");
    }
  }

  /** JMH writes NaN errors (too few iterations) as the string "NaN". */
  private static double number(Object o) {
    if (o instanceof Double) {
      return (Double) o;
    }
    try {
      return Double.parseDouble(String.valueOf(o));
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  private static String whole(Object o) {
    double d = number(o);
    return Double.isNaN(d) ? String.valueOf(o) : String.valueOf((long) d);
  }

  private static String property(List<Object> jvmArgs, String name, String otherwise) {
    String value = otherwise;
    for (Object a : jvmArgs) {
      String s = String.valueOf(a);
      // The last definition wins, as on the java command line.
      if (s.startsWith("-D" + name + "=")) {
        value = s.substring(name.length() + 3);
      }
    }
    return value;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    if (!(o instanceof Map)) {
      throw new IllegalArgumentException("expected a JSON object in the JMH result, found " + o);
    }
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object o) {
    return o instanceof List ? (List<Object>) o : List.of();
  }
}
