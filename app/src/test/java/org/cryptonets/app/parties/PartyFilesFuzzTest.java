package org.cryptonets.app.parties;

import org.cryptonets.inference.parties.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link PartyFilesFuzz}, the seeded fuzz of the application's file loaders, in a JVM of its
 * own with a 512 MB heap (so a header that drives an allocation fails as it would in production),
 * under a timeout. The only outcomes allowed are a load that succeeds and a {@link
 * org.cryptonets.bfv.io.SerializationException}.
 *
 * <p>Runs 200 iterations, then more for {@code -Dcryptonets.fuzz.seconds} (default 5), from seed {@code
 * -Dcryptonets.fuzz.seed} (default fixed); a failure names the seed and iteration, which {@code
 * PartyFilesFuzz --seed S --iteration I} replays.
 */
class PartyFilesFuzzTest {
  @Test
  void everyApplicationLoaderThrowsOnlyTheDocumentedExceptionInA512MBHeap() throws IOException, InterruptedException {
    long seed = Long.getLong("cryptonets.fuzz.seed", PartyFilesFuzz.DEFAULT_SEED);
    double seconds = Double.parseDouble(System.getProperty("cryptonets.fuzz.seconds", "5"));
    long timeout = (long) seconds + 120;
    org.cryptonets.bfv.io.ForkedJvm.Outcome run = org.cryptonets.bfv.io.ForkedJvm.run(PartyFilesFuzz.class, List.of("-Xmx512m"),
        List.of("--seed", Long.toString(seed), "--seconds", Double.toString(seconds)), java.time.Duration.ofSeconds(timeout));
    String text = run.output();
    System.out.println(text.strip());
    assertFalse(run.timedOut(), "the fuzz did not finish within " + timeout + " s:\n" + text);
    assertEquals(0, run.exitCode(), "the fuzz failed (seed " + seed + "):\n" + text);
    String result = text.lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElseThrow(() -> new AssertionError("no RESULT line:\n" + text));
    Map<String, Integer> tally = new HashMap<>();
    for (String field : result.substring("RESULT ".length()).split(" ")) {
      String[] kv = field.split("=");
      tally.put(kv[0], Integer.parseInt(kv[1]));
    }
    assertTrue(tally.get("iterations") >= 100, "only " + tally.get("iterations") + " iterations ran: " + result);
    for (String code : List.of("CHECKSUM_MISMATCH", "INVALID_FIELD", "LENGTH_OUT_OF_RANGE", "WRONG_TYPE", "TRUNCATED")) {
      assertTrue(tally.get(code) > 0, "no mutant was refused with " + code + ": " + result);
    }
    assertTrue(tally.get("huge") > 0 && tally.get("accepted") > 0, result);
  }
}
