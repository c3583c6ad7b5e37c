package org.cryptonets.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The jar-alternating comparison: its figures from known timings (quantiles by nearest rank,
 * per-round ratios against version 1), a real run of the NTT workload on two copies of this
 * module's class path, and one-line usage errors with exit code 2.
 */
class AlternatingJarsTest {
  private record Result(int code, String out, String err) {
  }

  private static Result execute(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = AlternatingJars.execute(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static Stream<Arguments> quantiles() {
    double[] x = {5, 1, 4, 2, 3};
    return Stream.of(Arguments.of(x, 0.0, 1.0), Arguments.of(x, 0.25, 2.0), Arguments.of(x, 0.5, 3.0), Arguments.of(x, 0.75, 4.0), Arguments.of(x, 1.0, 5.0),
        Arguments.of(new double[] {2, 1}, 0.5, 1.0), Arguments.of(new double[] {7}, 0.5, 7.0));
  }

  @ParameterizedTest
  @MethodSource("quantiles")
  void quantileIsTheNearestRank(double[] x, double q, double expected) {
    assertEquals(expected, AlternatingJars.quantile(x, q));
  }

  @Test
  void reportGivesMinimaMediansAndPairedRatiosAfterTheSkippedRounds() {
    // round 0 is skipped; version 2 takes 0.5, 0.9 and 0.8 of version 1's time in rounds 1 to 3
    double[][] wall = {{9, 2.0, 1.0, 4.0}, {1, 1.0, 0.9, 3.2}};
    double[][] cpu = {{9, 4.0, 2.0, 8.0}, {1, 3.0, 2.0, 4.0}};
    String r = AlternatingJars.report("ntt", new String[] {"version 1 (a)", "version 2 (b)"}, wall, cpu, 1);
    assertTrue(r.contains("rounds 2 to 4 counted (1 skipped as warm-up)"), r);
    assertTrue(r.contains("version 1 (a): wall min 1.0000 s, median 2.0000 s; CPU min 2.0000 s, median 4.0000 s"), r);
    assertTrue(r.contains("version 2 (b): wall min 0.9000 s, median 1.0000 s; CPU min 2.0000 s, median 3.0000 s"), r);
    // wall ratios 0.5, 0.9, 0.8; CPU ratios 0.75, 1.0, 0.5
    assertTrue(r.contains("version 2 / version 1, paired by round: wall median 0.800 (quartiles 0.500-0.900), CPU median 0.750 (quartiles 0.500-1.000)"), r);
  }

  @Test
  void theNttWorkloadRunsOnTwoCopiesOfThisClassPath() {
    String cp = System.getProperty("java.class.path");
    Result r = execute("--workload", "ntt", "--rounds", "3", "--skip", "1", cp, cp);
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("workload ntt"), r.out());
    assertTrue(r.out().matches("(?s).*version 2 / version 1, paired by round: wall median \\d+\\.\\d{3} .*"), r.out());
    assertFalse(r.err().contains("Exception"), r.err());
  }

  static Stream<Arguments> usageErrors() {
    String cp = System.getProperty("java.class.path");
    return Stream.of(
        Arguments.of(new String[] {cp}, "VERSION"),
        Arguments.of(new String[] {"--workload", "square", cp, cp}, "unknown workload 'square'"),
        Arguments.of(new String[] {"--rounds", "1", cp, cp}, "--rounds must be in [2, 10000], got 1"),
        Arguments.of(new String[] {"--rounds", "4", "--skip", "3", cp, cp}, "--skip must be in [0, rounds - 2] = [0, 2], got 3"),
        Arguments.of(new String[] {"--rounds", "many", cp, cp}, "many"),
        Arguments.of(new String[] {cp, "/no/such/cryptonets.jar"}, "no such jar or folder '/no/such/cryptonets.jar'"));
  }

  @ParameterizedTest
  @MethodSource("usageErrors")
  void badUsageIsOneErrorLineAndExitCode2(String[] args, String expected) {
    Result r = execute(args);
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().startsWith("error: "), r.err());
    assertTrue(r.err().contains(expected), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertEquals("", r.out());
  }
}
