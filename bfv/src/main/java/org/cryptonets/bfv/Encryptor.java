package org.cryptonets.bfv;

import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ForkJoinPool;
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
  /** -t s and t^-1 per (level, plaintext prime, which), made on first use. */
  private final java.util.Map<List<Integer>, PolyBuffer> derivedAtLevel = new java.util.HashMap<>();

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
    int plainIndex = MessageSource.plainIndexOf(params, plaintexts, level);
    return encrypt(plaintexts.size(), plainIndex, level, MessageSource.of(plaintexts, params.n()));
  }

  /**
   * Encrypts plaintexts already encoded on the backend ({@link BatchEncoder#encodeOnBackend}: one
   * polynomial per plaintext, coefficients in [0, t) over plaintext prime {@code plainIndex} alone)
   * as one batch at {@code level}, as {@link #encrypt(List, int)} would encrypt the same
   * coefficients (the same ciphertexts from the same random source), without Plaintext objects or
   * a slot array on the host.
   *
   * @throws BfvException INVALID_ARGUMENT for an empty run or one over another basis, or a level
   *     outside [1, top]
   */
  public CiphertextBatch encryptEncoded(PolyRange plaintexts, int plainIndex, int level) {
    return encrypt(plaintexts.count(), plainIndex, level, MessageSource.encoded(params, backend, plaintexts, plainIndex, level));
  }

  /**
   * The one encryption path. Modulo each prime q_i of Q = Q_level, Delta = floor(Q / t) is
   * -r t^-1 with r = Q mod t, so round(Q m / t) + e = Delta m + round(r m / t) + e is t^-1 w with
   * the small integer w = t (round(r m / t) + e) - r m, |w| &lt;= t (|e| + 1/2). The host computes w
   * (one pass per ciphertext, where it computed Delta m in every prime before); the backend
   * reduces it into every prime, transforms it, adds the key product and multiplies by t^-1. With
   * the secret key the product is c1 (-t s), so that c0 = t^-1 NTT(w) - c1 s. The values are the
   * same as those of Delta m + carry computed prime by prime (a known-answer test checks the phase).
   */
  private CiphertextBatch encrypt(int count, int plainIndex, int level, MessageSource messages) {
    BfvParameters.PlainContext ctx = params.context(plainIndex, level);
    RnsBasis q = params.basisAt(level);
    int n = params.n();
    long t = ctx.t.value();
    long r = ctx.qModT;
    byte[] noiseSeed = new byte[SeedExpander.SEED_BYTES];
    random.nextBytes(noiseSeed);
    byte[] uniformSeed = null;
    if (secretKey != null) {
      uniformSeed = new byte[SeedExpander.SEED_BYTES];
      random.nextBytes(uniformSeed);
    }
    PolyBuffer key = secretKey != null ? scaledNegatedSecretAt(level, plainIndex) : keyAt(level);
    PolyBuffer inverseT = inversePlainModulusAt(level, plainIndex);
    // every residue of out is written below
    CiphertextBatch out = new CiphertextBatch(params, plainIndex, level, 2, count, backend.allocateUninitialized(q, 2 * count), true);
    // Host work and uploads go in chunks so host memory stays small next to the batch itself.
    int chunk = Math.max(1, Math.min(count, ENCRYPT_CHUNK));
    long[] w = new long[chunk * n];
    long[] e1 = publicKey != null ? new long[chunk * n] : null;
    long[] u = publicKey != null ? new long[chunk * n] : null;
    byte[] uSeed = uniformSeed;
    double inverse = 1.0 / t;
    // Expanders of the uniform stream, reused across the writer's calls (a construction is mostly
    // the AES key schedule); the stream is public (its seed travels with the batch).
    ConcurrentLinkedQueue<SeedExpander> uniformExpanders = new ConcurrentLinkedQueue<>();
    try (PolyBuffer ub = u == null ? null : backend.allocateUninitialized(q, chunk)) {
      for (int first = 0; first < count; first += chunk) {
        int c = Math.min(chunk, count - first);
        int base = first;
        // the last chunk may be shorter: arrays of its own size, wiped after their upload
        long[] wc = c == chunk ? w : new long[c * n];
        long[] ec = e1 == null || c == chunk ? e1 : new long[c * n];
        long[] uc = u == null || c == chunk ? u : new long[c * n];
        messages.fill(first, c, wc);
        // Contiguous ranges of the chunk, one noise expander per range, restarted for each
        // ciphertext (a new expander is a cipher lookup and a key schedule).
        int parts = Math.min(c, Math.max(1, ForkJoinPool.getCommonPoolParallelism() + 1));
        IntStream.range(0, parts).parallel().forEach(part -> {
          int lo = part * c / parts;
          int hi = (part + 1) * c / parts;
          SeedExpander noise = new SeedExpander(noiseSeed, KeyGenerator.DOMAIN_ENCRYPT_NOISE, base + lo);
          int[] e = new int[n];
          for (int kk = lo; kk < hi; kk++) {
            int k = base + kk;
            noise.restart(KeyGenerator.DOMAIN_ENCRYPT_NOISE, k);
            noise.centeredBinomial(e);
            int off = kk * n;
            for (int j = 0; j < n; j++) {
              // round(r m / t) from a double estimate and an exact correction (quotient)
              long rm = r * wc[off + j];
              wc[off + j] = t * (quotient(rm + (t >>> 1), t, inverse) + e[j]) - rm;
            }
            if (publicKey != null) {
              noise.centeredBinomial(e);
              for (int j = 0; j < n; j++) {
                ec[off + j] = e[j];
              }
              noise.ternary(e);
              for (int j = 0; j < n; j++) {
                uc[off + j] = e[j];
              }
            }
          }
          java.util.Arrays.fill(e, 0);
          noise.wipe();
        });
        PolyRange c0r = out.component(0).sub(first, c);
        PolyRange c1r = out.component(1).sub(first, c);
        if (secretKey != null) {
          // c1 is uniform, drawn in NTT form: no transform. c0 = (NTT(w) + c1 (-t s)) t^-1.
          backend.uploadIntegersPlusProduct(wc, c0r, c1r, (p, target, offset) -> {
            SeedExpander x = uniformExpanders.poll();
            if (x == null) {
              x = new SeedExpander(uSeed, KeyGenerator.DOMAIN_ENCRYPT_UNIFORM, base + p);
            }
            x.restart(KeyGenerator.DOMAIN_ENCRYPT_UNIFORM, base + p);
            x.uniform(q, target, offset);
            uniformExpanders.add(x);
          }, key.range(0, 1));
          backend.multiplyBroadcast(c0r, inverseT.all(), c0r);
        } else {
          // c0 = t^-1 NTT(w) + pk0 u, c1 = NTT(e1) + pk1 u
          backend.uploadIntegers(wc, c0r, true);
          backend.multiplyBroadcast(c0r, inverseT.all(), c0r);
          backend.uploadIntegers(ec, c1r, true);
          PolyRange ur = ub.range(0, c);
          backend.uploadIntegers(uc, ur, true);
          backend.multiplyAddBroadcast(ur, key.range(0, 1), c0r);
          backend.multiplyAddBroadcast(ur, key.range(1, 1), c1r);
        }
        if (c != chunk) {
          java.util.Arrays.fill(wc, 0);
          if (u != null) {
            java.util.Arrays.fill(ec, 0);
            java.util.Arrays.fill(uc, 0);
          }
        }
      }
    } finally {
      java.util.Arrays.fill(w, 0);
      if (u != null) {
        java.util.Arrays.fill(e1, 0);
        java.util.Arrays.fill(u, 0);
      }
      for (SeedExpander x : uniformExpanders) {
        x.wipe();
      }
    }
    if (secretKey != null) {
      out.setSeed(uniformSeed, level);
    }
    return out;
  }

  /** -t s over the primes of {@code level} in NTT form, for t the plaintext prime: made once, kept. */
  private PolyBuffer scaledNegatedSecretAt(int level, int plainIndex) {
    PolyBuffer s = keyAt(level);
    return derivedAtLevel.computeIfAbsent(List.of(level, plainIndex, 0), key -> {
      PolyBuffer b = backend.allocate(params.basisAt(level), 1);
      backend.multiplyScalar(s.range(0, 1), -params.plainModulus(plainIndex).value(), b.all());
      return b;
    });
  }

  /** The constant t^-1 over the primes of {@code level}, NTT form (every coefficient): made once, kept. */
  private PolyBuffer inversePlainModulusAt(int level, int plainIndex) {
    return derivedAtLevel.computeIfAbsent(List.of(level, plainIndex, 1), key -> {
      RnsBasis q = params.basisAt(level);
      int n = params.n();
      long[] host = new long[q.size() * n];
      java.math.BigInteger t = java.math.BigInteger.valueOf(params.plainModulus(plainIndex).value());
      for (int i = 0; i < q.size(); i++) {
        long inv = t.modInverse(java.math.BigInteger.valueOf(q.modulus(i).value())).longValueExact();
        java.util.Arrays.fill(host, i * n, (i + 1) * n, inv);
      }
      PolyBuffer b = backend.allocate(q, 1);
      backend.upload(host, b.all());
      return b;
    });
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
