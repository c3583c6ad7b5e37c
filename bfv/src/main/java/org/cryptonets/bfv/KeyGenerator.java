package org.cryptonets.bfv;

import java.security.SecureRandom;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.RnsBasis;

/**
 * Generates a secret key on construction and, from it, public and relinearization keys. Secrets and
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
    RnsBasis q = params.coeffBasis();
    int n = params.n();
    PolyBuffer pk = backend.allocate(q, 2);
    long[] host = new long[2 * q.size() * n];
    SeedExpander ex = new SeedExpander(freshSeed(), DOMAIN_PUBLIC_KEY, 0);
    int[] e = new int[n];
    ex.centeredBinomial(e);
    smallToResidues(e, q, host, 0);
    ex.uniform(q, host, q.size() * n);
    ex.wipe();
    backend.upload(host, pk.all());
    backend.forwardNtt(pk.range(0, 1));
    try (PolyBuffer tmp = backend.allocate(q, 1)) {
      backend.multiplyBroadcast(pk.range(1, 1), secretKey.powers().range(0, 1), tmp.all());
      backend.subtract(pk.range(0, 1), tmp.all(), pk.range(0, 1));
    }
    return new PublicKey(params, pk);
  }

  public RelinKeys createRelinKeys() {
    RnsBasis q = params.coeffBasis();
    int n = params.n();
    int l = q.size();
    PolyBuffer keys = backend.allocate(q, 2 * l);
    long[] host = new long[2 * l * l * n];
    SeedExpander ex = new SeedExpander(freshSeed(), DOMAIN_RELIN, 0);
    int[] e = new int[n];
    for (int j = 0; j < l; j++) {
      ex.centeredBinomial(e);
      smallToResidues(e, q, host, 2 * j * l * n);
      ex.uniform(q, host, (2 * j + 1) * l * n);
    }
    ex.wipe();
    backend.upload(host, keys.all());
    backend.forwardNtt(keys.range(0, l, 2));
    long[] square = new long[l * n];
    backend.download(secretKey.powers().range(1, 1), square);
    long[] gadget = new long[l * l * n];
    for (int j = 0; j < l; j++) {
      // s^2 times the CRT idempotent of q_j is s^2 in limb j and zero elsewhere.
      System.arraycopy(square, j * n, gadget, (j * l + j) * n, n);
    }
    java.util.Arrays.fill(square, 0);
    try (PolyBuffer tmp = backend.allocate(q, l)) {
      backend.multiplyBroadcast(keys.range(1, l, 2), secretKey.powers().range(0, 1), tmp.all());
      backend.subtract(keys.range(0, l, 2), tmp.all(), keys.range(0, l, 2));
      backend.upload(gadget, tmp.all());
      java.util.Arrays.fill(gadget, 0);
      backend.add(keys.range(0, l, 2), tmp.all(), keys.range(0, l, 2));
      backend.upload(new long[l * l * n], tmp.all());
    }
    return new RelinKeys(params, keys);
  }
}
