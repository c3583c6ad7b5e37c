package org.cryptonets.inference;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.cryptonets.bfv.BatchEncoder;
import org.cryptonets.bfv.BfvParameters;
import org.cryptonets.bfv.BgvDecryptor;
import org.cryptonets.bfv.BgvEncryptor;
import org.cryptonets.bfv.CiphertextBatch;
import org.cryptonets.bfv.CompressedCiphertexts;
import org.cryptonets.bfv.CompressedResults;
import org.cryptonets.bfv.CrtComposer;
import org.cryptonets.bfv.Decryptor;
import org.cryptonets.bfv.Encryptor;
import org.cryptonets.bfv.KeyGenerator;
import org.cryptonets.bfv.RelinKeys;
import org.cryptonets.bfv.RelinearizationKeys;
import org.cryptonets.bfv.Scheme;
import org.cryptonets.bfv.SecretKey;
import org.cryptonets.engine.Backend;
import org.cryptonets.engine.PolyBuffer;

/**
 * The data owner's side, one API for the in-process demo and the two-party commands: holds the
 * secret key, encodes and encrypts a batch of quantized images (slot s of the ciphertext for input
 * position p and plaintext prime t_j holds value p of image s mod t_j), and decrypts the returned
 * results, joining the k residues of each logit by CRT and checking them: the noise budget must be
 * positive and every logit within the range the plaintext primes were sized for. Either scheme:
 * BFV, or BGV (ciphertexts in NTT form; its results come back converted to BFV with a public
 * factor, so both decrypt the same way).
 *
 * <p>Not thread-safe. Close it to wipe a secret key it generated itself.
 */
public final class DataOwner implements AutoCloseable {
  /**
   * Decrypted results and their checks. Immutable after construction by {@link #decrypt}; safe to
   * share between threads.
   *
   * <p>Where the plaintext primes' CRT range fits 62 bits (the committed model's two 29-bit
   * primes) the logits are kept as {@code long}s ({@link #longLogits}) and the {@link BigInteger}
   * view is made on the first call of {@link #logits}: 81,920 BigIntegers per batch were a third of
   * a warm decryption (BENCHMARKS.md).
   */
  public static final class Decryption {
    private final long[][] longLogits;
    private BigInteger[][] logits;
    private final long[][][] residues;
    private final int minNoiseBudget;
    private final List<Integer> outOfRange;

    private Decryption(long[][] longLogits, BigInteger[][] logits, long[][][] residues, int minNoiseBudget, List<Integer> outOfRange) {
      this.longLogits = longLogits;
      this.logits = logits;
      this.residues = residues;
      this.minNoiseBudget = minNoiseBudget;
      this.outOfRange = outOfRange;
    }

    /** {@code logits[image][class]}, the centred CRT lift of the residues. */
    public synchronized BigInteger[][] logits() {
      if (logits == null) {
        BigInteger[][] b = new BigInteger[longLogits.length][];
        for (int s = 0; s < b.length; s++) {
          b[s] = new BigInteger[longLogits[s].length];
          for (int c = 0; c < b[s].length; c++) {
            b[s][c] = BigInteger.valueOf(longLogits[s][c]);
          }
        }
        logits = b;
      }
      return logits;
    }

    /** True when the logits are held as {@code long}s (the CRT range fits 62 bits). */
    public boolean hasLongLogits() {
      return longLogits != null;
    }

    /**
     * {@code logits[image][class]} as {@code long}s (the caller must not modify them).
     *
     * @throws IllegalStateException when the CRT range is wider than 62 bits (use {@link #logits})
     */
    public long[][] longLogits() {
      if (longLogits == null) {
        throw new IllegalStateException("the plaintext primes' CRT range exceeds 62 bits; the logits are BigIntegers (logits())");
      }
      return longLogits;
    }

    /** {@code residues[j][class][image]}, what decryption under t_j gave. */
    public long[][][] residues() {
      return residues;
    }

    /** Smallest invariant noise budget over the results, in bits. */
    public int minNoiseBudget() {
      return minNoiseBudget;
    }

    /**
     * Indices of images with a logit beyond +-2^logitBits: under the right key such a value cannot
     * come from the network, so the results are damaged or foreign.
     */
    public List<Integer> outOfRange() {
      return outOfRange;
    }

    /** Predicted class of each image (argmax of its logits, the first on ties). */
    public int[] predictions() {
      if (longLogits == null) {
        int[] p = new int[logits.length];
        for (int s = 0; s < logits.length; s++) {
          p[s] = org.cryptonets.net.IntegerNetwork.predict(logits[s]);
        }
        return p;
      }
      int[] p = new int[longLogits.length];
      for (int s = 0; s < longLogits.length; s++) {
        p[s] = org.cryptonets.net.IntegerNetwork.predict(longLogits[s]);
      }
      return p;
    }

    /** True if nothing suggests a wrong key or damaged results. */
    public boolean trustworthy() {
      return minNoiseBudget > 0 && outOfRange.isEmpty();
    }
  }

  private final BfvParameters params;
  private final Backend backend;
  private final Scheme scheme;
  private final KeyGenerator keys;
  private final SecretKey secretKey;
  private final Encryptor encryptor;
  private final BgvEncryptor bgvEncryptor;
  private final Decryptor decryptor;
  private final BgvDecryptor bgvDecryptor;
  private final List<BatchEncoder> encoders = new ArrayList<>();
  private final CrtComposer crt;

  /** A BFV owner with a fresh secret key from {@code random}. */
  public DataOwner(BfvParameters params, Backend backend, SecureRandom random) {
    this(params, Scheme.BFV, backend, random);
  }

  /** An owner of {@code scheme} with a fresh secret key from {@code random}. */
  public DataOwner(BfvParameters params, Scheme scheme, Backend backend, SecureRandom random) {
    this(params, scheme, backend, new KeyGenerator(params, backend, random));
  }

  /** A BFV owner with an existing secret key (loaded from the owner's key file); close does not wipe it. */
  public DataOwner(BfvParameters params, Backend backend, SecretKey secretKey) {
    this(params, Scheme.BFV, backend, null, secretKey);
  }

  /** An owner of {@code scheme} with an existing secret key; close does not wipe it. */
  public DataOwner(BfvParameters params, Scheme scheme, Backend backend, SecretKey secretKey) {
    this(params, scheme, backend, null, secretKey);
  }

  private DataOwner(BfvParameters params, Scheme scheme, Backend backend, KeyGenerator keys) {
    this(params, scheme, backend, keys, keys.secretKey());
  }

  private DataOwner(BfvParameters params, Scheme scheme, Backend backend, KeyGenerator keys, SecretKey secretKey) {
    this.params = params;
    this.backend = backend;
    this.scheme = scheme;
    this.keys = keys;
    this.secretKey = secretKey;
    boolean bgv = scheme == Scheme.BGV;
    this.encryptor = bgv ? null : new Encryptor(params, backend, secretKey);
    this.bgvEncryptor = bgv ? new BgvEncryptor(params, backend, secretKey) : null;
    this.decryptor = new Decryptor(params, backend, secretKey);
    this.bgvDecryptor = bgv ? new BgvDecryptor(params, backend, secretKey) : null;
    for (int j = 0; j < params.plainModuli().size(); j++) {
      encoders.add(new BatchEncoder(params, j));
    }
    this.crt = new CrtComposer(params);
  }

  /**
   * The evaluation keys the cloud needs.
   *
   * @throws IllegalStateException for an owner built from a loaded key (keygen makes those)
   */
  public RelinKeys createRelinKeys() {
    if (keys == null) {
      throw new IllegalStateException("relinearization keys are made with the secret key by keygen");
    }
    if (scheme != Scheme.BFV) {
      throw new IllegalStateException("BFV relinearization keys for a " + scheme + " owner; use createRelinearizationKeys");
    }
    return keys.createRelinKeys();
  }

  /**
   * The evaluation keys the cloud needs, for this owner's scheme.
   *
   * @throws IllegalStateException for an owner built from a loaded key (keygen makes those)
   */
  public RelinearizationKeys createRelinearizationKeys() {
    if (keys == null) {
      throw new IllegalStateException("relinearization keys are made with the secret key by keygen");
    }
    return scheme == Scheme.BGV ? keys.createBgvRelinKeys() : keys.createRelinKeys();
  }

  /** The scheme this owner encrypts under. */
  public Scheme scheme() {
    return scheme;
  }

  /**
   * The ciphertexts of one plaintext prime for up to n quantized images (one per input position),
   * encrypted at the top level and switched down to {@code level} chunk by chunk (what a sender
   * sends: the c0 halves and the seed).
   *
   * @throws IllegalArgumentException for no images, more than n, or images of different lengths
   */
  public CiphertextBatch encryptImages(int[][] images, int plainIndex, int level) {
    int n = params.n();
    if (images.length == 0 || images.length > n) {
      throw new IllegalArgumentException(images.length + " images; a batch holds 1 to " + n);
    }
    int pixels = images[0].length;
    for (int[] im : images) {
      if (im.length != pixels) {
        throw new IllegalArgumentException("images of " + im.length + " and " + pixels + " pixels in one batch");
      }
    }
    // One image per slot: slot s of the plaintext for pixel p holds pixel p of image s. Encoded
    // straight from the images into the backend's buffer (unused slots zero) and encrypted from
    // there: no slot array, no Plaintext objects.
    long t = params.plainModulus(plainIndex).value();
    int count = images.length;
    try (PolyBuffer encoded = encoders.get(plainIndex).encodeOnBackend(backend, pixels, (p, target, offset) -> {
      for (int s = 0; s < count; s++) {
        long v = images[s][p];
        target[offset + s] = v >= 0 && v < t ? v : Math.floorMod(v, t);
      }
      java.util.Arrays.fill(target, offset + count, offset + n, 0L);
    })) {
      return scheme == Scheme.BGV ? bgvEncryptor.encryptEncoded(encoded.all(), plainIndex, level) : encryptor.encryptEncoded(encoded.all(), plainIndex, level);
    }
  }

  /**
   * Decrypts results that travelled switched to a power-of-two modulus (one batch per plaintext
   * prime, one ciphertext per class) of {@code images} images, and checks them against the logit
   * range {@code logitBits} the primes were sized for.
   *
   * @throws IllegalArgumentException if the batches do not match the parameters
   */
  public Decryption decrypt(List<CompressedCiphertexts> outputs, int images, int logitBits) {
    List<CompressedResults> results = new ArrayList<>();
    for (CompressedCiphertexts c : outputs) {
      results.add(CompressedResults.of(Scheme.BFV, c, 1));
    }
    return decryptResults(results, images, logitBits);
  }

  /**
   * Images [from, to): copies their logits from the class rows into their own rows and marks those
   * with a logit outside (-limit, limit). Its own method: a small unit for the JIT.
   */
  private static void writeRows(long[][] byClass, long[][] longLogits, boolean[] implausible, int from, int to, long limit) {
    int classes = byClass.length;
    for (int s = from; s < to; s++) {
      long[] row = longLogits[s];
      boolean plausible = true;
      for (int c = 0; c < classes; c++) {
        long v = byClass[c][s];
        row[c] = v;
        plausible &= v < limit && v > -limit;
      }
      implausible[s] = !plausible;
    }
  }

  /** Most warm-up calls {@link #warmUpDecryption} accepts; the demo makes 20, 0.25-0.57 s on 2 cores (BENCHMARKS.md). */
  public static final int MAX_WARM_UP_CALLS = 100;

  /** Most classes (ciphertexts per plaintext prime) {@link #warmUpDecryption} accepts. */
  public static final int MAX_WARM_UP_CLASSES = 1024;

  /**
   * Runs {@link #decryptResults} {@code calls} times on random results of the shape the owner will
   * decrypt ({@code classes} ciphertexts per plaintext prime, compressed to 2^{@code bits}, a full
   * batch of n images) and discards what it decrypts, so that the JIT has compiled the real path
   * (the backend's transforms of the results, the rounding, the CRT join, the row copy, the parallel
   * streams' lambdas) before the owner's first real batch. For an owner that decrypts more than one
   * batch in a JVM, such as the demo and its repeats; a one-shot {@code decrypt} command would spend
   * more on it than it saves. Without it the demo's three timed decryptions ran partly interpreted:
   * 0.02-0.08 s against 0.006-0.012 s once compiled (BENCHMARKS.md).
   *
   * <p>The random values are public noise, not ciphertexts of anything; decrypting them under the
   * owner's key yields uniform garbage that never leaves this method.
   *
   * @throws IllegalArgumentException for classes outside [1, {@value #MAX_WARM_UP_CLASSES}], calls
   *     outside [1, {@value #MAX_WARM_UP_CALLS}] or bits that results of these parameters cannot have
   */
  public void warmUpDecryption(int classes, int bits, int calls) {
    if (classes < 1 || classes > MAX_WARM_UP_CLASSES) {
      throw new IllegalArgumentException("warm-up for " + classes + " classes; expected 1 to " + MAX_WARM_UP_CLASSES);
    }
    if (calls < 1 || calls > MAX_WARM_UP_CALLS) {
      throw new IllegalArgumentException("warm-up of " + calls + " calls; expected 1 to " + MAX_WARM_UP_CALLS);
    }
    int n = params.n();
    int k = params.plainModuli().size();
    for (int j = 0; j < k; j++) {
      int min = CompressedCiphertexts.minBits(params, j);
      if (bits < min || bits > CompressedCiphertexts.MAX_BITS) {
        throw new IllegalArgumentException("warm-up for results of " + bits + " bits; expected " + min + " to " + CompressedCiphertexts.MAX_BITS);
      }
    }
    java.util.SplittableRandom random = new java.util.SplittableRandom(20261201);
    List<CompressedResults> noise = new ArrayList<>();
    for (int j = 0; j < k; j++) {
      long[] values = new long[2 * classes * n];
      for (int v = 0; v < values.length; v++) {
        values[v] = random.nextLong() >>> (64 - bits);
      }
      long t = params.plainModulus(j).value();
      noise.add(CompressedResults.of(scheme, CompressedCiphertexts.of(params, j, bits, classes, values), scheme == Scheme.BFV ? 1 : 1 + random.nextLong(t - 1)));
    }
    for (int call = 0; call < calls; call++) {
      decryptResults(noise, n, crt.capacityBits() - 1);
    }
  }

  /**
   * Decrypts results of either scheme (one batch per plaintext prime, one ciphertext per class,
   * switched to a power-of-two modulus; BGV's carry the factor its conversion left), as
   * {@link #decrypt}.
   *
   * @throws IllegalArgumentException if the batches do not match the parameters or the owner's scheme
   */
  public Decryption decryptResults(List<CompressedResults> outputs, int images, int logitBits) {
    int k = params.plainModuli().size();
    if (outputs.size() != k) {
      throw new IllegalArgumentException(outputs.size() + " result batches for " + k + " plaintext primes");
    }
    int classes = outputs.get(0).count();
    long[][][] slots = new long[k][][];
    int minBudget = Integer.MAX_VALUE;
    for (int j = 0; j < k; j++) {
      if (outputs.get(j).count() != classes) {
        throw new IllegalArgumentException("result batch " + j + " holds " + outputs.get(j).count() + " ciphertexts, batch 0 holds " + classes);
      }
      if (outputs.get(j).scheme() != scheme) {
        throw new IllegalArgumentException("result batch " + j + " was computed under " + outputs.get(j).scheme() + "; this owner's keys are " + scheme);
      }
      Decryptor.Decrypted d = decryptor.decryptWithBudget(outputs.get(j).ciphertexts(), outputs.get(j).plainFactor());
      slots[j] = d.slots();
      for (int b : d.budgets()) {
        minBudget = Math.min(minBudget, b);
      }
    }
    // residues[j][class][image]: the decrypted slots themselves, cut to the batch's images
    long[][][] residues = new long[k][classes][];
    for (int j = 0; j < k; j++) {
      for (int c = 0; c < classes; c++) {
        residues[j][c] = slots[j][c].length == images ? slots[j][c] : Arrays.copyOf(slots[j][c], images);
      }
    }
    boolean[] implausible = new boolean[images];
    long[][] longLogits = crt.isNarrow() ? new long[images][classes] : null;
    BigInteger[][] logits = crt.isNarrow() ? null : new BigInteger[images][classes];
    if (crt.isNarrow()) {
      // 64-bit Garner composition, one class row at a time (CrtComposer.composeLongs); in parallel
      // over classes (81,920 logits per full batch of the committed model)
      long[][] byClass = new long[classes][];
      IntStream.range(0, classes).parallel().forEach(c -> {
        long[][] rows = new long[k][];
        for (int j = 0; j < k; j++) {
          rows[j] = residues[j][c];
        }
        byClass[c] = crt.composeLongs(rows, images);
      });
      // Then each image's row by one thread: two threads writing different classes of the same
      // rows would share the rows' cache lines.
      long limit = logitBits < 0 ? 0 : logitBits >= 63 ? Long.MAX_VALUE : 1L << logitBits;
      int blocks = Math.min(images, 64);
      IntStream.range(0, blocks).parallel().forEach(b -> writeRows(byClass, longLogits, implausible, b * images / blocks, (b + 1) * images / blocks, limit));
    } else {
      IntStream.range(0, images).parallel().forEach(s -> {
        long[] r = new long[k];
        boolean plausible = true;
        for (int c = 0; c < classes; c++) {
          for (int j = 0; j < k; j++) {
            r[j] = residues[j][c][s];
          }
          logits[s][c] = crt.compose(r);
          plausible &= logits[s][c].abs().bitLength() <= logitBits;
        }
        implausible[s] = !plausible;
      });
    }
    List<Integer> outOfRange = new ArrayList<>();
    for (int s = 0; s < images; s++) {
      if (implausible[s]) {
        outOfRange.add(s);
      }
    }
    return new Decryption(longLogits, logits, residues, minBudget, List.copyOf(outOfRange));
  }

  /** The smallest invariant noise budget (bits) over {@code batch}, which stays encrypted. */
  public int minNoiseBudget(CiphertextBatch batch) {
    int min = Integer.MAX_VALUE;
    for (int v : batch.scheme() == Scheme.BGV ? bgvDecryptor.noiseBudget(batch) : decryptor.invariantNoiseBudget(batch)) {
      min = Math.min(min, v);
    }
    return min;
  }

  @Override
  public void close() {
    if (bgvEncryptor != null) {
      bgvEncryptor.close();
    }
    if (bgvDecryptor != null) {
      bgvDecryptor.close();
    }
    if (keys != null) {
      secretKey.close();
    }
  }
}
