package org.cryptonets.bfv.io;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A bounded mutation fuzzer over every loader: valid files are damaged at random (bit flips,
 * bytes and integers that tend to break parsers, cuts, insertions, duplicated ranges), and half of
 * the time the checksum is recomputed so the mutation reaches the field checks behind it. Every
 * read must either succeed or throw {@link SerializationException}; anything else (an
 * IndexOutOfBounds, an OutOfMemoryError from a trusted length, an engine exception) fails the test
 * with the seed and iteration that reproduce it.
 *
 * <p>Runs for {@code -Dcryptonets.fuzz.seconds} (default 8) from seed {@code
 * -Dcryptonets.fuzz.seed} (default fixed, so CI is reproducible).
 */
class LoaderFuzzTest {
  private static final int[] INTERESTING_32 = {0, 1, -1, 0x7FFFFFFF, 0x80000000, 0xFF, 0x100, 0xFFFF, 0x10000, 1024, 1 << 20, (1 << 20) + 1};
  private static final long[] INTERESTING_64 = {0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40, (1L << 40) + 1, 1L << 32, 100};

  /** A valid file and how to read it. */
  record Target(String name, byte[] content, Consumer<BfvFileReader> read) {}

  static List<Target> corpus = new ArrayList<>();

  @BeforeAll
  static void setUp() {
    HostileInputTest.setUp();
    corpus = new ArrayList<>();
    corpus.add(new Target("keys", HostileInputTest.keysFile, HostileInputTest::readKeys));
    corpus.add(new Target("batch", HostileInputTest.batchFile, HostileInputTest::readBatch));
    corpus.add(new Target("seeded", HostileInputTest.seededFile, HostileInputTest::readBatch));
    corpus.add(new Target("secret", HostileInputTest.secretFile, HostileInputTest::readSecret));
    corpus.add(new Target("compressed", HostileInputTest.compressedFile, HostileInputTest::readCompressed));
  }

  @AfterAll
  static void tearDown() {
    HostileInputTest.tearDown();
  }

  static byte[] mutate(byte[] original, SplittableRandom r) {
    byte[] b = original.clone();
    int edits = 1 + r.nextInt(4);
    for (int e = 0; e < edits && b.length > 0; e++) {
      int at = r.nextInt(b.length);
      switch (r.nextInt(9)) {
        case 0 -> b[at] ^= (byte) (1 << r.nextInt(8));
        case 1 -> b[at] = (byte) r.nextInt(256);
        case 2 -> {
          // Fields near the front of a record are where lengths, counts and codes live.
          int field = r.nextInt(Math.min(b.length, 96));
          if (field + 4 <= b.length) {
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(field, INTERESTING_32[r.nextInt(INTERESTING_32.length)]);
          }
        }
        case 3 -> {
          int field = r.nextBoolean() ? 44 : r.nextInt(Math.min(b.length, 96));
          if (field + 8 <= b.length) {
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(field, INTERESTING_64[r.nextInt(INTERESTING_64.length)]);
          }
        }
        case 4 -> b = Arrays.copyOf(b, r.nextInt(b.length + 1));
        case 5 -> {
          byte[] extra = new byte[1 + r.nextInt(64)];
          r.nextBytes(extra);
          byte[] c = new byte[b.length + extra.length];
          System.arraycopy(b, 0, c, 0, at);
          System.arraycopy(extra, 0, c, at, extra.length);
          System.arraycopy(b, at, c, at + extra.length, b.length - at);
          b = c;
        }
        case 6 -> {
          int len = Math.min(b.length - at, 1 + r.nextInt(64));
          byte[] c = new byte[b.length - len];
          System.arraycopy(b, 0, c, 0, at);
          System.arraycopy(b, at + len, c, at, b.length - at - len);
          b = c;
        }
        case 7 -> {
          int len = Math.min(b.length - at, 1 + r.nextInt(256));
          int to = r.nextInt(b.length);
          System.arraycopy(b, at, b, to, Math.min(len, b.length - to));
        }
        default -> b[at] = (byte) (r.nextBoolean() ? 0 : 0xFF);
      }
    }
    return b;
  }

  /** Recomputes the checksum of every record whose frame is still intact enough to locate. */
  static void fixChecksums(byte[] b) {
    int at = 0;
    while (at + BfvFileFormat.HEADER_BYTES + BfvFileFormat.TRAILER_BYTES <= b.length) {
      long payload = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(at + 44);
      if (payload < 0 || at + BfvFileFormat.HEADER_BYTES + payload + BfvFileFormat.TRAILER_BYTES > b.length) {
        return;
      }
      IoFixtures.fixChecksum(b, at);
      at = IoFixtures.nextRecord(b, at);
    }
  }

  @Test
  void loadersThrowOnlyTheDocumentedException() {
    long seed = Long.getLong("cryptonets.fuzz.seed", 20240607L);
    double seconds = Double.parseDouble(System.getProperty("cryptonets.fuzz.seconds", "8"));
    SplittableRandom r = new SplittableRandom(seed);
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    int iterations = 0;
    int accepted = 0;
    int[] codes = new int[SerializationException.Code.values().length];
    while (System.nanoTime() < deadline) {
      Target t = corpus.get(r.nextInt(corpus.size()));
      byte[] mutated = mutate(t.content(), r);
      if (r.nextBoolean()) {
        fixChecksums(mutated);
      }
      try (BfvFileReader reader = BfvFileReader.of(mutated, t.name() + "-mutant")) {
        t.read().accept(reader);
        accepted++;
      } catch (SerializationException e) {
        codes[e.code().ordinal()]++;
      } catch (Throwable e) {
        fail("seed " + seed + ", iteration " + iterations + " (" + t.name() + "): " + e, e);
      }
      iterations++;
    }
    StringBuilder summary = new StringBuilder();
    for (SerializationException.Code c : SerializationException.Code.values()) {
      summary.append(c).append('=').append(codes[c.ordinal()]).append(' ');
    }
    System.out.println("fuzz: " + iterations + " mutated files in " + seconds + " s, " + accepted + " accepted; " + summary);
    assertTrue(iterations >= 200, "only " + iterations + " iterations ran");
    // With checksums fixed half of the time, the deeper checks must have been reached too.
    assertTrue(codes[SerializationException.Code.CHECKSUM_MISMATCH.ordinal()] > 0 && codes[SerializationException.Code.INVALID_FIELD.ordinal()]
        + codes[SerializationException.Code.LENGTH_OUT_OF_RANGE.ordinal()] + codes[SerializationException.Code.COEFFICIENT_OUT_OF_RANGE.ordinal()] > 0, summary.toString());
  }
}
