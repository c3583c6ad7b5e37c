package org.cryptonets.bfv.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.cryptonets.bfv.BfvParameterSpec;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.BgvEncryptor;
import org.cryptonets.bfv.BgvEvaluator;
import org.cryptonets.bfv.BgvPublicKey;
import org.cryptonets.bfv.BgvRelinKeys;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.CompressedCiphertexts;
import org.cryptonets.bfv.CompressedResults;
import org.cryptonets.bfv.Encryptor;
import org.cryptonets.bfv.Evaluator;
import org.cryptonets.bfv.LockedBuffer;
import org.cryptonets.bfv.PublicKey;
import org.cryptonets.bfv.RelinKeys;
import org.cryptonets.bfv.Scheme;
import org.cryptonets.bfv.SecretKey;
import org.cryptonets.bfv.SecurityLevel;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.RnsBasis;

/**
 * Fixed objects for the format tests, built from fixed seeds so their bytes never change. The
 * parameters are insecure toys (n = 1024 and 2048, Q = 3 x 31 bits, SecurityLevel.NONE), chosen
 * for speed; the format does not depend on the sizes. Primes are listed explicitly so a change of
 * the prime search cannot change the fixtures.
 */
public final class IoFixtures {
  private IoFixtures() {}

  /** n = 1024, Q = 3 x 31 bits, t = two 20-bit primes, SecurityLevel.NONE (a toy). */
  static BfvParameters toy() {
    return params(1024, List.of(2147473409L, 2147389441L, 2147387393L), List.of(1038337L, 1032193L));
  }

  /** n = 2048, Q = 3 x 31 bits, SecurityLevel.NONE: the "other parameters" of mismatch tests. */
  static BfvParameters otherToy() {
    return params(2048, List.of(2147389441L, 2147377153L, 2147352577L), List.of(1032193L, 995329L));
  }

  /**
   * n = 8192, seven 31-bit ciphertext primes, two 29-bit plaintext primes, SecurityLevel.NONE: the
   * sizes of the application's parameters, for records announcing realistic counts.
   */
  static BfvParameters realistic() {
    BfvParameterSpec s = BfvParameterSpec.of(8192, List.of(31, 31, 31, 31, 31, 31, 31), 29, 2);
    s.security = SecurityLevel.NONE;
    return BfvParameters.create(s);
  }

  static BfvParameters params(int n, List<Long> q, List<Long> t) {
    BfvParameterSpec s = new BfvParameterSpec();
    s.n = n;
    s.coeffPrimes = q;
    s.plainPrimes = t;
    s.security = SecurityLevel.NONE;
    return BfvParameters.create(s);
  }

  static SecureRandom deterministicRandom(long seed) {
    try {
      SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
      r.setSeed(seed);
      return r;
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Uniform residues for {@code polys} polynomials of {@code basis}, in backend layout. */
  static long[] residues(RnsBasis basis, int polys, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int n = basis.n();
    int l = basis.size();
    long[] h = new long[polys * l * n];
    for (int p = 0; p < polys; p++) {
      for (int i = 0; i < l; i++) {
        long q = basis.modulus(i).value();
        for (int j = 0; j < n; j++) {
          h[(p * l + i) * n + j] = r.nextLong(q);
        }
      }
    }
    return h;
  }

  static Map<String, String> attributes() {
    return Map.of("file", "test-fixture", "plan.levels", "5,3", "images", "17");
  }

  static PublicKey publicKey(BfvParameters p, Backend b) {
    return PublicKey.fromResidues(p, b, residues(p.coeffBasis(), 2, 101));
  }

  static RelinKeys relinKeys(BfvParameters p, Backend b) {
    return RelinKeys.fromResidues(p, b, residues(p.coeffBasis(), 2 * p.maxLevel(), 102));
  }

  static SecretKey secretKey(BfvParameters p, Backend b) {
    SplittableRandom r = new SplittableRandom(103);
    LockedBuffer s = LockedBuffer.allocate(p.n());
    for (int j = 0; j < p.n(); j++) {
      s.put(j, (byte) (r.nextInt(3) - 1));
    }
    return SecretKey.fromCoefficients(p, b, s);
  }

  /** Two size-3 ciphertexts of plaintext prime 1 at level 2, coefficient form, random residues. */
  static CiphertextBatch fullBatch(BfvParameters p, Backend b) {
    try (Evaluator ev = new Evaluator(p, b)) {
      CiphertextBatch c = ev.allocate(1, 2, 3, 2, false);
      b.upload(residues(p.basisAt(2), 6, 104), c.buffer().all());
      return c;
    }
  }

  static byte[] seed() {
    byte[] s = new byte[32];
    for (int i = 0; i < s.length; i++) {
      s[i] = (byte) (7 * i + 1);
    }
    return s;
  }

  /** Two ciphertexts at the top level in NTT form: random c0, c1 expanded from {@link #seed()}. */
  static CiphertextBatch seededBatch(BfvParameters p, Backend b) {
    try (Evaluator ev = new Evaluator(p, b)) {
      CiphertextBatch c = ev.allocate(0, p.maxLevel(), 2, 2, true);
      b.upload(residues(p.coeffBasis(), 2, 105), c.component(0));
      long[] c1 = new long[2 * p.maxLevel() * p.n()];
      Encryptor.expandSeed(p, seed(), c1, 2);
      b.upload(c1, c.component(1));
      return c;
    }
  }

  static CompressedCiphertexts compressed(BfvParameters p) {
    SplittableRandom r = new SplittableRandom(106);
    int bits = 24;
    long[] v = new long[2 * 3 * p.n()];
    for (int k = 0; k < v.length; k++) {
      v[k] = r.nextLong(1L << bits);
    }
    return CompressedCiphertexts.of(p, 1, bits, 3, v);
  }

  // ---- BGV objects ----

  /** The correction factor of {@link #bgvBatch}: any value in [1, t) that is not 1. */
  static final long BGV_FACTOR = 12345;
  /** The result factor of {@link #bgvResults}. */
  static final long RESULT_FACTOR = 4321;

  /** A BGV public key of random residues: (pk0, pk1) for each plaintext prime. */
  static BgvPublicKey bgvPublicKey(BfvParameters p, Backend b) {
    return BgvPublicKey.fromResidues(p, b, residues(p.coeffBasis(), 2 * p.plainModuli().size(), 111));
  }

  /** BGV relinearization keys of random residues: 2 l polynomials for each plaintext prime. */
  static BgvRelinKeys bgvRelinKeys(BfvParameters p, Backend b) {
    return BgvRelinKeys.fromResidues(p, b, residues(p.coeffBasis(), 2 * p.maxLevel() * p.plainModuli().size(), 112));
  }

  /** Two size-3 BGV ciphertexts of plaintext prime 1 at level 2 (NTT form), random residues, factor {@link #BGV_FACTOR}. */
  static CiphertextBatch bgvBatch(BfvParameters p, Backend b) {
    try (BgvEvaluator ev = new BgvEvaluator(p, b)) {
      CiphertextBatch c = ev.allocateWithFactor(1, 2, 3, 2, BGV_FACTOR);
      b.upload(residues(p.basisAt(2), 6, 113), c.buffer().all());
      return c;
    }
  }

  /** Two BGV ciphertexts of plaintext prime 0 at level 2, factor 1: random c0, c1 expanded from {@link #seed()} at level 2. */
  static CiphertextBatch bgvSeededBatch(BfvParameters p, Backend b) {
    try (BgvEvaluator ev = new BgvEvaluator(p, b)) {
      CiphertextBatch c = ev.allocateWithFactor(0, 2, 2, 2, 1);
      b.upload(residues(p.basisAt(2), 2, 114), c.component(0));
      long[] c1 = new long[2 * 2 * p.n()];
      BgvEncryptor.expandSeed(p, seed(), 2, 0, c1, 2);
      b.upload(c1, c.component(1));
      return c;
    }
  }

  /** {@link #compressed} as BGV results with factor {@link #RESULT_FACTOR}. */
  static CompressedResults bgvResults(BfvParameters p) {
    return CompressedResults.of(Scheme.BGV, compressed(p), RESULT_FACTOR);
  }

  /** The descriptor of a BGV batch record followed by its u32 factor. */
  static byte[] bgvFields(int plainIndex, int level, int size, int form, long count, long factor, boolean seeded) {
    return ByteBuffer.allocate(BfvFileFormat.DESCRIPTOR_BYTES + BfvFileFormat.FACTOR_BYTES + (seeded ? BfvFileFormat.SEED_BYTES : 0)).order(ByteOrder.LITTLE_ENDIAN)
        .put(descriptor(plainIndex, level, size, form, count)).putInt((int) factor).array();
  }

  /**
   * {@code backend} behind a proxy that counts its {@code allocate} calls, so a test can tell that a
   * refusal came before anything was allocated.
   */
  static final class CountingBackend {
    final Backend backend;
    final java.util.concurrent.atomic.AtomicInteger allocations = new java.util.concurrent.atomic.AtomicInteger();

    CountingBackend(Backend real) {
      backend = (Backend) java.lang.reflect.Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (proxy, method, args) -> {
        if (method.getName().equals("allocate") || method.getName().equals("allocateUninitialized")) {
          allocations.incrementAndGet();
        }
        try {
          return method.invoke(real, args);
        } catch (java.lang.reflect.InvocationTargetException e) {
          throw e.getCause();
        }
      });
    }
  }

  /** Recomputes the CRC-32C of the record that starts at {@code start}, after a deliberate edit. */
  static void fixChecksum(byte[] file, int start) {
    ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    long payload = b.getLong(start + 44);
    int end = (int) (start + BfvFileFormat.HEADER_BYTES + payload);
    CRC32C crc = new CRC32C();
    crc.update(file, start, end - start);
    b.putInt(end, (int) crc.getValue());
  }

  /** Byte offset of the record after the one at {@code start}. */
  static int nextRecord(byte[] file, int start) {
    long payload = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(start + 44);
    return (int) (start + BfvFileFormat.HEADER_BYTES + payload + BfvFileFormat.TRAILER_BYTES);
  }

  // ---- records far larger than memory, without writing their bytes ----

  /** The CRC-32C (Castagnoli) polynomial, reflected. */
  private static final int CASTAGNOLI = 0x82F63B78;

  /**
   * The CRC-32C of a message followed by {@code zeros} zero bytes, from the CRC-32C of the message
   * alone, in O(log zeros): appending a zero byte is a linear map of the CRC register, applied by
   * repeated squaring (zlib's crc32_combine does the same).
   */
  public static int crc32cAfterZeros(int crc, long zeros) {
    int[] op = new int[32];
    for (int bit = 0; bit < 32; bit++) {
      int r = 1 << bit;
      for (int k = 0; k < 8; k++) {
        r = (r & 1) != 0 ? r >>> 1 ^ CASTAGNOLI : r >>> 1;
      }
      op[bit] = r;
    }
    int register = ~crc;
    while (zeros > 0) {
      if ((zeros & 1) != 0) {
        register = apply(op, register);
      }
      int[] square = new int[32];
      for (int bit = 0; bit < 32; bit++) {
        square[bit] = apply(op, op[bit]);
      }
      op = square;
      zeros >>>= 1;
    }
    return ~register;
  }

  private static int apply(int[] op, int v) {
    int r = 0;
    for (int bit = 0; v != 0; bit++, v >>>= 1) {
      if ((v & 1) != 0) {
        r ^= op[bit];
      }
    }
    return r;
  }

  /**
   * A record of {@code type} whose payload is {@code fields} followed by zero bytes up to {@code
   * payload} bytes: its first bytes ({@link #head()}) and its checksum, valid or deliberately wrong.
   * The zeros are never materialized: see {@link #sparseFile} and {@link SparseSource}.
   */
  record HugeRecord(byte[] head, long payload, int crc) {
    /** Bytes of the whole record: header, payload, checksum. */
    long length() {
      return BfvFileFormat.HEADER_BYTES + payload + BfvFileFormat.TRAILER_BYTES;
    }

    byte[] trailer() {
      return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(crc).array();
    }
  }

  static HugeRecord hugeRecord(ObjectType type, BfvParameters params, byte[] fields, long payload, boolean validChecksum) {
    ByteBuffer h = ByteBuffer.allocate(BfvFileFormat.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    h.put(BfvFileFormat.magic()).putShort((short) BfvFileFormat.VERSION).putShort((short) type.code()).put(BfvFileFormat.fingerprintBytes(params));
    return hugeRecord(h.array(), fields, payload, validChecksum);
  }

  /** As above from the first 52 bytes of a header (its length field is replaced by {@code payload}). */
  static HugeRecord hugeRecord(byte[] header, byte[] fields, long payload, boolean validChecksum) {
    ByteBuffer h = ByteBuffer.allocate(BfvFileFormat.HEADER_BYTES + fields.length).order(ByteOrder.LITTLE_ENDIAN);
    h.put(header, 0, BfvFileFormat.HEADER_BYTES).putLong(44, payload).position(BfvFileFormat.HEADER_BYTES);
    h.put(fields);
    byte[] head = h.array();
    CRC32C crc = new CRC32C();
    crc.update(head);
    int value = crc32cAfterZeros((int) crc.getValue(), payload - fields.length);
    return new HugeRecord(head, payload, validChecksum ? value : ~value);
  }

  /** The descriptor of a polynomial record: plaintext index, level, size, form, count. */
  static byte[] descriptor(int plainIndex, int level, int size, int form, long count) {
    return ByteBuffer.allocate(BfvFileFormat.DESCRIPTOR_BYTES).order(ByteOrder.LITTLE_ENDIAN).put((byte) plainIndex).put((byte) level).put((byte) size)
        .put((byte) form).putInt((int) count).array();
  }

  /** The descriptor of compressed results: plaintext index, bits, size 2, reserved 0, count. */
  static byte[] compressedDescriptor(int plainIndex, int bits, long count) {
    return descriptor(plainIndex, bits, 2, 0, count);
  }

  /** Writes {@code prefix} then {@code record} as a sparse file: the zeros take no disk space. */
  static void sparseFile(java.nio.file.Path file, byte[] prefix, HugeRecord record) throws java.io.IOException {
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(0);
      f.write(prefix);
      f.write(record.head());
      f.seek(prefix.length + record.length() - BfvFileFormat.TRAILER_BYTES);
      f.write(record.trailer());
    }
  }

  /**
   * A source of {@code prefix}, then a huge record whose zeros are synthesized, then {@code suffix};
   * counts the bytes it hands out, so a test can tell how far a reader went.
   */
  static final class SparseSource implements ByteSource {
    private static final byte[] ZEROS = new byte[1 << 16];
    private final byte[] prefix;
    private final HugeRecord record;
    private final byte[] suffix;
    private final String name;
    private final long readLimit;
    long bytesRead;

    /** Reading more than {@code readLimit} bytes in all fails with an IOException (a test's tripwire). */
    SparseSource(byte[] prefix, HugeRecord record, byte[] suffix, String name, long readLimit) {
      this.prefix = prefix;
      this.record = record;
      this.suffix = suffix;
      this.name = name;
      this.readLimit = readLimit;
    }

    SparseSource(byte[] prefix, HugeRecord record, byte[] suffix, String name) {
      this(prefix, record, suffix, name, Long.MAX_VALUE);
    }

    @Override
    public long size() {
      return prefix.length + record.length() + suffix.length;
    }

    /** The byte at {@code at}. */
    private byte at(long at) {
      if (at < prefix.length) {
        return prefix[(int) at];
      }
      long r = at - prefix.length;
      if (r < record.head().length) {
        return record.head()[(int) r];
      }
      if (r < record.length() - BfvFileFormat.TRAILER_BYTES) {
        return 0;
      }
      if (r < record.length()) {
        return record.trailer()[(int) (r - record.length() + BfvFileFormat.TRAILER_BYTES)];
      }
      return suffix[(int) (r - record.length())];
    }

    @Override
    public int read(long position, ByteBuffer dst) throws java.io.IOException {
      if (position >= size()) {
        return -1;
      }
      if (bytesRead > readLimit) {
        throw new java.io.IOException("test source: more than " + readLimit + " bytes read");
      }
      int n = (int) Math.min(dst.remaining(), size() - position);
      long zerosFrom = prefix.length + (long) record.head().length;
      long zerosTo = prefix.length + record.length() - BfvFileFormat.TRAILER_BYTES;
      for (int k = 0; k < n; ) {
        long p = position + k;
        if (p >= zerosFrom && p < zerosTo) {
          int run = (int) Math.min(n - k, zerosTo - p);
          for (int z = 0; z < run; z += ZEROS.length) {
            dst.put(ZEROS, 0, Math.min(ZEROS.length, run - z));
          }
          k += run;
        } else {
          dst.put(at(p));
          k++;
        }
      }
      bytesRead += n;
      return n;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public void close() {}
  }
}
