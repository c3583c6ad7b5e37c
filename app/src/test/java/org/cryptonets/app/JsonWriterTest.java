package org.cryptonets.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cryptonets.inference.CryptoNetPlan;
import org.cryptonets.inference.EncryptedInference;
import org.junit.jupiter.api.Test;

/** The run report's JSON: the layout the hand-written writer had, and what Jackson reads back. */
class JsonWriterTest {
  @Test
  void layoutIsTwoSpacesOneValuePerLine() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("a\"b", List.of(1, 2.5, "x\ny", true));
    m.put("empty_map", Map.of());
    m.put("empty_list", List.of());
    m.put("nested", Map.of("z", 9_000_000_000L));
    m.put("small", 1.0e-5);
    m.put("nan", Double.NaN);
    m.put("infinite", Double.NEGATIVE_INFINITY);
    m.put("none", null);
    assertEquals("{\n"
        + "  \"a\\\"b\": [\n    1,\n    2.5,\n    \"x\\ny\",\n    true\n  ],\n"
        + "  \"empty_map\": {},\n"
        + "  \"empty_list\": [],\n"
        + "  \"nested\": {\n    \"z\": 9000000000\n  },\n"
        + "  \"small\": 1.0E-5,\n"
        + "  \"nan\": null,\n"
        + "  \"infinite\": null,\n"
        + "  \"none\": null\n"
        + "}\n", JsonWriter.write(m));
    assertEquals("[]\n", JsonWriter.write(List.of()));
  }

  @Test
  void theDemoReportReadsBackWithItsFieldNamesAndValues() throws Exception {
    EncryptedInference.Result r = new EncryptedInference.Result();
    r.backend = "cpu";
    r.device = "test \"device\"";
    r.parameters = CryptoNetPlan.forValueBits(40, 29).parameters();
    r.images = 4;
    r.correctPlain = 3;
    r.correctEncrypted = 3;
    r.keygenSeconds = 0.25;
    r.encodeEncryptSeconds = 1.5;
    r.networkSeconds = 12.75;
    r.decryptSeconds = 0.5;
    r.stepSeconds.put("conv", 10.0);
    r.stepSeconds.put("square", 2.75);
    r.stepMedianSeconds.put("conv", 11.0);
    r.decryptWarmUpSeconds = 0.125;
    r.uploadBytes = 4000;
    r.downloadBytes = 200;
    r.noiseBudgetMinBits = 17;
    r.logitBits = 40;
    Map<String, Object> report = Main.reportMap(r);
    report.put("out_of_range_images", List.of());
    report.put("noise_budget_before_compression_bits", Integer.MAX_VALUE);

    String json = JsonWriter.write(report);
    Map<String, Object> back = new ObjectMapper().readValue(json, new TypeReference<LinkedHashMap<String, Object>>() {});
    assertEquals(new ArrayList<>(report.keySet()), new ArrayList<>(back.keySet()), "field names and their order");
    assertEquals("cpu", back.get("backend"));
    assertEquals("test \"device\"", back.get("device"));
    assertEquals(r.parameters.n(), back.get("n"));
    assertEquals(r.parameters.plainModuli().size(), ((List<?>) back.get("plaintext_moduli")).size());
    assertEquals(r.parameters.plainModulus(0).value(), ((Number) ((List<?>) back.get("plaintext_moduli")).get(0)).longValue());
    assertEquals(0.75, back.get("accuracy_encrypted"));
    assertEquals(Map.of("keygen", 0.25, "encode_encrypt", 1.5, "network", 12.75, "decrypt_decode", 0.5, "decrypt_warm_up", 0.125), back.get("seconds"));
    // a step without a median (one run) reports its one time as the median
    assertEquals(List.of(Map.of("name", "conv", "seconds", 10.0, "seconds_median", 11.0), Map.of("name", "square", "seconds", 2.75, "seconds_median", 2.75)),
        back.get("layers"));
    assertEquals(Map.of("encode_encrypt", 1.5, "network", 12.75, "decrypt_decode", 0.5), back.get("seconds_median"));
    assertEquals("bfv", back.get("scheme"));
    assertEquals(1000.0, back.get("upload_bytes_per_image"));
    assertEquals(List.of(), back.get("out_of_range_images"));
    assertEquals(Integer.MAX_VALUE, back.get("noise_budget_before_compression_bits"));
    assertTrue(json.contains("\n  \"seconds\": {\n    \"keygen\": 0.25,\n"), json);
  }
}
