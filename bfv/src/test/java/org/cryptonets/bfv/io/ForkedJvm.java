package org.cryptonets.bfv.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a class's {@code main} in a fresh JVM on this test's class path, with the module and native
 * options of the test JVM and the given extra options (a small heap, say), under a timeout. Not
 * thread-safe; throws IOException if the JVM cannot be started.
 */
public final class ForkedJvm {
  /** The exit code (-1 after a timeout) and everything the JVM printed. */
  public record Outcome(int exitCode, boolean timedOut, String output) {}

  private ForkedJvm() {}

  /**
   * Options of this JVM worth passing on: modules, native access, stack size, the backend, the warm-up setting; never
   * heap sizes or agents. Shared through bfv's test-jar with the forked-JVM tests of the app.
   */
  public static List<String> inheritedOptions() {
    List<String> out = new ArrayList<>();
    List<String> in = ManagementFactory.getRuntimeMXBean().getInputArguments();
    for (int k = 0; k < in.size(); k++) {
      String a = in.get(k);
      if (a.startsWith("--add-modules") || a.startsWith("--enable-native-access") || a.startsWith("--add-opens") || a.startsWith("--add-exports")) {
        out.add(a);
        if (!a.contains("=") && k + 1 < in.size()) {
          out.add(in.get(++k));
        }
      } else if (a.startsWith("-Xss") || a.startsWith("-Djava.library.path=") || a.startsWith("-Djna.") || a.startsWith("-Dcryptonets.backend=")
          || a.startsWith("-Dcryptonets.cpu.warmup=")) {
        out.add(a);
      }
    }
    return out;
  }

  /**
   * Runs {@code main} with {@code options} before the class name and {@code args} after it; shared
   * with the app's forked-JVM tests through bfv's test-jar.
   */
  public static Outcome run(Class<?> main, List<String> options, List<String> args, Duration timeout) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(inheritedOptions());
    command.addAll(options);
    command.add(main.getName());
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    // Through the environment: a class path of many jars can exceed what a command line takes.
    pb.environment().put("CLASSPATH", System.getProperty("java.class.path"));
    Process p = pb.start();
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    Thread drain = new Thread(() -> {
      try (InputStream s = p.getInputStream()) {
        s.transferTo(output);
      } catch (IOException e) {
        // The process died; what was read so far is reported.
      }
    }, "drain " + main.getSimpleName());
    drain.setDaemon(true);
    drain.start();
    boolean finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (!finished) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    drain.join(5000);
    return new Outcome(finished ? p.exitValue() : -1, !finished, output.toString(StandardCharsets.UTF_8));
  }
}
