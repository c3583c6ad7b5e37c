package org.cryptonets.bfv.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.BgvPublicKey;
import org.cryptonets.bfv.BgvRelinKeys;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.CompressedResults;
import org.cryptonets.bfv.PublicKey;
import org.cryptonets.bfv.RelinKeys;
import org.cryptonets.bfv.Scheme;
import org.cryptonets.bfv.SecretKey;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Freezes format version 1: fixed objects (insecure toy parameters n = 1024, SecurityLevel.NONE,
 * contents from fixed seeds, see {@link IoFixtures}) must serialize to bytes with exactly these
 * SHA-256 hashes. Any change to the layout, the packing, the field order or the checksum fails here;
 * a deliberate change must raise {@link BfvFileFormat#VERSION} and update the hashes. The BGV
 * records (codes 10 to 14) are frozen the same way, from fixed BGV keys, batches (one with
 * correction factor 12345, one seeded at level 2) and results with factor 4321.
 */
class GoldenFormatTest {
  static Backend backend;
  static BfvParameters params;

  @BeforeAll
  static void setUp() {
    backend = Backends.open("cpu");
    params = IoFixtures.toy();
  }

  @AfterAll
  static void tearDown() {
    backend.close();
  }

  static Stream<Arguments> objects() {
    return Stream.of(
        Arguments.of("parameters", "e14f4e201d662fbc1c78a367c5c9c2e15f9b6c038dfd66d1c2bdfff10b8295c3", (BiConsumer<BfvFileWriter, Backend>) (w, b) -> w.writeParameters(params)),
        Arguments.of("attributes", "87490f5c820d434544f03357c30d5fed4d0880d2a627e3f56833124ce108c62e", (BiConsumer<BfvFileWriter, Backend>) (w, b) -> w.writeAttributes(params, IoFixtures.attributes())),
        Arguments.of("public key", "5bb4184117b9f9ec31764dcff3d47e1da1717f5884435f01ae28303bc8ec4d02", (BiConsumer<BfvFileWriter, Backend>) (w, b) -> {
          try (PublicKey k = IoFixtures.publicKey(params, b)) {
            w.writePublicKey(k);
          }
        }),
        Arguments.of("relinearization keys", "2a463f20b2088852f0b70568700c5a02e63faa74251017759e56119ab782d041", (BiConsumer<BfvFileWriter, Backend>) (w, b) -> {
          try (RelinKeys k = IoFixtures.relinKeys(params, b)) {
            w.writeRelinKeys(k);
          }
        }),
        Arguments.of("secret key", "dad2d23d1cecbe771dc1a56bdc21b9cbcea8d14da91af0ec4ddd340d5f588b11", (BiConsumer<BfvFileWriter, Backend>) (w, b) -> {
          try (SecretKey k = IoFixtures.secretKey(params, b)) {
            w.writeSecretKey(k);
          }
        }),
        Arguments.of("ciphertext batch", "b1cb757658729333c08b83eeb5f792eae468d71792d2d2def8b4440e20d4506f", (BiConsumer<BfvFileWriter, Backend>) (w, b) -> {
          try (CiphertextBatch c = IoFixtures.fullBatch(params, b)) {
            w.writeCiphertexts(c);
          }
        }),
        Arguments.of("seeded ciphertext batch", "00e85630bad49eef3f8dd6d96a3dd8f068ccd4f21b40eac014d9a2468d929c08", (BiConsumer<BfvFileWriter, Backend>) (w, b) -> {
          try (CiphertextBatch c = IoFixtures.seededBatch(params, b)) {
            w.writeSeededCiphertexts(c, IoFixtures.seed());
          }
        }),
        Arguments.of("compressed results", "ed925094c31e4b79e526cd973ffc35a9053d219e13b1a950dbe84ad6fdeae375", (BiConsumer<BfvFileWriter, Backend>) (w, b) -> w.writeCompressed(IoFixtures.compressed(params))),
        // BGV records (codes 10 to 14).
        Arguments.of("BGV public key", "942105e586ddc650674a9f6ae80727eb42c122cd206566069752861698617de9", (BiConsumer<BfvFileWriter, Backend>) (w, b) -> {
          try (BgvPublicKey k = IoFixtures.bgvPublicKey(params, b)) {
            w.writeBgvPublicKey(k);
          }
        }),
        Arguments.of("BGV relinearization keys", "44819994e70ee23d114d849ee26f48f608098ecf89cd2ced3ef5a41ec277a439", (BiConsumer<BfvFileWriter, Backend>) (w, b) -> {
          try (BgvRelinKeys k = IoFixtures.bgvRelinKeys(params, b)) {
            w.writeBgvRelinKeys(k);
          }
        }),
        Arguments.of("BGV ciphertext batch", "4124d5ee388f6e938f42d28ac6db46e1e3ab3e955331fe6064dcde2f7439d3b5", (BiConsumer<BfvFileWriter, Backend>) (w, b) -> {
          try (CiphertextBatch c = IoFixtures.bgvBatch(params, b)) {
            w.writeCiphertexts(c);
          }
        }),
        Arguments.of("seeded BGV ciphertext batch", "1d9045699f551b2e105452689e7ac693ab5b82bf3f9660fcc8ec03eed915a30c", (BiConsumer<BfvFileWriter, Backend>) (w, b) -> {
          try (CiphertextBatch c = IoFixtures.bgvSeededBatch(params, b)) {
            w.writeSeededCiphertexts(c, IoFixtures.seed());
          }
        }),
        Arguments.of("BGV compressed results", "76dea18b45b7ec884311ae403a2d52a7229500626d008dd4085c9870fee30d91", (BiConsumer<BfvFileWriter, Backend>) (w, b) -> w.writeCompressedResults(IoFixtures.bgvResults(params))),
        // BFV results through writeCompressedResults: the very bytes of writeCompressed.
        Arguments.of("BFV results as CompressedResults", "ed925094c31e4b79e526cd973ffc35a9053d219e13b1a950dbe84ad6fdeae375",
            (BiConsumer<BfvFileWriter, Backend>) (w, b) -> w.writeCompressedResults(CompressedResults.of(Scheme.BFV, IoFixtures.compressed(params), 1))));
  }

  /** A record's header fields and the first payload bytes, little-endian. */
  static ByteBuffer le(byte[] b) {
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
  }

  static byte[] written(java.util.function.Consumer<BfvFileWriter> write) {
    BfvFileWriter w = BfvFileWriter.inMemory();
    write.accept(w);
    return w.toByteArray();
  }

  /**
   * The BGV records follow the layout {@link BfvFileFormat} documents, field by field, so the
   * frozen hashes above pin that layout and not an accident of the writer.
   */
  @Test
  void bgvRecordsHaveTheDocumentedLayout() {
    int n = params.n();
    int k = params.plainModuli().size();
    int top = params.maxLevel();
    long bitsTop = 31L * top;
    try (BgvPublicKey pk = IoFixtures.bgvPublicKey(params, backend); BgvRelinKeys rk = IoFixtures.bgvRelinKeys(params, backend);
        CiphertextBatch full = IoFixtures.bgvBatch(params, backend); CiphertextBatch seeded = IoFixtures.bgvSeededBatch(params, backend)) {
      // Keys: the key descriptor (255, top, 2, NTT, pairs), then the residues.
      byte[] pkBytes = written(w -> w.writeBgvPublicKey(pk));
      assertRecord(pkBytes, ObjectType.BGV_PUBLIC_KEY, 8 + (2L * k * n * bitsTop + 7) / 8);
      assertDescriptor(pkBytes, 255, top, 2, 1, k);
      byte[] rkBytes = written(w -> w.writeBgvRelinKeys(rk));
      assertRecord(rkBytes, ObjectType.BGV_RELIN_KEYS, 8 + (2L * k * top * n * bitsTop + 7) / 8);
      assertDescriptor(rkBytes, 255, top, 2, 1, k * top);
      // Full batch: descriptor, u32 factor, residues.
      byte[] batch = written(w -> w.writeCiphertexts(full));
      assertRecord(batch, ObjectType.BGV_CIPHERTEXTS, 8 + 4 + (2L * 3 * n * 31 * 2 + 7) / 8);
      assertDescriptor(batch, 1, 2, 3, 1, 2);
      assertEquals(IoFixtures.BGV_FACTOR, le(batch).getInt(60) & 0xFFFFFFFFL);
      // Seeded batch: descriptor, u32 factor, seed, c0 residues.
      byte[] seededBytes = written(w -> w.writeSeededCiphertexts(seeded, IoFixtures.seed()));
      assertRecord(seededBytes, ObjectType.BGV_CIPHERTEXTS_SEEDED, 8 + 4 + 32 + (2L * n * 31 * 2 + 7) / 8);
      assertDescriptor(seededBytes, 0, 2, 2, 1, 2);
      assertEquals(1, le(seededBytes).getInt(60));
      assertArrayEquals(IoFixtures.seed(), Arrays.copyOfRange(seededBytes, 64, 96));
      // Factored results: the compressed descriptor, u32 g, then exactly the values of COMPRESSED_RESULTS.
      byte[] results = written(w -> w.writeCompressedResults(IoFixtures.bgvResults(params)));
      byte[] plain = written(w -> w.writeCompressed(IoFixtures.compressed(params)));
      assertRecord(results, ObjectType.COMPRESSED_RESULTS_FACTORED, 8 + 4 + (2L * 3 * n * 24 + 7) / 8);
      assertEquals(BfvFileFormat.compressedResultsRecordBytes(params, Scheme.BGV, 24, 3), results.length);
      assertArrayEquals(Arrays.copyOfRange(plain, 52, 60), Arrays.copyOfRange(results, 52, 60));
      assertEquals(IoFixtures.RESULT_FACTOR, le(results).getInt(60) & 0xFFFFFFFFL);
      assertArrayEquals(Arrays.copyOfRange(plain, 60, plain.length - 4), Arrays.copyOfRange(results, 64, results.length - 4));
    }
  }

  static void assertRecord(byte[] record, ObjectType type, long payload) {
    assertEquals(type.code(), le(record).getShort(10));
    assertEquals(payload, le(record).getLong(44), type + " payload");
    assertEquals(BfvFileFormat.HEADER_BYTES + payload + BfvFileFormat.TRAILER_BYTES, record.length, type + " record");
  }

  static void assertDescriptor(byte[] record, int plainIndex, int level, int size, int form, int count) {
    assertEquals(plainIndex, record[52] & 0xFF, "plaintext index");
    assertEquals(level, record[53] & 0xFF, "level");
    assertEquals(size, record[54] & 0xFF, "size");
    assertEquals(form, record[55] & 0xFF, "form");
    assertEquals(count, le(record).getInt(56), "count");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("objects")
  void bytesAreFrozen(String name, String expectedSha256, BiConsumer<BfvFileWriter, Backend> write) throws Exception {
    BfvFileWriter w = BfvFileWriter.inMemory();
    write.accept(w, backend);
    byte[] bytes = w.toByteArray();
    String actual = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    assertEquals(expectedSha256, actual, name + ": the serialized bytes changed; format version " + BfvFileFormat.VERSION + " is frozen");
  }
}
