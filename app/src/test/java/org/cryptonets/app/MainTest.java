package org.cryptonets.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
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
      "demo --bogus|demo: Unknown option: '--bogus'",
      "backends --bogus|backends: Unknown option: '--bogus'",
      "demo --images|Missing required parameter for option '--images'",
      "demo --images ten|'ten' is not an int",
      "demo --images 1 --images 2|should be specified only once",
      "demo --images 0|outside [1,",
      "demo --images 2000000|outside [1,",
      "demo --plain-bits 40|outside [18, 31]",
      "demo --repeat 0|outside [1, 100]",
      "demo --repeat 101|outside [1, 100]",
      "evaluate --plain --repeat 2|--repeat does not apply with --plain",
      "demo --scheme ckks|'ckks' is not a scheme; expected bfv or bgv",
      "evaluate --plain --scheme bgv|--scheme does not apply with --plain",
      "demo --data /nonexistent/folder|is not a folder",
      "demo --report /nonexistent/folder/r.json|does not exist",
      "train --epochs -1|outside [1, 1000]",
      "train --seed x|'x' is not a long",
      "demo --force|--force does not apply without --report",
      "evaluate --plain --backend x|--backend does not apply with --plain",
      "evaluate --plain --report x.json|--report does not apply with --plain",
      "evaluate --plain --plain-bits 20|--plain-bits does not apply with --plain",
      "evaluate --plain --encrypted|--plain and --encrypted exclude each other",
      "train --backend cpu|--backend does not apply without --arch",
      "train --encrypted-images 5|--encrypted-images does not apply without --arch"})
  void badArgumentsAreExplained(String args, String expected) {
    UsageError e = assertThrows(UsageError.class, () -> Main.run(List.of(args.split(" "))));
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

  /** Runs the command line as {@code main} does, without exiting: the exit code, standard output, standard error. */
  private record Outcome(int code, String out, String err) {
  }

  private static Outcome execute(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.execute(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void helpOnEveryCommandExitsZeroAndListsEveryOption() {
    Map<String, CommandLine> commands = Main.commandLine(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).getSubcommands();
    assertEquals(List.of("demo", "evaluate", "train", "backends", "keygen", "encrypt", "infer", "decrypt", "serve", "submit", "fetch", "help"),
        List.copyOf(commands.keySet()));
    for (Map.Entry<String, CommandLine> c : commands.entrySet()) {
      for (String help : List.of("--help", "-h")) {
        Outcome o = execute(c.getKey(), help);
        assertEquals(0, o.code(), c.getKey() + " " + help + ": " + o.err());
        assertTrue(o.out().contains("Usage: cryptonets " + c.getKey()), o.out());
        for (CommandLine.Model.OptionSpec option : c.getValue().getCommandSpec().options()) {
          assertTrue(o.out().contains(option.longestName()), c.getKey() + " --help lacks " + option.longestName() + ":\n" + o.out());
        }
      }
      Outcome viaHelp = execute("help", c.getKey());
      assertEquals(0, viaHelp.code());
      assertTrue(viaHelp.out().contains("Usage: cryptonets " + c.getKey()), viaHelp.out());
    }
    // the options the issue found missing from the hand-written usage
    assertTrue(execute("demo", "--help").out().contains("--plain-bits"));
    assertTrue(execute("keygen", "--help").out().contains("--backend") && execute("keygen", "--help").out().contains("--data"));
    assertTrue(execute("decrypt", "--help").out().contains("--no-labels"));
    for (String command : List.of("keygen", "encrypt", "infer", "decrypt", "train")) {
      assertTrue(execute(command, "--help").out().contains("--force"), command);
    }
    Outcome top = execute("--help");
    assertEquals(0, top.code());
    for (String command : commands.keySet()) {
      assertTrue(top.out().contains("  " + command + " "), command + " missing from:\n" + top.out());
    }
  }

  @Test
  void versionPrintsTheProjectVersion() {
    for (List<String> args : List.of(List.of("--version"), List.of("-V"), List.of("demo", "--version"))) {
      Outcome o = execute(args.toArray(String[]::new));
      assertEquals(0, o.code(), o.err());
      assertTrue(o.out().matches("(?s)cryptonets \\d+\\.\\d+\\.\\d+.*"), o.out());
    }
  }

  @Test
  void badUsageExitsTwoWithOneErrorLineAndNoStackTrace() {
    for (List<String> args : List.of(List.of("backends", "--bogus"), List.of("frobnicate"), List.of("evaluate", "--plain", "--backend", "foo", "--report", "x"))) {
      Outcome o = execute(args.toArray(String[]::new));
      assertEquals(2, o.code(), args + ": " + o.err());
      assertTrue(o.err().startsWith("error: "), o.err());
      assertFalse(o.err().contains("\tat "), o.err());
      assertEquals("", o.out(), "nothing ran");
    }
    assertTrue(execute("evaluate", "--plain", "--backend", "foo", "--report", "x").err().contains("--backend does not apply with --plain"));
  }

  @Test
  void jsonWriterEscapesAndNests() {
    String json = JsonWriter.write(Map.of("a\"b", List.of(1, 2.5, "x\ny", true)));
    assertEquals("{\n  \"a\\\"b\": [\n    1,\n    2.5,\n    \"x\\ny\",\n    true\n  ]\n}\n", json);
  }
}
