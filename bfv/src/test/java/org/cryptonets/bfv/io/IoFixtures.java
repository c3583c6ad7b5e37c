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
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.CompressedCiphertexts;
import org.cryptonets.bfv.Encryptor;
import org.cryptonets.bfv.Evaluator;
import org.cryptonets.bfv.LockedBuffer;
import org.cryptonets.bfv.PublicKey;
import org.cryptonets.bfv.RelinKeys;
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
final class IoFixtures {
  private IoFixtures() {}

  /** n = 1024, Q = 3 x 31 bits, t = two 20-bit primes, SecurityLevel.NONE (a toy). */
  static BfvParameters toy() {
    return params(1024, List.of(2147473409L, 2147389441L, 2147387393L), List.of(1038337L, 1032193L));
  }

  /** n = 2048, Q = 3 x 31 bits, SecurityLevel.NONE: the "other parameters" of mismatch tests. */
  static BfvParameters otherToy() {
    return params(2048, List.of(2147389441L, 2147377153L, 2147352577L), List.of(1032193L, 995329L));
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
}
