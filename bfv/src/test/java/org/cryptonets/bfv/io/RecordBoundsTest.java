package org.cryptonets.bfv.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Consumer;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.Scheme;
import org.cryptonets.bfv.io.SerializationException.Code;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * No header drives an allocation or a long read: a record's announced size is checked against what
 * the parameters, the caller's expected count and the reader's memory budget allow before the
 * checksum pass and before anything is allocated. The records here are far larger than memory
 * (up to 86 GB); their zeros are synthesized by {@link IoFixtures.SparseSource}, which counts the
 * bytes handed out and fails past a tripwire, so "refused first" is measured, not assumed.
 */
class RecordBoundsTest {
  /** Bytes a refusal may read: the header, a descriptor, at most one staging buffer. */
  static final long TRIPWIRE = 1 << 20;

  static Backend backend;
  static BfvParameters params;
  static BfvParameters toy;

  @BeforeAll
  static void setUp() {
    backend = Backends.open("cpu");
    params = IoFixtures.realistic();
    toy = IoFixtures.toy();
  }

  @AfterAll
  static void tearDown() {
    backend.close();
  }

  static IoFixtures.SparseSource source(IoFixtures.HugeRecord record) {
    return new IoFixtures.SparseSource(new byte[0], record, new byte[0], "huge.bin", TRIPWIRE);
  }

  static SerializationException refused(IoFixtures.SparseSource source, Consumer<BfvFileReader> read) {
    SerializationException e = assertThrows(SerializationException.class, () -> {
      try (BfvFileReader r = BfvFileReader.of(source)) {
        read.accept(r);
      }
    });
    assertTrue(source.bytesRead < 64 * 1024, source.bytesRead + " bytes read before the refusal: " + e.getMessage());
    assertTrue(e.getMessage().startsWith(e.code() + ": huge.bin: record 0 at byte 0: "), e.getMessage());
    return e;
  }

  /** 2^20 compressed ciphertexts of n = 8192 at 40 bits: an 86 GB payload that would take 137 GB as longs. */
  static IoFixtures.HugeRecord results(long count, boolean validChecksum) {
    long payload = BfvFileFormat.DESCRIPTOR_BYTES + BfvFileWriter.streamBytes(2 * count * params.n(), 40);
    return IoFixtures.hugeRecord(ObjectType.COMPRESSED_RESULTS, params, IoFixtures.compressedDescriptor(0, 40, count), payload, validChecksum);
  }

  @Test
  void theSynthesizedChecksumsAreThoseOfTheRealBytes() throws Exception {
    for (int zeros : new int[] {0, 1, 7, 8, 1000, 65_537}) {
      IoFixtures.HugeRecord record = IoFixtures.hugeRecord(ObjectType.COMPRESSED_RESULTS, toy, IoFixtures.compressedDescriptor(1, 24, 3),
          BfvFileFormat.DESCRIPTOR_BYTES + zeros, true);
      IoFixtures.SparseSource s = new IoFixtures.SparseSource(new byte[] {1, 2}, record, new byte[] {3}, "s");
      byte[] all = new byte[(int) s.size()];
      java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(all);
      while (b.hasRemaining()) {
        s.read(b.position(), b);
      }
      java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
      crc.update(all, 2, (int) (record.length() - BfvFileFormat.TRAILER_BYTES));
      assertEquals((int) crc.getValue(), record.crc(), zeros + " zeros");
      assertEquals(3, all[all.length - 1]);
    }
  }

  @Test
  void an86GBHeaderWithABadChecksumIsRefusedBeforeAnyChecksumWork() {
    IoFixtures.HugeRecord huge = results(BfvFileFormat.MAX_COUNT, false);
    assertTrue(huge.payload() > 85_000_000_000L, "payload " + huge.payload());
    SerializationException e = refused(source(huge), r -> r.readCompressed(params));
    assertEquals(Code.OVER_BUDGET, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains("found a header announcing a payload of " + huge.payload() + " bytes"), e.getMessage());
  }

  @Test
  void aValidChecksumDoesNotLetAHeaderDriveAnAllocation() {
    IoFixtures.HugeRecord huge = results(BfvFileFormat.MAX_COUNT, true);
    SerializationException e = refused(source(huge), r -> r.readCompressed(params));
    assertEquals(Code.OVER_BUDGET, e.code(), e.getMessage());
  }

  @Test
  void aResultsRecordAnnouncing65536CiphertextsWhereTenBelongIsRefusedBeforeTheChecksum() {
    IoFixtures.HugeRecord huge = results(65_536, true);
    assertTrue(huge.payload() > 5_000_000_000L, "a 5.4 GB payload: " + huge.payload());
    SerializationException e = refused(source(huge), r -> r.readCompressed(params, 10));
    assertEquals(Code.LENGTH_OUT_OF_RANGE, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains("expected a compressed result ciphertexts record with a payload of at most "), e.getMessage());
    assertTrue(e.getMessage().contains("(10 ciphertexts of n = 8192 at up to 62 bits), found a header announcing " + huge.payload() + " bytes"), e.getMessage());
  }

  /** A seeded batch of {@code count} ciphertexts at level 6 of n = 8192 (the upload's shape). */
  static IoFixtures.HugeRecord upload(long count) {
    byte[] fields = java.nio.ByteBuffer.allocate(BfvFileFormat.DESCRIPTOR_BYTES + BfvFileFormat.SEED_BYTES)
        .put(IoFixtures.descriptor(0, 6, 2, BfvFileFormat.FORM_COEFFICIENT, count)).array();
    long payload = fields.length + BfvFileWriter.streamBytes(count * params.n(), BfvFileFormat.coefficientBits(params, 6));
    return IoFixtures.hugeRecord(ObjectType.CIPHERTEXTS_SEEDED, params, fields, payload, true);
  }

  @Test
  void anUploadBatchAnnouncing8192CiphertextsWhere784BelongIsRefusedBeforeTheChecksum() {
    IoFixtures.HugeRecord huge = upload(8192);
    assertTrue(huge.payload() > 1_500_000_000L, "a 1.56 GB payload: " + huge.payload());
    SerializationException e = refused(source(huge), r -> r.readCiphertexts(params, backend, 784));
    assertEquals(Code.LENGTH_OUT_OF_RANGE, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains("(784 ciphertexts of at most 3 polynomials at level 7 under "), e.getMessage());
  }

  @Test
  void anUploadBatchBeyondTheBudgetIsRefusedBeforeTheChecksum() {
    IoFixtures.HugeRecord huge = upload(8192);
    SerializationException e = refused(source(huge), r -> r.withMemoryBudget(256L << 20).readCiphertexts(params, backend));
    assertEquals(Code.OVER_BUDGET, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains("expected a record that fits the memory budget of 268435456 bytes"), e.getMessage());
    assertTrue(e.getMessage().contains("-Dcryptonets.io.memoryBudget="), e.getMessage());
  }

  @Test
  void aCountOtherThanTheExpectedOneIsRefusedBeforeAllocation() {
    // Three seeded ciphertexts of the toy parameters, well-formed, where two are expected: the
    // payload fits the bound (two ciphertexts of up to three polynomials), the count does not.
    byte[] fields = java.nio.ByteBuffer.allocate(BfvFileFormat.DESCRIPTOR_BYTES + BfvFileFormat.SEED_BYTES)
        .put(IoFixtures.descriptor(1, 2, 2, BfvFileFormat.FORM_COEFFICIENT, 3)).array();
    long payload = fields.length + BfvFileWriter.streamBytes(3L * toy.n(), BfvFileFormat.coefficientBits(toy, 2));
    IoFixtures.HugeRecord record = IoFixtures.hugeRecord(ObjectType.CIPHERTEXTS_SEEDED, toy, fields, payload, true);
    IoFixtures.SparseSource s = new IoFixtures.SparseSource(new byte[0], record, new byte[0], "huge.bin", TRIPWIRE);
    SerializationException e = assertThrows(SerializationException.class, () -> {
      try (BfvFileReader r = BfvFileReader.of(s)) {
        r.readCiphertexts(toy, backend, 2);
      }
    });
    assertEquals(Code.INVALID_FIELD, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains("huge.bin: record 0 (seeded ciphertext batch) at byte 0: expected 2 ciphertexts, found a count of 3"), e.getMessage());
    // Read as "any count", the same record is valid (all-zero c0 halves).
    try (BfvFileReader r = BfvFileReader.of(new IoFixtures.SparseSource(new byte[0], record, new byte[0], "huge.bin"))) {
      r.readCiphertexts(toy, backend).close();
      r.finish();
    }
  }

  @Test
  void theMemoryOfAWellFormedRecordIsCheckedBeforeItIsAllocated() {
    byte[] file = HostileInputTest.bytes(w -> {
      try (org.cryptonets.bfv.CiphertextBatch b = IoFixtures.fullBatch(toy, backend)) {
        w.writeCiphertexts(b);
      }
    });
    long payload = file.length - BfvFileFormat.HEADER_BYTES - BfvFileFormat.TRAILER_BYTES;
    long needed = BfvFileReader.batchMemory(toy, 2, 3, 2, false);
    assertTrue(needed > payload + 1000, needed + " bytes of memory for a payload of " + payload);
    // A budget between the payload and the memory: the header passes, the descriptor does not.
    SerializationException e = assertThrows(SerializationException.class, () -> {
      try (BfvFileReader r = BfvFileReader.of(file, "batch.bin").withMemoryBudget(payload + 1000)) {
        r.readCiphertexts(toy, backend);
      }
    });
    assertEquals(Code.OVER_BUDGET, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains("batch.bin: record 0 (ciphertext batch) at byte 0: expected a record that loads within the memory budget of "
        + (payload + 1000) + " bytes, found 2 ciphertexts of size 3 at level 2 that take " + needed + " bytes"), e.getMessage());
    try (BfvFileReader r = BfvFileReader.of(file, "batch.bin").withMemoryBudget(needed)) {
      r.readCiphertexts(toy, backend, 2).close();
      r.finish();
    }
  }

  // ---- BGV records ----

  /** A BGV batch record of {@code count} ciphertexts at {@code level} of {@code p}, its residues all zero. */
  static IoFixtures.HugeRecord bgvRecord(BfvParameters p, boolean seeded, int plainIndex, int level, int size, int form, long count, long factor) {
    byte[] fields = IoFixtures.bgvFields(plainIndex, level, size, form, count, factor, seeded);
    long payload = fields.length + BfvFileWriter.streamBytes(count * (seeded ? 1 : size) * p.n(), BfvFileFormat.coefficientBits(p, level));
    return IoFixtures.hugeRecord(seeded ? ObjectType.BGV_CIPHERTEXTS_SEEDED : ObjectType.BGV_CIPHERTEXTS, p, fields, payload, true);
  }

  @Test
  void aBgvUploadAnnouncing8192CiphertextsWhere784BelongIsRefusedBeforeTheChecksum() {
    IoFixtures.HugeRecord huge = bgvRecord(params, true, 0, 6, 2, BfvFileFormat.FORM_NTT, 8192, 1);
    assertTrue(huge.payload() > 1_500_000_000L, "a 1.56 GB payload: " + huge.payload());
    SerializationException e = refused(source(huge), r -> r.readCiphertexts(params, backend, Scheme.BGV, 784));
    assertEquals(Code.LENGTH_OUT_OF_RANGE, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains("expected a BGV ciphertext batch or seeded BGV ciphertext batch record with a payload of at most "), e.getMessage());
    assertTrue(e.getMessage().contains("(784 BGV ciphertexts of at most 3 polynomials at level 7 under "), e.getMessage());
  }

  @Test
  void aBgvBatchOf700GBIsRefusedFromItsHeader() {
    IoFixtures.HugeRecord huge = bgvRecord(params, false, 1, 7, 3, BfvFileFormat.FORM_NTT, BfvFileFormat.MAX_COUNT, 1);
    assertTrue(huge.payload() > 600_000_000_000L, "payload " + huge.payload());
    SerializationException e = refused(source(huge), r -> r.readCiphertexts(params, backend, Scheme.BGV));
    assertEquals(Code.OVER_BUDGET, e.code(), e.getMessage());
  }

  @Test
  void factoredResultsAnnouncingTooManyCiphertextsAreRefusedBeforeTheChecksum() {
    long count = 65_536;
    byte[] fields = java.nio.ByteBuffer.allocate(12).order(java.nio.ByteOrder.LITTLE_ENDIAN).put(IoFixtures.compressedDescriptor(0, 40, count)).putInt(1).array();
    IoFixtures.HugeRecord huge = IoFixtures.hugeRecord(ObjectType.COMPRESSED_RESULTS_FACTORED, params, fields,
        fields.length + BfvFileWriter.streamBytes(2 * count * params.n(), 40), true);
    SerializationException e = refused(source(huge), r -> r.readCompressedResults(params, 10));
    assertEquals(Code.LENGTH_OUT_OF_RANGE, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains("(10 ciphertexts of n = 8192 at up to 62 bits), found a header announcing " + huge.payload() + " bytes"), e.getMessage());
    e = refused(source(huge), r -> r.withMemoryBudget(256L << 20).readCompressedResults(params));
    assertEquals(Code.OVER_BUDGET, e.code(), e.getMessage());
  }

  /**
   * Reads a toy BGV record through a backend that counts allocations: a refusal must come before
   * any; the same record with valid fields loads (and allocates).
   */
  static SerializationException refusedBeforeAllocation(IoFixtures.HugeRecord record, int expectedCount) {
    IoFixtures.CountingBackend counting = new IoFixtures.CountingBackend(backend);
    SerializationException e = assertThrows(SerializationException.class, () -> {
      try (BfvFileReader r = BfvFileReader.of(new IoFixtures.SparseSource(new byte[0], record, new byte[0], "bgv.bin"))) {
        r.readCiphertexts(toy, counting.backend, Scheme.BGV, expectedCount).close();
      }
    });
    assertEquals(0, counting.allocations.get(), "allocated before refusing: " + e.getMessage());
    return e;
  }

  @Test
  void bgvFieldsAreCheckedBeforeAllocation() {
    long t0 = toy.plainModulus(0).value();
    for (boolean seeded : new boolean[] {false, true}) {
      String kind = seeded ? "seeded BGV ciphertext batch" : "BGV ciphertext batch";
      SerializationException e = refusedBeforeAllocation(bgvRecord(toy, seeded, 0, 2, 2, BfvFileFormat.FORM_NTT, 2, 0), -1);
      assertEquals(Code.INVALID_FIELD, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("bgv.bin: record 0 (" + kind + ") at byte 0: correction factor 0; expected 1 to " + (t0 - 1)), e.getMessage());
      e = refusedBeforeAllocation(bgvRecord(toy, seeded, 0, 2, 2, BfvFileFormat.FORM_NTT, 2, t0), -1);
      assertEquals(Code.INVALID_FIELD, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("correction factor " + t0 + ";"), e.getMessage());
      e = refusedBeforeAllocation(bgvRecord(toy, seeded, 0, 2, 2, BfvFileFormat.FORM_COEFFICIENT, 2, 5), -1);
      assertEquals(Code.INVALID_FIELD, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("form code 0 (coefficient); a BGV batch is stored in NTT form (1)"), e.getMessage());
      e = refusedBeforeAllocation(bgvRecord(toy, seeded, 0, 2, 2, BfvFileFormat.FORM_NTT, 3, 5), 2);
      assertEquals(Code.INVALID_FIELD, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("expected 2 ciphertexts, found a count of 3"), e.getMessage());
      // The same record, well-formed: it loads, with its factor.
      IoFixtures.CountingBackend counting = new IoFixtures.CountingBackend(backend);
      try (BfvFileReader r = BfvFileReader.of(new IoFixtures.SparseSource(new byte[0], bgvRecord(toy, seeded, 0, 2, 2, BfvFileFormat.FORM_NTT, 2, t0 - 1),
          new byte[0], "bgv.bin")); org.cryptonets.bfv.CiphertextBatch b = r.readCiphertexts(toy, counting.backend, Scheme.BGV, 2)) {
        r.finish();
        assertEquals(t0 - 1, b.correctionFactor());
        assertEquals(Scheme.BGV, b.scheme());
        assertTrue(counting.allocations.get() > 0);
      }
    }
  }

  @Test
  void theMemoryOfAWellFormedBgvRecordIsCheckedBeforeItIsAllocated() {
    byte[] file = HostileInputTest.bytes(w -> {
      try (org.cryptonets.bfv.CiphertextBatch b = IoFixtures.bgvBatch(toy, backend)) {
        w.writeCiphertexts(b);
      }
    });
    long payload = file.length - BfvFileFormat.HEADER_BYTES - BfvFileFormat.TRAILER_BYTES;
    long needed = BfvFileReader.bgvBatchMemory(toy, 2, 3, 2, false);
    assertTrue(needed > payload + 1000, needed + " bytes of memory for a payload of " + payload);
    IoFixtures.CountingBackend counting = new IoFixtures.CountingBackend(backend);
    SerializationException e = assertThrows(SerializationException.class, () -> {
      try (BfvFileReader r = BfvFileReader.of(file, "batch.bin").withMemoryBudget(payload + 1000)) {
        r.readCiphertexts(toy, counting.backend, Scheme.BGV);
      }
    });
    assertEquals(Code.OVER_BUDGET, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains("batch.bin: record 0 (BGV ciphertext batch) at byte 0: expected a record that loads within the memory budget of "
        + (payload + 1000) + " bytes, found 2 ciphertexts of size 3 at level 2 that take " + needed + " bytes"), e.getMessage());
    assertEquals(0, counting.allocations.get());
    try (BfvFileReader r = BfvFileReader.of(file, "batch.bin").withMemoryBudget(needed)) {
      r.readCiphertexts(toy, backend, Scheme.BGV, 2).close();
      r.finish();
    }
  }

  @Test
  void theDefaultBudgetIsAQuarterOfTheMaximumHeapUnlessSet() {
    String old = System.getProperty(BfvFileReader.BUDGET_PROPERTY);
    try {
      System.clearProperty(BfvFileReader.BUDGET_PROPERTY);
      assertEquals(Runtime.getRuntime().maxMemory() / 4, BfvFileReader.defaultMemoryBudget());
      System.setProperty(BfvFileReader.BUDGET_PROPERTY, "512m");
      assertEquals(512L << 20, BfvFileReader.defaultMemoryBudget());
      assertEquals(512L << 20, BfvFileReader.of(new byte[0], "x").memoryBudget());
      System.setProperty(BfvFileReader.BUDGET_PROPERTY, "123456");
      assertEquals(123456, BfvFileReader.defaultMemoryBudget());
      System.setProperty(BfvFileReader.BUDGET_PROPERTY, "lots");
      assertEquals(Runtime.getRuntime().maxMemory() / 4, BfvFileReader.defaultMemoryBudget());
    } finally {
      if (old == null) {
        System.clearProperty(BfvFileReader.BUDGET_PROPERTY);
      } else {
        System.setProperty(BfvFileReader.BUDGET_PROPERTY, old);
      }
    }
    assertThrows(IllegalArgumentException.class, () -> BfvFileReader.of(new byte[0], "x").withMemoryBudget(0));
  }
}
