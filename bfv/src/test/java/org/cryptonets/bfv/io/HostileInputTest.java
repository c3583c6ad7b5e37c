package org.cryptonets.bfv.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.BgvPublicKey;
import org.cryptonets.bfv.BgvRelinKeys;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.PublicKey;
import org.cryptonets.bfv.RelinKeys;
import org.cryptonets.bfv.Scheme;
import org.cryptonets.bfv.SecretKey;
import org.cryptonets.bfv.io.SerializationException.Code;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.Backends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each kind of hostile or damaged input gets its own error code and a message that says what was
 * found and what was expected, and no object is returned. "Checksum fixed" cases recompute the
 * CRC after the edit, as an attacker (not a damaged disk) would, so the deeper checks are reached.
 */
class HostileInputTest {
  static Backend backend;
  static BfvParameters params;
  static BfvParameters other;
  static byte[] keysFile;
  static byte[] batchFile;
  static byte[] seededFile;
  static byte[] otherBatchFile;
  static byte[] secretFile;
  static byte[] otherParamsFile;
  static byte[] compressedFile;
  static byte[] bgvKeysFile;
  static byte[] bgvBatchFile;
  static byte[] bgvSeededFile;
  static byte[] factoredFile;

  /** Offsets in a record: header fields, then the descriptor of polynomial records. */
  static final int VERSION = 8;
  static final int TYPE = 10;
  static final int FINGERPRINT = 12;
  static final int LENGTH = 44;
  static final int PAYLOAD = 52;
  static final int PLAIN_INDEX = 52;
  static final int LEVEL = 53;
  static final int SIZE = 54;
  static final int FORM = 55;
  static final int COUNT = 56;
  static final int RESIDUES = 60;
  /** The u32 factor of BGV batch and factored results records, after the descriptor. */
  static final int FACTOR = 60;
  static final int BGV_RESIDUES = 64;
  static final int BGV_SEEDED_RESIDUES = 96;

  @BeforeAll
  static void setUp() {
    backend = Backends.open("cpu");
    params = IoFixtures.toy();
    other = IoFixtures.otherToy();
    try (PublicKey pk = IoFixtures.publicKey(params, backend);
        RelinKeys rk = IoFixtures.relinKeys(params, backend);
        SecretKey sk = IoFixtures.secretKey(params, backend);
        CiphertextBatch full = IoFixtures.fullBatch(params, backend);
        CiphertextBatch seeded = IoFixtures.seededBatch(params, backend);
        CiphertextBatch otherFull = IoFixtures.fullBatch(other, backend)) {
      keysFile = bytes(w -> w.writeParameters(params).writeAttributes(params, IoFixtures.attributes()).writePublicKey(pk).writeRelinKeys(rk));
      batchFile = bytes(w -> w.writeCiphertexts(full));
      seededFile = bytes(w -> w.writeSeededCiphertexts(seeded, IoFixtures.seed()));
      otherBatchFile = bytes(w -> w.writeCiphertexts(otherFull));
      secretFile = bytes(w -> w.writeParameters(params).writeSecretKey(sk));
      otherParamsFile = bytes(w -> w.writeParameters(other));
      compressedFile = bytes(w -> w.writeCompressed(IoFixtures.compressed(params)));
    }
    try (BgvPublicKey pk = IoFixtures.bgvPublicKey(params, backend);
        BgvRelinKeys rk = IoFixtures.bgvRelinKeys(params, backend);
        CiphertextBatch full = IoFixtures.bgvBatch(params, backend);
        CiphertextBatch seeded = IoFixtures.bgvSeededBatch(params, backend)) {
      bgvKeysFile = bytes(w -> w.writeParameters(params).writeBgvPublicKey(pk).writeBgvRelinKeys(rk));
      bgvBatchFile = bytes(w -> w.writeCiphertexts(full));
      bgvSeededFile = bytes(w -> w.writeSeededCiphertexts(seeded, IoFixtures.seed()));
      factoredFile = bytes(w -> w.writeCompressedResults(IoFixtures.bgvResults(params)));
    }
  }

  @AfterAll
  static void tearDown() {
    backend.close();
  }

  static byte[] bytes(Consumer<BfvFileWriter> write) {
    BfvFileWriter w = BfvFileWriter.inMemory();
    write.accept(w);
    return w.toByteArray();
  }

  // ---- what each case reads ----

  static void readKeys(BfvFileReader r) {
    BfvParameters p = r.readParameters();
    r.readAttributes(p);
    r.readPublicKey(p, backend).close();
    r.readRelinKeys(p, backend).close();
    r.finish();
  }

  static void readBatch(BfvFileReader r) {
    r.readCiphertexts(params, backend).close();
    r.finish();
  }

  static void readSecret(BfvFileReader r) {
    BfvParameters p = r.readParameters(params);
    r.readSecretKey(p, backend).close();
    r.finish();
  }

  static void readCompressed(BfvFileReader r) {
    r.readCompressed(params);
    r.finish();
  }

  static void readBgvKeys(BfvFileReader r) {
    BfvParameters p = r.readParameters();
    r.readBgvPublicKey(p, backend).close();
    r.readBgvRelinKeys(p, backend).close();
    r.finish();
  }

  static void readBgvBatch(BfvFileReader r) {
    r.readCiphertexts(params, backend, Scheme.BGV).close();
    r.finish();
  }

  static void readResults(BfvFileReader r) {
    r.readCompressedResults(params);
    r.finish();
  }

  // ---- edits ----

  static byte[] edit(byte[] original, Consumer<ByteBuffer> change) {
    byte[] b = original.clone();
    change.accept(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN));
    return b;
  }

  /** An edit followed by a recomputed checksum of the record at {@code record}. */
  static byte[] forged(byte[] original, int record, Consumer<ByteBuffer> change) {
    byte[] b = edit(original, change);
    IoFixtures.fixChecksum(b, record);
    return b;
  }

  /** The single record of {@code original} re-framed with its payload cut by one byte. */
  static byte[] shortenedPayload(byte[] original) {
    long payload = ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getLong(LENGTH);
    byte[] b = Arrays.copyOf(original, (int) (PAYLOAD + payload - 1 + 4));
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(LENGTH, payload - 1);
    IoFixtures.fixChecksum(b, 0);
    return b;
  }

  static byte[] idxImageFile() {
    ByteBuffer b = ByteBuffer.allocate(16 + 784).order(ByteOrder.BIG_ENDIAN);
    b.putInt(0x00000803).putInt(1).putInt(28).putInt(28);
    return b.array();
  }

  /** Offset of the first attribute's key bytes in the keys file (after params record, count, key length). */
  static int firstAttributeKey() {
    return IoFixtures.nextRecord(keysFile, 0) + PAYLOAD + 4 + 2;
  }

  /** Plaintext prime t_j of the toy parameters. */
  static long t(int j) {
    return params.plainModulus(j).value();
  }

  static Arguments c(String name, Supplier<byte[]> file, Consumer<BfvFileReader> read, Code code, String fragment) {
    return Arguments.of(name, file, read, code, fragment);
  }

  static Stream<Arguments> cases() {
    int attrs = IoFixtures.nextRecord(keysFile, 0);
    int pkRecord = IoFixtures.nextRecord(keysFile, attrs);
    int skRecord = IoFixtures.nextRecord(secretFile, 0);
    return Stream.of(
        c("empty file", () -> new byte[0], HostileInputTest::readBatch, Code.TRUNCATED, "the end of the file"),
        c("cut inside the header", () -> Arrays.copyOf(batchFile, 30), HostileInputTest::readBatch, Code.TRUNCATED, "only 30 bytes"),
        c("cut inside the payload", () -> Arrays.copyOf(batchFile, batchFile.length - 100), HostileInputTest::readBatch, Code.TRUNCATED, "truncated"),
        c("cut inside the checksum", () -> Arrays.copyOf(batchFile, batchFile.length - 2), HostileInputTest::readBatch, Code.TRUNCATED, "truncated"),
        c("keys file cut after the public key", () -> Arrays.copyOf(keysFile, IoFixtures.nextRecord(keysFile, pkRecord)), HostileInputTest::readKeys,
            Code.TRUNCATED, "relinearization keys"),
        c("wrong magic", () -> edit(batchFile, b -> b.put(1, (byte) 'X')), HostileInputTest::readBatch, Code.BAD_MAGIC, "expected the magic number"),
        c("an MNIST IDX image file", HostileInputTest::idxImageFile, HostileInputTest::readBatch, Code.BAD_MAGIC, "MNIST IDX"),
        c("CR LF turned into LF in transit", () -> {
          byte[] b = new byte[batchFile.length - 1];
          System.arraycopy(batchFile, 0, b, 0, 6);
          System.arraycopy(batchFile, 7, b, 6, b.length - 6);
          return b;
        }, HostileInputTest::readBatch, Code.BAD_MAGIC, "found 89 43 4e 42 46 56 0a"),
        c("text instead of a key file", () -> "hello, this is not a key file at all, but it is long enough".getBytes(StandardCharsets.US_ASCII),
            HostileInputTest::readKeys, Code.BAD_MAGIC, "CryptoNets BFV file"),
        c("format version 2", () -> edit(batchFile, b -> b.putShort(VERSION, (short) 2)), HostileInputTest::readBatch, Code.UNSUPPORTED_VERSION,
            "this program reads version 1"),
        c("flipped bit in a residue", () -> edit(batchFile, b -> b.put(batchFile.length / 2, (byte) (b.get(batchFile.length / 2) ^ 0x10))),
            HostileInputTest::readBatch, Code.CHECKSUM_MISMATCH, "damaged"),
        c("flipped bit in the fingerprint", () -> edit(batchFile, b -> b.put(FINGERPRINT + 9, (byte) (b.get(FINGERPRINT + 9) ^ 1))),
            HostileInputTest::readBatch, Code.CHECKSUM_MISMATCH, "damaged"),
        c("flipped bit in the type", () -> edit(batchFile, b -> b.put(TYPE, (byte) (b.get(TYPE) ^ 4))), HostileInputTest::readBatch, Code.CHECKSUM_MISMATCH,
            "damaged"),
        c("flipped bit in the checksum", () -> edit(batchFile, b -> b.put(batchFile.length - 1, (byte) (b.get(batchFile.length - 1) ^ 0x80))),
            HostileInputTest::readBatch, Code.CHECKSUM_MISMATCH, "damaged"),
        c("flipped bit in a secret key", () -> edit(secretFile, b -> b.put(skRecord + PAYLOAD + 3, (byte) (b.get(skRecord + PAYLOAD + 3) ^ 2))),
            HostileInputTest::readSecret, Code.CHECKSUM_MISMATCH, "damaged"),
        c("a public key where ciphertexts belong", () -> Arrays.copyOfRange(keysFile, pkRecord, IoFixtures.nextRecord(keysFile, pkRecord)),
            HostileInputTest::readBatch, Code.WRONG_TYPE, "found a public key record"),
        c("ciphertexts where the parameters belong", () -> batchFile, HostileInputTest::readKeys, Code.WRONG_TYPE, "expected a parameters record"),
        c("unknown type code, checksum fixed", () -> forged(batchFile, 0, b -> b.putShort(TYPE, (short) 99)), HostileInputTest::readBatch, Code.WRONG_TYPE,
            "unknown object type code 99"),
        c("ciphertexts under other parameters", () -> otherBatchFile, HostileInputTest::readBatch, Code.PARAMETER_MISMATCH, "expected"),
        c("secret key file of other parameters", () -> otherParamsFile, HostileInputTest::readSecret, Code.PARAMETER_MISMATCH, "expected"),
        c("residue equal to q_0, checksum fixed", () -> forged(batchFile, 0, b -> b.putInt(RESIDUES,
            (b.getInt(RESIDUES) & 0x80000000) | (int) params.coeffBasis().modulus(0).value())), HostileInputTest::readBatch, Code.COEFFICIENT_OUT_OF_RANGE,
            "is not below q_0"),
        c("residue 2^31 - 1, checksum fixed", () -> forged(seededFile, 0, b -> b.putInt(RESIDUES + 32, b.getInt(RESIDUES + 32) | 0x7FFFFFFF)),
            HostileInputTest::readBatch, Code.COEFFICIENT_OUT_OF_RANGE, "2147483647 is not below q_0"),
        c("relinearization key residue above q, checksum fixed", () -> {
          int rk = IoFixtures.nextRecord(keysFile, pkRecord);
          return forged(keysFile, rk, b -> b.putInt(rk + RESIDUES, -1));
        }, HostileInputTest::readKeys, Code.COEFFICIENT_OUT_OF_RANGE, "not below q_0"),
        c("secret key code 3, checksum fixed", () -> forged(secretFile, skRecord, b -> b.put(skRecord + PAYLOAD, (byte) 0xFF)), HostileInputTest::readSecret,
            Code.COEFFICIENT_OUT_OF_RANGE, "code 3"),
        c("length field 2^62", () -> edit(batchFile, b -> b.putLong(LENGTH, 1L << 62)), HostileInputTest::readBatch, Code.LENGTH_OUT_OF_RANGE,
            "beyond the format's limit"),
        c("length field 2^64 - 1", () -> edit(batchFile, b -> b.putLong(LENGTH, -1L)), HostileInputTest::readBatch, Code.LENGTH_OUT_OF_RANGE,
            "18446744073709551615"),
        c("length field beyond the file", () -> edit(batchFile, b -> b.putLong(LENGTH, batchFile.length + 1000L)), HostileInputTest::readBatch,
            Code.TRUNCATED, "truncated or the length is corrupt"),
        c("payload one byte short, checksum fixed", () -> shortenedPayload(batchFile), HostileInputTest::readBatch, Code.LENGTH_OUT_OF_RANGE,
            "need exactly"),
        c("count one more than the payload holds, checksum fixed", () -> forged(batchFile, 0, b -> b.putInt(COUNT, b.getInt(COUNT) + 1)),
            HostileInputTest::readBatch, Code.LENGTH_OUT_OF_RANGE, "need exactly"),
        c("count 2^31, checksum fixed", () -> forged(batchFile, 0, b -> b.putInt(COUNT, Integer.MIN_VALUE)), HostileInputTest::readBatch,
            Code.INVALID_FIELD, "count 2147483648"),
        c("count 0, checksum fixed", () -> forged(batchFile, 0, b -> b.putInt(COUNT, 0)), HostileInputTest::readBatch, Code.INVALID_FIELD, "count 0"),
        c("level 9, checksum fixed", () -> forged(batchFile, 0, b -> b.put(LEVEL, (byte) 9)), HostileInputTest::readBatch, Code.INVALID_FIELD, "level 9"),
        c("plaintext index 5, checksum fixed", () -> forged(batchFile, 0, b -> b.put(PLAIN_INDEX, (byte) 5)), HostileInputTest::readBatch,
            Code.INVALID_FIELD, "plaintext index 5"),
        c("ciphertext size 4, checksum fixed", () -> forged(batchFile, 0, b -> b.put(SIZE, (byte) 4)), HostileInputTest::readBatch, Code.INVALID_FIELD,
            "size 4"),
        c("seeded batch of size 3, checksum fixed", () -> forged(seededFile, 0, b -> b.put(SIZE, (byte) 3)), HostileInputTest::readBatch,
            Code.INVALID_FIELD, "2 for a seeded batch"),
        c("form code 7, checksum fixed", () -> forged(batchFile, 0, b -> b.put(FORM, (byte) 7)), HostileInputTest::readBatch, Code.INVALID_FIELD,
            "form code 7"),
        c("public key with two parts, checksum fixed", () -> forged(keysFile, pkRecord, b -> b.putInt(pkRecord + COUNT, 2)), HostileInputTest::readKeys,
            Code.INVALID_FIELD, "a key has"),
        c("attribute key with a capital letter, checksum fixed", () -> forged(keysFile, attrs, b -> b.put(firstAttributeKey(), (byte) 'F')),
            HostileInputTest::readKeys, Code.INVALID_FIELD, "[a-z0-9._-]"),
        c("attribute keys out of order, checksum fixed", () -> forged(keysFile, attrs, b -> b.put(firstAttributeKey(), (byte) 'z')),
            HostileInputTest::readKeys, Code.INVALID_FIELD, "sorted"),
        c("attribute value with an escape character, checksum fixed", () -> forged(keysFile, attrs, b -> b.put(firstAttributeKey() + 4 + 2, (byte) 0x1B)),
            HostileInputTest::readKeys, Code.INVALID_FIELD, "printable ASCII"),
        c("attribute count 1000, checksum fixed", () -> forged(keysFile, attrs, b -> b.putInt(attrs + PAYLOAD, 1000)), HostileInputTest::readKeys,
            Code.INVALID_FIELD, "1000 attributes"),
        c("ciphertext prime that is not prime, checksum fixed", () -> forged(keysFile, 0, b -> b.putLong(PAYLOAD + 8, b.getLong(PAYLOAD + 8) + 2)),
            HostileInputTest::readKeys, Code.INVALID_PARAMETERS, "not prime"),
        c("ring degree 1000, checksum fixed", () -> forged(keysFile, 0, b -> b.putInt(PAYLOAD, 1000)), HostileInputTest::readKeys,
            Code.INVALID_PARAMETERS, "power of two"),
        c("17 ciphertext primes claimed, checksum fixed", () -> forged(keysFile, 0, b -> b.put(PAYLOAD + 5, (byte) 17)), HostileInputTest::readKeys,
            Code.INVALID_FIELD, "17 ciphertext"),
        c("parameters under another fingerprint, checksum fixed", () -> forged(keysFile, 0, b -> b.position(FINGERPRINT).put(otherParamsFile, FINGERPRINT, 32)),
            HostileInputTest::readKeys, Code.PARAMETER_MISMATCH, "is not that of the parameters in the record"),
        c("compressed results at 2^70, checksum fixed", () -> forged(compressedFile, 0, b -> b.put(PAYLOAD + 1, (byte) 70)),
            HostileInputTest::readCompressed, Code.INVALID_FIELD, "modulus 2^70"),
        // BGV records
        c("BGV correction factor 0, checksum fixed", () -> forged(bgvBatchFile, 0, b -> b.putInt(FACTOR, 0)), HostileInputTest::readBgvBatch,
            Code.INVALID_FIELD, "correction factor 0; expected 1 to " + (t(1) - 1)),
        c("BGV correction factor t, checksum fixed", () -> forged(bgvBatchFile, 0, b -> b.putInt(FACTOR, (int) t(1))), HostileInputTest::readBgvBatch,
            Code.INVALID_FIELD, "correction factor " + t(1) + ";"),
        c("BGV correction factor 2^32 - 1, checksum fixed", () -> forged(bgvBatchFile, 0, b -> b.putInt(FACTOR, -1)), HostileInputTest::readBgvBatch,
            Code.INVALID_FIELD, "correction factor 4294967295"),
        c("seeded BGV correction factor t, checksum fixed", () -> forged(bgvSeededFile, 0, b -> b.putInt(FACTOR, (int) t(0))), HostileInputTest::readBgvBatch,
            Code.INVALID_FIELD, "correction factor " + t(0) + ";"),
        c("BGV batch in coefficient form, checksum fixed", () -> forged(bgvBatchFile, 0, b -> b.put(FORM, (byte) 0)), HostileInputTest::readBgvBatch,
            Code.INVALID_FIELD, "a BGV batch is stored in NTT form"),
        c("seeded BGV batch in coefficient form, checksum fixed", () -> forged(bgvSeededFile, 0, b -> b.put(FORM, (byte) 0)), HostileInputTest::readBgvBatch,
            Code.INVALID_FIELD, "a BGV batch is stored in NTT form"),
        c("BGV count one more than the payload holds, checksum fixed", () -> forged(bgvBatchFile, 0, b -> b.putInt(COUNT, b.getInt(COUNT) + 1)),
            HostileInputTest::readBgvBatch, Code.LENGTH_OUT_OF_RANGE, "need exactly"),
        c("seeded BGV count one more than the payload holds, checksum fixed", () -> forged(bgvSeededFile, 0, b -> b.putInt(COUNT, b.getInt(COUNT) + 1)),
            HostileInputTest::readBgvBatch, Code.LENGTH_OUT_OF_RANGE, "need exactly"),
        c("BGV count 2^31, checksum fixed", () -> forged(bgvBatchFile, 0, b -> b.putInt(COUNT, Integer.MIN_VALUE)), HostileInputTest::readBgvBatch,
            Code.INVALID_FIELD, "count 2147483648"),
        c("BGV payload one byte short, checksum fixed", () -> shortenedPayload(bgvBatchFile), HostileInputTest::readBgvBatch, Code.LENGTH_OUT_OF_RANGE,
            "need exactly"),
        c("seeded BGV batch of size 3, checksum fixed", () -> forged(bgvSeededFile, 0, b -> b.put(SIZE, (byte) 3)), HostileInputTest::readBgvBatch,
            Code.INVALID_FIELD, "2 for a seeded batch"),
        c("BGV plaintext index 2, checksum fixed", () -> forged(bgvBatchFile, 0, b -> b.put(PLAIN_INDEX, (byte) 2)), HostileInputTest::readBgvBatch,
            Code.INVALID_FIELD, "plaintext index 2"),
        c("BGV residue equal to q_0, checksum fixed", () -> forged(bgvBatchFile, 0, b -> b.putInt(BGV_RESIDUES,
            (b.getInt(BGV_RESIDUES) & 0x80000000) | (int) params.coeffBasis().modulus(0).value())), HostileInputTest::readBgvBatch,
            Code.COEFFICIENT_OUT_OF_RANGE, "is not below q_0"),
        c("seeded BGV residue 2^31 - 1, checksum fixed", () -> forged(bgvSeededFile, 0, b -> b.putInt(BGV_SEEDED_RESIDUES, b.getInt(BGV_SEEDED_RESIDUES) | 0x7FFFFFFF)),
            HostileInputTest::readBgvBatch, Code.COEFFICIENT_OUT_OF_RANGE, "2147483647 is not below q_0"),
        c("a BGV batch read as BFV", () -> bgvBatchFile, HostileInputTest::readBatch, Code.WRONG_TYPE, "found a BGV ciphertext batch record"),
        c("a seeded BGV batch read as BFV", () -> bgvSeededFile, HostileInputTest::readBatch, Code.WRONG_TYPE, "BGV object where a BFV one was expected"),
        c("a BFV batch read as BGV", () -> batchFile, HostileInputTest::readBgvBatch, Code.WRONG_TYPE, "BFV object where a BGV one was expected"),
        c("a seeded BFV batch read as BGV", () -> seededFile, HostileInputTest::readBgvBatch, Code.WRONG_TYPE, "found a seeded ciphertext batch record"),
        c("BFV keys read as BGV keys", () -> keysFile, HostileInputTest::readBgvKeys, Code.WRONG_TYPE, "expected a BGV public key record"),
        c("BGV keys read as BFV keys", () -> bgvKeysFile, HostileInputTest::readKeys, Code.WRONG_TYPE, "expected an attributes record"),
        c("BGV public key with one pair, checksum fixed", () -> forged(bgvKeysFile, IoFixtures.nextRecord(bgvKeysFile, 0),
            b -> b.putInt(IoFixtures.nextRecord(bgvKeysFile, 0) + COUNT, 1)), HostileInputTest::readBgvKeys, Code.INVALID_FIELD, "a key has (255, 3, 2, 1 = NTT, 2)"),
        c("BGV relinearization keys with BFV's count, checksum fixed", () -> {
          int rk = IoFixtures.nextRecord(bgvKeysFile, IoFixtures.nextRecord(bgvKeysFile, 0));
          return forged(bgvKeysFile, rk, b -> b.putInt(rk + COUNT, params.maxLevel()));
        }, HostileInputTest::readBgvKeys, Code.INVALID_FIELD, "a key has (255, 3, 2, 1 = NTT, 6)"),
        c("BGV relinearization key residue above q, checksum fixed", () -> {
          int rk = IoFixtures.nextRecord(bgvKeysFile, IoFixtures.nextRecord(bgvKeysFile, 0));
          return forged(bgvKeysFile, rk, b -> b.putInt(rk + RESIDUES, -1));
        }, HostileInputTest::readBgvKeys, Code.COEFFICIENT_OUT_OF_RANGE, "not below q_0"),
        c("result factor 0, checksum fixed", () -> forged(factoredFile, 0, b -> b.putInt(FACTOR, 0)), HostileInputTest::readResults, Code.INVALID_FIELD,
            "result factor 0; expected 1 to " + (t(1) - 1)),
        c("result factor t, checksum fixed", () -> forged(factoredFile, 0, b -> b.putInt(FACTOR, (int) t(1))), HostileInputTest::readResults,
            Code.INVALID_FIELD, "result factor " + t(1) + ";"),
        c("factored results one ciphertext short, checksum fixed", () -> forged(factoredFile, 0, b -> b.putInt(COUNT, 2)), HostileInputTest::readResults,
            Code.LENGTH_OUT_OF_RANGE, "the descriptor, the factor and 2 ciphertexts need exactly"),
        c("factored results read as BFV compressed ciphertexts", () -> factoredFile, HostileInputTest::readCompressed, Code.WRONG_TYPE,
            "found a compressed result ciphertexts with a result factor record"),
        c("factored results cut by one byte, checksum fixed", () -> shortenedPayload(factoredFile), HostileInputTest::readResults, Code.LENGTH_OUT_OF_RANGE,
            "need exactly"),
        c("trailing bytes", () -> Arrays.copyOf(batchFile, batchFile.length + 10), HostileInputTest::readBatch, Code.TRAILING_DATA, "10 bytes after"),
        c("a record twice", () -> {
          byte[] b = Arrays.copyOf(batchFile, 2 * batchFile.length);
          System.arraycopy(batchFile, 0, b, batchFile.length, batchFile.length);
          return b;
        }, HostileInputTest::readBatch, Code.TRAILING_DATA, "after the last expected record"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void isRefusedWithItsOwnCode(String name, Supplier<byte[]> file, Consumer<BfvFileReader> read, Code code, String fragment) {
    byte[] content = file.get();
    SerializationException e = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(SerializationException.class, () -> {
      try (BfvFileReader r = BfvFileReader.of(content, "hostile.bin")) {
        read.accept(r);
      }
    }));
    assertEquals(code, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains(fragment), "message should mention '" + fragment + "': " + e.getMessage());
    assertTrue(e.getMessage().contains("hostile.bin"), "message should name the file: " + e.getMessage());
  }
}
