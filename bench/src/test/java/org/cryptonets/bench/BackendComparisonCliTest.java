package org.cryptonets.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The comparison runner's command line (picocli): generated help, exit codes and one-line errors
 * for bad usage. Every case here is refused or answered before any encrypted work starts.
 */
class BackendComparisonCliTest {
  private static final List<String> OPTIONS = List.of("--profile", "--backends", "--data", "--out", "--images", "--help");

  /** Standard output, standard error and the exit code of one {@link BackendComparison#execute} call. */
  private record Result(int code, String out, String err) {
  }

  private static Result execute(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = BackendComparison.execute(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Exit code 2 with exactly one {@code error: ...} line on standard error, no stack trace, nothing on standard output. */
  private static String assertUsageError(String... args) {
    Result r = execute(args);
    assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
    List<String> lines = r.err().lines().toList();
    assertEquals(1, lines.size(), "expected one line on standard error, got: " + r.err());
    assertTrue(lines.get(0).startsWith("error: "), lines.get(0));
    assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "a stack trace or exception name: " + r.err());
    assertEquals("", r.out());
    return lines.get(0);
  }

  @Test
  void helpExitsZeroAndListsTheOptions() {
    for (String help : List.of("--help", "-h")) {
      Result r = execute(help);
      assertEquals(0, r.code(), help);
      assertEquals("", r.err(), help);
      assertTrue(r.out().startsWith("Usage: BackendComparison"), r.out());
      for (String option : OPTIONS) {
        assertTrue(r.out().contains(option), help + " does not list " + option + ":\n" + r.out());
      }
      assertTrue(r.out().contains("quick") && r.out().contains("full") && r.out().contains("Exit codes"), r.out());
    }
    // --help wins over anything else on the line, even options that would be refused.
    assertEquals(0, execute("--profile", "medium", "--help").code());
  }

  @Test
  void usageListsTheOptions() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BackendComparison.usage(new PrintStream(out, true, StandardCharsets.UTF_8));
    String text = out.toString(StandardCharsets.UTF_8);
    for (String option : OPTIONS) {
      assertTrue(text.contains(option), text);
    }
  }

  @Test
  void unknownOptionExitsTwo() {
    String line = assertUsageError("--frobnicate");
    assertTrue(line.contains("--frobnicate"), line);
    assertUsageError("--profile", "quick", "stray");
  }

  @Test
  void badValuesExitTwo(@TempDir Path tmp) throws IOException {
    assertTrue(assertUsageError("--profile", "medium").contains("expected quick or full"));
    assertTrue(assertUsageError("--scheme", "ckks").contains("expected bfv or bgv"));
    assertUsageError("--profile", "quick", "--profile", "full");
    assertUsageError("--images");
    assertUsageError("--images", "many");
    assertTrue(assertUsageError("--images", "0").contains("--images 0"));
    assertUsageError("--images", "-3");
    assertTrue(assertUsageError("--data", tmp.resolve("missing").toString()).contains("is not a folder"));
    assertTrue(assertUsageError("--backends", "abacus", "--out", tmp.resolve("a").toString()).contains("unknown backend 'abacus'"));
    assertTrue(assertUsageError("--backends", ",", "--out", tmp.resolve("b").toString()).contains("names no backend"));
    Path file = Files.writeString(tmp.resolve("file.txt"), "not a folder");
    assertTrue(assertUsageError("--backends", "cpu", "--out", file.toString()).contains("is a file"));
    Path full = Files.createDirectory(tmp.resolve("full"));
    Files.writeString(full.resolve("keep.txt"), "not a report");
    assertTrue(assertUsageError("--backends", "cpu", "--out=" + full).contains("not empty"));
    // Nothing was written next to the refused folders.
    try (var s = Files.list(tmp)) {
      assertEquals(List.of(file, full).stream().sorted().toList(), s.sorted().toList());
    }
  }

  @Test
  void runRefusesHelpAndBadValuesWithIllegalArgumentException(@TempDir Path tmp) {
    PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    assertThrows(IllegalArgumentException.class, () -> BackendComparison.run(List.of("--help"), sink, sink));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> BackendComparison.run(List.of("--images", "0", "--out", tmp.resolve("r").toString()), sink, sink));
    assertTrue(e.getMessage().contains("--images 0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> BackendComparison.run(List.of("--out", tmp.toString(), "--out", tmp.toString()), sink, sink));
    assertTrue(e.getMessage().contains("--out"), e.getMessage());
  }
}
