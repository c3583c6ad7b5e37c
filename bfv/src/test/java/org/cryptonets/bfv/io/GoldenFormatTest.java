package org.cryptonets.bfv.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.PublicKey;
import org.cryptonets.bfv.RelinKeys;
import org.cryptonets.bfv.SecretKey;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Freezes format version 1: fixed objects (insecure toy parameters n = 1024, SecurityLevel.NONE,
 * contents from fixed seeds, see {@link IoFixtures}) must serialize to bytes with exactly these
 * SHA-256 hashes. Any change to the layout, the packing, the field order or the checksum fails here;
 * a deliberate change must raise {@link BfvFileFormat#VERSION} and update the hashes.
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
        Arguments.of("compressed results", "ed925094c31e4b79e526cd973ffc35a9053d219e13b1a950dbe84ad6fdeae375", (BiConsumer<BfvFileWriter, Backend>) (w, b) -> w.writeCompressed(IoFixtures.compressed(params))));
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
