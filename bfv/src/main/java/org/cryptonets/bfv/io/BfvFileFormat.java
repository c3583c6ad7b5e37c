package org.cryptonets.bfv.io;

import java.util.HexFormat;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.Scheme;

/**
 * The layout of CryptoNets BFV files, version {@value #VERSION}, which hold the objects of both
 * schemes (BFV and BGV, each in record types of its own). A file is a sequence of records; each
 * record stands alone: a header, a payload and a checksum. All integers are little-endian.
 *
 * <pre>
 * offset  size  field
 *      0     8  magic 0x89 'C' 'N' 'B' 'F' 'V' '\r' '\n'
 *      8     2  format version (1)
 *     10     2  object type ({@link ObjectType#code()})
 *     12    32  parameter fingerprint: the SHA-256 of the parameter set ({@link BfvParameters#fingerprint()})
 *     44     8  payload length L in bytes
 *     52     L  payload
 *   52+L     4  CRC-32C (Castagnoli) of bytes [0, 52 + L) of the record
 * </pre>
 *
 * Payloads:
 * <ul>
 *   <li>PARAMETERS: u32 n, u8 security (0 none, 1 128-bit), u8 k_q, u8 k_t, u8 0, then k_q u64
 *       ciphertext primes and k_t u64 plaintext primes.
 *   <li>ATTRIBUTES: u32 count, then per entry u16 key length, key ([a-z0-9._-], 1 to 64 bytes,
 *       strictly increasing), u16 value length, value (printable ASCII, at most 1024 bytes).
 *   <li>PUBLIC_KEY, RELIN_KEYS, CIPHERTEXTS: a descriptor (u8 plaintext index, 255 for keys; u8
 *       level; u8 size, the polynomials per element; u8 form, 0 coefficient or 1 NTT; u32 count of
 *       elements), then the residues. CIPHERTEXTS_SEEDED: the same descriptor and the 32-byte seed,
 *       then only the c0 residues; c1 of ciphertext k is {@code Encryptor.expandSeed} of the seed
 *       for index k at the top level in NTT form, switched down to the record's level (coefficient
 *       form) and put into the record's form. CIPHERTEXTS_SEEDED_AT_LEVEL: the same layout; c1 of
 *       ciphertext k is {@code Encryptor.expandSeed} of the seed for index k over the record
 *       level's primes (NTT form, no switch), put into the record's form.
 *   <li>SECRET_KEY: n two-bit codes (0: 0, 1: +1, 2: -1), four to a byte, lowest bits first.
 *   <li>COMPRESSED_RESULTS: u8 plaintext index, u8 bits b, u8 size (2), u8 0, u32 count, then
 *       2 n count values of b bits.
 * </ul>
 * BGV records (the secret key, parameters and attributes are shared by both schemes):
 * <ul>
 *   <li>BGV_PUBLIC_KEY (10): the key descriptor (255, top level, size 2, NTT, count k_t: one pair
 *       per plaintext prime, since the noise is t_j e), then the residues of (pk0, pk1) for t_0,
 *       then for t_1, ... ({@code BgvPublicKey.residues()} order).
 *   <li>BGV_RELIN_KEYS (11): the key descriptor with count k_t l (l = the top level), then for t_0,
 *       then t_1, ..., the l pairs (b_i, a_i) ({@code BgvRelinKeys.residues()} order).
 *   <li>BGV_CIPHERTEXTS (12): the descriptor (form must be 1, NTT; size 2 or 3), u32 correction
 *       factor f in [1, t_j) for the descriptor's plaintext prime t_j, then every residue as for
 *       CIPHERTEXTS.
 *   <li>BGV_CIPHERTEXTS_SEEDED (13): the descriptor (size 2, form 1), u32 correction factor f in
 *       [1, t_j), the 32-byte seed, then only the c0 residues; c1 of ciphertext k is {@code
 *       BgvEncryptor.expandSeed} of the seed for index k over the record level's primes (NTT form).
 *   <li>COMPRESSED_RESULTS_FACTORED (14): the COMPRESSED_RESULTS descriptor, u32 result factor g in
 *       [1, t_j), then the values as for COMPRESSED_RESULTS: BGV results ({@code
 *       CompressedResults}), whose decrypted slots are multiplied by g. BFV results (g = 1) are
 *       written as COMPRESSED_RESULTS.
 * </ul>
 * Residues are packed as one bit stream, lowest bit first, at bits(q_i) bits for limb i (31 bits
 * for 31-bit primes), in the order element, polynomial, limb, coefficient; the stream is padded with
 * zero bits to a whole byte.
 *
 * <p>Readers check every announced length and count against the parameters, the file's real size
 * and a memory budget before the checksum pass and before allocating anything; see {@link
 * BfvFileReader} for the budget (by default a quarter of the JVM's maximum heap per record).
 *
 * <p>The magic number's first byte is not ASCII and it ends in CR LF, so transfers that strip the
 * eighth bit or convert line ends are caught at once. The checksum detects damage, not tampering:
 * the format has no authentication.
 *
 * <p>Constants only; thread-safe; throws nothing.
 */
public final class BfvFileFormat {
  /** The format version this code writes and reads. */
  public static final int VERSION = 1;
  /** Bytes of a record header. */
  public static final int HEADER_BYTES = 52;
  /** Bytes of the checksum that ends a record. */
  public static final int TRAILER_BYTES = 4;
  /** Largest payload length accepted before comparing with the file size: 1 TiB. */
  public static final long MAX_PAYLOAD = 1L << 40;
  /** Largest count of elements in one record (ciphertexts in a batch). */
  public static final int MAX_COUNT = 1 << 20;
  /** Plaintext index of key records, which belong to no plaintext prime. */
  static final int NO_PLAIN_INDEX = 255;
  static final int FORM_COEFFICIENT = 0;
  static final int FORM_NTT = 1;
  static final int DESCRIPTOR_BYTES = 8;
  static final int SEED_BYTES = 32;
  /** Bytes of the u32 correction or result factor of BGV records. */
  static final int FACTOR_BYTES = 4;
  static final int MAX_ATTRIBUTES = 256;
  static final int MAX_KEY_LENGTH = 64;
  static final int MAX_VALUE_LENGTH = 1024;

  private static final byte[] MAGIC = {(byte) 0x89, 'C', 'N', 'B', 'F', 'V', '\r', '\n'};

  private BfvFileFormat() {}

  /** A copy of the 8-byte magic number. */
  public static byte[] magic() {
    return MAGIC.clone();
  }

  static boolean isMagic(byte[] b) {
    return java.util.Arrays.equals(b, MAGIC);
  }

  /** The 32 raw bytes of the parameters' SHA-256 fingerprint. */
  static byte[] fingerprintBytes(BfvParameters params) {
    return HexFormat.of().parseHex(params.fingerprint());
  }

  /**
   * Bytes of a whole COMPRESSED_RESULTS record (header, descriptor, values, checksum) of {@code
   * count} ciphertexts at 2^bits under {@code params}: what a file must hold for them, which
   * callers compare with the file's size before reading.
   */
  public static long compressedRecordBytes(BfvParameters params, int bits, long count) {
    return HEADER_BYTES + DESCRIPTOR_BYTES + BfvFileWriter.streamBytes(2 * count * params.n(), bits) + TRAILER_BYTES;
  }

  /**
   * Bytes of a whole record of {@code count} compressed results of {@code scheme} at 2^bits under
   * {@code params}: {@link #compressedRecordBytes} for BFV, four more (the factor) for BGV.
   */
  public static long compressedResultsRecordBytes(BfvParameters params, Scheme scheme, int bits, long count) {
    return compressedRecordBytes(params, bits, count) + (scheme == Scheme.BGV ? FACTOR_BYTES : 0);
  }

  /** Bits of one coefficient over every limb of a level: the sum of bits(q_i) for i below level. */
  static long coefficientBits(BfvParameters params, int level) {
    long bits = 0;
    for (int i = 0; i < level; i++) {
      bits += params.coeffBasis().modulus(i).bits();
    }
    return bits;
  }
}
