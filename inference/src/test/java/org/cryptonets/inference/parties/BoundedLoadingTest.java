package org.cryptonets.inference.parties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.cryptonets.bfv.BfvParameterSpec;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.SecurityLevel;
import org.cryptonets.bfv.io.BfvFileFormat;
import org.cryptonets.bfv.io.BfvFileWriter;
import org.cryptonets.bfv.io.ObjectType;
import org.cryptonets.bfv.io.SerializationException;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crafted files of issue 9, at the application's sizes (n = 8192, seven 31-bit primes): a
 * results file whose valid header announces 65,536 ciphertexts (a 5.4 GB sparse file), an upload
 * announcing 8192 ciphertexts per batch (1.56 GB), a results header announcing 86 GB with a bad
 * checksum, a FIFO given as input. Each is refused with a {@link SerializationException} at once,
 * before the checksum pass and before any large allocation; the bytes this thread allocates while
 * loading are measured.
 */
class BoundedLoadingTest {
  /** What a refusal may allocate: the reader's staging buffer, headers, messages. */
  static final long ALLOCATION_LIMIT = 64L << 20;

  @TempDir
  static Path tmp;

  static BfvParameters params;
  static Backend backend;

  @BeforeAll
  static void setUp() {
    BfvParameterSpec s = BfvParameterSpec.of(8192, List.of(31, 31, 31, 31, 31, 31, 31), 29, 2);
    s.security = SecurityLevel.NONE;
    params = BfvParameters.create(s);
    backend = Backends.open("cpu");
  }

  @AfterAll
  static void tearDown() {
    backend.close();
  }

  // ---- crafted files: a valid attributes record, then one record of mostly zeros, sparse on disk ----

  static byte[] attributes(Map<String, String> a) {
    BfvFileWriter w = BfvFileWriter.inMemory();
    w.writeAttributes(params, a);
    return w.toByteArray();
  }

  /**
   * Writes {@code prefix}, then a record of {@code type} whose payload is {@code fields} and zeros up
   * to {@code payload} bytes, then its checksum (valid or not). Returns the file's size.
   */
  static long craft(Path file, byte[] prefix, ObjectType type, byte[] fields, long payload, boolean validChecksum) throws IOException {
    ByteBuffer h = ByteBuffer.allocate(BfvFileFormat.HEADER_BYTES + fields.length).order(ByteOrder.LITTLE_ENDIAN);
    h.put(BfvFileFormat.magic()).putShort((short) BfvFileFormat.VERSION).putShort((short) type.code()).put(HexFormat.of().parseHex(params.fingerprint()))
        .putLong(payload).put(fields);
    CRC32C crc = new CRC32C();
    crc.update(h.array());
    int value = org.cryptonets.bfv.io.IoFixtures.crc32cAfterZeros((int) crc.getValue(), payload - fields.length);
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(0);
      f.write(prefix);
      f.write(h.array());
      f.seek(prefix.length + BfvFileFormat.HEADER_BYTES + payload);
      f.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(validChecksum ? value : ~value).array());
      return f.length();
    }
  }

  /** Plaintext index, level (or bits), size, form (or reserved), count. */
  static byte[] descriptor(int plainIndex, int level, int size, int form, long count) {
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).put((byte) plainIndex).put((byte) level).put((byte) size).put((byte) form).putInt((int) count)
        .array();
  }

  static long packed(long values, int bits) {
    return (values * bits + 7) / 8;
  }

  /** A results file: attributes for {@code classes}, then compressed results of {@code count} ciphertexts at 2^40. */
  static Path results(String name, int classes, long count, boolean validChecksum) throws IOException {
    Path file = tmp.resolve(name);
    byte[] a = attributes(Map.of(PartyFiles.KIND, EncryptedResultsFile.KIND, PartyFiles.IMAGES, "8192", PartyFiles.CLASSES, Integer.toString(classes),
        PartyFiles.FIRST, "0"));
    craft(file, a, ObjectType.COMPRESSED_RESULTS, descriptor(0, 40, 2, 0, count), 8 + packed(2 * count * params.n(), 40), validChecksum);
    return file;
  }

  /** Runs {@code load}, which must throw SerializationException while this thread allocates little. */
  static SerializationException refusedWithoutAllocating(Executable load) {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    SerializationException e = assertThrows(SerializationException.class, load);
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertTrue(allocated < ALLOCATION_LIMIT, "the refused load allocated " + allocated + " bytes: " + e.getMessage());
    return e;
  }

  @Test
  void resultsAnnouncing65536CiphertextsAreRefusedWithoutAllocating() throws IOException {
    Path file = results("results-65536.bin", 10, 65_536, true);
    assertTrue(file.toFile().length() > 5_000_000_000L, "a 5.4 GB file: " + file.toFile().length());
    SerializationException e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> refusedWithoutAllocating(() -> EncryptedResultsFile.read(file, params)));
    assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("10 ciphertexts"), e.getMessage());
  }

  @Test
  void resultsWhoseClassesAttributeAgreesWithTheHugeCountAreRefusedToo() throws IOException {
    Path file = results("results-65536-classes.bin", 65_536, 65_536, true);
    SerializationException e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> refusedWithoutAllocating(() -> EncryptedResultsFile.read(file, params)));
    assertTrue(e.getMessage().contains(file + ": attribute classes = 65536"), e.getMessage());
  }

  @Test
  void anUploadAnnouncing8192CiphertextsPerBatchIsRefusedWithoutAllocating() throws IOException {
    Path file = tmp.resolve("images-8192.bin");
    byte[] a = attributes(Map.of(PartyFiles.KIND, EncryptedImagesFile.KIND, PartyFiles.IMAGES, "8192", PartyFiles.PIXELS, "784", PartyFiles.FIRST, "0"));
    byte[] fields = ByteBuffer.allocate(8 + 32).put(descriptor(0, 6, 2, 0, 8192)).array();
    long size = craft(file, a, ObjectType.CIPHERTEXTS_SEEDED, fields, 8 + 32 + packed(8192L * 6 * params.n(), 31), true);
    assertTrue(size > 1_500_000_000L, "a 1.56 GB file: " + size);
    SerializationException e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> refusedWithoutAllocating(() -> {
      try (EncryptedImagesFile.Reader r = new EncryptedImagesFile.Reader(file, params, 784)) {
        r.next(backend).close();
      }
    }));
    assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("784 ciphertexts"), e.getMessage());
  }

  @Test
  void an86GBHeaderWithABadChecksumIsRefusedAtOnce() throws IOException {
    Path file = results("results-86GB.bin", 10, BfvFileFormat.MAX_COUNT, false);
    long start = System.nanoTime();
    SerializationException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> refusedWithoutAllocating(() -> EncryptedResultsFile.read(file, params)));
    assertTrue(System.nanoTime() - start < 5_000_000_000L, "refused after " + (System.nanoTime() - start) / 1e9 + " s, not at once");
    assertTrue(e.code() != SerializationException.Code.CHECKSUM_MISMATCH, "the size is refused before the checksum is computed: " + e.getMessage());
  }

  @Test
  void aFifoGivenAsTheResultsFileIsRefusedNotWaitedOn() throws Exception {
    Path fifo = tmp.resolve("results.fifo");
    Process p;
    try {
      p = new ProcessBuilder("mkfifo", fifo.toString()).redirectErrorStream(true).start();
    } catch (IOException e) {
      assumeTrue(false, "no mkfifo here: " + e);
      return;
    }
    assumeTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "mkfifo failed");
    try {
      SerializationException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
          () -> assertThrows(SerializationException.class, () -> EncryptedResultsFile.read(fifo, params)));
      assertEquals(SerializationException.Code.NOT_A_REGULAR_FILE, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains(fifo + ": expected a regular file, found a FIFO"), e.getMessage());
    } finally {
      // Release a reader that did block in open(): opening read-write never blocks on Linux.
      new RandomAccessFile(fifo.toFile(), "rw").close();
    }
  }
}
