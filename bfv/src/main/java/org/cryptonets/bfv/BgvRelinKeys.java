package org.cryptonets.bfv;

import org.cryptonets.engine.Backend;
import org.cryptonets.engine.PolyBuffer;
import org.cryptonets.engine.PolyRange;

/**
 * BGV relinearization keys: for each plaintext prime t, a key-switching key from s^2 to s with one
 * RNS digit per prime of Q and no special prime, as {@link RelinKeys} for BFV, but with noise that is
 * a multiple of t: digit j is (b_j, a_j) = (-(a_j s) + t e_j + s^2 g_j, a_j), g_j the CRT idempotent
 * of q_j, in NTT form. Key switching then adds t (sum_j [c2]_{q_j} e_j), which leaves the plaintext
 * unchanged. Keys made at the top level serve every level (the engine's {@code keySwitch} ignores the
 * dropped limbs and digits); made by {@link KeyGenerator#createBgvRelinKeys()}.
 *
 * <p>Immutable after creation; thread-safe for concurrent use.
 */
public final class BgvRelinKeys implements RelinearizationKeys {
  private final BfvParameters params;
  private final PolyBuffer buffer;

  BgvRelinKeys(BfvParameters params, PolyBuffer buffer) {
    this.params = params;
    this.buffer = buffer;
  }

  /** {@link Scheme#BGV}. */
  @Override
  public Scheme scheme() {
    return Scheme.BGV;
  }

  @Override
  public BfvParameters parameters() {
    return params;
  }

  /**
   * Rebuilds the keys on {@code backend} from residues in NTT form over the full Q, in the order
   * {@link #residues()} gives them: for t_0, then t_1, ..., the 2 l polynomials (b_0, a_0, b_1, a_1,
   * ...), each limb after limb.
   *
   * @throws BfvException INVALID_ARGUMENT if the array length is wrong, VALUE_OUT_OF_RANGE if a
   *     residue is not below its prime
   */
  public static BgvRelinKeys fromResidues(BfvParameters params, Backend backend, long[] residues) {
    return new BgvRelinKeys(params, KeyResidues.upload(params, backend, residues, polynomials(params)));
  }

  /** Polynomials of the whole key set: 2 l per plaintext prime. */
  static int polynomials(BfvParameters params) {
    return 2 * params.maxLevel() * params.plainModuli().size();
  }

  /** The residues in NTT form, downloaded from the backend (the layout {@link #fromResidues} takes). */
  public long[] residues() {
    return KeyResidues.download(buffer);
  }

  /**
   * The 2 l digit keys of plaintext prime {@code plainIndex}, as {@code Backend.keySwitch} takes them
   * (public evaluation material, like the whole object).
   *
   * @throws BfvException INVALID_ARGUMENT for a plaintext prime the parameters do not have
   */
  public PolyRange keysFor(int plainIndex) {
    params.checkPlainIndex(plainIndex);
    int l = params.maxLevel();
    return buffer.range(2 * l * plainIndex, 2 * l);
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
