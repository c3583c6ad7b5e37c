package org.cryptonets.bfv;

import java.security.SecureRandom;
import java.util.List;
import java.util.stream.IntStream;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PolyRange;
import org.cryptonets.engine.RnsBasis;

/**
 * Encrypts batches of plaintexts at any level (the top level by default), in NTT form. With a public key: (pk0 u + e0 +
 * Delta m, pk1 u + e1) for ternary u. With the secret key (symmetric): (-(a s) + e + Delta m, a) where
 * every a is expanded from one 32-byte seed and the ciphertext index, so the batch can be sent as its
 * c0 halves plus the seed ({@link CiphertextBatch#seed()}), halving the upload. Delta m is round(Q m /
 * t), as in SEAL.
 *
 * <p>Not thread-safe (one instance per thread); the host-side sampling of one call runs in parallel.
 */
public final class Encryptor {
  private static final int ENCRYPT_CHUNK = 64;

  private final BfvParameters params;
  private final Backend backend;
  private final PublicKey publicKey;
  private final SecretKey secretKey;
  private final SecureRandom random;
  private final java.util.Map<Integer, PolyBuffer> keysAtLevel = new java.util.HashMap<>();

  public Encryptor(BfvParameters params, Backend backend, PublicKey publicKey) {
    this(params, backend, publicKey, null, new SecureRandom());
  }

  public Encryptor(BfvParameters params, Backend backend, SecretKey secretKey) {
    this(params, backend, null, secretKey, new SecureRandom());
  }

  Encryptor(BfvParameters params, Backend backend, PublicKey publicKey, SecretKey secretKey, SecureRandom random) {
    if (publicKey != null && !publicKey.parameters().equals(params) || secretKey != null && !secretKey.parameters().equals(params)) {
      throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "key made under other parameters");
    }
    this.params = params;
    this.backend = backend;
    this.publicKey = publicKey;
    this.secretKey = secretKey;
    this.random = random;
  }

  /** True if this encryptor uses the secret key and produces seeded ciphertexts. */
  public boolean isSymmetric() {
    return secretKey != null;
  }

  /**
   * Encrypts plaintexts of one plaintext prime as one batch.
   *
   * @throws BfvException PARAMETER_MISMATCH if they are for different plaintext primes
   */
  public CiphertextBatch encrypt(List<Plaintext> plaintexts) {
    return encrypt(plaintexts, params.maxLevel());
  }

  /**
   * Encrypts plaintexts of one plaintext prime as one batch directly at {@code level}, in NTT
   * form: the ciphertext modulus is Q_level from the start (Delta = round(Q_level / t)), so nothing
   * is switched down and no inverse transform runs; the noise is that of a fresh encryption,
   * smaller than what a switch from the top level leaves. A symmetric batch's c1 halves are the
   * seed's expansion over the level's primes ({@link CiphertextBatch#seedLevel()} is the level),
   * so a sender sends the c0 halves and the seed. With a public key, the key's residues on the
   * level's primes are a public key for Q_level.
   *
   * @throws BfvException INVALID_ARGUMENT for a level outside [1, top] or nothing to encrypt,
   *     PARAMETER_MISMATCH for plaintexts of different plaintext primes
   */
  public CiphertextBatch encrypt(List<Plaintext> plaintexts, int level) {
    params.checkLevel(level);
    if (plaintexts.isEmpty()) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "nothing to encrypt");
    }
    int plainIndex = plaintexts.get(0).plainIndex();
    for (Plaintext p : plaintexts) {
      if (p.plainIndex() != plainIndex) {
        throw new BfvException(BfvException.ErrorCode.PARAMETER_MISMATCH, "plaintexts of plaintext primes " + plainIndex + " and " + p.plainIndex() + " in one batch");
      }
    }
    int count = plaintexts.size();
    BfvParameters.PlainContext ctx = params.context(plainIndex, level);
    RnsBasis q = params.basisAt(level);
    int n = params.n();
    int l = q.size();
    byte[] noiseSeed = new byte[SeedExpander.SEED_BYTES];
    random.nextBytes(noiseSeed);
    byte[] uniformSeed = null;
    if (secretKey != null) {
      uniformSeed = new byte[SeedExpander.SEED_BYTES];
      random.nextBytes(uniformSeed);
    }
    CiphertextBatch out = CiphertextBatch.allocate(backend, params, plainIndex, level, 2, count, true);
    // Host work and uploads go in chunks so host memory stays small next to the batch itself.
    int chunk = Math.max(1, Math.min(count, ENCRYPT_CHUNK));
    long[] c0 = new long[chunk * l * n];
    long[] c1 = new long[chunk * l * n];
    long[] u = publicKey != null ? new long[chunk * l * n] : null;
    byte[] uSeed = uniformSeed;
    long[] reduced = new long[l];
    for (int i = 0; i < l; i++) {
      reduced[i] = q.modulus(i).value();
    }
    PolyBuffer key = keyAt(level);
    try (PolyBuffer tmp = backend.allocate(q, chunk); PolyBuffer ub = u == null ? null : backend.allocate(q, chunk)) {
      for (int first = 0; first < count; first += chunk) {
        int c = Math.min(chunk, count - first);
        int base = first;
        // Contiguous ranges of the chunk, one noise and one uniform expander per range, restarted
        // for each ciphertext (as BgvEncryptor: a new expander is a cipher lookup and a key schedule).
        int parts = Math.min(c, Math.max(1, java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() + 1));
        IntStream.range(0, parts).parallel().forEach(part -> {
          int lo = part * c / parts;
          int hi = (part + 1) * c / parts;
          SeedExpander noise = new SeedExpander(noiseSeed, KeyGenerator.DOMAIN_ENCRYPT_NOISE, base + lo);
          SeedExpander uniform = uSeed == null ? null : new SeedExpander(uSeed, KeyGenerator.DOMAIN_ENCRYPT_UNIFORM, base + lo);
          int[] e = new int[n];
          long[] carry = new long[n];
          for (int kk = lo; kk < hi; kk++) {
            int k = base + kk;
            noise.restart(KeyGenerator.DOMAIN_ENCRYPT_NOISE, k);
            noise.centeredBinomial(e);
            long[] m = plaintexts.get(k).coefficientsUnsafe();
            long t = ctx.t.value();
            double inverseT = 1.0 / t;
            for (int j = 0; j < n; j++) {
              // round(Q m / t) = Delta m + round((Q mod t) m / t); the second term is below t. The
              // quotient comes from a double estimate and an exact correction, not from a 64-bit
              // division per coefficient.
              carry[j] = quotient(ctx.qModT * m[j] + (t >>> 1), t, inverseT) + e[j];
            }
            int off = kk * l * n;
            for (int i = 0; i < l; i++) {
              org.cryptonets.engine.Modulus qi = q.modulus(i);
              long qv = reduced[i];
              long d = ctx.delta[i];
              long ds = ctx.deltaShoup[i];
              for (int j = 0; j < n; j++) {
                long cj = carry[j];
                // carry is below t + noise, almost always below q_i: a branch instead of a division.
                cj = cj < 0 ? Math.floorMod(cj, qv) : cj < qv ? cj : cj % qv;
                long v = qi.multiplyShoup(m[j], d, ds) + cj;
                c0[off + i * n + j] = v >= qv ? v - qv : v;
              }
            }
            if (uniform != null) {
              uniform.restart(KeyGenerator.DOMAIN_ENCRYPT_UNIFORM, k);
              uniform.uniform(q, c1, off);
            } else {
              noise.centeredBinomial(e);
              KeyGenerator.smallToResidues(e, q, c1, off);
              noise.ternary(e);
              KeyGenerator.smallToResidues(e, q, u, off);
            }
          }
          java.util.Arrays.fill(e, 0);
          java.util.Arrays.fill(carry, 0);
          noise.wipe();
          if (uniform != null) {
            uniform.wipe();
          }
        });
        int len = c * l * n;
        PolyRange c0r = out.component(0).sub(first, c);
        PolyRange c1r = out.component(1).sub(first, c);
        backend.upload(len == c0.length ? c0 : java.util.Arrays.copyOf(c0, len), c0r);
        backend.forwardNtt(c0r);
        backend.upload(len == c1.length ? c1 : java.util.Arrays.copyOf(c1, len), c1r);
        PolyRange tr = tmp.range(0, c);
        if (secretKey != null) {
          backend.multiplyBroadcast(c1r, key.range(0, 1), tr);
          backend.subtract(c0r, tr, c0r);
        } else {
          backend.forwardNtt(c1r);
          PolyRange ur = ub.range(0, c);
          backend.upload(len == u.length ? u : java.util.Arrays.copyOf(u, len), ur);
          backend.forwardNtt(ur);
          backend.multiplyBroadcast(ur, key.range(0, 1), tr);
          backend.add(c0r, tr, c0r);
          backend.multiplyBroadcast(ur, key.range(1, 1), tr);
          backend.add(c1r, tr, c1r);
        }
      }
    }
    java.util.Arrays.fill(c0, 0);
    if (secretKey != null) {
      out.setSeed(uniformSeed, level);
    }
    return out;
  }

  /**
   * The key on the primes of {@code level}: s (and s^2) for symmetric encryption, (pk0, pk1) with a
   * public key; the key's own buffer at the top level, otherwise a copy of its first residues,
   * made once per level and kept (host copies are wiped).
   */
  private PolyBuffer keyAt(int level) {
    PolyBuffer full = secretKey != null ? secretKey.powers() : publicKey.buffer();
    if (level == params.maxLevel()) {
      return full;
    }
    // s alone for symmetric encryption (the key's buffer also holds s^2); (pk0, pk1) with a public key
    int polys = secretKey != null ? 1 : full.polys();
    return keysAtLevel.computeIfAbsent(level, lv -> KeyResidues.prefix(params, backend, full.range(0, polys), lv));
  }

  /**
   * floor(x / t) for 1 <= t < 2^31 and 0 <= x < t 2^31 (a quotient below 2^31, so the double
   * estimate is off by at most one), with one correction. Encryption's x is below t^2.
   */
  static long quotient(long x, long t, double inverseT) {
    long q = (long) (x * inverseT);
    long rest = x - q * t;
    return q + (rest >= t ? 1 : 0) - (rest < 0 ? 1 : 0);
  }

  /**
   * Regenerates the c1 halves of ciphertexts [first, first + count) of a batch encrypted directly
   * at {@code level} (NTT form over the level's primes: the first residues of the top-level
   * expansion, since the stream fills one prime after another).
   *
   * @throws BfvException INVALID_ARGUMENT if {@code c1} does not hold exactly {@code count}
   *     polynomials over the level's primes, {@code first} is negative or the level is out of range
   */
  public static void expandSeed(BfvParameters params, byte[] seed, int level, int first, long[] c1, int count) {
    params.checkLevel(level);
    RnsBasis q = params.basisAt(level);
    int len = q.size() * params.n();
    if (c1.length != (long) count * len || first < 0) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "c1 array of " + c1.length + " for " + count + " ciphertexts from " + first);
    }
    SeedExpander.uniformStreams(seed, KeyGenerator.DOMAIN_ENCRYPT_UNIFORM, first, count, q, c1);
  }

  /** Regenerates the c1 halves of a seeded batch from its seed: what the receiving side runs. */
  public static void expandSeed(BfvParameters params, byte[] seed, long[] c1, int count) {
    expandSeed(params, seed, 0, c1, count);
  }

  /**
   * Regenerates the c1 halves of ciphertexts [first, first + count) of a seeded batch (top level,
   * NTT form), so a receiver can rebuild a large batch a chunk at a time.
   *
   * @throws BfvException INVALID_ARGUMENT if {@code c1} does not hold exactly {@code count}
   *     polynomials or {@code first} is negative
   */
  public static void expandSeed(BfvParameters params, byte[] seed, int first, long[] c1, int count) {
    RnsBasis q = params.coeffBasis();
    int len = q.size() * params.n();
    if (c1.length != (long) count * len || first < 0) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "c1 array of " + c1.length + " for " + count + " ciphertexts from " + first);
    }
    SeedExpander.uniformStreams(seed, KeyGenerator.DOMAIN_ENCRYPT_UNIFORM, first, count, q, c1);
  }
}
