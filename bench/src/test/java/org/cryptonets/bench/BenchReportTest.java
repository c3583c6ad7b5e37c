package org.cryptonets.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchReportTest {
  private static String result(String benchmark, String params, String score, String error) {
    return "{ \"jmhVersion\" : \"1.37\", \"benchmark\" : \"org.cryptonets.bench." + benchmark + "\", \"mode\" : \"avgt\","
        + " \"threads\" : 1, \"forks\" : 1, \"jvm\" : \"/usr/bin/java\","
        + " \"jvmArgs\" : [ \"-Dcryptonets.threads=1\", \"--add-modules\", \"jdk.incubator.vector\" ],"
        + " \"jdkVersion\" : \"17.0.15\", \"vmName\" : \"OpenJDK 64-Bit Server VM\", \"vmVersion\" : \"17.0.15+6\","
        + " \"warmupIterations\" : 1, \"warmupTime\" : \"1 s\", \"measurementIterations\" : 2, \"measurementTime\" : \"1 s\","
        + " \"params\" : {" + params + "},"
        + " \"primaryMetric\" : { \"score\" : " + score + ", \"scoreError\" : " + error + ", \"scoreUnit\" : \"us/op\", \"rawData\" : [ [ 1.0e2 ] ] },"
        + " \"secondaryMetrics\" : { } }";
  }

  @SuppressWarnings("unchecked")
  private static List<Object> run(String... results) {
    return (List<Object>) Json.parse("[\n" + String.join(",\n", results) + "\n]\n");
  }

  @Test
  void labelsResolveSizesAndCheckTargets() {
    List<Object> run = run(
        result("NttBench.forward", "\"backend\" : \"cpu\", \"n\" : \"8192\", \"limbs\" : \"max\"", "150.0", "\"NaN\""),
        result("NttBench.inverse", "\"backend\" : \"cpu\", \"n\" : \"8192\", \"limbs\" : \"1\"", "20.5", "1.5"),
        result("BfvBench.squareRelin", "\"backend\" : \"cpu\", \"n\" : \"8192\", \"logq\" : \"max\"", "5000.0", "100.0"),
        result("LayerBench.multiplyAccumulate", "\"backend\" : \"cpu\", \"n\" : \"8192\", \"logq\" : \"max\", \"size\" : \"3\", \"layer\" : \"100x845\"",
            "3380000.0", "10000.0"),
        result("EngineBench.keySwitch", "\"backend\" : \"cpu\", \"n\" : \"8192\", \"logq\" : \"max\"", "800.0", "8.0"));
    String md = BenchReport.render("t", List.of("note"), List.of(run));
    assertTrue(md.contains("## 1 thread (per core), JDK 17.0.15"), md);
    assertTrue(md.contains("| NTT/n=8192/limbs=7/Forward | cpu | 150.0 us | n/a | polynomial (7 limbs) | <= 200.0 us: met |"), md);
    assertTrue(md.contains("| NTT/n=8192/limbs=1/Inverse | cpu | 20.5 us | ± 1.50 us |"), md);
    assertTrue(md.contains("| BFV/n=8192/logq=217/SquareRelin | cpu | 5.00 ms | ± 100.0 us | ciphertext | <= 4.00 ms: missed (x1.25) |"), md);
    assertTrue(md.contains("| BFV/n=8192/logq=217/MultiplyAccumulate/100x845/size=3 | cpu | 3.38 s |"), md);
    // 3.38 s over 84,500 ciphertext-MACs.
    assertTrue(md.contains("| BFV/n=8192/logq=217/MultiplyAccumulate/100x845/size=3/PerMAC | cpu | 40.0 us |"), md);
    assertTrue(md.contains("| Engine/n=8192/logq=217/KeySwitch | cpu | 800.0 us |"), md);
    // NTT first, then BFV operations, then the engine.
    assertTrue(md.indexOf("NTT/n=8192/limbs=1/") < md.indexOf("NTT/n=8192/limbs=7/"), md);
    assertTrue(md.indexOf("NTT/") < md.indexOf("BFV/") && md.indexOf("BFV/") < md.indexOf("Engine/"), md);
  }

  @Test
  void unknownBenchmarksKeepTheirJmhId() {
    List<Object> run = run(result("Other.thing", "\"x\" : \"1\"", "2.0", "0.1"));
    String md = BenchReport.render(null, List.of(), List.of(run));
    assertTrue(md.contains("| Other.thing/x=1 |"), md);
  }

  @Test
  void timesPickAReadableUnit() {
    assertEquals("450.0 ns", BenchReport.time(0.45));
    assertEquals("7.25 us", BenchReport.time(7.25));
    assertEquals("12.35 ms", BenchReport.time(12345));
    assertEquals("n/a", BenchReport.time(Double.NaN));
  }

  @Test
  void jsonReaderHandlesEscapesAndRejectsGarbage() {
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) Json.parse("{\"a\\\"b\" : [1, -2.5e1, true, null, \"\\u00e9\\n\"], \"c\" : {}}");
    List<?> a = (List<?>) m.get("a\"b");
    assertEquals(1.0, a.get(0));
    assertEquals(-25.0, a.get(1));
    assertEquals(Boolean.TRUE, a.get(2));
    assertEquals(null, a.get(3));
    assertEquals("\u00e9\n", a.get(4));
    assertEquals(Map.of(), m.get("c"));
    assertThrows(IllegalArgumentException.class, () -> Json.parse("[1, 2"));
    assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\" 1}"));
  }

  @Test
  void shapesResolveMaxToTheSecureModulus() {
    assertEquals(7, Shapes.limbs(8192, Shapes.MAX));
    assertEquals(217, Shapes.logqBits(8192, Shapes.MAX));
    assertEquals(434, Shapes.logqBits(16384, Shapes.MAX));
    assertEquals(List.of(28, 27, 27, 27), Shapes.coeffPrimeBits(4096, "109"));
    assertEquals(Shapes.bfv(8192, Shapes.MAX).coeffBasis().moduli(), Shapes.nttBasis(8192, Shapes.MAX).moduli());
    assertThrows(IllegalArgumentException.class, () -> Shapes.limbs(8192, "seven"));
  }

  /** Guards against a build that runs no annotation processor: the jar would hold no benchmark. */
  @Test
  void benchmarkListWasGenerated() throws IOException {
    try (InputStream in = BenchReportTest.class.getResourceAsStream("/META-INF/BenchmarkList")) {
      assertNotNull(in, "META-INF/BenchmarkList is missing: the JMH annotation processor did not run");
      String list = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      for (String b : List.of("NttBench_forward", "BfvBench_squareRelin", "LayerBench_multiplyAccumulate", "EngineBench_keySwitch")) {
        assertTrue(list.contains("org.cryptonets.bench.jmh_generated." + b + "_jmhTest"), b + " missing from " + list);
      }
    }
  }
}
