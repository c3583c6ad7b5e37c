package org.cryptonets.bfv;

import org.cryptonets.engine.PolyBuffer;

/**
 * Relinearization keys: a key-switching key from s^2 to s with one RNS digit per prime of Q
 * (Bajard-Eynard-Hasan-Zucca / BV style, no special prime, so the whole key modulus is Q). Digit j is
 * (b_j, a_j) = (-(a_j s) + e_j + s^2 g_j, a_j) with g_j the CRT idempotent of q_j, in NTT form. Keys
 * made at the top level serve every lower level by ignoring the dropped limbs and digits.
 *
 * <p>Immutable after creation; thread-safe for concurrent use.
 */
public final class RelinKeys implements RelinearizationKeys {
  private final BfvParameters params;
  private final PolyBuffer buffer;

  RelinKeys(BfvParameters params, PolyBuffer buffer) {
    this.params = params;
    this.buffer = buffer;
  }

  /** {@link Scheme#BFV}. */
  @Override
  public Scheme scheme() {
    return Scheme.BFV;
  }

  @Override
  public BfvParameters parameters() {
    return params;
  }

  /**
   * Rebuilds the key on {@code backend} from its residues in NTT form over the full Q, in the order
   * {@link #residues()} gives them: 2 l polynomials (b_0, a_0, b_1, a_1, ...), each limb after limb. This is how a key read
   * from a file becomes usable.
   *
   * @throws BfvException INVALID_ARGUMENT if the array length is wrong, VALUE_OUT_OF_RANGE if a
   *     residue is not below its prime
   */
  public static RelinKeys fromResidues(BfvParameters params, org.cryptonets.engine.Backend backend, long[] residues) {
    return new RelinKeys(params, KeyResidues.upload(params, backend, residues, 2 * params.maxLevel()));
  }

  /** The residues in NTT form, downloaded from the backend (the layout {@link #fromResidues} takes). */
  public long[] residues() {
    return KeyResidues.download(buffer);
  }

  PolyBuffer buffer() {
    return buffer;
  }

  /** Bytes to send the keys at log2(q_i) bits per residue. */
  public long serializedBytes() {
    long bits = 0;
    for (int i = 0; i < params.maxLevel(); i++) {
      bits += params.coeffBasis().modulus(i).bits();
    }
    return buffer.polys() * params.n() * bits / 8;
  }

  @Override
  public void close() {
    buffer.close();
  }
}
