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
public final class RelinKeys implements AutoCloseable {
  private final BfvParameters params;
  private final PolyBuffer buffer;

  RelinKeys(BfvParameters params, PolyBuffer buffer) {
    this.params = params;
    this.buffer = buffer;
  }

  public BfvParameters parameters() {
    return params;
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
