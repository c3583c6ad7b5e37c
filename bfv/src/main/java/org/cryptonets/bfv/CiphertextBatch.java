package org.cryptonets.bfv;

import org.cryptonets.engine.Backend;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PolyRange;

/**
 * A batch of BFV or BGV ciphertexts that share scheme, parameters, plaintext prime, level, size and form, held in
 * one backend buffer as (c0, c1[, c2]) of ciphertext 0, then ciphertext 1, and so on. A single
 * ciphertext is a batch of one. Batches are what the evaluator works on, so a backend can apply one
 * operation to thousands of ciphertexts per call and keep them on its device.
 *
 * <p>Size is the number of polynomials per ciphertext (2 fresh, 3 after a multiplication until
 * relinearized). Form is NTT or coefficient; operations convert as they need.
 *
 * <p>A BGV batch ({@link #scheme()}) is always in NTT form and carries a public correction factor
 * f mod t ({@link #correctionFactor()}): its phase is f m + t v, so decryption multiplies by f^-1.
 * Fresh BGV ciphertexts have f = 1; each modulus switch dropping q multiplies f by q^-1 mod t and a
 * product multiplies the factors. A BFV batch's factor is always 1.
 *
 * <p>Not thread-safe. Closing releases the buffer (device memory on a GPU).
 */
public final class CiphertextBatch implements AutoCloseable {
  /** Correction factor of a BGV batch allocated to be filled whose factor no write has set yet. */
  static final long FACTOR_UNSET = 0;

  private final Scheme scheme;
  private final BfvParameters params;
  private final int plainIndex;
  private final int level;
  private final int size;
  private final int count;
  private final PolyBuffer buffer;
  private boolean nttForm;
  private byte[] seed;
  private int seedLevel;
  private long correctionFactor = 1;

  CiphertextBatch(BfvParameters params, int plainIndex, int level, int size, int count, PolyBuffer buffer, boolean nttForm) {
    this(Scheme.BFV, params, plainIndex, level, size, count, buffer, nttForm);
  }

  CiphertextBatch(Scheme scheme, BfvParameters params, int plainIndex, int level, int size, int count, PolyBuffer buffer, boolean nttForm) {
    this.scheme = scheme;
    this.params = params;
    this.plainIndex = plainIndex;
    this.level = level;
    this.size = size;
    this.count = count;
    this.buffer = buffer;
    this.nttForm = nttForm;
    if (buffer.polys() != size * count || !buffer.basis().equals(params.basisAt(level))) {
      throw new BfvException(BfvException.ErrorCode.INVALID_CIPHERTEXT, "buffer of " + buffer.polys() + " polynomials does not hold " + count + " ciphertexts of size " + size);
    }
  }

  static CiphertextBatch allocate(Backend backend, BfvParameters params, int plainIndex, int level, int size, int count, boolean nttForm) {
    return new CiphertextBatch(params, plainIndex, level, size, count, backend.allocate(params.basisAt(level), size * count), nttForm);
  }

  /** A BGV batch in NTT form with correction factor {@code factor} (FACTOR_UNSET until first written). */
  static CiphertextBatch allocateBgv(Backend backend, BfvParameters params, int plainIndex, int level, int size, int count, long factor) {
    CiphertextBatch b = new CiphertextBatch(Scheme.BGV, params, plainIndex, level, size, count, backend.allocate(params.basisAt(level), size * count), true);
    b.correctionFactor = factor;
    return b;
  }

  /**
   * {@link #allocateBgv} with unspecified residues ({@link Backend#allocateUninitialized}): for
   * outputs the caller writes completely before anything reads them.
   */
  static CiphertextBatch allocateBgvForOverwrite(Backend backend, BfvParameters params, int plainIndex, int level, int size, int count, long factor) {
    CiphertextBatch b = new CiphertextBatch(Scheme.BGV, params, plainIndex, level, size, count, backend.allocateUninitialized(params.basisAt(level), size * count), true);
    b.correctionFactor = factor;
    return b;
  }

  /** The scheme the ciphertexts are encrypted under. */
  public Scheme scheme() {
    return scheme;
  }

  /**
   * The public correction factor f in [1, t) of a BGV batch (the phase is f m + t v, so the
   * plaintext is f^-1 times the phase mod t); always 1 for BFV. 0 for a BGV batch allocated to be
   * filled that nothing has been written into yet.
   */
  public long correctionFactor() {
    return correctionFactor;
  }

  void setCorrectionFactor(long factor) {
    this.correctionFactor = factor;
  }

  public BfvParameters parameters() {
    return params;
  }

  /** Index of the plaintext prime t_j this batch encrypts under. */
  public int plainIndex() {
    return plainIndex;
  }

  /** Number of ciphertext primes in use. */
  public int level() {
    return level;
  }

  /** Polynomials per ciphertext. */
  public int size() {
    return size;
  }

  /** Ciphertexts in the batch. */
  public int count() {
    return count;
  }

  public boolean isNttForm() {
    return nttForm;
  }

  void setNttForm(boolean ntt) {
    this.nttForm = ntt;
  }

  public PolyBuffer buffer() {
    return buffer;
  }

  /** Component j (c_j) of every ciphertext, as a strided range. */
  public PolyRange component(int j) {
    return buffer.range(j, count, size);
  }

  /** Every polynomial of ciphertexts [first, first + n). */
  public PolyRange ciphertexts(int first, int n) {
    return buffer.range(first * size, n * size);
  }

  /**
   * The 32-byte seed the c1 halves were expanded from, for symmetric encryptions that can be sent
   * without c1; null otherwise.
   */
  public byte[] seed() {
    return seed == null ? null : seed.clone();
  }

  void setSeed(byte[] seed) {
    setSeed(seed, params.maxLevel());
  }

  /**
   * Records the seed and the level whose primes it was expanded over: the top level (expanded
   * there, then switched down to this batch's level) or this batch's own level (encrypted there
   * directly: c1 is the seed's expansion over the level's primes, in NTT form).
   */
  void setSeed(byte[] seed, int seedLevel) {
    this.seed = seed == null ? null : seed.clone();
    this.seedLevel = seed == null ? 0 : seedLevel;
  }

  /**
   * The level whose primes the seed was expanded over (see {@link #seed()}): the top level, or
   * this batch's level for an encryption made directly at it; 0 without a seed.
   */
  public int seedLevel() {
    return seedLevel;
  }

  /** Bytes of the polynomials at log2(q_i) bits per residue: what the batch costs to send. */
  public long serializedBits(boolean seeded) {
    long bitsPerCoefficient = 0;
    for (int i = 0; i < level; i++) {
      bitsPerCoefficient += params.coeffBasis().modulus(i).bits();
    }
    int polys = seeded && seed != null ? size - 1 : size;
    return (long) count * polys * params.n() * bitsPerCoefficient + (seeded && seed != null ? 8L * SeedExpander.SEED_BYTES : 0);
  }

  @Override
  public void close() {
    buffer.close();
  }

  @Override
  public String toString() {
    return "CiphertextBatch[" + (scheme == Scheme.BFV ? "" : scheme + ", factor " + correctionFactor + ", ") + count + " x size " + size + ", level " + level
        + ", t#" + plainIndex + (nttForm ? ", NTT" : ", coeff") + "]";
  }
}
