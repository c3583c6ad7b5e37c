package org.cryptonets.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Compares builds of this project in one JVM: each version (a class path of jars or folders, for
 * example the application jar of two commits) gets a class loader of its own, and the same
 * workload runs on each in turn, round after round, the order reversed every other round.
 *
 * <p>Why: on the 2-core development VM the speed of a fresh JVM drifts by up to 50 % within
 * minutes, so two versions run one after the other in separate JVMs cannot be told apart at the
 * 5 % level. Alternating them call by call in one process puts both in the same minutes, and
 * reversing the order cancels the advantage of running second (measured at about 4 % for the
 * encryption). What is reported per pair of versions is the median of the per-round ratios, with
 * the quartiles, of wall time and of the process's CPU time (all threads, the JIT and GC
 * included).
 *
 * <pre>
 * AlternatingJars [--workload encryption|ntt] [--rounds R] [--skip S] VERSION VERSION...
 * </pre>
 *
 * <p>Workloads, run through the public API of each version:
 *
 * <ul>
 *   <li>{@code encryption}: the owner's encryption of a full batch of 8192 random 784-pixel images
 *       under BGV for both plaintext primes, at the committed network's parameters (n = 8192, seven
 *       31-bit primes, two 29-bit plaintext primes, input level 6), as {@code DataOwner.encryptImages}.
 *   <li>{@code ntt}: 20 forward and inverse NTTs of six 31-bit primes at n = 8192 through {@code
 *       Backend.forwardNtt} and {@code inverseNtt} (with {@code -Dcryptonets.threads=1}, one core).
 * </ul>
 *
 * <p>The backend is the one {@code -Dcryptonets.backend} names (default {@code cpu}); each version
 * opens its own. The workload classes are copied from this tool into a temporary folder placed
 * first on every version's class path, so all versions run the same workload code. Exit codes of
 * {@link #main}: 0 after a report, 1 when a workload failed, 2 for bad usage (reported as one
 * {@code error: ...} line on standard error). Not thread-safe: one run per JVM at a time.
 */
public final class AlternatingJars {
  /** The workload classes: loaded from each version's class loader, never from this one. */
  static final List<String> WORKLOADS = List.of("encryption", "ntt");

  private AlternatingJars() {}

  public static void main(String[] args) {
    System.exit(execute(List.of(args), System.out, System.err));
  }

  /** Runs the command line; returns the exit code (see the class comment). */
  static int execute(List<String> args, PrintStream out, PrintStream err) {
    Cli cli = new Cli(out);
    CommandLine cmd = new CommandLine(cli);
    cmd.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cmd.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    cmd.setParameterExceptionHandler((e, a) -> {
      err.println("error: " + e.getMessage());
      return 2;
    });
    cmd.setExecutionExceptionHandler((e, c, r) -> {
      if (e instanceof IllegalArgumentException) {
        err.println("error: " + e.getMessage());
        return 2;
      }
      err.println("error: the workload failed: " + e);
      return 1;
    });
    return cmd.execute(args.toArray(new String[0]));
  }

  @Command(name = "AlternatingJars", mixinStandardHelpOptions = true, sortOptions = false,
      description = "Runs one workload on several builds in one JVM, alternating call by call, and reports paired ratios.")
  static final class Cli implements Callable<Integer> {
    private final PrintStream out;
    @Spec CommandSpec spec;

    @Option(names = "--workload", paramLabel = "NAME", description = "encryption or ntt (default: ${DEFAULT-VALUE})", defaultValue = "encryption")
    String workload;

    @Option(names = "--rounds", paramLabel = "R", description = "rounds, each running every version once (default: ${DEFAULT-VALUE})", defaultValue = "24")
    int rounds;

    @Option(names = "--skip", paramLabel = "S", description = "first rounds left out of the figures, as warm-up (default: ${DEFAULT-VALUE})",
        defaultValue = "2")
    int skip;

    @Parameters(paramLabel = "VERSION", arity = "2..*", description = "a class path (jars or folders separated by '" + "${sys:path.separator}" + "') per version")
    List<String> versions;

    Cli(PrintStream out) {
      this.out = out;
    }

    @Override
    public Integer call() throws Exception {
      if (!WORKLOADS.contains(workload)) {
        throw new ParameterException(spec.commandLine(), "unknown workload '" + workload + "'; expected one of " + WORKLOADS);
      }
      if (rounds < 2 || rounds > 10_000) {
        throw new ParameterException(spec.commandLine(), "--rounds must be in [2, 10000], got " + rounds);
      }
      if (skip < 0 || skip > rounds - 2) {
        throw new ParameterException(spec.commandLine(), "--skip must be in [0, rounds - 2] = [0, " + (rounds - 2) + "], got " + skip);
      }
      List<List<Path>> paths = new ArrayList<>();
      for (String v : versions) {
        List<Path> entries = new ArrayList<>();
        for (String e : v.split(java.io.File.pathSeparator)) {
          Path p = Path.of(e);
          if (e.isEmpty() || !Files.exists(p)) {
            throw new ParameterException(spec.commandLine(), "version '" + v + "': no such jar or folder '" + e + "'");
          }
          entries.add(p);
        }
        paths.add(entries);
      }
      run(workload, paths, rounds, skip, out);
      return 0;
    }
  }

  /** One version's workload, loaded in its own class loader. */
  private static final class Version implements AutoCloseable {
    final String name;
    final URLClassLoader loader;
    final Object workload;
    final Method call;

    Version(String name, URLClassLoader loader, Object workload, Method call) {
      this.name = name;
      this.loader = loader;
      this.workload = workload;
      this.call = call;
    }

    /** Runs one call; returns {wall seconds, process CPU seconds}. */
    double[] run(com.sun.management.OperatingSystemMXBean os) throws Exception {
      Thread thread = Thread.currentThread();
      ClassLoader previous = thread.getContextClassLoader();
      thread.setContextClassLoader(loader); // Backends finds the version's providers through it
      try {
        long cpu = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        call.invoke(workload);
        return new double[] {(System.nanoTime() - t0) / 1e9, (os.getProcessCpuTime() - cpu) / 1e9};
      } catch (InvocationTargetException e) {
        throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
      } finally {
        thread.setContextClassLoader(previous);
      }
    }

    @Override
    public void close() throws Exception {
      try {
        if (workload instanceof AutoCloseable) {
          ((AutoCloseable) workload).close();
        }
      } finally {
        loader.close();
      }
    }
  }

  /** Runs the workload on every version, {@code rounds} times, and prints the report. */
  static void run(String workload, List<List<Path>> versions, int rounds, int skip, PrintStream out) throws Exception {
    String className = workload.equals("ntt") ? NttWorkload.class.getName() : EncryptionWorkload.class.getName();
    Path classes = Files.createTempDirectory("cryptonets-alternating");
    List<Version> loaded = new ArrayList<>();
    try {
      copyClass(NttWorkload.class, classes);
      copyClass(EncryptionWorkload.class, classes);
      for (int v = 0; v < versions.size(); v++) {
        List<URL> urls = new ArrayList<>();
        urls.add(classes.toUri().toURL());
        for (Path p : versions.get(v)) {
          urls.add(toUrl(p));
        }
        URLClassLoader loader = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
        Thread.currentThread().setContextClassLoader(loader);
        Class<?> c = Class.forName(className, true, loader);
        Object w = c.getConstructor().newInstance();
        loaded.add(new Version("version " + (v + 1) + " (" + versions.get(v).stream().map(Path::toString).reduce((a, b) -> a + java.io.File.pathSeparator + b).orElse("") + ")",
            loader, w, c.getMethod("call")));
      }
      Thread.currentThread().setContextClassLoader(AlternatingJars.class.getClassLoader());
      com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      int m = loaded.size();
      double[][] wall = new double[m][rounds];
      double[][] cpu = new double[m][rounds];
      for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < m; k++) {
          int v = r % 2 == 0 ? k : m - 1 - k; // every other round in reverse order
          double[] t = loaded.get(v).run(os);
          wall[v][r] = t[0];
          cpu[v][r] = t[1];
        }
      }
      out.println(report(workload, loaded.stream().map(x -> x.name).toArray(String[]::new), wall, cpu, skip));
    } finally {
      Thread.currentThread().setContextClassLoader(AlternatingJars.class.getClassLoader());
      for (Version v : loaded) {
        v.close();
      }
      try (Stream<Path> files = Files.walk(classes)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** The report: per version min and median, then each version's per-round ratio to version 1. */
  static String report(String workload, String[] names, double[][] wall, double[][] cpu, int skip) {
    int rounds = wall[0].length;
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "workload %s, JDK %s, backend %s; rounds %d to %d counted (%d skipped as warm-up), order reversed every other round%n",
        workload, Runtime.version(), System.getProperty("cryptonets.backend", "cpu"), skip + 1, rounds, skip));
    for (int v = 0; v < names.length; v++) {
      double[] w = Arrays.copyOfRange(wall[v], skip, rounds);
      double[] c = Arrays.copyOfRange(cpu[v], skip, rounds);
      sb.append(String.format(Locale.ROOT, "%s: wall min %.4f s, median %.4f s; CPU min %.4f s, median %.4f s%n", names[v], quantile(w, 0), quantile(w, 0.5),
          quantile(c, 0), quantile(c, 0.5)));
    }
    for (int v = 1; v < names.length; v++) {
      double[] rw = new double[rounds - skip];
      double[] rc = new double[rounds - skip];
      for (int r = skip; r < rounds; r++) {
        rw[r - skip] = wall[v][r] / wall[0][r];
        rc[r - skip] = cpu[v][r] / cpu[0][r];
      }
      sb.append(String.format(Locale.ROOT, "version %d / version 1, paired by round: wall median %.3f (quartiles %.3f-%.3f), CPU median %.3f (quartiles %.3f-%.3f)%n",
          v + 1, quantile(rw, 0.5), quantile(rw, 0.25), quantile(rw, 0.75), quantile(rc, 0.5), quantile(rc, 0.25), quantile(rc, 0.75)));
    }
    return sb.toString().stripTrailing();
  }

  /** The q-quantile of {@code x} by the nearest-rank rule on the sorted values (q = 0: the minimum). */
  static double quantile(double[] x, double q) {
    double[] s = x.clone();
    Arrays.sort(s);
    int i = (int) Math.ceil(q * s.length) - 1;
    return s[Math.max(0, Math.min(s.length - 1, i))];
  }

  private static URL toUrl(Path p) {
    try {
      return p.toAbsolutePath().toUri().toURL();
    } catch (MalformedURLException e) {
      throw new IllegalArgumentException("not a usable path: " + p, e);
    }
  }

  /** Copies {@code c}'s class file (from this tool's class path) under {@code dir}. */
  private static void copyClass(Class<?> c, Path dir) throws IOException {
    String resource = c.getName().replace('.', '/') + ".class";
    Path target = dir.resolve(resource);
    Files.createDirectories(target.getParent());
    try (InputStream in = AlternatingJars.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException("class file " + resource + " not found");
      }
      Files.copy(in, target);
    }
  }
}
