package org.cryptonets.bfv;

import java.security.SecureRandom;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.RnsBasis;

/**
 * Generates a secret key on construction and, from it, public and relinearization keys for BFV and
 * for BGV (which share the secret key). Secrets and
 * noise come from a {@link SecureRandom}-seeded AES-CTR stream (a fresh 32-byte seed per key).
 *
 * <p>Not thread-safe. Throws {@link BfvException} PARAMETER_MISMATCH if a key of other parameters is
 * passed.
 */
public final class KeyGenerator {
  static final int DOMAIN_SECRET = 1;
  static final int DOMAIN_PUBLIC_KEY = 2;
  static final int DOMAIN_RELIN = 3;
  static final int DOMAIN_ENCRYPT_NOISE = 4;
  static final int DOMAIN_ENCRYPT_UNIFORM = 5;
  static final int DOMAIN_BGV_PUBLIC_KEY = 6;
  static final int DOMAIN_BGV_RELIN = 7;
  static final int DOMAIN_BGV_ENCRYPT_NOISE = 8;
  static final int DOMAIN_BGV_ENCRYPT_UNIFORM = 9;

  private final BfvParameters params;
  private final Backend backend;
  private final SecureRandom random;
  private final SecretKey secretKey;

  public KeyGenerator(BfvParameters params, Backend backend, SecureRandom random) {
    this.params = params;
    this.backend = backend;
    this.random = random;
    int n = params.n();
    // s goes straight into locked native memory; only a small heap chunk passes through, and it
    // is wiped. Sampling in chunks consumes the stream exactly as one call over n would.
    LockedBuffer s = LockedBuffer.allocate(n);
    int[] chunk = new int[Math.min(n, 256)];
    SeedExpander ex = new SeedExpander(freshSeed(), DOMAIN_SECRET, 0);
    for (int first = 0; first < n; first += chunk.length) {
      ex.ternary(chunk);
      for (int j = 0; j < chunk.length; j++) {
        s.put(first + j, (byte) chunk[j]);
      }
    }
    java.util.Arrays.fill(chunk, 0);
    ex.wipe();
    this.secretKey = SecretKey.create(params, backend, s);
  }

  public KeyGenerator(BfvParameters params, Backend backend) {
    this(params, backend, new SecureRandom());
  }

  private byte[] freshSeed() {
    byte[] seed = new byte[SeedExpander.SEED_BYTES];
    random.nextBytes(seed);
    return seed;
  }

  /** Writes small signed integers as residues of every limb at {@code host[off + i*n + j]}. */
  static void smallToResidues(int[] values, RnsBasis basis, long[] host, int off) {
    int n = basis.n();
    for (int i = 0; i < basis.size(); i++) {
      long q = basis.modulus(i).value();
      int base = off + i * n;
      for (int j = 0; j < n; j++) {
        int v = values[j];
        host[base + j] = v < 0 ? q + v : v;
      }
    }
  }

  public SecretKey secretKey() {
    return secretKey;
  }

  public PublicKey createPublicKey() {
    PolyBuffer pk = backend.allocate(params.coeffBasis(), 2);
    SeedExpander ex = new SeedExpander(freshSeed(), DOMAIN_PUBLIC_KEY, 0);
    publicKeyInto(pk, 0, ex, 1);
    ex.wipe();
    return new PublicKey(params, pk);
  }

  public RelinKeys createRelinKeys() {
    int l = params.maxLevel();
    PolyBuffer keys = backend.allocate(params.coeffBasis(), 2 * l);
    SeedExpander ex = new SeedExpander(freshSeed(), DOMAIN_RELIN, 0);
    relinKeysInto(keys, 0, ex, 1);
    ex.wipe();
    return new RelinKeys(params, keys);
  }

  /**
   * The BGV public key: for each plaintext prime t_j a pair (-(a s) + t_j e, a) in NTT form over Q
   * (BGV's noise is a multiple of t, so each plaintext prime has its own key).
   */
  public BgvPublicKey createBgvPublicKey() {
    int k = params.plainModuli().size();
    PolyBuffer pk = backend.allocate(params.coeffBasis(), 2 * k);
    byte[] seed = freshSeed();
    for (int j = 0; j < k; j++) {
      SeedExpander ex = new SeedExpander(seed, DOMAIN_BGV_PUBLIC_KEY, j);
      publicKeyInto(pk, 2 * j, ex, params.plainModulus(j).value());
      ex.wipe();
    }
    java.util.Arrays.fill(seed, (byte) 0);
    return new BgvPublicKey(params, pk);
  }

  /**
   * BGV relinearization keys: for each plaintext prime t_j, one digit key per prime of Q as for BFV
   * ({@link RelinKeys}) but with the noise t_j e.
   */
  public BgvRelinKeys createBgvRelinKeys() {
    int k = params.plainModuli().size();
    int l = params.maxLevel();
    PolyBuffer keys = backend.allocate(params.coeffBasis(), 2 * l * k);
    byte[] seed = freshSeed();
    for (int j = 0; j < k; j++) {
      SeedExpander ex = new SeedExpander(seed, DOMAIN_BGV_RELIN, j);
      relinKeysInto(keys, 2 * l * j, ex, params.plainModulus(j).value());
      ex.wipe();
    }
    java.util.Arrays.fill(seed, (byte) 0);
    return new BgvRelinKeys(params, keys);
  }

  /** Writes noise e (times {@code scale}) as residues of every limb at {@code host[off + i*n + j]}. */
  static void scaledToResidues(int[] values, long scale, RnsBasis basis, long[] host, int off) {
    if (scale == 1) {
      smallToResidues(values, basis, host, off);
      return;
    }
    int n = basis.n();
    for (int i = 0; i < basis.size(); i++) {
      long q = basis.modulus(i).value();
      int base = off + i * n;
      for (int j = 0; j < n; j++) {
        host[base + j] = Math.floorMod(values[j] * scale, q);
      }
    }
  }

  /** (-(a s) + scale e, a) into polynomials [first, first + 2) of {@code pk}, NTT form. */
  private void publicKeyInto(PolyBuffer pk, int first, SeedExpander ex, long noiseScale) {
    RnsBasis q = params.coeffBasis();
    int n = params.n();
    long[] host = new long[2 * q.size() * n];
    int[] e = new int[n];
    ex.centeredBinomial(e);
    scaledToResidues(e, noiseScale, q, host, 0);
    ex.uniform(q, host, q.size() * n);
    backend.upload(host, pk.range(first, 2));
    backend.forwardNtt(pk.range(first, 1));
    try (PolyBuffer tmp = backend.allocate(q, 1)) {
      backend.multiplyBroadcast(pk.range(first + 1, 1), secretKey.powers().range(0, 1), tmp.all());
      backend.subtract(pk.range(first, 1), tmp.all(), pk.range(first, 1));
    }
  }

  /** The 2 l digit-key polynomials (b_0, a_0, b_1, a_1, ...) into {@code keys} from {@code first}. */
  private void relinKeysInto(PolyBuffer keys, int first, SeedExpander ex, long noiseScale) {
    RnsBasis q = params.coeffBasis();
    int n = params.n();
    int l = q.size();
    long[] host = new long[2 * l * l * n];
    int[] e = new int[n];
    for (int j = 0; j < l; j++) {
      ex.centeredBinomial(e);
      scaledToResidues(e, noiseScale, q, host, 2 * j * l * n);
      ex.uniform(q, host, (2 * j + 1) * l * n);
    }
    backend.upload(host, keys.range(first, 2 * l));
    backend.forwardNtt(keys.range(first, l, 2));
    long[] square = new long[l * n];
    backend.download(secretKey.powers().range(1, 1), square);
    long[] gadget = new long[l * l * n];
    for (int j = 0; j < l; j++) {
      // s^2 times the CRT idempotent of q_j is s^2 in limb j and zero elsewhere.
      System.arraycopy(square, j * n, gadget, (j * l + j) * n, n);
    }
    java.util.Arrays.fill(square, 0);
    try (PolyBuffer tmp = backend.allocate(q, l)) {
      backend.multiplyBroadcast(keys.range(first + 1, l, 2), secretKey.powers().range(0, 1), tmp.all());
      backend.subtract(keys.range(first, l, 2), tmp.all(), keys.range(first, l, 2));
      backend.upload(gadget, tmp.all());
      java.util.Arrays.fill(gadget, 0);
      backend.add(keys.range(first, l, 2), tmp.all(), keys.range(first, l, 2));
      backend.upload(new long[l * l * n], tmp.all());
    }
  }
}
