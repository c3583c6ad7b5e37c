package org.cryptonets.bfv;

import java.security.SecureRandom;
import java.util.List;
import java.util.stream.IntStream;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.RnsBasis;

/**
 * Encrypts batches of plaintexts at the top level, in NTT form. With a public key: (pk0 u + e0 +
 * Delta m, pk1 u + e1) for ternary u. With the secret key (symmetric): (-(a s) + e + Delta m, a) where
 * every a is expanded from one 32-byte seed and the ciphertext index, so the batch can be sent as its
 * c0 halves plus the seed ({@link CiphertextBatch#seed()}), halving the upload. Delta m is round(Q m /
 * t), as in SEAL.
 *
 * <p>Not thread-safe (one instance per thread); the host-side sampling of one call runs in parallel.
 */
public final class Encryptor {
  private final BfvParameters params;
  private final Backend backend;
  private final PublicKey publicKey;
  private final SecretKey secretKey;
  private final SecureRandom random;

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
    int level = params.maxLevel();
    BfvParameters.PlainContext ctx = params.context(plainIndex, level);
    RnsBasis q = params.coeffBasis();
    int n = params.n();
    int l = q.size();
    byte[] noiseSeed = new byte[SeedExpander.SEED_BYTES];
    random.nextBytes(noiseSeed);
    byte[] uniformSeed = null;
    if (secretKey != null) {
      uniformSeed = new byte[SeedExpander.SEED_BYTES];
      random.nextBytes(uniformSeed);
    }
    // Host side: c0 gets Delta m + e (coefficient form); c1 gets a (symmetric, NTT form) or e1.
    long[] c0 = new long[count * l * n];
    long[] c1 = new long[count * l * n];
    long[] u = publicKey != null ? new long[count * l * n] : null;
    byte[] uSeed = uniformSeed;
    IntStream.range(0, count).parallel().forEach(k -> {
      SeedExpander noise = new SeedExpander(noiseSeed, KeyGenerator.DOMAIN_ENCRYPT_NOISE, k);
      int[] e = new int[n];
      noise.centeredBinomial(e);
      long[] m = plaintexts.get(k).coefficientsUnsafe();
      int off = k * l * n;
      for (int i = 0; i < l; i++) {
        long qi = q.modulus(i).value();
        for (int j = 0; j < n; j++) {
          long v = ctx.scaledResidue(m[j], i) + (e[j] < 0 ? qi + e[j] : e[j]);
          c0[off + i * n + j] = v >= qi ? v - qi : v;
        }
      }
      if (uSeed != null) {
        new SeedExpander(uSeed, KeyGenerator.DOMAIN_ENCRYPT_UNIFORM, k).uniform(q, c1, off);
      } else {
        noise.centeredBinomial(e);
        KeyGenerator.smallToResidues(e, q, c1, off);
        noise.ternary(e);
        KeyGenerator.smallToResidues(e, q, u, off);
      }
      noise.wipe();
    });
    CiphertextBatch out = CiphertextBatch.allocate(backend, params, plainIndex, level, 2, count, true);
    backend.upload(c0, out.component(0));
    backend.forwardNtt(out.component(0));
    backend.upload(c1, out.component(1));
    try (PolyBuffer tmp = backend.allocate(q, count)) {
      if (secretKey != null) {
        backend.multiplyBroadcast(out.component(1), secretKey.powers().range(0, 1), tmp.all());
        backend.subtract(out.component(0), tmp.all(), out.component(0));
        out.setSeed(uniformSeed);
      } else {
        backend.forwardNtt(out.component(1));
        try (PolyBuffer ub = backend.allocate(q, count)) {
          backend.upload(u, ub.all());
          backend.forwardNtt(ub.all());
          backend.multiplyBroadcast(ub.all(), publicKey.buffer().range(0, 1), tmp.all());
          backend.add(out.component(0), tmp.all(), out.component(0));
          backend.multiplyBroadcast(ub.all(), publicKey.buffer().range(1, 1), tmp.all());
          backend.add(out.component(1), tmp.all(), out.component(1));
        }
      }
    }
    return out;
  }

  /** Regenerates the c1 halves of a seeded batch from its seed: what the receiving side runs. */
  public static void expandSeed(BfvParameters params, byte[] seed, long[] c1, int count) {
    RnsBasis q = params.coeffBasis();
    int len = q.size() * params.n();
    if (c1.length != (long) count * len) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "c1 array of " + c1.length + " for " + count + " ciphertexts");
    }
    IntStream.range(0, count).parallel().forEach(k -> new SeedExpander(seed, KeyGenerator.DOMAIN_ENCRYPT_UNIFORM, k).uniform(q, c1, k * len));
  }
}
