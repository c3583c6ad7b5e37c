package org.cryptonets.bfv.io;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * Coverage-guided fuzzing of the loaders with Jazzer. The fuzzer's bytes choose a valid file
 * (built by {@link HostileInputTest}), edits to it (bits, bytes, integers at field offsets, cuts,
 * insertions) and whether to recompute the checksums, so the search starts from well-formed files
 * and reaches the field checks; a load may succeed or throw {@link SerializationException}, and
 * anything else is a finding.
 *
 * <p>Run it with {@code JAZZER_FUZZ=1 mvn test -pl bfv -Dtest=LoaderJazzerTest}: 30 s of fuzzing.
 * Without that variable it is skipped: Jazzer's regression mode would only replay an empty input,
 * yet install its agent into the JVM shared with every other test of the module and log each class
 * it hooks. The check that always runs in CI is {@link LoaderFuzzTest}, thousands of seeded random
 * mutations under the same rules (and header-aware ones) in a 512 MB JVM.
 */
@EnabledIfEnvironmentVariable(named = "JAZZER_FUZZ", matches = ".+")
class LoaderJazzerTest {
  @BeforeAll
  static void setUp() {
    LoaderFuzz.setUp();
  }

  @AfterAll
  static void tearDown() {
    LoaderFuzz.tearDown();
  }

  @FuzzTest(maxDuration = "30s")
  void loaders(FuzzedDataProvider data) {
    List<LoaderFuzz.Target> corpus = LoaderFuzz.corpus;
    LoaderFuzz.Target target = corpus.get(data.consumeInt(0, corpus.size() - 1));
    boolean fixChecksums = data.consumeBoolean();
    byte[] b = target.content().clone();
    int edits = data.consumeInt(0, 6);
    for (int e = 0; e < edits && b.length > 0; e++) {
      int kind = data.consumeInt(0, 5);
      int at = data.consumeInt(0, b.length - 1);
      ByteBuffer view = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
      switch (kind) {
        case 0 -> b[at] ^= (byte) (1 << data.consumeInt(0, 7));
        case 1 -> b[at] = data.consumeByte();
        case 2 -> {
          if (at + 4 <= b.length) {
            view.putInt(at, data.consumeInt());
          }
        }
        case 3 -> {
          if (at + 8 <= b.length) {
            view.putLong(at, data.consumeLong());
          }
        }
        case 4 -> b = Arrays.copyOf(b, at);
        default -> {
          byte[] extra = data.consumeBytes(64);
          byte[] c = new byte[b.length + extra.length];
          System.arraycopy(b, 0, c, 0, at);
          System.arraycopy(extra, 0, c, at, extra.length);
          System.arraycopy(b, at, c, at + extra.length, b.length - at);
          b = c;
        }
      }
    }
    if (fixChecksums) {
      LoaderFuzz.fixChecksums(b);
    }
    try (BfvFileReader reader = BfvFileReader.of(b, target.name() + "-fuzzed")) {
      target.read().accept(reader);
    } catch (SerializationException expected) {
      // The one documented failure; anything else propagates and Jazzer reports it.
    }
  }
}
