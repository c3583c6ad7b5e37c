package org.cryptonets.bfv.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.cryptonets.bfv.BfvParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A writer stopped by SIGTERM before it commits leaves neither the target nor its temporary file. */
class InterruptedWriteTest {
  @TempDir
  Path tmp;

  /** In the forked JVM: start a file, say so, and wait to be terminated. */
  public static void main(String[] args) throws Exception {
    BfvParameters params = IoFixtures.toy();
    BfvFileWriter w = BfvFileWriter.create(Path.of(args[0]), BfvFileWriter.Access.PUBLIC);
    w.writeParameters(params).writeAttributes(params, Map.of("file", "test"));
    System.out.println("writing");
    System.out.flush();
    Thread.sleep(60_000);
  }

  @Test
  void sigtermLeavesNoTemporaryFile() throws Exception {
    Path target = tmp.resolve("images.bin");
    List<String> command = new java.util.ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(ForkedJvm.inheritedOptions());
    command.add(InterruptedWriteTest.class.getName());
    command.add(target.toString());
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("CLASSPATH", System.getProperty("java.class.path"));
    Process p = pb.start();
    java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()));
    String line;
    while ((line = out.readLine()) != null && !line.equals("writing")) {
      // JVM warnings before the marker
    }
    assertEquals("writing", line, "the forked writer did not start");
    assertEquals(1, temporaries().size(), "the temporary file exists while writing");
    p.destroy(); // SIGTERM on Unix
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the writer did not stop");
    assertEquals(List.of(), temporaries(), "temporary files left after SIGTERM");
    assertTrue(Files.notExists(target));
  }

  private List<Path> temporaries() throws IOException {
    try (Stream<Path> s = Files.list(tmp)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
    }
  }
}
