package org.cryptonets.bfv.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.cryptonets.bfv.BatchEncoder;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.BgvDecryptor;
import org.cryptonets.bfv.BgvEncryptor;
import org.cryptonets.bfv.BgvEvaluator;
import org.cryptonets.bfv.BgvPublicKey;
import org.cryptonets.bfv.BgvRelinKeys;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.CompressedCiphertexts;
import org.cryptonets.bfv.CompressedResults;
import org.cryptonets.bfv.Decryptor;
import org.cryptonets.bfv.Encryptor;
import org.cryptonets.bfv.Evaluator;
import org.cryptonets.bfv.KeyGenerator;
import org.cryptonets.bfv.Plaintext;
import org.cryptonets.bfv.PublicKey;
import org.cryptonets.bfv.RelinKeys;
import org.cryptonets.bfv.Scheme;
import org.cryptonets.bfv.SecretKey;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every object survives a write and a read bit for bit, seeded batches rebuild exactly the c1 the
 * encryptor used (at any level and form), compressed results still decrypt, and files appear only
 * whole, with the permissions asked for. Parameters are insecure toys (SecurityLevel.NONE).
 */
class RoundTripTest {
  static Backend backend;
  static BfvParameters params;

  @TempDir
  Path tmp;

  @BeforeAll
  static void setUp() {
    backend = Backends.open("cpu");
    params = IoFixtures.toy();
  }

  @AfterAll
  static void tearDown() {
    backend.close();
  }

  static long[] download(CiphertextBatch c) {
    long[] h = new long[(int) c.buffer().all().hostLength()];
    backend.download(c.buffer().all(), h);
    return h;
  }

  static List<Plaintext> plaintexts(BfvParameters params, int plainIndex, int count, long seed) {
    BatchEncoder enc = new BatchEncoder(params, plainIndex);
    long t = enc.plainModulus().value();
    SplittableRandom r = new SplittableRandom(seed);
    List<Plaintext> out = new ArrayList<>();
    for (int k = 0; k < count; k++) {
      long[] slots = new long[params.n()];
      for (int j = 0; j < slots.length; j++) {
        slots[j] = r.nextLong(t);
      }
      out.add(enc.encode(slots));
    }
    return out;
  }

  @Test
  void parametersAndAttributesRoundTrip() {
    BfvFileWriter w = BfvFileWriter.inMemory();
    w.writeParameters(params).writeAttributes(params, IoFixtures.attributes());
    try (BfvFileReader r = BfvFileReader.of(w.toByteArray(), "memory")) {
      BfvParameters p = r.readParameters();
      assertEquals(params, p);
      assertEquals(params.security(), p.security());
      assertEquals(IoFixtures.attributes(), r.readAttributes(p));
      assertFalse(r.hasNext());
      r.finish();
    }
  }

  @Test
  void keysRoundTrip() {
    try (PublicKey pk = IoFixtures.publicKey(params, backend); RelinKeys rk = IoFixtures.relinKeys(params, backend)) {
      BfvFileWriter w = BfvFileWriter.inMemory();
      w.writePublicKey(pk).writeRelinKeys(rk);
      try (BfvFileReader r = BfvFileReader.of(w.toByteArray(), "memory");
          PublicKey pk2 = r.readPublicKey(params, backend);
          RelinKeys rk2 = r.readRelinKeys(params, backend)) {
        assertArrayEquals(pk.residues(), pk2.residues());
        assertArrayEquals(rk.residues(), rk2.residues());
        r.finish();
      }
    }
  }

  @Test
  void secretKeyRoundTripDecryptsAndIsOwnerOnly() throws Exception {
    KeyGenerator kg = new KeyGenerator(params, backend, IoFixtures.deterministicRandom(7));
    SecretKey sk = kg.secretKey();
    Path file = tmp.resolve("secret.key");
    try (BfvFileWriter w = BfvFileWriter.create(file, BfvFileWriter.Access.OWNER_ONLY)) {
      w.writeParameters(params).writeSecretKey(sk);
      w.commit();
    }
    if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }
    List<Plaintext> pts = plaintexts(params, 0, 3, 8);
    try (BfvFileReader r = BfvFileReader.open(file)) {
      BfvParameters p = r.readParameters(params);
      try (SecretKey loaded = r.readSecretKey(p, backend); CiphertextBatch c = new Encryptor(params, backend, sk).encrypt(pts)) {
        r.finish();
        for (int j = 0; j < params.n(); j++) {
          assertEquals(sk.coefficient(j), loaded.coefficient(j), "coefficient " + j);
        }
        assertArrayEquals(new Decryptor(params, backend, sk).decryptSlots(c), new Decryptor(params, backend, loaded).decryptSlots(c));
      }
    }
    sk.close();
  }

  static Stream<Arguments> batchShapes() {
    return Stream.of(Arguments.of(3, 2, false), Arguments.of(3, 3, true), Arguments.of(1, 2, true), Arguments.of(2, 3, false));
  }

  @ParameterizedTest(name = "level {0}, size {1}, NTT {2}")
  @MethodSource("batchShapes")
  void fullBatchesRoundTrip(int level, int size, boolean ntt) {
    try (Evaluator ev = new Evaluator(params, backend); CiphertextBatch c = ev.allocate(1, level, size, 5, ntt)) {
      backend.upload(IoFixtures.residues(params.basisAt(level), size * 5, level * 10 + size), c.buffer().all());
      BfvFileWriter w = BfvFileWriter.inMemory();
      w.writeCiphertexts(c);
      long expectedBytes = BfvFileFormat.HEADER_BYTES + 8 + (5L * size * params.n() * 31 * level + 7) / 8 + 4;
      assertEquals(expectedBytes, w.toByteArray().length, "31 bits per residue, nothing else but the frame");
      try (BfvFileReader r = BfvFileReader.of(w.toByteArray(), "memory"); CiphertextBatch back = r.readCiphertexts(params, backend)) {
        assertEquals(c.level(), back.level());
        assertEquals(c.size(), back.size());
        assertEquals(c.isNttForm(), back.isNttForm());
        assertEquals(c.plainIndex(), back.plainIndex());
        assertArrayEquals(download(c), download(back));
      }
    }
  }

  /** What the owner may do to a fresh symmetric encryption before sending it seeded. */
  enum SeededVariant {
    FRESH, TO_COEFFICIENTS, SWITCHED_DOWN, SWITCHED_DOWN_TO_NTT, ENCRYPTED_AT_LEVEL, ENCRYPTED_AT_LEVEL_TO_COEFFICIENTS
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.EnumSource(SeededVariant.class)
  void seededBatchesRebuildTheExactCiphertexts(SeededVariant variant) {
    KeyGenerator kg = new KeyGenerator(params, backend, IoFixtures.deterministicRandom(9));
    List<Plaintext> pts = plaintexts(params, 1, 70, 10);
    boolean atLevel = variant == SeededVariant.ENCRYPTED_AT_LEVEL || variant == SeededVariant.ENCRYPTED_AT_LEVEL_TO_COEFFICIENTS;
    Encryptor encryptor = new Encryptor(params, backend, kg.secretKey());
    try (Evaluator ev = new Evaluator(params, backend); CiphertextBatch fresh = atLevel ? encryptor.encrypt(pts, 2) : encryptor.encrypt(pts)) {
      byte[] seed = fresh.seed();
      CiphertextBatch sent = fresh;
      switch (variant) {
        case TO_COEFFICIENTS:
          ev.toCoefficients(fresh);
          break;
        case SWITCHED_DOWN:
          sent = ev.modSwitchTo(fresh, 2);
          break;
        case SWITCHED_DOWN_TO_NTT:
          sent = ev.modSwitchTo(fresh, 2);
          ev.toNtt(sent);
          break;
        case ENCRYPTED_AT_LEVEL_TO_COEFFICIENTS:
          ev.toCoefficients(fresh);
          break;
        default:
          break;
      }
      BfvFileWriter w = BfvFileWriter.inMemory();
      if (atLevel) {
        assertEquals(2, fresh.level());
        assertEquals(2, fresh.seedLevel());
        w.writeSeededCiphertexts(sent);
      } else {
        w.writeSeededCiphertexts(sent, seed);
      }
      long c0Bytes = (70L * params.n() * 31 * sent.level() + 7) / 8;
      assertEquals(BfvFileFormat.HEADER_BYTES + 8 + 32 + c0Bytes + 4, w.toByteArray().length, "c0 only, plus the seed");
      try (BfvFileReader r = BfvFileReader.of(w.toByteArray(), "memory"); CiphertextBatch back = r.readCiphertexts(params, backend)) {
        assertEquals(sent.level(), back.level());
        assertEquals(sent.isNttForm(), back.isNttForm());
        assertArrayEquals(download(sent), download(back), "c1 regenerated from the seed must be the encryptor's, bit for bit");
        Decryptor dec = new Decryptor(params, backend, kg.secretKey());
        assertArrayEquals(dec.decryptSlots(sent), dec.decryptSlots(back));
        BatchEncoder enc = new BatchEncoder(params, 1);
        long[][] slots = dec.decryptSlots(back);
        for (int k = 0; k < pts.size(); k++) {
          assertArrayEquals(enc.decode(pts.get(k)), slots[k], "ciphertext " + k);
        }
      }
      if (sent != fresh) {
        sent.close();
      }
    }
    kg.secretKey().close();
  }

  @Test
  void unseededBatchCannotBeWrittenSeeded() {
    try (CiphertextBatch c = IoFixtures.fullBatch(params, backend)) {
      SerializationException e = assertThrows(SerializationException.class, () -> BfvFileWriter.inMemory().writeSeededCiphertexts(c));
      assertEquals(SerializationException.Code.INVALID_FIELD, e.code());
    }
  }

  @Test
  void compressedResultsRoundTripAndDecrypt() {
    KeyGenerator kg = new KeyGenerator(params, backend, IoFixtures.deterministicRandom(11));
    BatchEncoder enc = new BatchEncoder(params, 0);
    long t = enc.plainModulus().value();
    long[] slots = new long[params.n()];
    SplittableRandom r = new SplittableRandom(12);
    for (int j = 0; j < slots.length; j++) {
      slots[j] = r.nextLong(t);
    }
    try (RelinKeys rk = kg.createRelinKeys();
        Evaluator ev = new Evaluator(params, backend);
        CiphertextBatch c = new Encryptor(params, backend, kg.secretKey()).encrypt(List.of(enc.encode(slots)));
        CiphertextBatch sq = ev.square(c);
        CiphertextBatch relin = ev.relinearize(sq, rk)) {
      Decryptor dec = new Decryptor(params, backend, kg.secretKey());
      int bits = CompressedCiphertexts.minBits(params, 0) + 12;
      CompressedCiphertexts small = CompressedCiphertexts.compress(relin, bits);
      assertEquals(2L * params.n() * bits, small.serializedBits());
      BfvFileWriter w = BfvFileWriter.inMemory();
      w.writeCompressed(small);
      CompressedCiphertexts back;
      try (BfvFileReader rd = BfvFileReader.of(w.toByteArray(), "memory")) {
        back = rd.readCompressed(params);
      }
      assertArrayEquals(small.values(), back.values());
      long[] got = dec.decryptSlots(back)[0];
      for (int j = 0; j < slots.length; j++) {
        assertEquals(slots[j] * slots[j] % t, got[j], "slot " + j);
      }
      int budget = dec.invariantNoiseBudget(back)[0];
      assertTrue(budget > 0 && budget < bits, "noise budget " + budget + " of " + bits + " bits");
      Decryptor.Decrypted both = dec.decryptWithBudget(back);
      assertArrayEquals(got, both.slots()[0]);
      assertEquals(budget, both.budgets()[0]);
    }
    kg.secretKey().close();
  }

  // ---- BGV ----

  static long[][] slotsOf(BfvParameters params, List<Plaintext> pts) {
    long[][] out = new long[pts.size()][];
    for (int k = 0; k < pts.size(); k++) {
      out[k] = new BatchEncoder(params, pts.get(k).plainIndex()).decode(pts.get(k));
    }
    return out;
  }

  static long[][] squared(long[][] slots, long t) {
    long[][] out = new long[slots.length][];
    for (int k = 0; k < slots.length; k++) {
      out[k] = new long[slots[k].length];
      for (int j = 0; j < slots[k].length; j++) {
        out[k][j] = slots[k][j] * slots[k][j] % t;
      }
    }
    return out;
  }

  @Test
  void bgvKeysRoundTripAndStillWork() {
    KeyGenerator kg = new KeyGenerator(params, backend, IoFixtures.deterministicRandom(21));
    List<Plaintext> pts = plaintexts(params, 1, 3, 22);
    long t = params.plainModulus(1).value();
    try (BgvPublicKey pk = kg.createBgvPublicKey(); BgvRelinKeys rk = kg.createBgvRelinKeys()) {
      BfvFileWriter w = BfvFileWriter.inMemory();
      w.writeParameters(params).writeBgvPublicKey(pk).writeBgvRelinKeys(rk);
      try (BfvFileReader r = BfvFileReader.of(w.toByteArray(), "memory")) {
        BfvParameters p = r.readParameters(params);
        try (BgvPublicKey pk2 = r.readBgvPublicKey(p, backend);
            BgvRelinKeys rk2 = r.readBgvRelinKeys(p, backend);
            BgvEncryptor enc = new BgvEncryptor(params, backend, pk2);
            BgvEvaluator ev = new BgvEvaluator(params, backend);
            BgvDecryptor dec = new BgvDecryptor(params, backend, kg.secretKey());
            CiphertextBatch c = enc.encrypt(pts);
            CiphertextBatch sq = ev.square(c);
            CiphertextBatch relinOriginal = ev.relinearize(sq, rk);
            CiphertextBatch relinLoaded = ev.relinearize(sq, rk2)) {
          r.finish();
          assertArrayEquals(pk.residues(), pk2.residues());
          assertArrayEquals(rk.residues(), rk2.residues());
          assertEquals(Scheme.BGV, rk2.scheme());
          assertArrayEquals(slotsOf(params, pts), dec.decryptSlots(c), "encrypted with the loaded public key");
          assertArrayEquals(download(relinOriginal), download(relinLoaded), "relinearization with the loaded keys, bit for bit");
          assertArrayEquals(squared(slotsOf(params, pts), t), dec.decryptSlots(relinLoaded));
        }
      }
    }
    kg.secretKey().close();
  }

  @Test
  void bgvBatchesRoundTripWithTheirFactor() {
    KeyGenerator kg = new KeyGenerator(params, backend, IoFixtures.deterministicRandom(23));
    List<Plaintext> pts = plaintexts(params, 0, 4, 24);
    long t = params.plainModulus(0).value();
    try (BgvRelinKeys rk = kg.createBgvRelinKeys();
        BgvEncryptor enc = new BgvEncryptor(params, backend, kg.secretKey());
        BgvEvaluator ev = new BgvEvaluator(params, backend);
        BgvDecryptor dec = new BgvDecryptor(params, backend, kg.secretKey());
        CiphertextBatch fresh = enc.encrypt(pts);
        CiphertextBatch sq = ev.square(fresh);
        CiphertextBatch relin = ev.relinearize(sq, rk);
        CiphertextBatch switched = ev.modSwitchToNext(relin)) {
      assertTrue(switched.correctionFactor() != 1, "a modulus switch changes the factor: " + switched);
      long[][] expected = squared(slotsOf(params, pts), t);
      for (CiphertextBatch c : List.of(sq, switched)) {
        BfvFileWriter w = BfvFileWriter.inMemory();
        w.writeCiphertexts(c);
        byte[] bytes = w.toByteArray();
        long expectedBytes = BfvFileFormat.HEADER_BYTES + 8 + 4 + (4L * c.size() * params.n() * 31 * c.level() + 7) / 8 + 4;
        assertEquals(expectedBytes, bytes.length, "31 bits per residue, the factor and the frame");
        try (BfvFileReader r = BfvFileReader.of(bytes, "memory"); CiphertextBatch back = r.readCiphertexts(params, backend, Scheme.BGV, 4)) {
          r.finish();
          assertEquals(Scheme.BGV, back.scheme());
          assertEquals(c.correctionFactor(), back.correctionFactor());
          assertEquals(c.level(), back.level());
          assertEquals(c.size(), back.size());
          assertEquals(c.plainIndex(), back.plainIndex());
          assertTrue(back.isNttForm());
          assertArrayEquals(download(c), download(back));
          assertArrayEquals(expected, dec.decryptSlots(back));
          // The loaded batch works with the evaluator like the original.
          if (back.size() == 3) {
            try (CiphertextBatch r1 = ev.relinearize(back, rk)) {
              assertArrayEquals(download(relin), download(r1));
            }
          }
        }
      }
    }
    kg.secretKey().close();
  }

  @ParameterizedTest(name = "level {0}")
  @org.junit.jupiter.params.provider.ValueSource(ints = {3, 2, 1})
  void seededBgvBatchesRebuildTheExactCiphertexts(int level) {
    KeyGenerator kg = new KeyGenerator(params, backend, IoFixtures.deterministicRandom(25));
    List<Plaintext> pts = plaintexts(params, 1, 70, 26);
    try (BgvEncryptor enc = new BgvEncryptor(params, backend, kg.secretKey());
        BgvDecryptor dec = new BgvDecryptor(params, backend, kg.secretKey());
        CiphertextBatch fresh = enc.encrypt(pts, level)) {
      assertTrue(fresh.seed() != null);
      BfvFileWriter w = BfvFileWriter.inMemory();
      w.writeSeededCiphertexts(fresh);
      byte[] bytes = w.toByteArray();
      assertEquals(ObjectType.BGV_CIPHERTEXTS_SEEDED.code(), bytes[10]);
      long c0Bytes = (70L * params.n() * 31 * level + 7) / 8;
      assertEquals(BfvFileFormat.HEADER_BYTES + 8 + 4 + 32 + c0Bytes + 4, bytes.length, "c0 only, plus the factor and the seed");
      BfvFileWriter explicit = BfvFileWriter.inMemory();
      explicit.writeSeededCiphertexts(fresh, fresh.seed());
      assertArrayEquals(bytes, explicit.toByteArray(), "the seed given or taken from the batch: one record");
      try (BfvFileReader r = BfvFileReader.of(bytes, "memory"); CiphertextBatch back = r.readCiphertexts(params, backend, Scheme.BGV)) {
        r.finish();
        assertEquals(Scheme.BGV, back.scheme());
        assertEquals(1, back.correctionFactor());
        assertEquals(level, back.level());
        assertArrayEquals(download(fresh), download(back), "c1 regenerated from the seed must be the encryptor's, bit for bit");
        assertArrayEquals(slotsOf(params, pts), dec.decryptSlots(back));
      }
    }
    kg.secretKey().close();
  }

  @Test
  void compressedResultsOfBothSchemesRoundTripWithTheirFactor() {
    KeyGenerator kg = new KeyGenerator(params, backend, IoFixtures.deterministicRandom(27));
    List<Plaintext> pts = plaintexts(params, 0, 2, 28);
    long t = params.plainModulus(0).value();
    int bits = CompressedCiphertexts.minBits(params, 0) + 12;
    try (BgvRelinKeys rk = kg.createBgvRelinKeys();
        BgvEncryptor enc = new BgvEncryptor(params, backend, kg.secretKey());
        BgvEvaluator ev = new BgvEvaluator(params, backend);
        BgvDecryptor dec = new BgvDecryptor(params, backend, kg.secretKey());
        CiphertextBatch c = enc.encrypt(pts);
        CiphertextBatch sq = ev.square(c);
        CiphertextBatch relin = ev.relinearize(sq, rk);
        CiphertextBatch switched = ev.modSwitchToNext(relin)) {
      CompressedResults results = ev.compressForReturn(switched, bits);
      assertTrue(results.plainFactor() != 1, "BGV results carry a factor: " + results.plainFactor());
      BfvFileWriter w = BfvFileWriter.inMemory();
      w.writeCompressedResults(results);
      byte[] bytes = w.toByteArray();
      assertEquals(BfvFileFormat.compressedResultsRecordBytes(params, Scheme.BGV, bits, 2), bytes.length);
      CompressedResults back;
      try (BfvFileReader r = BfvFileReader.of(bytes, "memory")) {
        back = r.readCompressedResults(params, 2);
        r.finish();
      }
      assertEquals(Scheme.BGV, back.scheme());
      assertEquals(results.plainFactor(), back.plainFactor());
      assertEquals(results.plainIndex(), back.plainIndex());
      assertEquals(results.ciphertexts().bits(), back.ciphertexts().bits());
      assertArrayEquals(results.ciphertexts().values(), back.ciphertexts().values());
      assertArrayEquals(squared(slotsOf(params, pts), t), dec.decryptSlots(back));
      // The BFV reader of compressed ciphertexts refuses them: it would lose the factor.
      SerializationException e = assertThrows(SerializationException.class, () -> {
        try (BfvFileReader r = BfvFileReader.of(bytes, "memory")) {
          r.readCompressed(params);
        }
      });
      assertEquals(SerializationException.Code.WRONG_TYPE, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("found a compressed result ciphertexts with a result factor record"), e.getMessage());
      // BFV results: the COMPRESSED_RESULTS record, read back with factor 1.
      CompressedResults bfv = CompressedResults.of(Scheme.BFV, results.ciphertexts(), 1);
      byte[] bfvBytes = BfvFileWriter.inMemory().writeCompressedResults(bfv).toByteArray();
      assertArrayEquals(BfvFileWriter.inMemory().writeCompressed(results.ciphertexts()).toByteArray(), bfvBytes);
      try (BfvFileReader r = BfvFileReader.of(bfvBytes, "memory")) {
        CompressedResults bfvBack = r.readCompressedResults(params);
        r.finish();
        assertEquals(Scheme.BFV, bfvBack.scheme());
        assertEquals(1, bfvBack.plainFactor());
        assertArrayEquals(results.ciphertexts().values(), bfvBack.ciphertexts().values());
      }
    }
    kg.secretKey().close();
  }

  static SerializationException refusal(byte[] bytes, java.util.function.Consumer<BfvFileReader> read) {
    return assertThrows(SerializationException.class, () -> {
      try (BfvFileReader r = BfvFileReader.of(bytes, "memory")) {
        read.accept(r);
      }
    });
  }

  static void assertWrongType(SerializationException e, String fragment) {
    assertEquals(SerializationException.Code.WRONG_TYPE, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains(fragment), "message should mention '" + fragment + "': " + e.getMessage());
  }

  @Test
  void eachSchemesReadersRefuseTheOthersRecords() {
    try (PublicKey pk = IoFixtures.publicKey(params, backend);
        RelinKeys rk = IoFixtures.relinKeys(params, backend);
        BgvPublicKey bgvPk = IoFixtures.bgvPublicKey(params, backend);
        BgvRelinKeys bgvRk = IoFixtures.bgvRelinKeys(params, backend);
        CiphertextBatch bfvBatch = IoFixtures.fullBatch(params, backend);
        CiphertextBatch bfvSeeded = IoFixtures.seededBatch(params, backend);
        CiphertextBatch bgvBatch = IoFixtures.bgvBatch(params, backend);
        CiphertextBatch bgvSeeded = IoFixtures.bgvSeededBatch(params, backend)) {
      byte[] bgvBatchBytes = BfvFileWriter.inMemory().writeCiphertexts(bgvBatch).toByteArray();
      byte[] bgvSeededBytes = BfvFileWriter.inMemory().writeSeededCiphertexts(bgvSeeded, IoFixtures.seed()).toByteArray();
      byte[] bfvBatchBytes = BfvFileWriter.inMemory().writeCiphertexts(bfvBatch).toByteArray();
      byte[] bfvSeededBytes = BfvFileWriter.inMemory().writeSeededCiphertexts(bfvSeeded, IoFixtures.seed()).toByteArray();
      for (byte[] b : List.of(bgvBatchBytes, bgvSeededBytes)) {
        assertWrongType(refusal(b, r -> r.readCiphertexts(params, backend)), "BGV object where a BFV one was expected");
        assertWrongType(refusal(b, r -> r.readCiphertexts(params, backend, 2)), "found a");
        assertWrongType(refusal(b, r -> r.readCiphertexts(params, backend, Scheme.BFV, 2)), "BGV");
      }
      for (byte[] b : List.of(bfvBatchBytes, bfvSeededBytes)) {
        assertWrongType(refusal(b, r -> r.readCiphertexts(params, backend, Scheme.BGV, 2)), "BFV object where a BGV one was expected");
      }
      assertWrongType(refusal(BfvFileWriter.inMemory().writeBgvPublicKey(bgvPk).toByteArray(), r -> r.readPublicKey(params, backend)),
          "expected a public key record, found a BGV public key record");
      assertWrongType(refusal(BfvFileWriter.inMemory().writeBgvRelinKeys(bgvRk).toByteArray(), r -> r.readRelinKeys(params, backend)),
          "found a BGV relinearization keys record");
      assertWrongType(refusal(BfvFileWriter.inMemory().writePublicKey(pk).toByteArray(), r -> r.readBgvPublicKey(params, backend)),
          "expected a BGV public key record, found a public key record");
      assertWrongType(refusal(BfvFileWriter.inMemory().writeRelinKeys(rk).toByteArray(), r -> r.readBgvRelinKeys(params, backend)),
          "BFV object where a BGV one was expected");
      assertWrongType(refusal(BfvFileWriter.inMemory().writeBgvPublicKey(bgvPk).toByteArray(), r -> r.readBgvRelinKeys(params, backend)),
          "found a BGV public key record");
    }
  }

  @Test
  void bgvBatchesThatCannotBeWrittenAreRefused() {
    try (BgvEvaluator ev = new BgvEvaluator(params, backend); CiphertextBatch unwritten = ev.allocate(0, 2, 2, 1, true);
        CiphertextBatch unseeded = IoFixtures.bgvBatch(params, backend)) {
      SerializationException e = assertThrows(SerializationException.class, () -> BfvFileWriter.inMemory().writeCiphertexts(unwritten));
      assertEquals(SerializationException.Code.INVALID_FIELD, e.code());
      assertTrue(e.getMessage().contains("correction factor 0"), e.getMessage());
      e = assertThrows(SerializationException.class, () -> BfvFileWriter.inMemory().writeSeededCiphertexts(unseeded));
      assertEquals(SerializationException.Code.INVALID_FIELD, e.code());
      e = assertThrows(SerializationException.class, () -> BfvFileWriter.inMemory().writeSeededCiphertexts(unseeded, IoFixtures.seed()));
      assertEquals(SerializationException.Code.INVALID_FIELD, e.code(), "a size-3 batch cannot be seeded");
    }
  }

  @Test
  void uncommittedWriteLeavesNothingAndKeepsTheOldFile() throws Exception {
    Path file = tmp.resolve("evaluation.keys");
    Files.writeString(file, "old content");
    try (BfvFileWriter w = BfvFileWriter.create(file, BfvFileWriter.Access.PUBLIC)) {
      w.writeParameters(params);
      // No commit: as if the program failed half way.
    }
    assertEquals("old content", Files.readString(file));
    try (Stream<Path> files = Files.list(tmp)) {
      assertEquals(List.of(file), files.toList(), "no temporary file left behind");
    }
    try (BfvFileWriter w = BfvFileWriter.create(file, BfvFileWriter.Access.PUBLIC)) {
      w.writeParameters(params);
      w.commit();
      assertEquals(w.bytesWritten(), Files.size(file));
    }
    try (BfvFileReader r = BfvFileReader.open(file)) {
      assertEquals(params, r.readParameters());
    }
  }

  @Test
  void writerIntoAMissingFolderFailsClearly() {
    SerializationException e = assertThrows(SerializationException.class,
        () -> BfvFileWriter.create(tmp.resolve("no/such/folder/x.keys"), BfvFileWriter.Access.PUBLIC));
    assertEquals(SerializationException.Code.IO_ERROR, e.code());
  }

  @Test
  void publicFilesAreWorldReadable() throws Exception {
    Path file = tmp.resolve("p.keys");
    Assumptions.assumeTrue(Files.getFileStore(tmp).supportsFileAttributeView("posix"));
    try (BfvFileWriter w = BfvFileWriter.create(file, BfvFileWriter.Access.PUBLIC)) {
      w.writeParameters(params).commit();
    }
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
  }
}
