package org.cryptonets.bfv;

import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PolyRange;
import org.cryptonets.engine.RnsBasis;

/**
 * BGV encryption straight into NTT form at any level, the plaintext m (as {@link BatchEncoder}
 * makes it, lifted to centred integers) in the low bits and the noise scaled by t:
 *
 * <ul>
 *   <li>symmetric, with the secret key: c1 = a uniform, drawn directly as NTT-form residues from a
 *       32-byte seed and the ciphertext index (so it costs no transform and the batch can be sent as
 *       its c0 halves plus the seed, {@link CiphertextBatch#seed()}); c0 = -(a s) + NTT(t e + m);
 *   <li>with the public key ({@link BgvPublicKey}, (pk0, pk1) for the batch's plaintext prime):
 *       (pk0 u + t e0 + m, pk1 u + t e1) for ternary u.
 * </ul>
 *
 * The secret, noise and uniform samplers are those of BFV ({@link SeedExpander}, centred binomial
 * with eta = 21, ternary), seeded from {@link SecureRandom}; BGV uses its own stream domains. Fresh
 * batches have correction factor 1.
 *
 * <p>Not thread-safe (one instance per thread); the host-side sampling of one call runs in parallel.
 * Throws {@link BfvException} PARAMETER_MISMATCH for keys of other parameters or plaintexts of
 * different primes in one batch, INVALID_ARGUMENT for an empty list or a level outside [1, top].
 */
public final class BgvEncryptor implements AutoCloseable {
  private static final int ENCRYPT_CHUNK = 64;

  private final BfvParameters params;
  private final Backend backend;
  private final BgvPublicKey publicKey;
  private final SecretKey secretKey;
  private final SecureRandom random;
  /** Key material restricted to lower levels: s (symmetric) or every (pk0, pk1) pair; -s at -level. */
  private final ConcurrentHashMap<Integer, PolyBuffer> keyAtLevel = new ConcurrentHashMap<>();

  public BgvEncryptor(BfvParameters params, Backend backend, BgvPublicKey publicKey) {
    this(params, backend, publicKey, null, new SecureRandom());
  }

  public BgvEncryptor(BfvParameters params, Backend backend, SecretKey secretKey) {
    this(params, backend, null, secretKey, new SecureRandom());
  }

  BgvEncryptor(BfvParameters params, Backend backend, BgvPublicKey publicKey, SecretKey secretKey, SecureRandom random) {
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

  /** Encrypts plaintexts of one plaintext prime at the top level. */
  public CiphertextBatch encrypt(List<Plaintext> plaintexts) {
    return encrypt(plaintexts, params.maxLevel());
  }

  /** The key polynomials at {@code level}: s, or (pk0, pk1) of every plaintext prime. */
  private PolyBuffer keyAt(int level) {
    PolyBuffer full = secretKey != null ? secretKey.powers() : publicKey.buffer();
    int polys = secretKey != null ? 1 : full.polys();
    if (level == params.maxLevel()) {
      return full;
    }
    return keyAtLevel.computeIfAbsent(level, l -> KeyResidues.prefix(params, backend, full.range(0, polys), l));
  }

  /**
   * -s at {@code level}, so that symmetric encryption adds c1 (-s) to c0 in one pass; kept with the
   * other key copies and wiped with them.
   */
  private PolyBuffer negatedSecretAt(int level) {
    PolyBuffer s = keyAt(level);
    return keyAtLevel.computeIfAbsent(-level, l -> {
      PolyBuffer neg = backend.allocate(params.basisAt(level), 1);
      backend.negate(s.range(0, 1), neg.all());
      return neg;
    });
  }

  /** Encrypts plaintexts of one plaintext prime directly at {@code level}, in NTT form. */
  public CiphertextBatch encrypt(List<Plaintext> plaintexts, int level) {
    int plainIndex = MessageSource.plainIndexOf(params, plaintexts, level);
    return encrypt(plaintexts.size(), plainIndex, level, MessageSource.of(plaintexts, params.n()));
  }

  /**
   * Encrypts plaintexts that {@link BatchEncoder#encodeOnBackend} left on the backend (coefficient
   * form over plaintext prime {@code plainIndex} alone) directly at {@code level}, in NTT form, as
   * {@link #encrypt(List, int)} does: the coefficients reach the host a chunk at a time, with no
   * {@link Plaintext} objects (for a full batch of images, 51 MB per plaintext prime not allocated).
   *
   * @throws BfvException INVALID_ARGUMENT for an empty range, a range over another basis than the
   *     plaintext prime's, or a level outside [1, top]
   */
  public CiphertextBatch encryptEncoded(PolyRange plaintexts, int plainIndex, int level) {
    return encrypt(plaintexts.count(), plainIndex, level, MessageSource.encoded(params, backend, plaintexts, plainIndex, level));
  }

  private CiphertextBatch encrypt(int count, int plainIndex, int level, MessageSource messages) {
    RnsBasis q = params.basisAt(level);
    int n = params.n();
    long t = params.plainModulus(plainIndex).value();
    byte[] noiseSeed = new byte[SeedExpander.SEED_BYTES];
    random.nextBytes(noiseSeed);
    byte[] uniformSeed = null;
    if (secretKey != null) {
      uniformSeed = new byte[SeedExpander.SEED_BYTES];
      random.nextBytes(uniformSeed);
    }
    PolyBuffer key = secretKey != null ? negatedSecretAt(level) : keyAt(level);
    // every residue of out is written below
    CiphertextBatch out = CiphertextBatch.allocateBgvForOverwrite(backend, params, plainIndex, level, 2, count, 1);
    int chunk = Math.max(1, Math.min(count, ENCRYPT_CHUNK));
    // The host samples one integer per coefficient (m + t e, and for the public key t e1 and u);
    // the backend reduces them into every limb and transforms them (Backend.uploadIntegers).
    long[] v = new long[chunk * n];
    long[] te1 = publicKey != null ? new long[chunk * n] : null;
    long[] u = publicKey != null ? new long[chunk * n] : null;
    byte[] uSeed = uniformSeed;
    // Expanders of the uniform stream, reused across the writer's calls (a construction is mostly
    // the AES key schedule); the stream is public (its seed travels with the batch).
    ConcurrentLinkedQueue<SeedExpander> uniformExpanders = new ConcurrentLinkedQueue<>();
    try (PolyBuffer ub = u == null ? null : backend.allocateUninitialized(q, chunk)) {
      for (int first = 0; first < count; first += chunk) {
        int c = Math.min(chunk, count - first);
        int base = first;
        // the last chunk may be shorter: arrays of its own size, wiped after their upload
        long[] vc = c == chunk ? v : new long[c * n];
        long[] tc = te1 == null || c == chunk ? te1 : new long[c * n];
        long[] uc = u == null || c == chunk ? u : new long[c * n];
        messages.fill(first, c, vc);
        // Contiguous ranges of the chunk, one noise expander per range, restarted for each
        // ciphertext (a fresh expander per ciphertext spent most of its time on the AES key schedule).
        int parts = Math.min(c, Math.max(1, ForkJoinPool.getCommonPoolParallelism() + 1));
        IntStream.range(0, parts).parallel().forEach(part -> {
          int lo = part * c / parts;
          int hi = (part + 1) * c / parts;
          SeedExpander noise = new SeedExpander(noiseSeed, KeyGenerator.DOMAIN_BGV_ENCRYPT_NOISE, base + lo);
          int[] e = new int[n];
          for (int kk = lo; kk < hi; kk++) {
            int k = base + kk;
            noise.restart(KeyGenerator.DOMAIN_BGV_ENCRYPT_NOISE, k);
            noise.centeredBinomial(e);
            int off = kk * n;
            for (int j = 0; j < n; j++) {
              // m + t e with m centred: |m + t e| < t (eta + 1)
              long m = vc[off + j];
              vc[off + j] = (m > t >>> 1 ? m - t : m) + t * e[j];
            }
            if (publicKey != null) {
              noise.centeredBinomial(e);
              for (int j = 0; j < n; j++) {
                tc[off + j] = t * e[j];
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
          // c1 is uniform, drawn in NTT form: no transform. c0 = NTT(m + t e) + c1 (-s), each
          // ciphertext in one pass (Backend.uploadIntegersPlusProduct).
          backend.uploadIntegersPlusProduct(vc, c0r, c1r, (p, target, offset) -> {
            SeedExpander x = uniformExpanders.poll();
            if (x == null) {
              x = new SeedExpander(uSeed, KeyGenerator.DOMAIN_BGV_ENCRYPT_UNIFORM, base + p);
            }
            x.restart(KeyGenerator.DOMAIN_BGV_ENCRYPT_UNIFORM, base + p);
            x.uniform(q, target, offset);
            uniformExpanders.add(x);
          }, key.range(0, 1));
        } else {
          backend.uploadIntegers(vc, c0r, true);
          backend.uploadIntegers(tc, c1r, true);
          PolyRange ur = ub.range(0, c);
          backend.uploadIntegers(uc, ur, true);
          backend.multiplyAddBroadcast(ur, key.range(2 * plainIndex, 1), c0r);
          backend.multiplyAddBroadcast(ur, key.range(2 * plainIndex + 1, 1), c1r);
        }
        if (c != chunk) {
          java.util.Arrays.fill(vc, 0);
          if (u != null) {
            java.util.Arrays.fill(tc, 0);
            java.util.Arrays.fill(uc, 0);
          }
        }
      }
    } finally {
      java.util.Arrays.fill(v, 0);
      if (u != null) {
        java.util.Arrays.fill(te1, 0);
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

  /**
   * Regenerates the c1 halves of ciphertexts [first, first + count) of a seeded BGV batch at
   * {@code level} (NTT form, over the level's primes): what the receiving side runs.
   *
   * @throws BfvException INVALID_ARGUMENT if {@code c1} does not hold exactly {@code count}
   *     polynomials of the level, {@code first} is negative or the level is outside [1, top]
   */
  public static void expandSeed(BfvParameters params, byte[] seed, int level, int first, long[] c1, int count) {
    params.checkLevel(level);
    RnsBasis q = params.basisAt(level);
    int len = q.size() * params.n();
    if (c1.length != (long) count * len || first < 0) {
      throw new BfvException(BfvException.ErrorCode.INVALID_ARGUMENT, "c1 array of " + c1.length + " for " + count + " ciphertexts from " + first + " at level " + level);
    }
    SeedExpander.uniformStreams(seed, KeyGenerator.DOMAIN_BGV_ENCRYPT_UNIFORM, first, count, q, c1);
  }

  /** Releases the key copies made for lower levels (device memory on a GPU); overwritten first. */
  @Override
  public void close() {
    for (PolyBuffer b : keyAtLevel.values()) {
      backend.upload(new long[(int) b.all().hostLength()], b.all());
      b.close();
    }
    keyAtLevel.clear();
  }
}
