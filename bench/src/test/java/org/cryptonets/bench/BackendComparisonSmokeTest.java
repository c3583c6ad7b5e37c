package org.cryptonets.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.cryptonets.engine.BackendProvider;
import org.cryptonets.engine.Backends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The comparison runner's quick profile as a smoke test: every backend runs the whole encrypted
 * network, decrypts exactly the clear integer logits, and the three report files are written. It
 * asserts what ran and whether it was right, never how fast: CI machines' speeds vary too much.
 * OpenCL is compared when it can run here, and must be able to under CI ({@code CI=true}).
 */
class BackendComparisonSmokeTest {
  private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  @Test
  @SuppressWarnings("unchecked")
  void quickProfileRunsEveryBackendCorrectlyAndWritesTheReport(@TempDir Path tmp) throws IOException {
    List<String> backends = new ArrayList<>(List.of("cpu"));
    BackendProvider opencl = Backends.providers().stream().filter(p -> p.name().equals("opencl")).findFirst().orElse(null);
    String why = opencl == null ? "no opencl provider on the class path" : opencl.unavailableReason();
    if (why == null) {
      backends.add("opencl");
    } else if ("true".equals(System.getenv("CI"))) {
      throw new AssertionError("OpenCL is required in CI: " + why);
    } else {
      System.out.println("SKIPPING the opencl part of the comparison: " + why);
    }
    Path out = tmp.resolve("report");
    ByteArrayOutputStream md = new ByteArrayOutputStream();
    BackendComparison.Outcome o = BackendComparison.run(
        List.of("--profile", "quick", "--backends", String.join(",", backends), "--out", out.toString()),
        new PrintStream(md, true, StandardCharsets.UTF_8), System.out);
    System.out.println(md.toString(StandardCharsets.UTF_8));

    assertEquals(backends, o.backends());
    assertTrue(o.allCorrect(), "a backend's decrypted logits differ from the clear integer network");
    assertEquals(out.toAbsolutePath(), o.folder());
    Path json = out.resolve(BackendComparison.JSON_FILE);
    Path markdown = out.resolve(BackendComparison.MARKDOWN_FILE);
    Path png = out.resolve(BackendComparison.CHART_FILE);
    assertTrue(Files.isRegularFile(json) && Files.isRegularFile(markdown) && Files.isRegularFile(png));
    // Nothing but the report: the temporary folder it was written in is gone.
    try (var s = Files.list(tmp)) {
      assertEquals(List.of(out), s.toList());
    }

    Map<String, Object> report = (Map<String, Object>) Json.parse(Files.readString(json));
    assertEquals("quick", report.get("profile"));
    assertEquals(Boolean.TRUE, report.get("insecure"));
    assertEquals(Boolean.TRUE, report.get("all_correct"));
    List<String> steps = (List<String>) report.get("steps");
    assertFalse(steps.isEmpty());
    List<Object> runs = (List<Object>) report.get("backends");
    assertEquals(backends.size(), runs.size());
    for (int i = 0; i < runs.size(); i++) {
      Map<String, Object> run = (Map<String, Object>) runs.get(i);
      String name = (String) run.get("name");
      assertEquals(backends.get(i), name);
      assertEquals(0.0, (Double) run.get("mismatches"), name + ": mismatching images");
      assertTrue((Double) run.get("images") > 0, name);
      assertTrue((Double) run.get("accuracy_encrypted") > 0.9, name + ": accuracy " + run.get("accuracy_encrypted"));
      Map<String, Object> stepSeconds = (Map<String, Object>) run.get("step_seconds");
      assertEquals(steps, new ArrayList<>(stepSeconds.keySet()), name);
      for (String step : steps) {
        // Ran, not "was fast": a step that never ran would have no time at all.
        assertTrue((Double) stepSeconds.get(step) > 0, name + " " + step);
      }
      Map<String, Object> stages = (Map<String, Object>) run.get("stage_seconds");
      assertTrue((Double) stages.get("network") > 0, name);
      if (name.equals("cpu")) {
        assertEquals(null, run.get("transfers"));
        assertEquals(null, run.get("speedup_vs_cpu"));
      } else {
        Map<String, Object> transfers = (Map<String, Object>) run.get("transfers");
        assertNotNull(transfers, name);
        assertTrue((Double) transfers.get("upload_bytes") > 0 && (Double) transfers.get("download_bytes") > 0, name);
        assertTrue((Double) stages.get("network_with_transfers") >= (Double) stages.get("network"), name);
        Map<String, Object> speedup = (Map<String, Object>) run.get("speedup_vs_cpu");
        assertEquals(steps, new ArrayList<>(((Map<String, Object>) speedup.get("steps")).keySet()), name);
      }
    }

    String text = Files.readString(markdown);
    assertTrue(text.contains("INSECURE"), "the quick profile must say its parameters are insecure");
    for (String b : backends) {
      assertTrue(text.contains("| " + b + " |"), "no column for " + b);
    }
    for (String step : steps) {
      assertTrue(text.contains("`" + step + "`"), "no row for " + step);
    }

    byte[] image = Files.readAllBytes(png);
    assertArrayEquals(PNG_MAGIC, Arrays.copyOf(image, PNG_MAGIC.length), "not a PNG");
    assertTrue(image.length > 10_000, "a chart of " + image.length + " bytes is too small to hold bars and labels");
  }

  @Test
  void badOptionsAreRefusedBeforeAnyWork(@TempDir Path tmp) throws IOException {
    PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    assertThrows(IllegalArgumentException.class, () -> BackendComparison.run(List.of("--profile", "medium"), sink, sink));
    assertThrows(IllegalArgumentException.class, () -> BackendComparison.run(List.of("--backends", "abacus"), sink, sink));
    assertThrows(IllegalArgumentException.class, () -> BackendComparison.run(List.of("--frobnicate"), sink, sink));
    assertThrows(IllegalArgumentException.class, () -> BackendComparison.run(List.of("--images"), sink, sink));
    assertThrows(IllegalArgumentException.class, () -> BackendComparison.run(List.of("--images", "ten"), sink, sink));
    assertThrows(IllegalArgumentException.class, () -> BackendComparison.run(List.of("--images", "0"), sink, sink));
    assertThrows(IllegalArgumentException.class, () -> BackendComparison.run(List.of("--profile", "quick", "--profile", "full"), sink, sink));
    assertThrows(IllegalArgumentException.class, () -> BackendComparison.run(List.of("--data", tmp.resolve("missing").toString()), sink, sink));
    Files.writeString(tmp.resolve("keep.txt"), "not a report");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> BackendComparison.run(List.of("--backends", "cpu", "--out", tmp.toString()), sink, sink));
    assertTrue(e.getMessage().contains("not empty"), e.getMessage());
  }
}
