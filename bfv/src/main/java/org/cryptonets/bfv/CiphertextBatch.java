package org.cryptonets.bfv;

import org.cryptonets.engine.Backend;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PolyRange;

/**
 * A batch of BFV ciphertexts that share parameters, plaintext prime, level, size and form, held in
 * one backend buffer as (c0, c1[, c2]) of ciphertext 0, then ciphertext 1, and so on. A single
 * ciphertext is a batch of one. Batches are what the evaluator works on, so a backend can apply one
 * operation to thousands of ciphertexts per call and keep them on its device.
 *
 * <p>Size is the number of polynomials per ciphertext (2 fresh, 3 after a multiplication until
 * relinearized). Form is NTT or coefficient; operations convert as they need.
 *
 * <p>Not thread-safe. Closing releases the buffer (device memory on a GPU).
 */
public final class CiphertextBatch implements AutoCloseable {
  private final BfvParameters params;
  private final int plainIndex;
  private final int level;
  private final int size;
  private final int count;
  private final PolyBuffer buffer;
  private boolean nttForm;
  private byte[] seed;

  CiphertextBatch(BfvParameters params, int plainIndex, int level, int size, int count, PolyBuffer buffer, boolean nttForm) {
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
    this.seed = seed == null ? null : seed.clone();
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
    return "CiphertextBatch[" + count + " x size " + size + ", level " + level + ", t#" + plainIndex + (nttForm ? ", NTT" : ", coeff") + "]";
  }
}
