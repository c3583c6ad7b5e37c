package org.cryptonets.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The command line refuses bad input with a message that names the problem and what is accepted. */
class MainTest {
  @TempDir
  Path tmp;

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "frobnicate|unknown command 'frobnicate'",
      "demo --bogus|unknown argument '--bogus'",
      "demo --images|needs a value",
      "demo --images ten|'ten' is not a whole number",
      "demo --images 0|outside [1,",
      "demo --images 2000000|outside [1,",
      "demo --plain-bits 40|outside [18, 31]",
      "demo --data /nonexistent/folder|is not a folder",
      "demo --report /nonexistent/folder/r.json|does not exist",
      "train --epochs -1|outside [1, 1000]",
      "train --seed x|is not a whole number"})
  void badArgumentsAreExplained(String args, String expected) {
    CommandLine.UsageException e = assertThrows(CommandLine.UsageException.class, () -> Main.run(List.of(args.split(" "))));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @Test
  void unknownBackendListsTheAvailableOnes() throws Exception {
    Path data = tmp.resolve("mnist");
    Files.createDirectories(data);
    RuntimeException e = assertThrows(RuntimeException.class, () -> Main.run(List.of("demo", "--backend", "quantum", "--data", data.toString())));
    assertTrue(e.getMessage().contains("unknown backend 'quantum'") && e.getMessage().contains("cpu"), e.getMessage());
  }

  @Test
  void helpPrintsUsage() {
    assertEquals(0, Main.run(List.of("help")));
  }

  @Test
  void jsonWriterEscapesAndNests() {
    String json = JsonWriter.write(Map.of("a\"b", List.of(1, 2.5, "x\ny", true)));
    assertEquals("{\n  \"a\\\"b\": [\n    1,\n    2.5,\n    \"x\\ny\",\n    true\n  ]\n}\n", json);
  }
}
