package org.cryptonets.bfv.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The seeded fuzz of every loader ({@link LoaderFuzz}: the application's parameters, secret-key,
 * evaluation-keys, images and results files and the bare record kinds, with byte, header,
 * descriptor and attribute mutations and recomputed checksums), in a JVM of its own with a 512 MB
 * heap, so that a header driving an allocation shows as the OutOfMemoryError it would be in
 * production rather than vanishing in a large test heap. The only outcomes allowed are a load
 * that succeeds and a {@link SerializationException}; the fuzz fails on anything else, and on an
 * iteration that runs past {@value LoaderFuzz#HANG_SECONDS} s; the whole run has a timeout.
 *
 * <p>Runs 400 iterations, then more for {@code -Dcryptonets.fuzz.seconds} (default 5), from seed {@code
 * -Dcryptonets.fuzz.seed} (default fixed, so CI is reproducible). A failure names the seed and
 * iteration; {@code LoaderFuzz --seed S --iteration I} replays exactly that mutant.
 */
class LoaderFuzzTest {
  @Test
  void everyLoaderThrowsOnlyTheDocumentedExceptionInA512MBHeap() throws Exception {
    long seed = Long.getLong("cryptonets.fuzz.seed", LoaderFuzz.DEFAULT_SEED);
    double seconds = Double.parseDouble(System.getProperty("cryptonets.fuzz.seconds", "5"));
    Duration timeout = Duration.ofSeconds((long) seconds + 120);
    ForkedJvm.Outcome out = ForkedJvm.run(LoaderFuzz.class, List.of("-Xmx512m"), List.of("--seed", Long.toString(seed), "--seconds", Double.toString(seconds)),
        timeout);
    System.out.println(out.output().strip());
    assertFalse(out.timedOut(), "the fuzz did not finish within " + timeout + ":\n" + out.output());
    assertEquals(0, out.exitCode(), "the fuzz failed (seed " + seed + "):\n" + out.output());
    String result = out.output().lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElseThrow(() -> new AssertionError("no RESULT line:\n" + out.output()));
    Map<String, Integer> tally = new HashMap<>();
    for (String field : result.substring("RESULT ".length()).split(" ")) {
      String[] kv = field.split("=");
      tally.put(kv[0], Integer.parseInt(kv[1]));
    }
    assertTrue(tally.get("iterations") >= 200, "only " + tally.get("iterations") + " iterations ran: " + result);
    // The mutations must have reached past the checksum (checksums recomputed), the descriptors
    // and counts (consistent reframed records), and the budget (synthesized huge records).
    for (String code : List.of("CHECKSUM_MISMATCH", "INVALID_FIELD", "LENGTH_OUT_OF_RANGE", "COEFFICIENT_OUT_OF_RANGE", "WRONG_TYPE", "UNSUPPORTED_VERSION",
        "OVER_BUDGET", "TRUNCATED")) {
      assertTrue(tally.get(code) > 0, "no mutant was refused with " + code + ": " + result);
    }
    assertTrue(tally.get("huge") > 0 && tally.get("accepted") > 0, result);
  }
}
