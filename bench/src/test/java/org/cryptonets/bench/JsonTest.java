package org.cryptonets.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The comparison report's JSON as Jackson writes it, and JMH's results as Jackson reads them. */
class JsonTest {
  @Test
  void reportLayoutIsTwoSpacesOneValuePerLine() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("profile", "quick");
    m.put("insecure", true);
    m.put("coeff_moduli", List.of(1099511590913L, 1099511592961L));
    m.put("skipped", new LinkedHashMap<String, Object>());
    m.put("steps", List.of());
    m.put("speedup", Double.NaN);
    m.put("seconds", Map.of("network", 0.125));
    m.put("transfer_method", null);
    assertEquals("{\n"
        + "  \"profile\": \"quick\",\n"
        + "  \"insecure\": true,\n"
        + "  \"coeff_moduli\": [\n    1099511590913,\n    1099511592961\n  ],\n"
        + "  \"skipped\": {},\n"
        + "  \"steps\": [],\n"
        + "  \"speedup\": null,\n"
        + "  \"seconds\": {\n    \"network\": 0.125\n  },\n"
        + "  \"transfer_method\": null\n"
        + "}\n", Json.write(m));
  }

  @Test
  @SuppressWarnings("unchecked")
  void aWrittenReportReadsBackWithNumbersAsDoubles() {
    Map<String, Object> run = new LinkedHashMap<>();
    run.put("name", "cpu \"x\"\n");
    run.put("images", 64);
    run.put("mismatches", 0);
    run.put("accuracy_encrypted", 0.984375);
    run.put("step_seconds", new LinkedHashMap<>(Map.of("conv", 1.5e-3)));
    run.put("speedup_vs_cpu", Double.POSITIVE_INFINITY);
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("backends", List.of(run));
    report.put("all_correct", true);

    Map<String, Object> back = (Map<String, Object>) Json.parse(Json.write(report));
    assertEquals(new ArrayList<>(report.keySet()), new ArrayList<>(back.keySet()));
    Map<String, Object> r = (Map<String, Object>) ((List<Object>) back.get("backends")).get(0);
    assertEquals(Arrays.asList("name", "images", "mismatches", "accuracy_encrypted", "step_seconds", "speedup_vs_cpu"), new ArrayList<>(r.keySet()));
    assertEquals("cpu \"x\"\n", r.get("name"));
    assertEquals(64.0, r.get("images"));
    assertEquals(0.0, r.get("mismatches"));
    assertEquals(0.984375, r.get("accuracy_encrypted"));
    assertEquals(Map.of("conv", 1.5e-3), r.get("step_seconds"));
    assertEquals(null, r.get("speedup_vs_cpu"));
    assertTrue(r.containsKey("speedup_vs_cpu"));
    assertEquals(Boolean.TRUE, back.get("all_correct"));
  }

  @Test
  void malformedInputIsAnIllegalArgument() {
    for (String bad : List.of("", "   ", "[1, 2", "{\"a\" 1}", "[1] [2]", "{\"a\": NaN}", "[1,]")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
      assertTrue(e.getMessage().startsWith("malformed JSON"), e.getMessage());
    }
  }
}
