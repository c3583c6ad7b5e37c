package org.cryptonets.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The README's library examples compile (this module), run, print what they promise, and are shown verbatim. */
class ExamplesTest {
  static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");

  @Test
  void schemeBasicsSquaresEncryptedSlots() {
    assertEquals("1, 4, 9", run(() -> SchemeBasics.main(new String[0])).strip());
  }

  @Test
  void encryptedPredictionsOfAnExportedModelEqualTheClearNetwork() {
    if (!Files.isDirectory(FASHION)) {
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError("CI installs dataset-fashion-mnist; " + FASHION + " is missing");
      }
      Assumptions.abort("SKIPPING: " + FASHION + " is missing (Debian package dataset-fashion-mnist)");
    }
    String out = run(() -> EncryptedPrediction.main(new String[] {"../models/fashion-cryptonet.onnx", FASHION.toString(), "16"}));
    assertEquals(16, out.lines().filter(l -> l.endsWith("equal to the clear integer network: yes")).count(), out);
    assertTrue(out.contains("decryption check passed"), out);
  }

  @ParameterizedTest
  @ValueSource(strings = {"SchemeBasics", "EncryptedPrediction"})
  void readmeShowsTheExampleVerbatim(String name) throws Exception {
    String source = Files.readString(Path.of("src/main/java/org/cryptonets/examples/" + name + ".java"));
    String body = source.substring(source.indexOf("import "));
    String indented = Arrays.stream(body.split("\n", -1)).map(l -> l.isEmpty() ? "" : "    " + l).collect(Collectors.joining("\n"));
    String readme = Files.readString(Path.of("../README.md"));
    assertTrue(readme.contains(indented.strip()), "README.md must show " + name + ".java from its imports on, indented as a code block");
  }

  private static String run(Runnable program) {
    PrintStream standardOut = System.out;
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
    try {
      program.run();
    } finally {
      System.setOut(standardOut);
    }
    return buffer.toString(StandardCharsets.UTF_8);
  }
}
